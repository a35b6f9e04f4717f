//! Kyosai's HTTP layer: the member portal and staff screens (server-rendered Japanese HTML that
//! works without JavaScript) and the JSON API under `/api/v1`. Handlers only translate between
//! HTTP and the use cases in `kyosai-app`.

pub mod api;
pub mod csrf;
pub mod error;
pub mod pages;
pub mod session;
pub mod static_files;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use kyosai_app::App;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::trace::TraceLayer;

/// Request bodies larger than this are refused (413): forms and JSON are small.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
}

/// The whole HTTP surface. Serve with `into_make_service_with_connect_info::<SocketAddr>()`: the
/// rate limiter keys on the client address.
pub fn router(app: App) -> Router {
    let state = AppState { app };
    // Sensitive endpoints (login, sign-up, TOTP): a burst of 10, then one request every 2 seconds
    // per client address.
    let sensitive_limit = Arc::new(
        GovernorConfigBuilder::default()
            .period(Duration::from_secs(2))
            .burst_size(10)
            .finish()
            .unwrap_or_default(),
    );
    let sensitive = Router::new()
        .merge(pages::auth_routes())
        .merge(api::auth_routes())
        .layer(GovernorLayer::new(sensitive_limit));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(sensitive)
        .merge(pages::routes())
        .merge(api::routes())
        .merge(static_files::routes())
        .layer(axum::middleware::from_fn(csrf::refuse_cross_site))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(
    axum::extract::State(s): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, &'static str) {
    match s.app.store.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
        }
    }
}

/// Serves until `shutdown` resolves, then finishes in-flight requests (graceful shutdown).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
