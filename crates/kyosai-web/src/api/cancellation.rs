//! 任意解約 over the API (issue #10): the quote, then the cancellation at the quoted amount. The
//! same use cases and messages as `/portal/contracts/{number}/cancel`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kyosai_app::cancellation::{CancellationDone, CancellationForm, CancellationQuote};

use super::{ApiActor, contract_key, procedure_answer};
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// What a 任意解約 today would pay: `refund_yen` is what will be paid (the 解約手当金 by the rule
/// set in force — 小規模 per premium tranche, 倒産防止 by months paid — less loans, plus any
/// 前納減額金), with `payment_date` and the `notices` to read before confirming (the 倒産防止
/// two-year tax rule among them). `estimate` when a provisional rate went into it. `404` for
/// anyone but the contract's member (staff may look at any), `409 contract_not_active`.
#[utoipa::path(get, path = "/api/v1/contracts/{number}/cancellation-quote", tag = "cancellation", operation_id = "cancellation_quote", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    responses((status = 200, body = CancellationQuote),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn quote(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<CancellationQuote>, ApiError> {
    Ok(ApiJson(s.app.cancellation_quote(&actor, &number).await?))
}

/// Cancels the contract (任意解約) at the quoted `refund_yen`. `201` with the application, the
/// amount recorded as payable and `contract_status = cancelled`; `409 quote_changed` when the
/// amount no longer matches the current quote, `409 procedure_pending` while another application
/// of the contract is in review, `409 contract_not_active` once cancelled (nothing stored in
/// each case); `422` when `refund_yen` is missing or not an amount; `404` for someone else's
/// contract. Staff may act for the member (recorded as the paper channel). With
/// `Idempotency-Key`, a repeated request returns the first answer.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/cancellation", tag = "cancellation", operation_id = "cancel_contract", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = CancellationForm,
    responses((status = 201, body = CancellationDone, description = "cancelled"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<CancellationForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    let answer = s
        .app
        .cancel_contract(&actor, &number, &form, key.as_ref())
        .await?;
    Ok(procedure_answer(answer))
}
