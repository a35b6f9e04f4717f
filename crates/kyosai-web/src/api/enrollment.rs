//! Enrollment and the member's overview over the API.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kyosai_app::enrollment::{EnrollmentForm, EnrollmentResult};
use kyosai_app::views::{ApplicationView, Overview};
use kyosai_store::{idempotency, sha256_hex};

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// Submits an enrollment. `201` with `status = completed` and the contract when every check
/// passed; `202` with `status = in_review` when staff must decide; `422` with field errors when a
/// rule failed (nothing stored). With `Idempotency-Key`, a repeated request returns the first
/// answer.
#[utoipa::path(post, path = "/api/v1/enrollments", tag = "enrollment", security(("bearer" = [])),
    request_body = EnrollmentForm,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    responses((status = 201, body = EnrollmentResult, description = "completed"), (status = 202, body = EnrollmentResult, description = "in review"),
        (status = 422, body = ErrorBody), (status = 409, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn submit(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(form): ApiJson<EnrollmentForm>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let request_hash = sha256_hex(serde_json::to_string(&form).unwrap_or_default().as_bytes());
    if let Some(key) = &key {
        if key.is_empty() || key.len() > 200 {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key",
                "Idempotency-Key は1〜200文字で指定してください。",
            ));
        }
        let mut conn = s
            .app
            .store
            .read()
            .await
            .map_err(kyosai_app::AppError::from)?;
        if let Some(stored) = idempotency::get(&mut conn, actor.user_id, key)
            .await
            .map_err(kyosai_app::AppError::from)?
        {
            if stored.request_hash != request_hash {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "この Idempotency-Key は別の内容の申込に使われています。",
                ));
            }
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            return Ok((
                status,
                [
                    ("content-type", "application/json"),
                    ("idempotent-replayed", "true"),
                ],
                stored.body,
            )
                .into_response());
        }
    }
    let (status, body) = match s
        .app
        .submit_enrollment(&actor, actor.user_id, "online", &form)
        .await
    {
        Ok(r) => (
            if r.status == "completed" {
                StatusCode::CREATED
            } else {
                StatusCode::ACCEPTED
            },
            serde_json::to_string(&r).unwrap_or_default(),
        ),
        Err(e) => {
            let e = ApiError::from(e);
            (e.status, serde_json::to_string(&e.body).unwrap_or_default())
        }
    };
    if let Some(key) = &key
        && !status.is_server_error()
    {
        let mut tx = s
            .app
            .store
            .begin_write()
            .await
            .map_err(kyosai_app::AppError::from)?;
        let stored = idempotency::StoredResponse {
            request_hash,
            status: status.as_u16(),
            body: body.clone(),
        };
        match idempotency::put(
            tx.conn(),
            actor.user_id,
            key,
            &stored,
            &s.app.clock.now_text(),
        )
        .await
        {
            Ok(()) => tx.commit().await.map_err(kyosai_app::AppError::from)?,
            Err(e) => {
                tracing::warn!(error = %e, "idempotency key not stored (concurrent duplicate?)")
            }
        }
    }
    Ok((status, [("content-type", "application/json")], body).into_response())
}

#[utoipa::path(get, path = "/api/v1/overview", tag = "enrollment", security(("bearer" = [])),
    responses((status = 200, body = Overview, description = "contracts (with next debit) and applications"), (status = 401, body = ErrorBody)))]
pub async fn overview(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<ApiJson<Overview>, ApiError> {
    Ok(ApiJson(s.app.overview(&actor, actor.user_id).await?))
}

#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "enrollment", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView, description = "status and next step"), (status = 404, body = ErrorBody)))]
pub async fn application(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<ApiJson<ApplicationView>, ApiError> {
    let a = s.app.application(&actor, id).await?;
    Ok(ApiJson(ApplicationView::from(&a)))
}
