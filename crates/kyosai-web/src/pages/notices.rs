//! The portal inbox (お知らせ, issue #10): the list of every mail sent to the member, newest
//! first with the unread ones marked, and one notice, which opening marks read.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kyosai_domain::NoticeId;
use serde::Deserialize;

use super::view::{Layout, app_error, ja_time, render};
use crate::AppState;
use crate::session::SignedIn;

struct NoticeRow {
    id: NoticeId,
    subject: String,
    sent_at: String,
    reference: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    layout: Layout,
    notices: Vec<NoticeRow>,
    unread: i64,
    page: i64,
    pages: i64,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<PageQuery>,
) -> Response {
    // A page number that is not a number shows the first page rather than an error.
    let page = q
        .page
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1);
    let p = match state.app.inbox_page(&signed.actor, page).await {
        Ok(p) => p,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    render(
        StatusCode::OK,
        &NoticesPage {
            layout: Layout::user("お知らせ", &signed.user),
            notices: p
                .notices
                .iter()
                .map(|n| NoticeRow {
                    id: n.id,
                    subject: n.subject.clone(),
                    sent_at: ja_time(&n.sent_at),
                    reference: n.reference.clone(),
                    unread: n.unread(),
                })
                .collect(),
            unread: p.unread,
            page: p.page,
            pages: p.pages,
        },
    )
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    layout: Layout,
    sent_at: String,
    reference: String,
    lines: Vec<String>,
}

pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<NoticeId>,
) -> Response {
    let n = match state.app.read_notice(&signed.actor, id).await {
        Ok(n) => n,
        Err(e) => return app_error(e, Some(&signed.user)),
    };
    render(
        StatusCode::OK,
        &NoticePage {
            layout: Layout::user(n.subject.clone(), &signed.user),
            sent_at: ja_time(&n.sent_at),
            reference: n.reference.clone(),
            lines: n.body.lines().map(str::to_string).collect(),
        },
    )
}
