//! A contract's payouts over the API (issue #11): every decided payment (共済金, instalments,
//! 解約手当金, 前納減額金, loans) with its date, amount and status, and the new account a member
//! gives for a payout the bank returned.

use axum::extract::{Path, State};
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::payouts::PayoutView;
use kyosai_domain::PayoutId;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// The contract's payouts by date: `[{date, yen, kind, application_id, status}]` (status
/// `scheduled`, `paid` or `held`; a held payout says why in `hold_reason`). `404` for anyone but
/// the contract's member and staff.
#[utoipa::path(get, path = "/api/v1/contracts/{number}/payouts", tag = "payouts", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    responses((status = 200, body = Vec<PayoutView>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<Vec<PayoutView>>, ApiError> {
    Ok(ApiJson(s.app.contract_payouts(&actor, &number).await?))
}

/// Gives a new account for a held payout (振込不能, or no account registered): checked like a
/// debit account and in the name of an account holder the contract already has; the payout is
/// scheduled for the next business day. `200` with the payout, `422` field errors (nothing
/// stored), `409 payout_not_held`, `404` for someone else's contract or payout.
#[utoipa::path(put, path = "/api/v1/contracts/{number}/payouts/{payout_id}/account", tag = "payouts", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("payout_id" = i64, Path, description = "the payout's id")),
    request_body = MandateForm,
    responses((status = 200, body = PayoutView),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn give_account(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((number, payout_id)): Path<(String, PayoutId)>,
    ApiJson(form): ApiJson<MandateForm>,
) -> Result<ApiJson<PayoutView>, ApiError> {
    Ok(ApiJson(
        s.app
            .give_payout_account(&actor, &number, payout_id, &form)
            .await?,
    ))
}
