//! Staff screen of 納付書 payment files (`/staff/payments`, issue #10): the files imported so
//! far, the slips still open with their deadlines, and an upload that imports a payment file
//! exactly as `kyosai payments import` does (refused whole, with every problem and its line).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::billing::{ImportError, Refusal};
use kyosai_app::payment_files::PaymentFiles;

use super::staff::refuse_non_staff;
use super::staff_billing::uploaded_file;
use super::view::{Layout, app_error, ja_date_text, ja_time, message, render, yen};
use crate::AppState;
use crate::session::SignedIn;

/// A table row already in the words staff read.
struct Row {
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff_payments.html")]
struct OverviewPage {
    layout: Layout,
    imports: Vec<Row>,
    slips: Vec<Row>,
}

/// What an import did, or everything that was wrong with the file.
#[derive(Template)]
#[template(path = "staff_payments_import.html")]
struct ImportPage {
    layout: Layout,
    file_name: String,
    /// Accepted: the slips marked paid and the total.
    paid: Vec<String>,
    total: String,
    /// Refused: (place, message, code).
    problems: Vec<(String, String, String)>,
    omitted: usize,
}

fn overview(signed: &SignedIn, p: &PaymentFiles) -> OverviewPage {
    OverviewPage {
        layout: Layout::user("納付書の入金", &signed.user),
        imports: p
            .imports
            .iter()
            .map(|i| Row {
                cells: vec![
                    i.file_name.clone(),
                    format!("{}（{}）", ja_time(&i.imported_at), i.actor),
                    format!("{}件", i.record_count),
                    yen(i.total_yen),
                ],
            })
            .collect(),
        slips: p
            .open_slips
            .iter()
            .map(|s| Row {
                cells: vec![
                    s.reference.clone(),
                    s.contract_number.clone(),
                    yen(s.amount_yen),
                    ja_date_text(&s.issued_on),
                    ja_date_text(&s.deadline),
                ],
            })
            .collect(),
    }
}

pub async fn show(State(state): State<AppState>, signed: SignedIn) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    match state.app.payment_files(&signed.actor).await {
        Ok(p) => render(StatusCode::OK, &overview(&signed, &p)),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

fn refused(signed: &SignedIn, r: &Refusal) -> ImportPage {
    ImportPage {
        layout: Layout::user("入金ファイルを取り込めませんでした", &signed.user),
        file_name: r.file_name.clone(),
        paid: Vec::new(),
        total: String::new(),
        problems: r
            .problems
            .iter()
            .map(|p| {
                (
                    if p.record > 0 {
                        format!("{}行目", p.record)
                    } else {
                        "ファイル全体".into()
                    },
                    p.message.clone(),
                    p.code.clone(),
                )
            })
            .collect(),
        omitted: r.omitted,
    }
}

pub async fn import(State(state): State<AppState>, signed: SignedIn, form: Multipart) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let (name, bytes) = match uploaded_file(form, "payment_file", "入金ファイル").await {
        Ok(f) => f,
        Err(problem) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                Layout::user("入金ファイルを取り込めませんでした", &signed.user),
                &problem,
                &[("/staff/payments", "納付書の入金へ戻る")],
            );
        }
    };
    match state
        .app
        .import_payment_file_by_staff(&signed.actor, &name, &bytes)
        .await
    {
        Ok(done) => render(
            StatusCode::OK,
            &ImportPage {
                layout: Layout::user("入金ファイルを取り込みました", &signed.user),
                file_name: done.file_name,
                paid: done.slips_paid,
                total: yen(done.total_yen),
                problems: Vec::new(),
                omitted: 0,
            },
        ),
        Err(ImportError::Refused(r)) => {
            render(StatusCode::UNPROCESSABLE_ENTITY, &refused(&signed, &r))
        }
        Err(ImportError::App(e)) => app_error(e, Some(&signed.user)),
    }
}
