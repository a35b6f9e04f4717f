//! Server-rendered Japanese pages for members and staff.

use axum::Router;

use crate::AppState;

/// Login, sign-up and TOTP pages (rate-limited by the caller).
pub fn auth_routes() -> Router<AppState> {
    Router::new()
}

pub fn routes() -> Router<AppState> {
    Router::new()
}
