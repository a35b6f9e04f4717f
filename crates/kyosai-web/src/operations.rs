//! What operators and load balancers talk to: `/healthz` (the process answers and reaches the
//! database), `/readyz` (ready to take traffic: reachable, writable, migrations current),
//! `/metrics` (Prometheus text format), the per-route latency middleware, and graceful
//! degradation when the database is unreachable.
//!
//! Degradation: once the database is known to be down, member and staff screens and the API
//! answer at once with 503, a Japanese explanation and `Retry-After`, instead of each request
//! waiting for the pool to give up. One probe at a time (at most every [`PROBE_EVERY`]) finds out
//! when it is back. Calculators, the simulation API, static files and the top page's calculator
//! links keep working from the rule data in memory; mail stays in the outbox.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kyosai_app::App;

use crate::AppState;
use crate::error::ApiError;
use crate::pages::{Layout, message};

/// Seconds a client is told to wait (`Retry-After`) while the database is unreachable.
pub const RETRY_AFTER_SECS: u64 = 30;

/// How often, at most, a request probes a database known to be down.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// How long a probe waits for the database before counting it as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the database was reachable at the last probe.
#[derive(Debug, Default)]
pub struct DbStatus {
    down: AtomicBool,
    last_probe: Mutex<Option<Instant>>,
    /// Held by the one request probing; the others keep the last answer.
    probing: tokio::sync::Mutex<()>,
}

impl DbStatus {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Pings the database (one probe at a time; a request arriving during a probe keeps the
    /// last answer) and returns whether it is down.
    pub async fn probe(&self, app: &App) -> bool {
        let Ok(_guard) = self.probing.try_lock() else {
            return self.is_down();
        };
        let down = !matches!(
            tokio::time::timeout(PROBE_TIMEOUT, app.ping()).await,
            Ok(Ok(()))
        );
        if let Ok(mut last) = self.last_probe.lock() {
            *last = Some(Instant::now());
        }
        let was = self.down.swap(down, Ordering::AcqRel);
        if down && !was {
            tracing::error!("database unreachable: answering 503 until it is back");
        } else if was && !down {
            tracing::info!("database reachable again");
        }
        down
    }

    /// While down: probes again when the last probe is older than [`PROBE_EVERY`].
    async fn recheck(&self, app: &App) -> bool {
        let due = self
            .last_probe
            .lock()
            .map(|l| l.is_none_or(|t| t.elapsed() >= PROBE_EVERY))
            .unwrap_or(true);
        if due {
            self.probe(app).await
        } else {
            self.is_down()
        }
    }
}

/// Guards the routes that need the database: answers 503 at once while it is known to be down,
/// and turns a server error that turns out to be an outage into the same 503.
/// The top page (program summaries from the rule set in force, links to the calculators) is
/// the one page of this group that works without the database.
pub async fn require_database(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/" {
        return next.run(req).await;
    }
    let api = req.uri().path().starts_with("/api/");
    if s.db.is_down() && s.db.recheck(&s.app).await {
        return unavailable(api);
    }
    let resp = next.run(req).await;
    if resp.status().is_server_error() && s.db.probe(&s.app).await {
        return unavailable(api);
    }
    resp
}

/// The 503 answer: the API's error envelope or a Japanese page, with `Retry-After`.
fn unavailable(api: bool) -> Response {
    let text = format!(
        "ただいまシステムの保守・障害対応のため、お手続きを受け付けられません。\n\
         入力中の内容は保存されていません。{RETRY_AFTER_SECS}秒ほど待ってから、もう一度お試しください。\n\
         掛金や受取額のかんたん計算は、引き続きご利用いただけます。"
    );
    let mut resp = if api {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            text.replace('\n', ""),
        )
        .into_response()
    } else {
        message(
            StatusCode::SERVICE_UNAVAILABLE,
            Layout::anonymous("ただいまご利用いただけません"),
            &text,
            &[("/calculators", "かんたん計算へ")],
        )
    };
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    resp
}

/// Health probes and metric scrapes: they come every few seconds whatever members do, so they
/// are not counted as requests in flight (an idle server must look idle to the mail loop).
const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Times every request for `kyosai_http_request_duration_seconds`, labelled with the matched
/// route pattern (bounded label values; `unmatched` for 404s outside any route), and counts it
/// as in flight while it is answered (probes aside).
pub async fn record_latency(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let in_flight = (!PROBES.contains(&route.as_str())).then(|| s.app.metrics.request_started());
    let resp = next.run(req).await;
    drop(in_flight);
    s.app
        .metrics
        .http_request(&method, &route, resp.status().as_u16(), started.elapsed());
    resp
}

/// `/healthz`: the process answers and reaches the database.
pub async fn healthz(State(s): State<AppState>) -> (StatusCode, &'static str) {
    match s.app.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// `/readyz`: ready for traffic (the database answers, accepts writes, migrations current).
/// A load balancer sends members only to instances that answer 200 here, so a standby or an
/// instance started before `kyosai migrate` gets none.
pub async fn readyz(State(s): State<AppState>) -> (StatusCode, String) {
    match s.app.readiness().await {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(e) => {
            tracing::warn!(reason = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}"))
        }
    }
}

/// `/metrics` in the Prometheus text format (the process's figures even with the database down).
pub async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.app.metrics_text().await,
    )
        .into_response()
}
