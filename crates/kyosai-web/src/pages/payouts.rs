//! The member's payouts, `/portal/contracts/{number}/payouts`: every decided payment (共済金,
//! 解約手当金, 前納減額金, 貸付金) with its date, amount and status; a payout the bank returned
//! (or that has no account) says why and links to a short form for a new account,
//! `/portal/contracts/{number}/payouts/{id}/account`, with the same account fields and
//! bank/branch search as the debit account change. Who may see it is decided by the use case.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kyosai_app::AppError;
use kyosai_app::payouts::PayoutView;
use kyosai_domain::payout::PayoutStatus;
use kyosai_domain::{FieldError, PayoutId, Yen};

use super::FormData;
use super::account_change::{Extras, mandate_form, values_of};
use super::bank_picker::{self, Hit};
use super::fields::account_sections;
use super::view::{Layout, app_error, ja_date, render};
use crate::AppState;
use crate::form_kit::{Section, SummaryItem, summary};
use crate::session::SignedIn;

/// One payout as a row.
struct Line {
    id: PayoutId,
    date: String,
    kind: String,
    amount: String,
    status: String,
    /// `pending`, `completed` or `rejected` (the badge style).
    badge: &'static str,
    held: bool,
    reason: String,
    account: String,
}

fn line(p: &PayoutView) -> Line {
    Line {
        id: p.payout_id,
        date: ja_date(p.date),
        kind: p.kind_ja.clone(),
        amount: Yen::new(p.yen).to_string(),
        status: p.status_ja.clone(),
        badge: match p.status {
            PayoutStatus::Scheduled => "pending",
            PayoutStatus::Paid => "completed",
            PayoutStatus::Held => "rejected",
        },
        held: p.status == PayoutStatus::Held,
        reason: p.hold_reason.clone().unwrap_or_default(),
        account: p.account_ja.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "payouts.html")]
struct PayoutsPage {
    layout: Layout,
    number: String,
    lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "payout_account.html")]
struct AccountPage {
    layout: Layout,
    number: String,
    payout: Line,
    /// `form` or `done`.
    mode: &'static str,
    notice: String,
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
}

pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(number): Path<String>,
) -> Response {
    match state.app.contract_payouts(&signed.actor, &number).await {
        Ok(payouts) => render(
            StatusCode::OK,
            &PayoutsPage {
                layout: Layout::user("お支払い（振込）の状況", &signed.user),
                number,
                lines: payouts.iter().map(line).collect(),
            },
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn held_payout(
    state: &AppState,
    signed: &SignedIn,
    number: &str,
    id: PayoutId,
) -> Result<PayoutView, AppError> {
    state
        .app
        .contract_payouts(&signed.actor, number)
        .await?
        .into_iter()
        .find(|p| p.payout_id == id)
        .ok_or(AppError::NotFound)
}

fn account_page(
    signed: &SignedIn,
    number: &str,
    payout: &PayoutView,
    mode: &'static str,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    extras: Extras,
) -> AccountPage {
    let sections = if mode == "form" {
        account_sections(values, errors, "f-")
    } else {
        Vec::new()
    };
    let summary = summary(sections.iter().flat_map(|s| s.fields.iter()));
    let (bank_name, branch_name) = bank_picker::chosen_names(values);
    AccountPage {
        layout: Layout::user(
            if mode == "done" {
                "お振込み先を登録しました"
            } else {
                "お振込み先の口座の登録"
            },
            &signed.user,
        ),
        number: number.to_string(),
        payout: line(payout),
        mode,
        notice: extras.notice,
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
    }
}

pub async fn account_form(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((number, id)): Path<(String, PayoutId)>,
) -> Response {
    match held_payout(&state, &signed, &number, id).await {
        Ok(p) => render(
            StatusCode::OK,
            &account_page(
                &signed,
                &number,
                &p,
                "form",
                &BTreeMap::new(),
                &[],
                Extras::default(),
            ),
        ),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn account_post(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((number, id)): Path<(String, PayoutId)>,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let mut values = values_of(&form);
    if let Some(fragment) = bank_picker::search_fragment(&headers, &form, &values) {
        return fragment;
    }
    let p = match held_payout(&state, &signed, &number, id).await {
        Ok(p) => p,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let page = |mode, values: &BTreeMap<String, String>, errors: &[FieldError], extras| {
        account_page(&signed, &number, &p, mode, values, errors, extras)
    };
    let mut extras = Extras::default();
    if bank_picker::is_pick(&form) {
        extras.notice = bank_picker::apply_pick(&form, &mut values).unwrap_or_default();
        return render(StatusCode::OK, &page("form", &values, &[], extras));
    }
    match form.get("action").unwrap_or("submit") {
        "bank_search" => {
            let q = form.text("bank_query").trim().to_string();
            extras.bank_results = Some(bank_picker::banks(&q));
            extras.bank_query = q;
            render(StatusCode::OK, &page("form", &values, &[], extras))
        }
        "branch_search" => {
            let q = form.text("branch_query").trim().to_string();
            let (hits, message) = bank_picker::branches(&values, &q);
            extras.branch_results = Some(hits);
            extras.branch_message = message;
            extras.branch_query = q;
            render(StatusCode::OK, &page("form", &values, &[], extras))
        }
        _ => {
            let mandate = mandate_form(&values);
            match state
                .app
                .give_payout_account(&signed.actor, &number, id, &mandate)
                .await
            {
                Ok(done) => render(
                    StatusCode::OK,
                    &account_page(&signed, &number, &done, "done", &values, &[], extras),
                ),
                Err(AppError::Invalid(errors)) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &page("form", &values, &errors, extras),
                ),
                Err(e) => app_error(e, Some(&signed.user)),
            }
        }
    }
}
