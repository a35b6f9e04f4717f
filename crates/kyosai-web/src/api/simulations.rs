//! Public simulations (no login, rate-limited): thin wrappers over `kyosai_domain::simulation`,
//! which validates, picks the rule set in force and computes. Every response carries `estimate`
//! and `rule_set`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use kyosai_domain::Invalid;
use kyosai_domain::simulation::{self as sim};

use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

fn invalid(e: Invalid) -> ApiError {
    // No rule set in force is our problem, not the caller's.
    if e.0.iter().any(|f| f.code == "rules_unavailable") {
        tracing::error!("simulation without a rule set in force");
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "システムで問題が発生しました。時間をおいてもう一度お試しください。",
        );
    }
    ApiError::fields(StatusCode::UNPROCESSABLE_ENTITY, e.0)
}

macro_rules! simulation {
    ($name:ident, $path:literal, $req:ident, $resp:ident, $f:path, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "simulations",
            request_body = sim::$req,
            responses((status = 200, body = sim::$resp, description = "result with `estimate` and `rule_set`"),
                (status = 422, body = ErrorBody), (status = 429, description = "rate limited")))]
        pub async fn $name(State(s): State<AppState>, ApiJson(req): ApiJson<sim::$req>) -> Result<ApiJson<sim::$resp>, ApiError> {
            $f(&req, &s.app.rules.book(), s.app.clock.today()).map(ApiJson).map_err(invalid)
        }
    };
}

simulation!(
    benefit,
    "/api/v1/simulations/small-enterprise/benefit",
    BenefitRequest,
    BenefitResponse,
    sim::small_enterprise_benefit,
    "小規模企業共済の共済金・解約手当金: {reason: A|B|quasi|voluntary_cancellation|cancellation_by_organization|deemed_cancellation, history: [{monthly_premium_yen, months}], fiscal_year?}"
);
simulation!(
    payout_options,
    "/api/v1/simulations/small-enterprise/payout-options",
    PayoutOptionsRequest,
    PayoutOptionsResponse,
    sim::small_enterprise_payout_options,
    "小規模企業共済の受取方法: {reason: A|B|quasi, age_at_event, net_amount_yen, death}"
);
simulation!(
    cancellation_refund,
    "/api/v1/simulations/safety-net/cancellation-refund",
    SafetyNetRefundRequest,
    SafetyNetRefundResponse,
    sim::safety_net_cancellation_refund,
    "経営セーフティ共済の解約手当金: {cancellation: voluntary|deemed|by_organization, months_paid, total_paid_yen, bankruptcy_loans_received_yen}"
);
simulation!(
    bankruptcy_loan,
    "/api/v1/simulations/safety-net/bankruptcy-loan",
    BankruptcyLoanRequest,
    BankruptcyLoanResponse,
    sim::safety_net_bankruptcy_loan,
    "経営セーフティ共済の共済金貸付: {months_since_joining, months_paid, monthly_premium_yen, total_paid_yen, loss_yen, outstanding_loans_yen, monthly_transactions_yen, bankruptcy_date, request_date}"
);
simulation!(
    temporary_loan,
    "/api/v1/simulations/safety-net/temporary-loan",
    TemporaryLoanRequest,
    TemporaryLoanResponse,
    sim::safety_net_temporary_loan,
    "経営セーフティ共済の一時貸付金: {months_paid, total_paid_yen, outstanding_loans_yen, legacy_holder?}"
);
simulation!(
    prepayment_discount,
    "/api/v1/simulations/safety-net/prepayment-discount",
    PrepaymentDiscountRequest,
    PrepaymentDiscountResponse,
    sim::safety_net_prepayment_discount,
    "経営セーフティ共済の前納減額金: {monthly_premium_yen, months_ahead}"
);

/// The debit date of a month after business-day adjustment.
#[utoipa::path(get, path = "/api/v1/calendar/debit-date", tag = "simulations",
    params(("program" = String, Query, description = "small_enterprise | safety_net"), ("month" = String, Query, description = "YYYY-MM")),
    responses((status = 200, body = sim::DebitDateResponse), (status = 422, body = ErrorBody)))]
pub async fn debit_date(
    State(s): State<AppState>,
    query: Result<Query<sim::DebitDateQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ApiJson<sim::DebitDateResponse>, ApiError> {
    let Query(q) = query.map_err(|_| {
        ApiError::fields(
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![kyosai_domain::FieldError::new(
                "query",
                "required",
                "program と month（YYYY-MM）を指定してください。",
            )],
        )
    })?;
    sim::debit_date(
        &q,
        &s.app.rules.book(),
        &s.app.calendar,
        s.app.clock.today(),
    )
    .map(ApiJson)
    .map_err(invalid)
}
