//! Staff screen for rule-set versions: every version known (shipped and loaded), which one is in
//! force, and an upload form for a new version. The file is validated before anything is stored;
//! a refused file is shown with every problem and changes nothing. A loaded version is used at
//! once by this server and within a minute by the others (`App::refresh_rules`).

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kyosai_app::{AppError, Role};
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
    notice: String,
    problems: Vec<String>,
}

#[derive(Deserialize)]
pub struct Loaded {
    loaded: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<Loaded>,
) -> Response {
    if signed.actor.role != Role::Staff {
        return forbidden_page(Some(&signed.user));
    }
    let notice = q
        .loaded
        .map(|id| format!("規則セット {id} を登録しました。適用開始日から計算に使われます。"))
        .unwrap_or_default();
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
        .load_rule_set(&text, &signed.actor.audit_name())
        .await
    {
        Ok(id) => Redirect::to(&format!("/staff/rules?loaded={id}")).into_response(),
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
    render(
        status,
        &RulesPage {
            layout: Layout::user("規則セット", &signed.user),
            versions,
            notice,
            problems,
        },
    )
}
