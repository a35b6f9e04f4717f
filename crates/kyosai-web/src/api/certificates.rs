//! The 小規模企業共済掛金控除証明書 figures over the API (issue #13, REFERENCE §7): current as of
//! the day they are asked for, read from the premium ledger.

use axum::extract::{Path, State};
use kyosai_app::certificates::SmallEnterpriseCertificate;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiActor;
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// One contract's certificate figures for one calendar year.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateBody {
    pub year: i16,
    pub contract_number: String,
    /// Premiums collected in the year, 前納 received included.
    pub paid_yen: i64,
    pub months_paid_in_year: i64,
    /// 前納減額金 received in the year.
    pub prepayment_discount_yen: i64,
    /// null when the year's amount cannot be fixed (printed as "****", REFERENCE §7.1).
    pub deductible_yen: Option<i64>,
    /// The current year only: debits still expected up to December.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_by_december_yen: Option<i64>,
}

impl From<SmallEnterpriseCertificate> for CertificateBody {
    fn from(c: SmallEnterpriseCertificate) -> Self {
        Self {
            year: c.year,
            contract_number: c.contract_number,
            paid_yen: c.paid_yen,
            months_paid_in_year: c.months_paid_in_year,
            prepayment_discount_yen: c.prepayment_discount_yen,
            deductible_yen: c.deductible_yen,
            expected_by_december_yen: c.expected_by_december_yen,
        }
    }
}

/// The deduction certificate figures of a 小規模 contract for a calendar year. 404 for a
/// 倒産防止 contract, a year with no premiums, or someone else's contract.
#[utoipa::path(get, path = "/api/v1/contracts/{number}/certificates/{year}", tag = "documents", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("year" = i16, Path, description = "暦年 (calendar year)")),
    responses((status = 200, body = CertificateBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn certificate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((number, year)): Path<(String, i16)>,
) -> Result<ApiJson<CertificateBody>, ApiError> {
    Ok(ApiJson(
        s.app
            .small_enterprise_certificate(&actor, &number, year)
            .await?
            .into(),
    ))
}
