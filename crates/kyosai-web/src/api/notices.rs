//! The portal inbox over the API (お知らせ, issue #10): every mail sent to the member, with its
//! reference and read state.

use axum::extract::{Path, Query, State};
use kyosai_app::inbox::{NoticePage, NoticeView};
use kyosai_domain::NoticeId;
use serde::Deserialize;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1-based page number (20 notices a page); default 1.
    pub page: Option<i64>,
}

/// The caller's notices, newest first, 20 a page, with the total and unread counts.
#[utoipa::path(get, path = "/api/v1/notices", tag = "notices", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = NoticePage), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PageQuery>,
) -> Result<ApiJson<NoticePage>, ApiError> {
    Ok(ApiJson(
        s.app.inbox_page(&actor, q.page.unwrap_or(1)).await?,
    ))
}

/// Marks one of the caller's notices read and returns it (reading it again keeps the first
/// reading time). Another member's notice: 404.
#[utoipa::path(post, path = "/api/v1/notices/{id}/read", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path, description = "お知らせのID")),
    responses((status = 200, body = NoticeView),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<NoticeId>,
) -> Result<ApiJson<NoticeView>, ApiError> {
    Ok(ApiJson(s.app.read_notice(&actor, id).await?))
}
