//! Response headers that tell browsers and proxies how to treat our answers (issue #15 item 6).
//!
//! - Every answer: `X-Content-Type-Options: nosniff` (a JSON error or an uploaded file is never
//!   run as a script or shown as HTML) and `X-Frame-Options: DENY` (no page is framed, so no
//!   click-jacking of a confirmation button).
//! - API answers: `Cache-Control: no-store`, so a shared proxy or the browser cache never keeps a
//!   member's contract, billing or token (ASVS 8.2.1).
//! - The API docs page (Swagger UI): a Content-Security-Policy allowing only our own scripts, and
//!   `frame-ancestors 'none'`.
//! - `Strict-Transport-Security` when the public URL is https (behind TLS the browser then never
//!   tries plain http again; over plain http the header is meaningless and is not sent).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Swagger UI loads its own script and style files; it sets inline styles and data: images.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// One year, the usual preload value.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

pub async fn add(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if path.starts_with("/api/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if path.starts_with("/api/v1/docs") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
    }
    if s.app.public_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    res
}
