//! The staff review queue over the API.

use axum::extract::{Path, State};
use kyosai_app::enrollment::EnrollmentForm;
use kyosai_domain::{ApplicationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct QueueItem {
    #[schema(value_type = i64)]
    pub id: ApplicationId,
    pub version: i64,
    pub program: kyosai_domain::Program,
    pub channel: kyosai_domain::Channel,
    pub received_at: String,
    #[schema(value_type = Option<i64>)]
    pub edited_by: Option<UserId>,
    /// The submitted form.
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    /// Every automatic check with its result.
    #[schema(value_type = Object)]
    pub checks: serde_json::Value,
}

#[utoipa::path(get, path = "/api/v1/staff/applications", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = [QueueItem]), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<ApiJson<Vec<QueueItem>>, ApiError> {
    let items = s
        .app
        .applications_with_status(&actor, kyosai_domain::ApplicationStatus::InReview)
        .await?;
    Ok(ApiJson(
        items
            .into_iter()
            .map(|a| QueueItem {
                form: a.form_json(),
                checks: a.checks_json(),
                id: a.id,
                version: a.version,
                program: a.program,
                channel: a.channel,
                received_at: a.received_at,
                edited_by: a.edited_by,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct Decision {
    /// The version read with the application (optimistic locking).
    pub version: i64,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

#[utoipa::path(post, path = "/api/v1/staff/applications/{id}/approve", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Done), (status = 409, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn approve(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<ApplicationId>,
    ApiJson(d): ApiJson<Decision>,
) -> Result<ApiJson<Done>, ApiError> {
    s.app.approve(&actor, id, d.version, &d.reason).await?;
    Ok(ApiJson(Done { ok: true }))
}

#[utoipa::path(post, path = "/api/v1/staff/applications/{id}/reject", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Done), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<ApplicationId>,
    ApiJson(d): ApiJson<Decision>,
) -> Result<ApiJson<Done>, ApiError> {
    s.app.reject(&actor, id, d.version, &d.reason).await?;
    Ok(ApiJson(Done { ok: true }))
}

#[derive(Deserialize, ToSchema)]
pub struct Edit {
    pub version: i64,
    pub form: EnrollmentForm,
}

#[utoipa::path(put, path = "/api/v1/staff/applications/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Edit,
    responses((status = 200, body = Done), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<ApplicationId>,
    ApiJson(e): ApiJson<Edit>,
) -> Result<ApiJson<Done>, ApiError> {
    s.app
        .edit_application(&actor, id, e.version, &e.form)
        .await?;
    Ok(ApiJson(Done { ok: true }))
}

/// Every API token (never the secret), for staff who manage tokens; revoke with
/// `kyosai token revoke ID`.
#[utoipa::path(get, path = "/api/v1/staff/tokens", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = [kyosai_app::token_admin::TokenView]), (status = 403, body = ErrorBody)))]
pub async fn tokens(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<ApiJson<Vec<kyosai_app::token_admin::TokenView>>, ApiError> {
    Ok(ApiJson(s.app.list_tokens(&actor).await?))
}
