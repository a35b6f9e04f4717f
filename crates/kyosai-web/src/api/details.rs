//! Registered details changes over the API (届出事項変更, issue #10 procedure 4): the same use
//! case and field messages as `/portal/contracts/{number}/details`, and evidence downloads.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::Response;
use kyosai_app::details_change::{DetailsChange, DetailsForm, RegisteredDetails};
use kyosai_app::procedure::Answer;

use super::{ApiActor, procedure_answer};
use crate::AppState;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::upload;

/// The multipart form: the [`DetailsForm`] fields as text parts, plus the document.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[expect(
    dead_code,
    reason = "documents the multipart body; the handler reads the parts"
)]
pub struct DetailsMultipart {
    #[serde(flatten)]
    form: DetailsForm,
    /// The document (PDF, JPEG or PNG, told by its bytes; at most 10 MiB by default).
    #[schema(value_type = String, format = Binary)]
    evidence_file: Vec<u8>,
}

/// A stored document's bytes (the schema of the download).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[expect(
    dead_code,
    reason = "documents the download body; the handler sends the bytes"
)]
pub struct EvidenceFile(Vec<u8>);

/// Changes the contract's registered details. Send JSON (fields to change; leave out the rest)
/// or `multipart/form-data` with the same fields as text parts and the document as
/// `evidence_file` (a name change needs one). `201` completed, `202` in review (a corporation's
/// name change, or capital/employees outside the 倒産防止 limits: `checks` say why). `422`
/// `invalid_input` with field errors (also for a refused file: `evidence` field, codes `empty`,
/// `too_large`, `file_type`) or `no_change`; `409 procedure_pending` while another change of
/// the contract waits for staff, `409 contract_not_active`; `404` for anyone but the contract's
/// member (staff may file for them: paper channel).
#[utoipa::path(post, path = "/api/v1/contracts/{number}/details-changes", tag = "contracts", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    request_body(content(
        (DetailsForm = "application/json"),
        (DetailsMultipart = "multipart/form-data"))),
    responses((status = 201, body = DetailsChange, description = "completed"),
        (status = 202, body = DetailsChange, description = "in review"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let form = if multipart {
        let parts = Multipart::from_request(req, &s).await.map_err(|e| {
            ApiError::new(
                e.status(),
                "invalid_body",
                "multipart の本文を読み取れませんでした。",
            )
        })?;
        let parts = upload::read(parts, s.app.evidence.max_bytes).await?;
        let mut form: DetailsForm = serde_json::from_value(serde_json::Value::Object(
            parts
                .fields
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        ))
        .map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "送信された項目を読み取れませんでした。",
            )
        })?;
        // Field errors first, so a refused form does not leave a file behind.
        form.parse()?;
        if let Some(file) = parts.file {
            let e = s
                .app
                .upload_evidence(&actor, &number, &file.file_name, &file.bytes)
                .await?;
            form.evidence = Some(e.token);
        }
        form
    } else {
        let ApiJson(form) = ApiJson::<DetailsForm>::from_request(req, &s).await?;
        form
    };
    let answer = s.app.change_details(&actor, &number, &form).await?;
    Ok(procedure_answer(Answer::New(answer)))
}

/// The contract's registered details in force (members: own contracts only, others 404).
#[utoipa::path(get, path = "/api/v1/contracts/{number}/details", tag = "contracts", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号 (9 digits)")),
    responses((status = 200, body = RegisteredDetails),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn current(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<RegisteredDetails>, ApiError> {
    Ok(ApiJson(s.app.registered_details(&actor, &number).await?))
}

/// Downloads an uploaded document: staff and the member it belongs to only (anyone else: 404).
/// Always `Content-Disposition: attachment` with `X-Content-Type-Options: nosniff`.
#[utoipa::path(get, path = "/api/v1/evidence/{token}", tag = "contracts", security(("bearer" = [])),
    params(("token" = String, Path, description = "the document's token")),
    responses((status = 200, description = "the file, as an attachment", content(
            (EvidenceFile = "application/pdf"), (EvidenceFile = "image/jpeg"), (EvidenceFile = "image/png"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    Ok(upload::download(
        s.app.evidence_download(&actor, &token).await?,
    ))
}
