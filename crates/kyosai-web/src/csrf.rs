//! Cross-site request forgery protection for the cookie-authenticated HTML forms.
//!
//! Browsers send `Sec-Fetch-Site` and `Origin` on form posts; a state-changing request whose
//! origin is another site is refused. The API is not affected: it authenticates with bearer tokens,
//! which a foreign page cannot attach. SameSite=Lax session cookies are the second line.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.uri().path().starts_with("/api/") || is_same_site(&req) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "refused cross-site form post");
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "別のサイトから送信されたため、処理を中止しました。ページを開き直してからもう一度お試しください。",
    )
        .into_response()
}

fn is_same_site(req: &Request) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (
        h.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        h.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        // No Origin header: not a browser form post (old clients, curl); nothing to forge with.
        (None, _) => true,
        (Some(_), None) => false,
    }
}
