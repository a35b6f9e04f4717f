//! The 小規模企業共済掛金控除証明書 figures over the API (issue #13, REFERENCE §7): current as of
//! the day they are asked for, read from the premium ledger, with the document number they are
//! issued under and the signed e-Tax XML (様式 TEG850, REFERENCE §7.2).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kyosai_app::documents::IssuedCertificate;
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
    /// The number these figures are issued under: the same while they are unchanged; anyone
    /// holding it can check the figures at `/verify/{document_number}`.
    pub document_number: String,
    /// Where the signed e-Tax XML (様式 TEG850) is downloaded; null when the deductible amount
    /// is "****" (no electronic certificate, REFERENCE §7.2) or this server signs nothing.
    pub xml_url: Option<String>,
    /// Where the certificate is downloaded as a PDF (A4, tagged; always offered).
    pub pdf_url: String,
}

impl From<IssuedCertificate> for CertificateBody {
    fn from(issued: IssuedCertificate) -> Self {
        let c = issued.certificate;
        Self {
            year: c.year,
            contract_number: c.contract_number,
            paid_yen: c.paid_yen,
            months_paid_in_year: c.months_paid_in_year,
            prepayment_discount_yen: c.prepayment_discount_yen,
            deductible_yen: c.deductible_yen,
            expected_by_december_yen: c.expected_by_december_yen,
            xml_url: issued
                .xml_available
                .then(|| format!("/api/v1/documents/{}/xml", issued.document_number)),
            pdf_url: format!("/api/v1/documents/{}/pdf", issued.document_number),
            document_number: issued.document_number,
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
        s.app.issue_certificate(&actor, &number, year).await?.into(),
    ))
}

/// The signed e-Tax XML of a certificate (TEG850).
#[derive(ToSchema)]
#[schema(value_type = String)]
#[expect(
    dead_code,
    reason = "documents the download body; the handler sends the bytes"
)]
pub struct Teg850Xml(String);

/// The signed e-Tax XML (様式 TEG850, root `TEG850`, enveloped XML signature) of an issued
/// certificate: staff and the member holding the contract only (anyone else: 404).
#[utoipa::path(get, path = "/api/v1/documents/{document_number}/xml", tag = "documents", security(("bearer" = [])),
    params(("document_number" = String, Path, description = "書類番号 (KD-XXXX-XXXX-XXXX)")),
    responses((status = 200, description = "the signed XML", content((Teg850Xml = "application/xml"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn certificate_xml(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(document_number): Path<String>,
) -> Result<Response, ApiError> {
    let xml = s.app.certificate_xml(&actor, &document_number).await?;
    let disposition = format!("attachment; filename=\"{}.xml\"", document_number.trim());
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        xml,
    )
        .into_response())
}

/// A certificate as PDF.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[expect(
    dead_code,
    reason = "documents the download body; the handler sends the bytes"
)]
pub struct CertificatePdf(Vec<u8>);

/// The PDF of an issued document, a certificate or a letter (A4, tagged PDF/UA-1, with its
/// document number and the QR code of its verification page): staff and the member holding the
/// contract only (anyone else: 404).
#[utoipa::path(get, path = "/api/v1/documents/{document_number}/pdf", tag = "documents", security(("bearer" = [])),
    params(("document_number" = String, Path, description = "書類番号 (KD-XXXX-XXXX-XXXX)")),
    responses((status = 200, description = "the PDF", content((CertificatePdf = "application/pdf"))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn certificate_pdf(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(document_number): Path<String>,
) -> Result<Response, ApiError> {
    let pdf = s.app.document_pdf(&actor, &document_number).await?;
    Ok(pdf_download(&document_number, pdf))
}

/// One issued document of a contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentBody {
    pub document_number: String,
    /// `deduction_certificate`, `contract_certificate`, `contract_details`, `payment_status`,
    /// `cancellation_notice` or `payout_decision`.
    pub kind: String,
    /// The title as printed, e.g. 共済契約締結証書.
    pub title: String,
    #[schema(value_type = String, format = Date)]
    pub issued_on: jiff::civil::Date,
    pub pdf_url: String,
}

/// Every document issued for a contract (letters and certificates), newest first: staff and
/// the member holding the contract only (anyone else: 404).
#[utoipa::path(get, path = "/api/v1/contracts/{number}/documents", tag = "documents", security(("bearer" = [])),
    params(("number" = String, Path, description = "共済契約者番号")),
    responses((status = 200, body = Vec<DocumentBody>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn documents(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(number): Path<String>,
) -> Result<ApiJson<Vec<DocumentBody>>, ApiError> {
    let docs = s.app.contract_documents(&actor, &number).await?;
    Ok(ApiJson(
        docs.into_iter()
            .map(|d| DocumentBody {
                pdf_url: format!("/api/v1/documents/{}/pdf", d.document_number),
                document_number: d.document_number,
                kind: d.kind,
                title: d.title,
                issued_on: d.issued_on,
            })
            .collect(),
    ))
}

/// A PDF as an attachment named after its document number, never cached by shared caches.
pub fn pdf_download(document_number: &str, pdf: Vec<u8>) -> Response {
    let name: String = document_number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.pdf\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        pdf,
    )
        .into_response()
}

/// A PEM-encoded X.509 certificate.
#[derive(ToSchema)]
#[schema(value_type = String)]
#[expect(
    dead_code,
    reason = "documents the response body; the handler sends the text"
)]
pub struct PemCertificate(String);

/// The X.509 certificate that verifies the signature of the e-Tax XML (public; 404 when this
/// server signs nothing).
#[utoipa::path(get, path = "/api/v1/signing-certificate.pem", tag = "documents",
    responses((status = 200, description = "the certificate, PEM", content((PemCertificate = "application/x-pem-file"))),
        (status = 404, body = ErrorBody)))]
pub async fn signing_certificate(State(s): State<AppState>) -> Result<Response, ApiError> {
    let pem = s.app.signing_certificate_pem().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "このサーバーは電子証明書に署名していません。",
        )
    })?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}
