//! 共済金貸付 over the API (issue #12 items 1 and 5; REFERENCE §5.1): the member's request with
//! its evidence, and the staff preparer's proposal of the amount (a different staff user then
//! approves it with `POST /api/v1/staff/applications/{id}/approve`).

use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kyosai_app::bankruptcy_loan::{BankruptcyLoanDone, BankruptcyLoanForm};
use kyosai_app::evidence::EvidenceRef;
use kyosai_domain::{ApplicationId, Yen};
use serde::{Deserialize, Serialize};

use super::{ApiActor, contract_key, procedure_answer};
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};

/// The multipart body of an evidence upload.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[expect(
    dead_code,
    reason = "documents the multipart body; the handler reads the parts"
)]
pub struct BankruptcyLoanEvidenceMultipart {
    /// The document (PDF, JPEG or PNG, told by its bytes).
    #[schema(value_type = String, format = Binary)]
    evidence_file: Vec<u8>,
}

/// Uploads a document for a 共済金貸付 request (売掛金元帳の写し, the bankruptcy's evidence,
/// unsettled bills…) as `multipart/form-data` with the file as `evidence_file`. `201` with its
/// `token`, which the request then names in `evidence`; `422` at `evidence` for an empty,
/// oversized or other file (nothing stored); `404` for someone else's contract. The same store
/// as the claims' evidence.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/bankruptcy-loans/evidence", tag = "loans", operation_id = "upload_bankruptcy_loan_evidence", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    request_body(content((BankruptcyLoanEvidenceMultipart = "multipart/form-data"))),
    responses((status = 201, body = EvidenceRef, description = "stored"),
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

/// Requests a 共済金貸付 (経営セーフティ共済) after a trading partner's bankruptcy: the `event`,
/// `bankruptcy_date`, `partner_name`, `loss_yen`, `monthly_transactions_yen` and the `evidence`
/// tokens. Always `202` in review (staff look at the evidence) with the computed `limit_yen`
/// (min of the loss, 10× the premiums paid and the outstanding cap less loans outstanding, in
/// the rule set's unit). `422` with field errors (nothing stored): an event that does not
/// qualify, a 倒産日 in the future or outside the request window, a loss below the small-loss
/// rule, missing or unknown evidence, or a general error for a contract under the minimum
/// months. `409 duplicate_bankruptcy` when this partner's bankruptcy was already lent against,
/// `409 procedure_pending` while another application waits, `409 not_available` for a
/// 小規模企業共済 contract, `404` for someone else's contract.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/bankruptcy-loans", tag = "loans", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = BankruptcyLoanForm,
    responses((status = 202, body = BankruptcyLoanDone, description = "in review"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<BankruptcyLoanForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    let answer = s
        .app
        .request_bankruptcy_loan(&actor, &number, &form, key.as_ref())
        .await?;
    Ok(procedure_answer(answer))
}

/// A staff preparer's proposal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProposalBody {
    /// The amount to lend: positive, in the rule set's unit, within the limit.
    pub amount_yen: i64,
    /// What the preparer checked (kept with the proposal and audited).
    #[serde(default)]
    pub note: String,
}

/// The limit the proposal was checked against.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProposalDone {
    pub amount_yen: i64,
    pub limit_yen: i64,
}

/// Staff propose the amount of a 共済金貸付 in review (replacing an earlier proposal). `422`
/// at `amount_yen` off the unit or above the limit; `409 not_in_review`; `404` for another
/// procedure. The proposer cannot approve it (`409 same_preparer`).
#[utoipa::path(post, path = "/api/v1/staff/bankruptcy-loans/{id}/proposal", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, description = "application id")), request_body = ProposalBody,
    responses((status = 200, body = ProposalDone), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn propose(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<ApplicationId>,
    ApiJson(p): ApiJson<ProposalBody>,
) -> Result<ApiJson<ProposalDone>, ApiError> {
    let limit = s
        .app
        .propose_bankruptcy_loan(&actor, id, Yen::new(p.amount_yen), &p.note)
        .await?;
    Ok(ApiJson(ProposalDone {
        amount_yen: p.amount_yen,
        limit_yen: limit.get(),
    }))
}
