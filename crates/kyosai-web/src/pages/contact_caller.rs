//! The contact center's caller page (共済相談室, issue #14 item 2), for operators at a desk
//! (1280×800): the identity checklist first; once the caller is identified, their contracts,
//! procedures, notices and debits, a form that mails them the link to the online procedure they
//! called about, and the way to log the call.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::AppError;
use kyosai_app::caller::{CallerAnswers, CallerView, CheckItem, OTHER_ITEMS_REQUIRED};
use kyosai_domain::{FieldError, Procedure};
use serde::Deserialize;

use super::FormData;
use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, ja_date, ja_date_text, ja_time, render, yen};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "contact_check.html")]
struct CheckPage {
    layout: Layout,
    number: String,
    rule: String,
    outcome: String,
    summary: Vec<SummaryItem>,
    fields: Vec<Field>,
}

/// A row of a table, already in the words and formats staff read.
struct Row {
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "contact_caller.html")]
struct CallerPage {
    layout: Layout,
    number: String,
    notice: String,
    identified_at: String,
    contracts: Vec<Row>,
    pending: Vec<Row>,
    recent: Vec<Row>,
    notices: Vec<Row>,
    debits: Vec<Row>,
    link: Field,
    summary: Vec<SummaryItem>,
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    /// The procedure whose link was just mailed.
    sent: Option<String>,
}

fn title(number: &str) -> String {
    format!("共済相談室（契約者番号 {number}）")
}

fn check_fields(values: &BTreeMap<String, String>, errors: &[FieldError]) -> Vec<Field> {
    CheckItem::ALL
        .iter()
        .map(|item| {
            let f = Field::text(item.as_str(), item.question_ja()).optional();
            let f = match item {
                CheckItem::Name => f.maxlength(60),
                CheckItem::Postcode => f.numeric().width("10").maxlength(8),
                CheckItem::Phone => f.input_type("tel").width("20").maxlength(20),
                CheckItem::AccountDigits => f.numeric().width("5").maxlength(4),
            };
            f.fill(values, errors)
        })
        .collect()
}

fn check_page(
    signed: &SignedIn,
    status: StatusCode,
    number: &str,
    outcome: String,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let fields = check_fields(values, errors);
    render(
        status,
        &CheckPage {
            layout: Layout::user(title(number), &signed.user),
            number: number.to_string(),
            rule: format!(
                "お名前と、ほかの項目のうち{OTHER_ITEMS_REQUIRED}つ以上が登録内容と一致すると、契約の内容を表示します。"
            ),
            outcome,
            summary: summary(fields.iter()),
            fields,
        },
    )
}

fn link_field(
    view: &CallerView,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Field {
    Field::text("procedure", "ご案内する手続き")
        .kind("select")
        .choices(
            std::iter::once(("", "選んでください"))
                .chain(view.links.iter().map(|p| (p.as_str(), p.name_ja()))),
        )
        .fill(values, errors)
}

fn caller_page(
    signed: &SignedIn,
    status: StatusCode,
    view: &CallerView,
    notice: String,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let link = link_field(view, values, errors);
    let application = |a: &kyosai_app::views::ApplicationView| Row {
        cells: vec![
            a.procedure.name_ja().to_string(),
            a.program_name.clone(),
            a.status_text.clone(),
            ja_time(&a.received_at),
        ],
    };
    render(
        status,
        &CallerPage {
            layout: Layout::user(title(&view.contract_number), &signed.user),
            number: view.contract_number.clone(),
            notice,
            identified_at: ja_time(&view.identified_at),
            contracts: view
                .contracts
                .iter()
                .map(|c| Row {
                    cells: vec![
                        c.number.clone(),
                        c.program_name.clone(),
                        c.status.name_ja().to_string(),
                        c.holder_name.clone(),
                        yen(c.monthly_premium_yen.get()),
                        c.next_debit_date
                            .zip(c.next_debit_amount_yen)
                            .map(|(d, a)| format!("{} {}", ja_date(d), yen(a)))
                            .unwrap_or_else(|| "なし".to_string()),
                    ],
                })
                .collect(),
            pending: view.pending.iter().map(application).collect(),
            recent: view.recent.iter().map(application).collect(),
            notices: view
                .notices
                .iter()
                .map(|(subject, at)| Row {
                    cells: vec![ja_time(at), subject.clone()],
                })
                .collect(),
            debits: view
                .debits
                .iter()
                .map(|m| Row {
                    cells: vec![
                        ja_date_text(&m.debit_date),
                        yen(m.amount_yen),
                        m.explanation.clone(),
                    ],
                })
                .collect(),
            summary: summary([&link]),
            link,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    match state.app.caller_view(&signed.actor, &number).await {
        Ok(view) => {
            let notice = q
                .sent
                .as_deref()
                .and_then(Procedure::parse)
                .map(|p| format!("「{}」のご案内をメールで送りました。", p.name_ja()))
                .unwrap_or_default();
            caller_page(
                &signed,
                StatusCode::OK,
                &view,
                notice,
                &BTreeMap::new(),
                &[],
            )
        }
        Err(AppError::Conflict {
            code: "identity_not_confirmed",
            ..
        }) => check_page(
            &signed,
            StatusCode::OK,
            &number,
            String::new(),
            &BTreeMap::new(),
            &[],
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn check(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    form: FormData,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let answers = CallerAnswers {
        name: form.text("name"),
        postcode: form.text("postcode"),
        phone: form.text("phone"),
        account_digits: form.text("account_digits"),
    };
    let values: BTreeMap<String, String> = CheckItem::ALL
        .iter()
        .map(|i| (i.as_str().to_string(), form.text(i.as_str())))
        .collect();
    match state
        .app
        .check_caller(&signed.actor, &number, &answers)
        .await
    {
        Ok(o) if o.passed => {
            Redirect::to(&format!("/staff/contact/callers/{number}")).into_response()
        }
        Ok(o) => {
            let unmatched: Vec<&str> = CheckItem::ALL
                .iter()
                .filter(|i| !o.matched.contains(i))
                .map(|i| i.question_ja())
                .collect();
            check_page(
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &number,
                format!(
                    "本人確認ができませんでした。一致しなかった項目：{}。契約の内容はお伝えできません。",
                    unmatched.join("、")
                ),
                &values,
                &[],
            )
        }
        Err(AppError::Invalid(errors)) => check_page(
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            &number,
            String::new(),
            &values,
            &errors,
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn send_link(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    form: FormData,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let procedure = form.text("procedure");
    match state
        .app
        .send_procedure_link(&signed.actor, &number, &procedure)
        .await
    {
        Ok(p) => Redirect::to(&format!(
            "/staff/contact/callers/{number}?sent={}",
            p.as_str()
        ))
        .into_response(),
        Err(AppError::Invalid(errors)) => match state.app.caller_view(&signed.actor, &number).await
        {
            Ok(view) => caller_page(
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &view,
                String::new(),
                &BTreeMap::from([("procedure".to_string(), procedure)]),
                &errors,
            ),
            Err(e) => app_error(e, Some(&signed.user)),
        },
        // The identification ran out during the call: ask the checklist again.
        Err(AppError::Conflict {
            code: "identity_not_confirmed",
            ..
        }) => Redirect::to(&format!("/staff/contact/callers/{number}")).into_response(),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
