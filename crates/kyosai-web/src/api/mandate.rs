//! The member's debit account change over the API (口座振替口座の変更, issue #4): the same use
//! case and the same field messages as `/portal/contracts/{number}/account`.

use axum::extract::{Path, State};
use kyosai_app::mandate_change::{MandateChange, MandateForm};

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// Registers the contract's new debit account. `200` with the account as registered (holder
/// name in Zengin kana), `effective_month` and `first_debit_date` (from which debit it is used:
/// a change on or after a month's cut-off applies from the next month) and `changed` (false when
/// this account was already registered: PUT is idempotent, a repeat stores nothing). `422`
/// field errors (nothing stored), `404` for anyone but the contract's member (staff may act for
/// them; recorded as the paper channel), `409 contract_not_active`.
#[utoipa::path(put, path = "/api/v1/contracts/{number}/mandate", tag = "billing", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    request_body = MandateForm,
    responses((status = 200, body = MandateChange),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_mandate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    ApiJson(form): ApiJson<MandateForm>,
) -> Result<ApiJson<MandateChange>, ApiError> {
    Ok(ApiJson(s.app.change_mandate(&actor, &number, &form).await?))
}
