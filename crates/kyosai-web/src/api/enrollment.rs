//! Enrollment and the member's overview over the API.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kyosai_app::enrollment::{EnrollmentForm, EnrollmentResult};
use kyosai_app::procedure::{Answer, IdempotencyKey};
use kyosai_app::views::{ApplicationView, Overview};
use kyosai_domain::ApplicationId;

use super::ApiActor;
use super::procedure_answer;
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
        .map(|v| {
            let request = serde_json::to_string(&form).unwrap_or_default();
            IdempotencyKey::new(v.to_str().unwrap_or_default(), &request)
        })
        .transpose()?;
    let answer = match &key {
        Some(key) => {
            s.app
                .submit_enrollment_once(&actor, actor.user_id, &form, key)
                .await?
        }
        None => Answer::New(
            s.app
                .submit_enrollment(&actor, actor.user_id, &form)
                .await?,
        ),
    };
    Ok(procedure_answer(answer))
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
    Path(id): Path<ApplicationId>,
) -> Result<ApiJson<ApplicationView>, ApiError> {
    let a = s.app.application(&actor, id).await?;
    Ok(ApiJson(ApplicationView::from(&a)))
}
