//! Staff screen for rule-set versions: every version known (shipped and loaded), which one is in
//! force, and an upload form for a new version. The file is validated before anything is stored;
//! a refused file is shown with every problem and changes nothing. A loaded version is used at
//! once by this server and within a minute by the others (`App::refresh_rules`).

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::{AppError, Role};
use kyosai_domain::StagingId;
use serde::Deserialize;

use super::view::{Layout, app_error, forbidden_page, ja_time, render};
use crate::AppState;
use crate::session::SignedIn;

/// A rule file is a few tens of KB; this leaves room for comments and larger official tables.
pub const MAX_RULE_FILE_BYTES: usize = 1024 * 1024;

struct VersionRow {
    id: String,
    program_name: &'static str,
    effective_from: String,
    in_force: bool,
    provisional: bool,
    origin: String,
}

#[derive(Template)]
#[template(path = "staff_rules.html")]
struct RulesPage {
    layout: Layout,
    versions: Vec<VersionRow>,
    staged: Vec<kyosai_app::rule_staging::StagedRuleSet>,
    notice: String,
    problems: Vec<String>,
}

#[derive(Deserialize)]
pub struct Loaded {
    loaded: Option<String>,
    staged: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<Loaded>,
) -> Response {
    if signed.actor.role != Role::Staff {
        return forbidden_page(Some(&signed.user));
    }
    let notice = match (q.loaded, q.staged) {
        (Some(id), _) => {
            format!("規則セット {id} を承認しました。適用開始日から計算に使われます。")
        }
        (None, Some(id)) => format!(
            "規則セット {id} を受け付けました。別の職員（決裁者）が差分を確認して承認すると登録されます。"
        ),
        (None, None) => String::new(),
    };
    page(&state, &signed, StatusCode::OK, notice, Vec::new()).await
}

pub async fn upload(State(state): State<AppState>, signed: SignedIn, form: Multipart) -> Response {
    if signed.actor.role != Role::Staff {
        return forbidden_page(Some(&signed.user));
    }
    let text = match rule_file(form).await {
        Ok(t) => t,
        Err(problem) => {
            return page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                vec![problem.into()],
            )
            .await;
        }
    };
    match state
        .app
        .stage_rule_set(&text, &signed.actor.audit_name())
        .await
    {
        Ok(s) => Redirect::to(&format!("/staff/rules?staged={}", s.rule_set_id)).into_response(),
        Err(AppError::Invalid(problems)) => {
            let problems = problems.into_iter().map(|p| p.message).collect();
            page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                problems,
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            page(
                &state,
                &signed,
                StatusCode::CONFLICT,
                String::new(),
                vec![message],
            )
            .await
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}

/// The text of the `rule_file` part, or why it cannot be read.
async fn rule_file(mut form: Multipart) -> Result<String, &'static str> {
    const UNREADABLE: &str =
        "送信された内容を読み取れませんでした。ページを開き直してからもう一度お試しください。";
    while let Some(field) = form.next_field().await.map_err(|_| UNREADABLE)? {
        if field.name() != Some("rule_file") {
            continue;
        }
        let bytes = field.bytes().await.map_err(|_| UNREADABLE)?;
        if bytes.is_empty() {
            return Err("規則ファイルを選んでください。");
        }
        return String::from_utf8(bytes.to_vec())
            .map_err(|_| "規則ファイルは UTF-8 の TOML ファイルにしてください。");
    }
    Err("規則ファイルを選んでください。")
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    notice: String,
    problems: Vec<String>,
) -> Response {
    let stored = match state.app.rule_set_origins().await {
        Ok(s) => s,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    let book = state.app.rules.book();
    let today = state.app.clock.today();
    let versions = book
        .all()
        .map(|set| VersionRow {
            id: set.id.clone(),
            program_name: set.program.name_ja(),
            effective_from: set.effective_from.to_string(),
            in_force: book
                .in_force(set.program, today)
                .is_some_and(|s| s.id == set.id),
            provisional: set.has_provisional(),
            origin: stored
                .iter()
                .find(|s| s.id == set.id)
                .map_or("システムに同梱".to_string(), |s| {
                    format!("{}（{}）が登録", ja_time(&s.loaded_at), s.loaded_by)
                }),
        })
        .collect();
    let staged = match state.app.staged_rule_sets(&signed.actor).await {
        Ok(s) => s,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    render(
        status,
        &RulesPage {
            layout: Layout::user("規則セット", &signed.user),
            versions,
            staged,
            notice,
            problems,
        },
    )
}

/// `POST /staff/rules/staged/{id}`: an approver approves (`decision=approve`, with
/// `confirm_backdating` for a past effective date) or rejects a staged file.
pub async fn decide(
    State(state): State<AppState>,
    signed: SignedIn,
    axum::extract::Path(id): axum::extract::Path<StagingId>,
    form: super::FormData,
) -> Response {
    let result = if form.text("decision") == "reject" {
        state
            .app
            .reject_rule_set(&signed.actor, id)
            .await
            .map(|()| "/staff/rules".to_string())
    } else {
        state
            .app
            .approve_rule_set(
                &signed.actor,
                id,
                !form.text("confirm_backdating").is_empty(),
            )
            .await
            .map(|set| format!("/staff/rules?loaded={set}"))
    };
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(AppError::Conflict { message, .. }) => {
            page(
                &state,
                &signed,
                StatusCode::CONFLICT,
                String::new(),
                vec![message],
            )
            .await
        }
        Err(e) => app_error(e, Some(&signed.user)),
    }
}
