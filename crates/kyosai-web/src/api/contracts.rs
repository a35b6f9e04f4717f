//! `GET /api/v1/contracts/{number}`: where a contract stands (issue #10, "Exact API").

use axum::extract::{Path, State};
use kyosai_app::contract_status::ContractStanding;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// The contract's status (`active`, `suspended` = 掛止め, `cancelled`), the monthly premium and
/// payment frequency in force, the months and yen paid (premium ledger), changes decided for
/// later months (`premium_change`, `mandate_change`, `suspension`) and procedures in review.
/// Members see only their own contracts (others: 404); staff see any.
#[utoipa::path(get, path = "/api/v1/contracts/{number}", tag = "contracts", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    responses((status = 200, body = ContractStanding),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn contract(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<ContractStanding>, ApiError> {
    Ok(ApiJson(s.app.contract_standing(&actor, &number).await?))
}
