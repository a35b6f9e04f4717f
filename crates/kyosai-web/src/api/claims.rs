//! 共済金等の請求 over the API (issue #11): the same use case as a paper claim keyed in by staff.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kyosai_app::claims::{ClaimDone, ClaimForm};
use kyosai_app::evidence::EvidenceRef;

use super::{ApiActor, contract_key, procedure_answer};
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::upload;

/// The multipart body of an evidence upload.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[expect(
    dead_code,
    reason = "documents the multipart body; the handler reads the parts"
)]
pub struct ClaimEvidenceMultipart {
    /// The document (PDF, JPEG or PNG, told by its bytes; at most 10 MiB by default).
    #[schema(value_type = String, format = Binary)]
    evidence_file: Vec<u8>,
}

/// Uploads a document for a claim of the contract (a 廃業届, a 登記簿, a 戸籍謄本…) as
/// `multipart/form-data` with the file as `evidence_file`. `201` with its `token`, which the
/// claim then names in `evidence`. The type is told by the bytes (PDF, JPEG, PNG), never by the
/// name; `422` at the `evidence` field for an empty, oversized or other file (nothing stored);
/// `404` for someone else's contract. The file is kept outside the web root and only ever
/// downloaded as an attachment.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/claims/evidence", tag = "claims", operation_id = "upload_claim_evidence", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    request_body(content((ClaimEvidenceMultipart = "multipart/form-data"))),
    responses((status = 201, body = EvidenceRef, description = "stored"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn upload_evidence(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    store_evidence(&s, &actor, &number, multipart).await
}

/// Stores the file of an evidence upload for the contract (every procedure's upload route):
/// `201` with its token, `422` at `evidence` without a file or for a refused one.
pub(super) async fn store_evidence(
    s: &AppState,
    actor: &kyosai_app::Actor,
    number: &str,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let parts = upload::read(multipart, s.app.evidence.max_bytes).await?;
    let file = parts.file.ok_or_else(|| {
        ApiError::from(kyosai_app::AppError::invalid(
            "evidence",
            "required",
            "添付するファイルを選んでください。",
        ))
    })?;
    let e = s
        .app
        .upload_evidence(actor, number, &file.file_name, &file.bytes)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(e)).into_response())
}

/// Claims the 共済金 (小規模企業共済) of the contract: `event`, `event_date` and the `payout`
/// form (`lump_sum`; `instalments` with `years` 10 or 15; `combined` with `years` and
/// `lump_sum_yen`); a death claim adds the bereaved `claimant` and the account to pay into. The
/// answer names the payment (`benefit_kind` A, B, quasi or refund) with its Japanese
/// `explanation`, the gross amount from the contract's own premiums, the `deductions` (loans,
/// unpaid premiums), `net_yen`, `estimate` when a provisional table or a reconstructed history
/// went into it, and the `payouts` (date and amount). `201` decided (every check passed and
/// the net amount is within the automatic threshold), `202` waiting for staff with every check.
/// `422` with field errors for an unknown event, an event date in the future or before the
/// contract, an event not open to the holder, or a payout form the claimant does not qualify
/// for (nothing stored); `409 claim_exists` when the contract already has a claim,
/// `409 contract_not_active` after a cancellation, `409 procedure_pending` while another
/// application waits; `404` for someone else's contract. With `Idempotency-Key`, a repeated
/// request returns the first answer.
#[utoipa::path(post, path = "/api/v1/contracts/{number}/claims", tag = "claims", operation_id = "submit_claim", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)"),
        ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key")),
    request_body = ClaimForm,
    responses((status = 201, body = ClaimDone, description = "decided"),
        (status = 202, body = ClaimDone, description = "waiting for staff"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<ClaimForm>,
) -> Result<Response, ApiError> {
    let key = contract_key(&headers, &number, &form)?;
    let answer = s
        .app
        .submit_claim(&actor, &number, &form, key.as_ref())
        .await?;
    Ok(procedure_answer(answer))
}
