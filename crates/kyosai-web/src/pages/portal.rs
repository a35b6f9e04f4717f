//! The member's pages: the portal (contracts, applications, what to apply for next) and the
//! status page of one application, which is also the answer right after submitting.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::views::status_text;
use kyosai_app::{AppError, Role};
use kyosai_domain::procedure::CheckStatus;
use kyosai_domain::{
    ApplicationId, ApplicationStatus, ContractStatus, Procedure, Program, schedule,
};
use serde::Deserialize;

use super::view::{Layout, app_error, ja_date, ja_time, render, yen};
use crate::AppState;
use crate::session::SignedIn;

struct ContractBox {
    number: String,
    program_name: String,
    start_date: String,
    premium: String,
    frequency: String,
    next_debit: String,
    account: String,
}

struct AppBox {
    id: ApplicationId,
    title: String,
    href: String,
    status: String,
    status_text: String,
    next_step: String,
    received_at: String,
    reason: String,
}

struct EnrollLink {
    href: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    layout: Layout,
    notice: String,
    /// Unread notices in the portal inbox.
    unread: i64,
    contracts: Vec<ContractBox>,
    applications: Vec<AppBox>,
    enroll: Vec<EnrollLink>,
}

#[derive(Deserialize)]
pub struct PortalQuery {
    #[serde(default)]
    totp: Option<String>,
}

pub async fn portal(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<PortalQuery>,
) -> Response {
    if signed.actor.role == Role::Staff {
        return Redirect::to("/staff").into_response();
    }
    let overview = match state.app.overview(&signed.actor, signed.user.id).await {
        Ok(o) => o,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let unread = match state.app.unread_notices(&signed.actor).await {
        Ok(n) => n,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let contracts = overview
        .contracts
        .iter()
        .map(|c| ContractBox {
            number: c.number.clone(),
            program_name: c.program_name.clone(),
            start_date: ja_date(c.start_date),
            premium: c.monthly_premium_yen.to_string(),
            frequency: c.payment_frequency.clone(),
            next_debit: match (c.next_debit_date, c.next_debit_amount_yen) {
                (Some(d), Some(a)) => format!("{}　{}", ja_date(d), yen(a)),
                _ => "予定はありません".into(),
            },
            account: c
                .bank_account
                .clone()
                .unwrap_or_else(|| "登録されていません".into()),
        })
        .collect();
    let applications = overview
        .applications
        .iter()
        .map(|a| AppBox {
            id: a.id,
            title: match a.procedure {
                Procedure::Enrollment => format!("{}への加入", a.program_name),
                p => format!("{}の{}", a.program_name, p.name_ja()),
            },
            // An account change has no application page of its own: its result is the
            // contract's billing page.
            href: match (a.procedure, &a.contract_number) {
                (Procedure::MandateChange, Some(n)) => format!("/portal/contracts/{n}/billing"),
                _ => format!("/applications/{}", a.id),
            },
            status: a.status.as_str().to_string(),
            status_text: a.status_text.clone(),
            next_step: a.next_step.clone(),
            received_at: ja_time(&a.received_at),
            reason: if a.status == ApplicationStatus::Rejected {
                a.decision_reason.clone().unwrap_or_default()
            } else {
                String::new()
            },
        })
        .collect();
    let enroll = Program::ALL
        .into_iter()
        .filter(|p| {
            !overview
                .contracts
                .iter()
                .any(|c| c.program == *p && c.status == ContractStatus::Active)
                && !overview
                    .applications
                    .iter()
                    .any(|a| a.program == *p && a.status == ApplicationStatus::InReview)
        })
        .map(|p| EnrollLink {
            href: super::enroll::path_segment(p),
            label: format!("{}に申し込む", p.name_ja()),
        })
        .collect();
    let notice = if q.totp.is_some() {
        "二段階認証を設定しました。次回からは、ログインのときに確認コードを入力します。".into()
    } else {
        String::new()
    };
    render(
        StatusCode::OK,
        &PortalPage {
            layout: Layout::user("マイページ", &signed.user),
            notice,
            unread,
            contracts,
            applications,
            enroll,
        },
    )
}

struct DebitRow {
    date: String,
    amount: String,
    covers: String,
}

struct ContractDetail {
    number: String,
    start_date: String,
    premium: String,
    frequency: String,
    first_debit: String,
    schedule: Vec<DebitRow>,
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    layout: Layout,
    id: ApplicationId,
    program_name: String,
    status: String,
    status_text: String,
    next_step: String,
    contract: Option<ContractDetail>,
    reasons: Vec<String>,
    decision_reason: String,
    received_at: String,
    completed_at: String,
    /// The survey after the procedure (`/s/{code}`); empty until it is completed.
    survey_href: String,
}

#[derive(Deserialize)]
pub struct ApplicationQuery {
    #[serde(default)]
    new: Option<String>,
}

pub async fn application(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<ApplicationQuery>,
) -> Response {
    let Ok(id) = id.parse::<ApplicationId>() else {
        return super::view::not_found_page();
    };
    match application_page(&state, &signed, id, q.new.is_some()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

async fn application_page(
    state: &AppState,
    signed: &SignedIn,
    id: ApplicationId,
    new: bool,
) -> Result<ApplicationPage, AppError> {
    let a = state.app.application(&signed.actor, id).await?;
    let (text, next) = status_text(a.status);
    let book = state.app.rules.book();
    let contract = a.contract.as_ref().map(|c| {
        let frequency = c.frequency;
        let plan = match book.by_id(&c.rule_set) {
            Some(rules) => schedule::premium_schedule(
                &rules.collection,
                &state.app.calendar,
                c.first_debit_month,
                c.monthly_premium_yen,
                frequency,
                usize::try_from(12 / frequency.months_per_debit()).unwrap_or(12),
            ),
            None => Vec::new(),
        };
        ContractDetail {
            number: c.number.clone(),
            start_date: ja_date(c.start_date),
            premium: c.monthly_premium_yen.to_string(),
            frequency: frequency.name_ja().to_string(),
            first_debit: plan
                .first()
                .map(|d| format!("{}　{}", ja_date(d.date), d.amount))
                .unwrap_or_default(),
            schedule: plan
                .iter()
                .map(|d| DebitRow {
                    date: ja_date(d.date),
                    amount: d.amount.to_string(),
                    covers: if d.months_covered == 1 {
                        format!("{}年{}月分", d.month.year(), d.month.month())
                    } else {
                        format!(
                            "{}年{}月から{}か月分",
                            d.month.year(),
                            d.month.month(),
                            d.months_covered
                        )
                    },
                })
                .collect(),
        }
    });
    let reasons = if a.status == ApplicationStatus::InReview {
        a.checks()
            .into_iter()
            .filter(|c| c.status == CheckStatus::NeedsReview)
            .map(|c| c.message)
            .collect()
    } else {
        Vec::new()
    };
    let title = match (a.status, new) {
        (ApplicationStatus::Completed, true) => "ご加入手続きが完了しました",
        (ApplicationStatus::InReview, true) => "お申込みを受け付けました（確認中）",
        _ => "お申込みの状況",
    };
    let survey_href = if a.status == ApplicationStatus::Completed {
        format!("/s/{}", state.app.survey_code(&signed.actor, a.id).await?)
    } else {
        String::new()
    };
    Ok(ApplicationPage {
        survey_href,
        layout: Layout::user(title, &signed.user),
        id: a.id,
        program_name: a.program.name_ja().to_string(),
        status: a.status.as_str().to_string(),
        status_text: text.to_string(),
        next_step: next.to_string(),
        contract,
        reasons,
        decision_reason: if a.status == ApplicationStatus::Rejected {
            a.decision_reason.clone().unwrap_or_default()
        } else {
            String::new()
        },
        received_at: ja_time(&a.received_at),
        completed_at: a.completed_at.as_deref().map(ja_time).unwrap_or_default(),
    })
}
