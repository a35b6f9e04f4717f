//! A contract's billing over the API: each month's bill, debit date and result, with a plain
//! Japanese explanation of a failure and of the next debit (issue #4).
//!
//! Mount with `.route("/api/v1/contracts/{number}/billing", get(billing::contract_billing))`
//! and list `billing::contract_billing` in `ApiDoc`'s paths.

use axum::extract::{Path, State};
use kyosai_app::billing::ContractBilling;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// Each billed month (amount, debit date, `pending` / `collected` / `failed`, explanation), the
/// unpaid months, whether the debit account is still usable, and the next debit (date, amount,
/// explanation) or why there is none. Members see only their own contracts (others: 404).
#[utoipa::path(get, path = "/api/v1/contracts/{number}/billing", tag = "billing", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    responses((status = 200, body = ContractBilling),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn contract_billing(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<ContractBilling>, ApiError> {
    Ok(ApiJson(s.app.contract_billing(&actor, &number).await?))
}
