//! 掛金月額の増額・減額 over the API (issue #10): the same use case and field messages as the
//! portal pages `/portal/contracts/{number}/premium`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyosai_app::premium_change::{
    PremiumChangeForm, PremiumChangeResult, PremiumChangeStatus, PremiumQuote,
};
use kyosai_app::procedure::Answer;

use super::{ApiActor, contract_key, procedure_answer};
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// Changes the contract's monthly premium. `201` with `status = completed`, the
/// `effective_month` (`YYYY-MM`, the first month billed at the new amount), the
/// `first_debit_date` and `first_debit_amount_yen` (a late change's difference included or
/// credit deducted); `202` with `status = in_review` and the `checks` when staff must confirm a
/// stated decrease reason; `200` with `status = unchanged` when the amount is already the one in
/// force (nothing stored). `422 invalid_input` with a field error on `monthly_premium_yen` (range
/// or step of the rule set in force) or `decrease_reason` (倒産防止 decreases need one of
/// `business_shrunk`, `hardship`, `loan_cap_reached`; none is allowed on an increase or a 小規模
/// decrease); nothing is stored. `409 procedure_pending` while another application of the
/// contract waits for staff, `409 contract_not_active`. Members: own contracts only (others
/// `404`); staff may file for a member (recorded as the paper channel). With `Idempotency-Key`,
/// a repeated request returns the first answer.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/premium-changes", tag = "contracts", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = PremiumChangeForm,
    responses((status = 201, body = PremiumChangeResult, description = "completed"),
        (status = 202, body = PremiumChangeResult, description = "in review"),
        (status = 200, body = PremiumChangeResult, description = "unchanged: nothing stored"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_premium(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<PremiumChangeForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    let answer = match &key {
        Some(key) => {
            s.app
                .change_premium_once(&actor, &number, &form, key)
                .await?
        }
        None => Answer::New(s.app.change_premium(&actor, &number, &form).await?),
    };
    Ok(match answer {
        Answer::New(r) if r.status == PremiumChangeStatus::Unchanged => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&r).unwrap_or_default(),
        )
            .into_response(),
        other => procedure_answer(other),
    })
}

/// The preview before submitting (nothing stored): the effective month, the first debit date
/// and amount, and the next six debits at the new amount, computed by the billing function.
/// The same `422` field errors as the change.
#[utoipa::path(get, path = "/api/v1/contracts/{number}/premium-changes/quote", tag = "contracts", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("monthly_premium_yen" = String, Query, description = "the new monthly premium"),
        ("decrease_reason" = Option<String>, Query, description = "倒産防止 decreases")),
    responses((status = 200, body = PremiumQuote),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quote(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    Query(form): Query<PremiumChangeForm>,
) -> Result<ApiJson<PremiumQuote>, ApiError> {
    Ok(ApiJson(
        s.app.quote_premium_change(&actor, &number, &form).await?,
    ))
}
