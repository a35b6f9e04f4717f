//! Reading a multipart form with one uploaded file (evidence), shared by the pages and the API.
//!
//! The file is read chunk by chunk and refused as soon as it passes the configured size limit,
//! so an oversized upload never sits in memory whole. Its type is not decided here (nor by the
//! client's Content-Type): `kyosai_app::evidence` looks at the bytes.

use axum::extract::Multipart;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kyosai_app::AppError;
use kyosai_app::evidence::Download;

/// The largest request body a multipart route accepts; the app's evidence limit (10 MiB by
/// default) decides per file below it.
pub const MAX_UPLOAD_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The form part holding the file.
pub const FILE_FIELD: &str = "evidence_file";

/// A file sent with the form.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The text fields and the file (None when no file was chosen: browsers send an empty part
/// without a name).
pub struct Parts {
    pub fields: Vec<(String, String)>,
    pub file: Option<Upload>,
}

fn unreadable() -> AppError {
    AppError::invalid(
        "evidence",
        "unreadable",
        "送信された内容を読み取れませんでした。もう一度お試しください。",
    )
}

/// Reads every part; a file larger than `max_bytes` is refused at the `evidence` field.
pub async fn read(mut multipart: Multipart, max_bytes: usize) -> Result<Parts, AppError> {
    let mut fields = Vec::new();
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == FILE_FIELD {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
                if bytes.len() + chunk.len() > max_bytes {
                    return Err(AppError::invalid(
                        "evidence",
                        "too_large",
                        format!(
                            "添付ファイルは{}MB以下にしてください。",
                            max_bytes / (1024 * 1024)
                        ),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            // A file input left empty arrives as a part with no name and no bytes.
            if !(file_name.is_empty() && bytes.is_empty()) {
                file = Some(Upload { file_name, bytes });
            }
        } else {
            let value = field.text().await.map_err(|_| unreadable())?;
            fields.push((name, value));
        }
    }
    Ok(Parts { fields, file })
}

/// A stored document as a download: never shown inline, its type fixed by what the bytes were
/// found to be, no sniffing, not cached by shared caches; the file name in RFC 6266 form
/// (ASCII fallback plus the UTF-8 name).
pub fn download(d: Download) -> Response {
    let ascii: String = d
        .evidence
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = d
        .evidence
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, d.evidence.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
        ],
        d.bytes,
    )
        .into_response()
}
