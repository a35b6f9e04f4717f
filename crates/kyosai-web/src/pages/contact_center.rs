//! The contact center console (共済相談室, issue #14), for staff at a desk (1280×800): find the
//! caller's contract (by number, name, kana, business name, phone or e-mail; every search is
//! audited), confirm the caller's identity and see their contracts (`contact_caller`), and log
//! the call with its category and outcome. Logged calls feed the scorecard's inquiries per
//! 1,000 members.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::AppError;
use kyosai_app::contact_center::{InquiryForm, MAX_NOTE_CHARS};
use kyosai_app::views::ContractHit;
use kyosai_domain::FieldError;
use kyosai_domain::inquiry::{InquiryCategory, InquiryOutcome};
use serde::Deserialize;

use super::FormData;
use super::staff::refuse_non_staff;
use super::view::{Layout, app_error, render};
use crate::AppState;
use crate::form_kit::{Field, SummaryItem, summary};
use crate::session::SignedIn;

#[derive(Template)]
#[template(path = "contact_center.html")]
struct ConsolePage {
    layout: Layout,
    notice: String,
    summary: Vec<SummaryItem>,
    query: Field,
    searched: bool,
    hits: Vec<ContractHit>,
    contract_number: Field,
    category: Field,
    outcome: Field,
    note: Field,
}

#[derive(Debug, Deserialize)]
pub struct ConsoleQuery {
    q: Option<String>,
    /// Pre-fills the log form with a contract found.
    number: Option<String>,
    logged: Option<String>,
}

const TITLE: &str = "共済相談室（問い合わせの記録）";

fn log_fields(
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> (Field, Field, Field, Field) {
    (
        Field::text("contract_number", "共済契約者番号")
            .optional()
            .numeric()
            .width("10")
            .maxlength(9)
            .hint("本人確認ができた場合だけ、9桁で入力します。")
            .fill(values, errors),
        Field::text("category", "問い合わせの内容")
            .kind("select")
            .choices(
                std::iter::once(("", "選んでください")).chain(
                    InquiryCategory::ALL
                        .iter()
                        .map(|c| (c.as_str(), c.name_ja())),
                ),
            )
            .fill(values, errors),
        Field::text("outcome", "対応の結果")
            .kind("select")
            .choices(
                std::iter::once(("", "選んでください")).chain(
                    InquiryOutcome::ALL
                        .iter()
                        .map(|o| (o.as_str(), o.name_ja())),
                ),
            )
            .fill(values, errors),
        Field::text("note", "メモ")
            .kind("textarea")
            .optional()
            .maxlength(u32::try_from(MAX_NOTE_CHARS).unwrap_or(500))
            .fill(values, errors),
    )
}

fn page(
    signed: &SignedIn,
    status: StatusCode,
    notice: String,
    q: &str,
    search: Result<Option<Vec<ContractHit>>, String>,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let (contract_number, category, outcome, note) = log_fields(values, errors);
    let (searched, hits, search_error) = match search {
        Ok(Some(h)) => (true, h, String::new()),
        Ok(None) => (false, Vec::new(), String::new()),
        Err(e) => (false, Vec::new(), e),
    };
    let query = Field::text(
        "q",
        "契約者番号・氏名・カナ・事業所名・電話番号・メールアドレス",
    )
    .optional()
    .value(q)
    .maxlength(100)
    .error(search_error);
    render(
        status,
        &ConsolePage {
            layout: Layout::user(TITLE, &signed.user),
            notice,
            summary: summary([&contract_number, &category, &outcome, &note]),
            query,
            searched,
            hits,
            contract_number,
            category,
            outcome,
            note,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ConsoleQuery>,
) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let text = q.q.unwrap_or_default();
    let search = if text.trim().is_empty() {
        Ok(None)
    } else {
        match state.app.search_contracts(&signed.actor, &text).await {
            Ok(h) => Ok(Some(h)),
            Err(AppError::Invalid(e)) => Err(e
                .into_iter()
                .map(|f| f.message)
                .collect::<Vec<_>>()
                .join(" ")),
            Err(e) => return app_error(e, Some(&signed.user)),
        }
    };
    let values = BTreeMap::from([("contract_number".to_string(), q.number.unwrap_or_default())]);
    let notice = if q.logged.is_some() {
        "問い合わせを記録しました。".to_string()
    } else {
        String::new()
    };
    page(&signed, StatusCode::OK, notice, &text, search, &values, &[])
}

pub async fn log(State(state): State<AppState>, signed: SignedIn, form: FormData) -> Response {
    if let Some(r) = refuse_non_staff(&signed) {
        return r;
    }
    let input = InquiryForm {
        contract_number: form.text("contract_number"),
        category: form.text("category"),
        outcome: form.text("outcome"),
        note: form.text("note"),
    };
    match state.app.log_inquiry(&signed.actor, &input).await {
        Ok(_) => Redirect::to("/staff/contact?logged=1").into_response(),
        Err(AppError::Invalid(errors)) => {
            let values = BTreeMap::from([
                ("contract_number".to_string(), input.contract_number),
                ("category".to_string(), input.category),
                ("outcome".to_string(), input.outcome),
                ("note".to_string(), input.note),
            ]);
            page(
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                "",
                Ok(None),
                &values,
                &errors,
            )
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
