//! Per-client request limits (issue #15 item 1).
//!
//! - The key is the peer address, or the address a trusted reverse proxy puts in a header, but
//!   only when the operator says which header that is (`KYOSAI_TRUSTED_PROXY_HEADER`): trusting
//!   `X-Forwarded-For` by default would let anyone pick their own bucket, and ignoring it behind
//!   a proxy puts every client in one bucket.
//! - Answers in the API's JSON error envelope (`too_many_requests`) with `Retry-After`; the pages
//!   get a Japanese page.
//! - The limiter's table is pruned every minute, so addresses seen once do not stay in memory.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::error::ApiError;

/// The header a trusted reverse proxy sets to the client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For`: the last address, the one our proxy appended (earlier ones come from
    /// the client and can be anything).
    XForwardedFor,
    /// `X-Real-IP`: one address set by the proxy.
    XRealIp,
}

impl ProxyHeader {
    pub fn parse(s: &str) -> Option<ProxyHeader> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ProxyHeader::XForwardedFor),
            "x-real-ip" => Some(ProxyHeader::XRealIp),
            _ => None,
        }
    }

    fn client(self, headers: &axum::http::HeaderMap) -> Option<IpAddr> {
        let raw = match self {
            ProxyHeader::XForwardedFor => headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()?,
            ProxyHeader::XRealIp => headers.get("x-real-ip")?.to_str().ok()?,
        };
        raw.trim().parse().ok()
    }
}

/// The client address: from the trusted proxy's header when configured (and present), else the
/// peer.
#[derive(Debug, Clone, Copy)]
pub struct ClientKey {
    pub trusted_proxy_header: Option<ProxyHeader>,
}

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        if let Some(h) = self.trusted_proxy_header
            && let Some(ip) = h.client(req.headers())
        {
            return Ok(ip);
        }
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

pub type Config = GovernorConfig<ClientKey, governor::middleware::NoOpMiddleware>;

/// A limiter: `burst` requests, then one every `period`.
pub fn config(key: ClientKey, period: Duration, burst: u32) -> Arc<Config> {
    let built = GovernorConfigBuilder::default()
        .key_extractor(key)
        .period(period)
        .burst_size(burst.max(1))
        .finish();
    Arc::new(built.unwrap_or_else(|| {
        GovernorConfigBuilder::default()
            .key_extractor(key)
            .finish()
            .unwrap_or_else(|| unreachable!("the default limiter configuration is valid"))
    }))
}

/// Drops the entries of addresses whose limit has fully recovered, every minute, for as long
/// as the router holding the limiter lives (nothing to do outside a Tokio runtime: tests that
/// build a router without serving it).
pub fn prune_every_minute(config: &Arc<Config>) {
    let weak: Weak<Config> = Arc::downgrade(config);
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(c) = weak.upgrade() else { break };
                prune(&c);
            }
        });
    }
}

/// One pruning pass; returns the entries left.
pub fn prune(config: &Config) -> usize {
    let limiter = config.limiter();
    limiter.retain_recent();
    limiter.shrink_to_fit();
    limiter.len()
}

fn wait_seconds(e: &GovernorError) -> u64 {
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => (*wait_time).max(1),
        _ => 1,
    }
}

/// The API's answer: the JSON error envelope, `Retry-After`.
pub fn api_answer(e: GovernorError) -> Response<Body> {
    use axum::response::IntoResponse;
    let secs = wait_seconds(&e);
    ApiError {
        retry_after: i64::try_from(secs).ok(),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "短時間に多くのリクエストがありました。{secs}秒ほど待ってからもう一度お試しください。"
            ),
        )
    }
    .into_response()
}

/// The pages' answer: a short Japanese page, `Retry-After`.
pub fn page_answer(e: GovernorError) -> Response<Body> {
    let secs = wait_seconds(&e);
    let body = format!(
        "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>しばらくお待ちください</title></head>\
         <body><main><h1>しばらくお待ちください</h1><p>短時間に多くの操作がありました。{secs}秒ほど待ってから、もう一度お試しください。</p>\
         <p><a href=\"/login\">ログインページへ</a></p></main></body></html>"
    );
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}
