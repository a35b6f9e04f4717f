//! The online-usage scorecard over the API (issue #14): staff only.

use axum::extract::{Query, State};
use kyosai_app::scorecard::Scorecard;
use serde::Deserialize;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RangeQuery {
    /// First month, `YYYY-MM` (a month in Japan).
    pub from: Option<String>,
    /// Last month, `YYYY-MM`, inclusive; at most 120 months after `from`.
    pub to: Option<String>,
}

/// The online usage rate per program, group, procedure and month, with `month: null` rows for
/// the cumulative figures of the range, against the plan's targets; lead times per channel, the
/// share decided automatically and the online completion rate. Counted from the applications
/// received in the range; procedures staff file for a member count as paper.
#[utoipa::path(get, path = "/api/v1/staff/scorecard", tag = "staff", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, body = Scorecard), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn scorecard(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<RangeQuery>,
) -> Result<ApiJson<Scorecard>, ApiError> {
    Ok(ApiJson(
        s.app
            .scorecard(
                &actor,
                q.from.as_deref().unwrap_or(""),
                q.to.as_deref().unwrap_or(""),
            )
            .await?,
    ))
}
