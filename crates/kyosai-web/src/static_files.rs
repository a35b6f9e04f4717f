//! Embedded static assets (CSS, htmx) with caching headers.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(asset))
        .route("/favicon.ico", get(favicon))
}

/// Browsers ask for `/favicon.ico` whatever the page says; answer with the SVG icon rather than
/// a 404 on every page.
async fn favicon(headers: HeaderMap) -> Response {
    asset(Path("favicon.svg".to_string()), headers).await
}

/// An embedded file's bytes (the help pages read their guides' steps from here).
pub(crate) fn bytes(path: &str) -> Option<Vec<u8>> {
    Assets::get(path).map(|f| f.data.into_owned())
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = Assets::get(&path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..8]));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mime = match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        ],
        file.data.into_owned(),
    )
        .into_response()
}
