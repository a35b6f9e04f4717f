//! The member's 任意解約, `/portal/contracts/{number}/cancel`: the quote (the refund and its
//! breakdown, the notices and the payment date, all from `App::cancellation_quote`), an explicit
//! confirmation checkbox, and the done page. The quoted amount travels in the form; when it no
//! longer matches (a debit was collected meanwhile) the page shows the new quote again. Who may
//! see it is decided by the use case (the contract's member, or staff keying in a paper form;
//! anyone else gets the 404 page).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::cancellation::{CancellationForm, CancellationQuote};
use kyosai_domain::{ApplicationId, FieldError};

use super::FormData;
use super::view::{Layout, app_error, ja_date, render, yen};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, is_on, summary};
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "cancel.html")]
struct CancelPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    /// `quote` or `done`.
    mode: &'static str,
    notice: String,
    summary: Vec<SummaryItem>,
    /// Quote: the breakdown (label, value).
    rows: Vec<(String, String)>,
    total: String,
    payment_date: String,
    estimate: bool,
    notices: Vec<String>,
    /// Quote: the amount sent back with the confirmation.
    refund_yen: i64,
    confirm: Field,
    /// Done: the application's reference number.
    application_id: ApplicationId,
}

fn confirm_field(values: &BTreeMap<String, String>, errors: &[FieldError]) -> Field {
    Field::checkbox(
        "confirm",
        "上記の内容（お支払い予定額・注意事項）を確認し、この共済契約を解約します",
    )
    .fill(values, errors)
}

fn rows(q: &CancellationQuote) -> Vec<(String, String)> {
    let mut rows = vec![
        ("掛金納付月数".to_string(), format!("{}か月", q.months_paid)),
        ("掛金合計額".to_string(), yen(q.total_paid_yen)),
        (
            "解約手当金".to_string(),
            yen(q.cancellation_refund_yen() + q.loans_deducted_yen),
        ),
    ];
    if q.loans_deducted_yen > 0 {
        rows.push((
            "貸付金の控除".into(),
            format!("−{}", yen(q.loans_deducted_yen)),
        ));
    }
    rows.push(("前納減額金".into(), yen(q.prepayment_discount_yen)));
    rows
}

fn quote_page(
    signed: &SignedIn,
    q: CancellationQuote,
    notice: String,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> CancelPage {
    let confirm = confirm_field(values, errors);
    CancelPage {
        layout: Layout::user("解約のお手続き（お支払い予定額の確認）", &signed.user),
        number: q.contract_number.clone(),
        program_name: q.program.name_ja(),
        mode: "quote",
        notice,
        summary: summary(std::iter::once(&confirm)),
        rows: rows(&q),
        total: yen(q.refund_yen),
        payment_date: ja_date(q.payment_date),
        estimate: q.estimate,
        notices: q.notices.clone(),
        refund_yen: q.refund_yen,
        confirm,
        // Shown on the done page only, once the application exists.
        application_id: ApplicationId::new(0),
    }
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match state.app.cancellation_quote(&signed.actor, &number).await {
        Ok(q) => render(
            StatusCode::OK,
            &quote_page(&signed, q, String::new(), &BTreeMap::new(), &[]),
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    form: FormData,
) -> Response {
    match handle_post(&state, &signed, &number, &form).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    form: &FormData,
) -> Result<Response, AppError> {
    let app = &state.app;
    let actor = &signed.actor;
    let values: BTreeMap<String, String> = [("confirm".to_string(), form.text("confirm"))]
        .into_iter()
        .collect();
    if !is_on(&form.text("confirm")) {
        let q = app.cancellation_quote(actor, number).await?;
        let errors = [FieldError::new(
            "confirm",
            "required",
            "解約する場合は、内容を確認したことのチェックを入れてください。",
        )];
        return Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &quote_page(signed, q, String::new(), &values, &errors),
        ));
    }
    let submitted = CancellationForm {
        refund_yen: Some(form.text("refund_yen")),
    };
    match app.cancel_contract(actor, number, &submitted, None).await {
        Ok(answer) => {
            let done = answer.fresh()?;
            Ok(render(
                StatusCode::OK,
                &CancelPage {
                    layout: Layout::user("解約のお手続きが完了しました", &signed.user),
                    number: number.to_string(),
                    program_name: done.program.name_ja(),
                    mode: "done",
                    notice: String::new(),
                    summary: Vec::new(),
                    rows: Vec::new(),
                    total: yen(done.refund_yen),
                    payment_date: done.payment_date.map(ja_date).unwrap_or_default(),
                    estimate: false,
                    notices: Vec::new(),
                    refund_yen: done.refund_yen,
                    confirm: confirm_field(&BTreeMap::new(), &[]),
                    application_id: done.application_id,
                },
            ))
        }
        Err(AppError::Conflict {
            code: "quote_changed",
            message,
        }) => {
            let q = app.cancellation_quote(actor, number).await?;
            Ok(render(
                StatusCode::CONFLICT,
                &quote_page(signed, q, message, &BTreeMap::new(), &[]),
            ))
        }
        Err(AppError::Invalid(errors)) => {
            // A tampered amount: show the quote again with the message.
            let q = app.cancellation_quote(actor, number).await?;
            let text = errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ");
            Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &quote_page(signed, q, text, &BTreeMap::new(), &[]),
            ))
        }
        Err(e) => Err(e),
    }
}
