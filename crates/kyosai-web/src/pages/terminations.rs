//! Staff screen for 機構解約: prepare the candidate list (contracts with 12+ unpaid months),
//! then confirm or withdraw each candidate. Maker-checker: the staff user who prepared a
//! candidate cannot confirm it (the use case refuses; the page says so next to the buttons).
//! Plain forms, post/redirect/get, no JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::AppError;
use kyosai_app::termination::CandidateView;
use kyosai_domain::billing::termination_threshold;
use kyosai_domain::termination::CandidateStatus;
use kyosai_domain::{CandidateId, Program, UserId};
use serde::Deserialize;

use super::view::{Layout, app_error, forbidden_page, ja_time, render, yen};
use crate::AppState;
use crate::session::SignedIn;

struct Item {
    id: CandidateId,
    contract_number: String,
    program_name: &'static str,
    holder_name: String,
    unpaid_months: i64,
    unpaid_yen: String,
    prepared_by: String,
    prepared_at: String,
    status: &'static str,
    status_text: &'static str,
    /// Decided by and when, for confirmed or withdrawn candidates.
    decision: String,
    /// 解約手当金 + 前納減額金 after confirmation, with （概算） when provisional.
    refund: String,
    open: bool,
    own: bool,
}

#[derive(Template)]
#[template(path = "staff_terminations.html")]
struct ListPage {
    layout: Layout,
    notice: String,
    error: String,
    /// `12か月分`: the unpaid months that make a candidate, from the rule sets in force.
    threshold: String,
    items: Vec<Item>,
}

/// `12か月分` when both programs agree, else each program's months.
fn threshold_text(state: &AppState) -> String {
    let book = state.app.rules.book();
    let today = state.app.clock.today();
    let per_program: Vec<(Program, u32)> = [Program::SmallEnterprise, Program::SafetyNet]
        .into_iter()
        .filter_map(|p| Some((p, termination_threshold(book.in_force(p, today)?)?)))
        .collect();
    match per_program.as_slice() {
        [(_, a), rest @ ..] if rest.iter().all(|(_, b)| b == a) => format!("{a}か月分"),
        _ => per_program
            .iter()
            .map(|(p, m)| format!("{}では{m}か月分", p.name_ja()))
            .collect::<Vec<_>>()
            .join("、"),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    done: Option<String>,
}

fn status_of(c: &CandidateView) -> (&'static str, &'static str) {
    match c.status {
        CandidateStatus::Prepared => ("in_review", "確定待ち"),
        CandidateStatus::Confirmed => ("completed", "解約確定"),
        CandidateStatus::Withdrawn => ("rejected", "取り下げ"),
    }
}

fn item(c: CandidateView, me: UserId) -> Item {
    let (status, status_text) = status_of(&c);
    let decision = match (&c.confirmed_at, &c.withdrawn_at) {
        (Some(at), _) => format!("確定：{}", ja_time(at)),
        (_, Some(at)) => format!("取り下げ：{}", ja_time(at)),
        _ => String::new(),
    };
    let refund = c
        .refund_total_yen
        .map(|y| {
            let mark = if c.refund_estimate == Some(true) {
                "（概算）"
            } else {
                ""
            };
            format!("{}{mark}", yen(y))
        })
        .unwrap_or_default();
    Item {
        id: c.id,
        contract_number: c.contract_number,
        program_name: c.program.name_ja(),
        holder_name: c.holder_name,
        unpaid_months: c.unpaid_months,
        unpaid_yen: yen(c.unpaid_yen),
        prepared_by: c.prepared_by_email,
        prepared_at: ja_time(&c.prepared_at),
        status,
        status_text,
        decision,
        refund,
        open: c.status == CandidateStatus::Prepared,
        own: c.prepared_by == me,
    }
}

async fn list_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    notice: &str,
    error: String,
) -> Response {
    match state.app.termination_candidates(&signed.actor).await {
        Ok(cs) => render(
            status,
            &ListPage {
                layout: Layout::user("機構解約（掛金の未納が続く契約）", &signed.user),
                notice: notice.to_string(),
                error,
                threshold: threshold_text(state),
                items: cs
                    .into_iter()
                    .map(|c| item(c, signed.actor.user_id))
                    .collect(),
            },
        ),
        Err(AppError::Forbidden(_)) => forbidden_page(Some(&signed.user)),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ListQuery>,
) -> Response {
    let notice = match q.done.as_deref() {
        Some("prepared") => "候補を作成しました。確定は別の職員が行います。",
        Some("confirmed") => {
            "機構解約を確定しました。解約手当金を計算し、契約者に『共済契約解除通知書』をメールで送りました。"
        }
        Some("withdrawn") => "候補を取り下げました。",
        Some("none_prepared") => {
            "新しく候補になった契約はありません（未納が基準に達した契約がないか、すでに候補になっています）。"
        }
        _ => "",
    };
    list_page(&state, &signed, StatusCode::OK, notice, String::new()).await
}

/// Redirect after an action, or the list again with the refusal shown at the top.
async fn after(
    state: &AppState,
    signed: &SignedIn,
    result: Result<(), AppError>,
    done: &str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/staff/terminations?done={done}")).into_response(),
        Err(AppError::Conflict { message, .. }) => {
            list_page(state, signed, StatusCode::CONFLICT, "", message).await
        }
        Err(AppError::Forbidden(_)) => forbidden_page(Some(&signed.user)),
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

pub async fn prepare(State(state): State<AppState>, signed: SignedIn) -> Response {
    fn open(cs: &[kyosai_app::termination::CandidateView]) -> usize {
        cs.iter()
            .filter(|c| c.status == CandidateStatus::Prepared)
            .count()
    }
    // Preparing is idempotent and answers with every open candidate: the ones it added are the
    // difference, so "none added" is not reported as a success.
    let before = match state.app.termination_candidates(&signed.actor).await {
        Ok(cs) => open(&cs),
        Err(e) => return after(&state, &signed, Err(e), "").await,
    };
    match state
        .app
        .prepare_termination_candidates(&signed.actor, None)
        .await
    {
        Ok(now) if open(&now) > before => after(&state, &signed, Ok(()), "prepared").await,
        Ok(_) => after(&state, &signed, Ok(()), "none_prepared").await,
        Err(e) => after(&state, &signed, Err(e), "").await,
    }
}

fn parse_id(id: &str) -> Result<CandidateId, AppError> {
    id.parse::<CandidateId>()
        .ok()
        .filter(|id| id.get() > 0)
        .ok_or(AppError::NotFound)
}

pub async fn confirm(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let result = match parse_id(&id) {
        Ok(id) => state
            .app
            .confirm_termination(&signed.actor, id)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    after(&state, &signed, result, "confirmed").await
}

pub async fn withdraw(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let result = match parse_id(&id) {
        Ok(id) => state.app.withdraw_termination(&signed.actor, id).await,
        Err(e) => Err(e),
    };
    after(&state, &signed, result, "withdrawn").await
}
