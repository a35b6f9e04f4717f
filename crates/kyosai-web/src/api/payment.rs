//! Payment procedures over the API (issue #10): the 小規模 payment frequency, 前納
//! applications, 掛止め and resumption — the same use cases and field messages as the portal
//! pages. Each answers `201` when completed, `202` when it waits for staff; `422
//! invalid_input` with field errors (nothing stored); `404` for anyone but the contract's member
//! (staff may act for them, recorded as the paper channel); `409 procedure_pending` while
//! another application of the contract waits for staff, `409 contract_not_active`. An
//! `Idempotency-Key` makes a retried request return the first answer.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kyosai_app::payment_frequency::{FrequencyChangeResult, FrequencyForm};
use kyosai_app::premium_deferral::{PremiumDeferral, PremiumDeferralForm};
use kyosai_app::prepayment_application::{PrepaymentApplication, PrepaymentForm};
use kyosai_app::suspension::{Resumption, ResumptionForm, Suspension, SuspensionForm};

use super::{ApiActor, contract_key, procedure_answer};
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// Changes a 小規模 contract's payment frequency (`monthly`, `semi_annual`, `annual`) and, for
/// semi-annual or annual, the designated month (指定納付月, 1–12). Received by the 20th (15th in
/// December) it applies from the next month, else the month after, and never inside a period
/// already paid for. The answer gives `effective_month` and the `next_debits` with the change.
/// `422` for `frequency` (not allowed for the program, or unchanged) or `designated_month`.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/frequency-change", tag = "payment", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = FrequencyForm,
    responses((status = 201, body = FrequencyChangeResult, description = "completed"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn frequency_change(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<FrequencyForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    Ok(procedure_answer(
        s.app
            .change_frequency(&actor, &number, &form, key.as_ref())
            .await?,
    ))
}

/// Applies for a 前納 of `months` months (both programs): the answer shows the months covered,
/// the amount and the 前納減額金 it earns. The money is paid by bank transfer, so the
/// application waits for staff to see it arrive (`202`, check `payment_received`); approval
/// records the 前納. `422` for `months` (range from the rule set, or 倒産防止's accumulation cap:
/// 掛金総額 + 前納 must stay within 8,000,000 yen); `409 contract_suspended`.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/prepayments", tag = "payment", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = PrepaymentForm,
    responses((status = 202, body = PrepaymentApplication, description = "waits for the money"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn prepayment(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<PrepaymentForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    Ok(procedure_answer(
        s.app
            .apply_prepayment(&actor, &number, &form, key.as_ref())
            .await?,
    ))
}

/// Suspends premium payments (掛止め). 倒産防止: only when 掛金総額 ≥ 40 × the monthly premium;
/// received by the 5th (next business day if a holiday) it stops that month's debit, else
/// from the next month. 小規模: only under a special measure for the member's prefecture (the
/// 2024 Noto measure). `409 suspension_not_allowed` / `already_suspended`.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/suspension", tag = "payment", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = SuspensionForm,
    responses((status = 201, body = Suspension, description = "completed"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn suspension(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<SuspensionForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    Ok(procedure_answer(
        s.app
            .suspend_premiums(&actor, &number, key.as_ref())
            .await?,
    ))
}

/// Defers premiums (掛金の納付期限の延長, 小規模企業共済 under a disaster special measure for the
/// member's registered address): `months` (1 to the measure's most) from the first month whose
/// debit file is not made yet are not debited; from the month after, each debit also collects
/// the measure's number of deferred months until all are paid (`catch_up_from`,
/// `caught_up_by`, `catch_up_debit_yen`). `201` completed. `422` at `months`; `409
/// deferral_not_allowed` (no measure applies), `already_deferred`, `already_suspended`,
/// `prepaid`, `not_monthly`, `not_available` (経営セーフティ共済).
#[utoipa::path(post, path = "/api/v1/contracts/{number}/premium-deferral", tag = "payment", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = PremiumDeferralForm,
    responses((status = 201, body = PremiumDeferral, description = "completed"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn premium_deferral(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<PremiumDeferralForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    Ok(procedure_answer(
        s.app
            .defer_premiums(&actor, &number, &form, key.as_ref())
            .await?,
    ))
}

/// Resumes premium payments after a 掛止め, from the first month whose debit file is not made
/// yet. After a year or more of suspension (倒産防止) a new debit account is required: the
/// account fields of the mandate change (`bank_code`, `branch_code`, `account_type`,
/// `account_number`, `account_holder_kana`), else `422` field errors; otherwise they may be
/// left out. An account in another holder's name waits for staff (`202`). `409 not_suspended`.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/resumption", tag = "payment", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = ResumptionForm,
    responses((status = 201, body = Resumption, description = "completed"),
        (status = 202, body = Resumption, description = "in review (account holder)"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resumption(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<ResumptionForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    Ok(procedure_answer(
        s.app
            .resume_premiums(&actor, &number, &form, key.as_ref())
            .await?,
    ))
}
