//! A contract's loans over the API (issue #12): what may be borrowed now and the loans taken,
//! each with its schedule and balance (REFERENCE §4, §5.1, §5.2).

use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::civil::Date;
use kyosai_app::loan_early_repayment::{EarlyRepaymentDone, EarlyRepaymentForm};
use kyosai_app::loans::{DebitResult, LoanLimits, LoanView, TemporaryLoanDone, TemporaryLoanForm};
use kyosai_app::member_loan::{MemberLoanDone, MemberLoanForm};
use kyosai_domain::LoanId;
use serde::Serialize;

use super::{ApiActor, contract_key, procedure_answer};
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// The limits of `GET …/loan-limits`; the figures the public simulation endpoints give for the
/// contract's own months and yen paid and loans outstanding.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoanLimitsBody {
    /// 一時貸付金 limit (0 when not eligible or for 小規模企業共済).
    pub temporary_loan_limit_yen: i64,
    /// 共済金貸付 limit as bounded by the premiums (掛金総額 × 10 within the 8,000万円
    /// outstanding cap, 5万円 units); the loss of the bankruptcy bounds it further.
    pub bankruptcy_loan_multiple_limit_yen: i64,
    /// Owed on the contract's loans today (principal, interest due, late charges).
    pub outstanding_yen: i64,
    /// 契約者貸付 limit (小規模企業共済 only).
    pub member_loan_limit_yen: Option<i64>,
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
}

impl From<LoanLimits> for LoanLimitsBody {
    fn from(l: LoanLimits) -> Self {
        LoanLimitsBody {
            temporary_loan_limit_yen: l.temporary_loan_limit.get(),
            bankruptcy_loan_multiple_limit_yen: l.bankruptcy_loan_multiple_limit.get(),
            outstanding_yen: l.outstanding.get(),
            member_loan_limit_yen: l.member_loan_limit.map(|y| y.get()),
            as_of: l.as_of,
        }
    }
}

/// One instalment of a loan's schedule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstalmentBody {
    pub seq: u32,
    #[schema(value_type = String, format = Date)]
    pub due_date: Date,
    pub principal_yen: i64,
    pub interest_yen: i64,
    /// The day it was collected; null while owed.
    #[schema(value_type = Option<String>, format = Date)]
    pub paid_on: Option<Date>,
}

/// A loan's balance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BalanceBody {
    pub principal_yen: i64,
    pub interest_due_yen: i64,
    pub late_charge_yen: i64,
    pub total_yen: i64,
    pub overdue_instalments: u32,
}

/// One loan of `GET …/loans`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoanBody {
    #[schema(value_type = i64)]
    pub id: LoanId,
    /// `bankruptcy` (共済金貸付) or `temporary` (一時貸付金).
    pub kind: String,
    pub kind_ja: String,
    pub amount_yen: i64,
    #[schema(value_type = String, format = Date)]
    pub disbursement_date: Date,
    #[schema(value_type = String, format = Date)]
    pub maturity_date: Date,
    /// The 1/10 of a 共済金貸付 deducted from the 掛金総額.
    pub premium_reduction_yen: i64,
    pub schedule: Vec<InstalmentBody>,
    pub balance: BalanceBody,
    /// `in_grace`, `repaying`, `in_arrears` or `repaid`.
    pub status: String,
    pub status_ja: String,
    /// The billing month (`YYYY-MM`) whose debit repays the loan in full, when asked for.
    pub early_repayment_month: Option<String>,
    /// Every direct debit of the loan with the bank's answer, oldest first.
    pub debits: Vec<LoanDebitBody>,
}

/// One direct debit of a loan (its own line in the month's request file).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoanDebitBody {
    /// Billing month (`YYYY-MM`).
    pub month: String,
    #[schema(value_type = String, format = Date)]
    pub debit_date: Date,
    /// The instalments (seq) it repays.
    pub instalments: Vec<u32>,
    pub principal_yen: i64,
    pub interest_yen: i64,
    /// 遅延損害金 for instalments whose first debit failed.
    pub late_charge_yen: i64,
    pub amount_yen: i64,
    /// A full early repayment (繰上返済).
    pub early: bool,
    /// `collected`, `failed`, or null while the bank's answer is awaited.
    pub result: Option<String>,
    /// The bank's result code (0 collected; 1 insufficient funds, …).
    pub result_code: Option<i64>,
}

impl From<LoanView> for LoanBody {
    fn from(l: LoanView) -> Self {
        LoanBody {
            id: l.id,
            kind: l.kind.as_str().to_string(),
            kind_ja: l.kind.name_ja().to_string(),
            amount_yen: l.amount.get(),
            disbursement_date: l.disbursement_date,
            maturity_date: l.maturity_date,
            premium_reduction_yen: l.premium_reduction.get(),
            schedule: l
                .schedule
                .into_iter()
                .map(|(i, paid_on)| InstalmentBody {
                    seq: i.seq,
                    due_date: i.due_date,
                    principal_yen: i.principal_yen.get(),
                    interest_yen: i.interest_yen.get(),
                    paid_on,
                })
                .collect(),
            balance: BalanceBody {
                principal_yen: l.balance.principal_yen.get(),
                interest_due_yen: l.balance.interest_due_yen.get(),
                late_charge_yen: l.balance.late_charge_yen.get(),
                total_yen: l.balance.total().get(),
                overdue_instalments: l.balance.overdue_instalments,
            },
            status: l.status.as_str().to_string(),
            status_ja: l.status.name_ja().to_string(),
            early_repayment_month: l.early_repayment_month,
            debits: l
                .debits
                .into_iter()
                .map(|d| LoanDebitBody {
                    month: d.month.to_string(),
                    debit_date: d.debit_date,
                    instalments: d.seqs,
                    principal_yen: d.principal.get(),
                    interest_yen: d.interest.get(),
                    late_charge_yen: d.late_charge.get(),
                    amount_yen: d.amount.get(),
                    early: d.early,
                    result: (d.result != DebitResult::Pending)
                        .then(|| d.result.as_str().to_string()),
                    result_code: d.result_code,
                })
                .collect(),
        }
    }
}

/// What the contract's holder may borrow today. `404` for anyone but the contract's member
/// and staff.
#[utoipa::path(get, path = "/api/v1/contracts/{number}/loan-limits", tag = "loans", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    responses((status = 200, body = LoanLimitsBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn limits(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<LoanLimitsBody>, ApiError> {
    Ok(ApiJson(s.app.loan_limits(&actor, &number).await?.into()))
}

/// The contract's loans, oldest first, each with its schedule, balance and status today.
#[utoipa::path(get, path = "/api/v1/contracts/{number}/loans", tag = "loans", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    responses((status = 200, body = Vec<LoanBody>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<Vec<LoanBody>>, ApiError> {
    let loans = s.app.contract_loans(&actor, &number).await?;
    Ok(ApiJson(loans.into_iter().map(LoanBody::from).collect()))
}

/// Requests a 一時貸付金 (REFERENCE §5.2) of `amount_yen`. `201` when decided at once (the
/// disbursement is scheduled; `maturity_date` and `repayment_yen` say when and how much is
/// debited in one payment), `202` while staff confirm a limit that rests on provisional rules.
/// `422` (nothing stored): `amount_yen` missing, under the minimum, not in the unit or over the
/// limit, or a general error (`application`) when the contract is not eligible (e.g. under 12
/// months paid). `409 procedure_pending` while another application of the contract is in
/// review, `409 not_available` for a 小規模企業共済 contract, `404` for someone else's contract.
/// With `Idempotency-Key`, a repeated request returns the first answer.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/temporary-loans", tag = "loans", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = TemporaryLoanForm,
    responses((status = 201, body = TemporaryLoanDone, description = "decided"),
        (status = 202, body = TemporaryLoanDone, description = "in review"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn temporary(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<TemporaryLoanForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    let answer = s
        .app
        .request_temporary_loan(&actor, &number, &form, key.as_ref())
        .await?;
    Ok(procedure_answer(answer))
}

/// Asks to repay loan `id` in full (繰上返済): the next billing run not yet started debits
/// everything still owed (principal, the interest of the instalments due by then, late charges;
/// for a 一時貸付金 the interest for the days actually borrowed). `201` with the month, debit
/// date and amounts. `422` (nothing stored): `loan_id` is not a loan of the contract with
/// anything left to repay, or an early repayment is already asked for. `409
/// procedure_pending` while another application of the contract is in review, `404` for someone
/// else's contract. With `Idempotency-Key`, a repeated request returns the first answer.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/loans/{id}/early-repayment", tag = "loans", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("id" = i64, Path, description = "the loan's id (`GET …/loans`)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    responses((status = 201, body = EarlyRepaymentDone, description = "asked for"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn early_repayment(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((number, id)): Path<(String, LoanId)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let form = EarlyRepaymentForm {
        loan_id: Some(id.to_string()),
    };
    let key = contract_key(&headers, &number, &form)?;
    let answer = s
        .app
        .request_early_repayment(&actor, &number, &form, key.as_ref())
        .await?;
    Ok(procedure_answer(answer))
}

/// The multipart body of an evidence upload.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[expect(
    dead_code,
    reason = "documents the multipart body; the handler reads the parts"
)]
pub struct MemberLoanEvidenceMultipart {
    /// The document (PDF, JPEG or PNG, told by its bytes).
    #[schema(value_type = String, format = Binary)]
    evidence_file: Vec<u8>,
}

/// Uploads a document for a 契約者貸付 request (the 特例災害時貸付け's 被災証明書 or 罹災証明書)
/// as `multipart/form-data` with the file as `evidence_file`. `201` with its `token`, which the
/// request then names in `evidence`; `422` at `evidence` for an empty, oversized or other file
/// (nothing stored); `404` for someone else's contract.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/member-loans/evidence", tag = "loans", operation_id = "upload_member_loan_evidence", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    request_body(content((MemberLoanEvidenceMultipart = "multipart/form-data"))),
    responses((status = 201, body = kyosai_app::evidence::EvidenceRef, description = "stored"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn upload_evidence(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    super::claims::store_evidence(&s, &actor, &number, multipart).await
}

/// Requests a 契約者貸付 (小規模企業共済, REFERENCE §4): `kind` (`general`, `emergency`,
/// `illness_disaster`, `welfare`, `new_business`, `succession`, `closure_prep`, and
/// `disaster_special` — the 特例災害時貸付け — while a disaster special measure applies to the
/// member), `amount_yen`, `term_months` (one of the kind's terms for the amount), and the kind's
/// condition (`sales_decline_percent` for `emergency`, `hospital_days` for `illness_disaster`,
/// `evidence` tokens of the damage for `disaster_special`). Checked against the limit in force
/// (recalculated in April and October, within the combined cap — the measure's for the
/// 特例災害時貸付け), the kind's range, unit and terms. `201` when decided at once (the schedule, the interest paid in
/// advance and the transfer), `202` while staff confirm a condition or a provisional table.
/// `422` (nothing stored) with field errors. `409 not_available` for a 経営セーフティ共済 contract,
/// `409 procedure_pending`, `404` for someone else's contract. `Idempotency-Key` as elsewhere.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/member-loans", tag = "loans", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = MemberLoanForm,
    responses((status = 201, body = MemberLoanDone, description = "decided"),
        (status = 202, body = MemberLoanDone, description = "in review"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn member(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<MemberLoanForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    let answer = s
        .app
        .request_member_loan(&actor, &number, &form, key.as_ref())
        .await?;
    Ok(procedure_answer(answer))
}
