//! Kyosai's HTTP layer: the member portal and staff screens (server-rendered Japanese HTML that
//! works without JavaScript) and the JSON API under `/api/v1`. Handlers only translate between
//! HTTP and the use cases in `kyosai-app`.

pub mod api;
pub mod calculators;
pub mod csrf;
pub mod error;
pub mod form_kit;
pub mod operations;
pub mod pages;
pub mod rate_limit;
pub mod security_headers;
pub mod session;
pub mod static_files;
pub mod upload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use kyosai_app::App;
use tower_governor::GovernorLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Request bodies larger than this are refused (413): forms and JSON are small.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Where billing runs started from the staff screens write their request files (the same
    /// folder as the billing schedule's); None: runs cannot be started from the screens.
    pub billing_out: Option<PathBuf>,
    /// Whether the database answered at the last probe (graceful degradation).
    pub db: Arc<operations::DbStatus>,
}

/// Per-client request limits (keyed on the client address; see [`rate_limit`]).
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Login, sign-up, verification and TOTP: requests allowed in a burst…
    pub auth_burst: u32,
    /// …then one more every this long.
    pub auth_period: Duration,
    /// Public simulations: sustained requests per second (burst of 4× that).
    pub simulation_rps: u64,
    /// The header our reverse proxy sets to the client address; None: the peer address is the
    /// client (never trust a header nobody vouches for).
    pub trusted_proxy_header: Option<rate_limit::ProxyHeader>,
}

impl Default for RateLimits {
    /// A person needs at most a handful of auth requests a minute; a password-guessing script gets
    /// one try every 2 seconds after the burst. Simulations are cheap but public.
    fn default() -> Self {
        RateLimits {
            auth_burst: 10,
            auth_period: Duration::from_secs(2),
            simulation_rps: 50,
            trusted_proxy_header: None,
        }
    }
}

impl RateLimits {
    /// Defaults, with `KYOSAI_AUTH_BURST` and `KYOSAI_SIMULATION_RPS` overriding (benchmarks and
    /// load tests from one address) and `KYOSAI_TRUSTED_PROXY_HEADER` (`x-forwarded-for` or
    /// `x-real-ip`) naming the reverse proxy's header.
    pub fn from_env() -> RateLimits {
        let d = RateLimits::default();
        let var = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        RateLimits {
            auth_burst: var("KYOSAI_AUTH_BURST")
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(d.auth_burst)
                .max(1),
            simulation_rps: var("KYOSAI_SIMULATION_RPS")
                .unwrap_or(d.simulation_rps)
                .max(1),
            trusted_proxy_header: std::env::var("KYOSAI_TRUSTED_PROXY_HEADER")
                .ok()
                .and_then(|h| rate_limit::ProxyHeader::parse(&h)),
            ..d
        }
    }
}

/// The whole HTTP surface with limits from the environment. Serve with
/// `into_make_service_with_connect_info::<SocketAddr>()`: the rate limiter keys on the client
/// address.
pub fn router(app: App) -> Router {
    router_with(app, RateLimits::from_env())
}

pub fn router_with(app: App, limits: RateLimits) -> Router {
    router_with_billing(app, limits, None)
}

/// [`router_with`], with the folder billing runs started from the staff screens write into.
pub fn router_with_billing(app: App, limits: RateLimits, billing_out: Option<PathBuf>) -> Router {
    let state = AppState {
        app,
        billing_out,
        db: Arc::default(),
    };
    let key = rate_limit::ClientKey {
        trusted_proxy_header: limits.trusted_proxy_header,
    };
    let auth_limit = rate_limit::config(key, limits.auth_period, limits.auth_burst);
    let public_limit = rate_limit::config(
        key,
        Duration::from_nanos(1_000_000_000 / limits.simulation_rps.max(1)),
        u32::try_from(limits.simulation_rps * 4).unwrap_or(u32::MAX),
    );
    rate_limit::prune_every_minute(&auth_limit);
    rate_limit::prune_every_minute(&public_limit);
    let verify = pages::verify_routes()
        .layer(GovernorLayer::new(public_limit.clone()).error_handler(rate_limit::page_answer));
    let public = api::public_routes()
        .layer(GovernorLayer::new(public_limit).error_handler(rate_limit::api_answer));
    // One limiter for the login pages and the login API (the same bucket per client), each
    // answering in its own form.
    let sensitive =
        Router::new()
            .merge(pages::auth_routes().layer(
                GovernorLayer::new(auth_limit.clone()).error_handler(rate_limit::page_answer),
            ))
            .merge(
                api::auth_routes()
                    .layer(GovernorLayer::new(auth_limit).error_handler(rate_limit::api_answer)),
            );
    // Everything that needs the database answers 503 at once while it is down; calculators,
    // simulations and static files work from memory and stay outside the guard.
    let needs_database = Router::new()
        .merge(sensitive)
        .merge(verify)
        .merge(pages::routes())
        .merge(api::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            operations::require_database,
        ));
    Router::new()
        .route("/healthz", get(operations::healthz))
        .route("/readyz", get(operations::readyz))
        .route("/metrics", get(operations::metrics))
        .merge(needs_database)
        .merge(public)
        .merge(calculators::routes())
        .merge(static_files::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            operations::record_latency,
        ))
        .layer(axum::middleware::from_fn(csrf::refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers::add,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The span every log line of a request is written in: method, path and the request id, which
/// is also sent back in `x-request-id` (a client's own id is kept, so a call can be traced from
/// the caller's logs to ours).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

/// Serves until `shutdown` resolves, then finishes in-flight requests (graceful shutdown).
/// Billing runs started from the staff screens write their request files into `billing_out`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    billing_out: PathBuf,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router_with_billing(app, RateLimits::from_env(), Some(billing_out))
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
