//! The member's debit account change, `/portal/contracts/{number}/account`: one short form
//! (the enrollment's account fields and bank/branch search), a confirmation showing the holder
//! name as the bank will receive it and from which debit the account is used, and the done page.
//!
//! Everything typed travels in the form itself (no draft): search and pick buttons post the
//! form and get it back with the result; `confirm` checks it (`App::preview_mandate_change`,
//! nothing stored), `submit` registers it (`App::change_mandate`, which also makes a repeated
//! submit harmless). Who may see it is decided by the use case: anyone but the contract's member
//! (and staff) gets the 404 page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::mandate_change::{MandateForm, MandatePlan};
use kyosai_domain::FieldError;

use super::FormData;
use super::bank_picker::{self, Hit};
use super::fields::{Row, account_sections, display_value, label_of};
use super::view::{Layout, app_error, ja_date, render};
use crate::AppState;
use crate::form_kit::{Section, SummaryItem, summary};
use crate::session::SignedIn;

/// The form fields of the page, in order.
pub(super) const FIELDS: [&str; 5] = [
    "bank_code",
    "branch_code",
    "account_type",
    "account_number",
    "account_holder_kana",
];

#[derive(Template)]
#[template(path = "account_change.html")]
struct AccountPage {
    layout: Layout,
    number: String,
    program_name: &'static str,
    /// `form`, `confirm` or `done`.
    mode: &'static str,
    notice: String,
    current_account: String,
    current_usable: bool,
    /// 「2026年12月18日（金）」: the first debit from the new account.
    from_date: String,
    summary: Vec<SummaryItem>,
    sections: Vec<Section>,
    bank_name: String,
    bank_query: String,
    bank_searched: bool,
    bank_results: Vec<Hit>,
    branch_name: String,
    branch_query: String,
    branch_searched: bool,
    branch_results: Vec<Hit>,
    branch_message: String,
    /// Confirmation and done: the account as entered.
    rows: Vec<Row>,
    /// Confirmation: the fields again, hidden, for the submit.
    hidden: Vec<(&'static str, String)>,
    /// Done: false when the account was already registered (a repeated submit).
    changed: bool,
    /// Done: the change waits for staff (the holder is not the contract's).
    in_review: bool,
}

/// Search results and notices shown with an account form (also the payout account's).
#[derive(Default)]
pub(super) struct Extras {
    pub(super) notice: String,
    pub(super) bank_query: String,
    pub(super) bank_results: Option<Vec<Hit>>,
    pub(super) branch_query: String,
    pub(super) branch_results: Option<Vec<Hit>>,
    pub(super) branch_message: String,
}

pub(super) fn values_of(form: &FormData) -> BTreeMap<String, String> {
    FIELDS
        .iter()
        .filter_map(|n| {
            let v = form.get(n).map(str::trim).unwrap_or("");
            (!v.is_empty()).then(|| ((*n).to_string(), v.to_string()))
        })
        .collect()
}

pub(super) fn mandate_form(values: &BTreeMap<String, String>) -> MandateForm {
    let v = |n: &str| values.get(n).cloned();
    MandateForm {
        bank_code: v("bank_code"),
        branch_code: v("branch_code"),
        account_type: v("account_type"),
        account_number: v("account_number"),
        account_holder_kana: v("account_holder_kana"),
    }
}

/// The account as entered, plus the holder name as the bank receives it.
fn rows(values: &BTreeMap<String, String>, plan: &MandatePlan) -> Vec<Row> {
    let mut rows: Vec<Row> = FIELDS
        .iter()
        .map(|n| Row {
            label: label_of(n).to_string(),
            value: display_value(n, values),
        })
        .collect();
    rows.push(Row {
        label: "口座名義（金融機関への登録表記）".into(),
        value: plan.account.holder_kana.clone(),
    });
    rows
}

struct Page<'a> {
    state: &'a AppState,
    signed: &'a SignedIn,
    number: &'a str,
}

impl Page<'_> {
    async fn build(
        &self,
        mode: &'static str,
        values: &BTreeMap<String, String>,
        errors: &[FieldError],
        extras: Extras,
    ) -> Result<AccountPage, AppError> {
        let ctx = self
            .state
            .app
            .mandate_change_context(&self.signed.actor, self.number)
            .await?;
        let sections = if mode == "form" {
            account_sections(values, errors, "f-")
        } else {
            Vec::new()
        };
        let summary = summary(sections.iter().flat_map(|s| s.fields.iter()));
        let (bank_name, branch_name) = bank_picker::chosen_names(values);
        let title = match mode {
            "confirm" => "新しい引落口座の確認",
            "done" => "引落口座を変更しました",
            _ => "引落口座の変更",
        };
        Ok(AccountPage {
            layout: Layout::user(title, &self.signed.user),
            number: ctx.contract_number,
            program_name: ctx.program.name_ja(),
            mode,
            notice: extras.notice,
            current_account: ctx.current_account.unwrap_or_default(),
            current_usable: ctx.current_usable,
            from_date: ja_date(ctx.first_debit_date),
            summary,
            sections,
            bank_name,
            bank_query: extras.bank_query,
            bank_searched: extras.bank_results.is_some(),
            bank_results: extras.bank_results.unwrap_or_default(),
            branch_name,
            branch_query: extras.branch_query,
            branch_searched: extras.branch_results.is_some(),
            branch_results: extras.branch_results.unwrap_or_default(),
            branch_message: extras.branch_message,
            rows: Vec::new(),
            hidden: Vec::new(),
            changed: false,
            in_review: false,
        })
    }

    async fn form(
        &self,
        status: StatusCode,
        values: &BTreeMap<String, String>,
        errors: &[FieldError],
        extras: Extras,
    ) -> Result<Response, AppError> {
        let page = self.build("form", values, errors, extras).await?;
        Ok(render(status, &page))
    }
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    let page = Page {
        state: &state,
        signed: &signed,
        number: &number,
    };
    match page
        .form(StatusCode::OK, &BTreeMap::new(), &[], Extras::default())
        .await
    {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let page = Page {
        state: &state,
        signed: &signed,
        number: &number,
    };
    if let Some(fragment) = bank_picker::search_fragment(&headers, &form, &values_of(&form)) {
        return fragment;
    }
    match handle_post(&page, &form).await {
        Ok(r) => r,
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn handle_post(page: &Page<'_>, form: &FormData) -> Result<Response, AppError> {
    let mut values = values_of(form);
    let mut extras = Extras::default();
    if bank_picker::is_pick(form) {
        extras.notice = bank_picker::apply_pick(form, &mut values).unwrap_or_default();
        return page.form(StatusCode::OK, &values, &[], extras).await;
    }
    let app = &page.state.app;
    let actor = &page.signed.actor;
    match form.get("action").unwrap_or("confirm") {
        "bank_search" => {
            let q = form.text("bank_query").trim().to_string();
            extras.bank_results = Some(bank_picker::banks(&q));
            extras.bank_query = q;
            page.form(StatusCode::OK, &values, &[], extras).await
        }
        "branch_search" => {
            let q = form.text("branch_query").trim().to_string();
            let (hits, message) = bank_picker::branches(&values, &q);
            extras.branch_results = Some(hits);
            extras.branch_message = message;
            extras.branch_query = q;
            page.form(StatusCode::OK, &values, &[], extras).await
        }
        "edit" => page.form(StatusCode::OK, &values, &[], extras).await,
        "submit" => {
            match app
                .change_mandate(actor, page.number, &mandate_form(&values))
                .await
            {
                Ok(done) => {
                    let mut p = page.build("done", &values, &[], extras).await?;
                    p.rows = rows(&values, &done.plan);
                    p.from_date = ja_date(done.plan.first_debit_date);
                    p.changed = done.changed;
                    p.in_review = done.status == Some(kyosai_domain::ApplicationStatus::InReview);
                    Ok(render(StatusCode::OK, &p))
                }
                Err(AppError::Invalid(errors)) => {
                    page.form(StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, extras)
                        .await
                }
                Err(e) => Err(e),
            }
        }
        _ => match app
            .preview_mandate_change(actor, page.number, &mandate_form(&values))
            .await
        {
            Ok(plan) => {
                let mut p = page.build("confirm", &values, &[], extras).await?;
                p.rows = rows(&values, &plan);
                p.from_date = ja_date(plan.first_debit_date);
                p.hidden = FIELDS
                    .iter()
                    .map(|n| (*n, values.get(*n).cloned().unwrap_or_default()))
                    .collect();
                Ok(render(StatusCode::OK, &p))
            }
            Err(AppError::Invalid(errors)) => {
                page.form(StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, extras)
                    .await
            }
            Err(e) => Err(e),
        },
    }
}
