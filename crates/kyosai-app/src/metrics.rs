//! In-process metrics, rendered in the Prometheus text format (exposition format 0.0.4) by
//! `/metrics`.
//!
//! A small hand-written registry rather than a metrics crate: Kyosai needs a handful of counters
//! and one histogram family, and the rest of `/metrics` (outbox, billing runs, pool) is read
//! from the database or the pool at scrape time ([`App::metrics_text`]), so it is right across
//! instances and restarts. Counters here are per process, as Prometheus expects.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use kyosai_domain::procedure::{Channel, Procedure};

use crate::{App, AppError};

/// Upper bounds (seconds) of the HTTP latency buckets: the member-facing targets are p99 ≤ 50 ms
/// (enrollment) and ≤ 100 ms (maintenance procedures), so the buckets are dense up to 0.25 s.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// What became of a procedure a member, staff or an agency submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProcedureOutcome {
    /// Completed in the request (straight-through).
    Completed,
    /// Waiting for staff.
    InReview,
    /// The form was refused field by field (nothing stored).
    Rejected,
    /// Refused as a whole: a conflict, not found, not allowed.
    Refused,
    /// The same `Idempotency-Key` again: the first answer replayed.
    Replayed,
    /// Nothing to do (the request asked for what is already the case).
    Unchanged,
    /// A server-side failure (database, internal).
    Error,
}

impl ProcedureOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcedureOutcome::Completed => "completed",
            ProcedureOutcome::InReview => "in_review",
            ProcedureOutcome::Rejected => "rejected",
            ProcedureOutcome::Refused => "refused",
            ProcedureOutcome::Replayed => "replayed",
            ProcedureOutcome::Unchanged => "unchanged",
            ProcedureOutcome::Error => "error",
        }
    }

    /// The outcome of a procedure that ended in `e`.
    pub fn of_error(e: &AppError) -> ProcedureOutcome {
        match e {
            AppError::Invalid(_) => ProcedureOutcome::Rejected,
            AppError::Unauthenticated
            | AppError::Forbidden(_)
            | AppError::NotFound
            | AppError::Conflict { .. }
            | AppError::Unprocessable { .. }
            | AppError::TooManyAttempts { .. } => ProcedureOutcome::Refused,
            AppError::Store(_) | AppError::Internal(_) => ProcedureOutcome::Error,
        }
    }
}

#[derive(Debug, Default)]
struct Histogram {
    /// Count per bucket of [`LATENCY_BUCKETS`] (not cumulative; summed when rendered).
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    /// (procedure, channel, outcome) → count.
    procedures: BTreeMap<(&'static str, &'static str, ProcedureOutcome), u64>,
    /// (method, matched route, status code) → latency.
    http: BTreeMap<(String, String, u16), Histogram>,
}

/// The registry one process shares (held by [`App`]).
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    in_flight: AtomicUsize,
    /// Requests started since the process began, and the value the last
    /// [`Metrics::quiet_since_last_asked`] saw.
    started: AtomicU64,
    seen: AtomicU64,
}

/// A request being answered, counted by [`Metrics::in_flight`] until dropped.
#[must_use = "the request counts as in flight only while this is held"]
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts one submitted procedure.
    pub fn procedure(&self, procedure: Procedure, channel: Channel, outcome: ProcedureOutcome) {
        if let Ok(mut m) = self.inner.lock() {
            *m.procedures
                .entry((procedure.as_str(), channel.as_str(), outcome))
                .or_default() += 1;
        }
    }

    /// Counts a request as being answered until the returned guard is dropped.
    pub fn request_started(&self) -> InFlight<'_> {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Whether no request started since the last time this was asked and none is being
    /// answered: the server is idle, and work that can wait (rendering a mail's PDF,
    /// `mail::deliver_pending`, which asks once a round) may use the CPU.
    pub fn quiet_since_last_asked(&self) -> bool {
        let started = self.started.load(Ordering::Relaxed);
        let seen = self.seen.swap(started, Ordering::Relaxed);
        started == seen && self.in_flight() == 0
    }

    /// Records one HTTP request. `route` is the matched route pattern (`/portal/notices/{id}`),
    /// never the raw path, so the label set stays bounded.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Ok(mut m) = self.inner.lock() {
            let h = m
                .http
                .entry((method.to_string(), route.to_string(), status))
                .or_default();
            if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
                h.buckets[i] += 1;
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    /// The process's counters and histograms in the text format.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP kyosai_http_requests_in_flight HTTP requests being answered.\n\
             # TYPE kyosai_http_requests_in_flight gauge\n\
             kyosai_http_requests_in_flight {}",
            self.in_flight()
        );
        let Ok(m) = self.inner.lock() else { return };
        out.push_str(
            "# HELP kyosai_procedures_total Procedures submitted, by kind, channel and outcome.\n\
             # TYPE kyosai_procedures_total counter\n",
        );
        for ((p, c, o), n) in &m.procedures {
            let _ = writeln!(
                out,
                "kyosai_procedures_total{{procedure=\"{p}\",channel=\"{c}\",outcome=\"{}\"}} {n}",
                o.as_str()
            );
        }
        out.push_str(
            "# HELP kyosai_http_request_duration_seconds HTTP request latency by matched route.\n\
             # TYPE kyosai_http_request_duration_seconds histogram\n",
        );
        for ((method, route, status), h) in &m.http {
            let labels = format!(
                "method=\"{}\",route=\"{}\",status=\"{status}\"",
                escape(method),
                escape(route)
            );
            let mut cumulative = 0;
            for (bound, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "kyosai_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "kyosai_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 kyosai_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 kyosai_http_request_duration_seconds_count{{{labels}}} {}",
                h.count, h.sum, h.count
            );
        }
    }
}

/// A label value as the text format wants it (backslash, quote and newline escaped).
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl App {
    /// Everything `/metrics` shows: this process's counters and histograms, then gauges read
    /// now: whether the database answers, the outbox (depth and the age of its oldest
    /// undelivered item), billing runs in progress and the last run per program, payouts by
    /// status and the latest payout run, and the database pool. With the database down the process's own figures are still shown.
    pub async fn metrics_text(&self) -> String {
        let mut out = String::new();
        self.metrics.render(&mut out);
        let up = match self.database_gauges(&mut out).await {
            Ok(()) => 1,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: database gauges unavailable");
                0
            }
        };
        let pool = self.store.pool_stats();
        let _ = write!(
            out,
            "# HELP kyosai_database_up Whether the database answered this scrape.\n\
             # TYPE kyosai_database_up gauge\n\
             kyosai_database_up {up}\n\
             # HELP kyosai_db_pool_connections Open database connections (in use and idle).\n\
             # TYPE kyosai_db_pool_connections gauge\n\
             kyosai_db_pool_connections {}\n\
             # HELP kyosai_db_pool_idle Idle database connections.\n\
             # TYPE kyosai_db_pool_idle gauge\n\
             kyosai_db_pool_idle {}\n\
             # HELP kyosai_db_pool_max The pool's connection limit.\n\
             # TYPE kyosai_db_pool_max gauge\n\
             kyosai_db_pool_max {}\n",
            pool.size, pool.idle, pool.max
        );
        out
    }

    async fn database_gauges(&self, out: &mut String) -> Result<(), AppError> {
        let now = self.clock.now();
        let (outbox, runs, payouts, last_payout_run) = {
            let mut conn = self.store.read().await?;
            (
                kyosai_store::health::outbox_stats(&mut conn).await?,
                kyosai_store::health::billing_progress(&mut conn).await?,
                kyosai_store::health::payout_totals(&mut conn).await?,
                kyosai_store::health::last_payout_run(&mut conn).await?,
            )
        };
        let oldest_age = outbox
            .oldest_created_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map_or(0.0, |t| now.duration_since(t).as_secs_f64().max(0.0));
        let _ = write!(
            out,
            "# HELP kyosai_outbox_pending Undelivered outbox items (mail waiting to be sent).\n\
             # TYPE kyosai_outbox_pending gauge\n\
             kyosai_outbox_pending {}\n\
             # HELP kyosai_outbox_failed_attempts Undelivered outbox items with at least one failed attempt.\n\
             # TYPE kyosai_outbox_failed_attempts gauge\n\
             kyosai_outbox_failed_attempts {}\n\
             # HELP kyosai_outbox_oldest_age_seconds Age of the oldest undelivered outbox item (0 when empty).\n\
             # TYPE kyosai_outbox_oldest_age_seconds gauge\n\
             kyosai_outbox_oldest_age_seconds {oldest_age}\n",
            outbox.pending, outbox.retrying
        );
        out.push_str(
            "# HELP kyosai_billing_run_lines Bill lines written by a billing run (runs in progress and each program's latest).\n\
             # TYPE kyosai_billing_run_lines gauge\n",
        );
        for r in &runs {
            let _ = writeln!(
                out,
                "kyosai_billing_run_lines{{program=\"{}\",month=\"{}\",status=\"{}\"}} {}",
                escape(&r.program),
                escape(&r.month),
                escape(&r.status),
                r.lines
            );
        }
        out.push_str(
            "# HELP kyosai_billing_run_files Request files written by a billing run.\n\
             # TYPE kyosai_billing_run_files gauge\n",
        );
        for r in &runs {
            let _ = writeln!(
                out,
                "kyosai_billing_run_files{{program=\"{}\",month=\"{}\",status=\"{}\"}} {}",
                escape(&r.program),
                escape(&r.month),
                escape(&r.status),
                r.files
            );
        }
        out.push_str(
            "# HELP kyosai_payouts Payouts by status (scheduled: waiting for their day; held: waiting for an account).\n\
             # TYPE kyosai_payouts gauge\n",
        );
        for p in &payouts {
            let _ = writeln!(
                out,
                "kyosai_payouts{{status=\"{}\"}} {}",
                escape(&p.status),
                p.count
            );
        }
        out.push_str(
            "# HELP kyosai_payouts_yen Payout amounts by status, in yen.\n\
             # TYPE kyosai_payouts_yen gauge\n",
        );
        for p in &payouts {
            let _ = writeln!(
                out,
                "kyosai_payouts_yen{{status=\"{}\"}} {}",
                escape(&p.status),
                p.yen
            );
        }
        if let Some(r) = &last_payout_run {
            let _ = write!(
                out,
                "# HELP kyosai_payout_run_payouts Payouts paid by the latest payout run.\n\
                 # TYPE kyosai_payout_run_payouts gauge\n\
                 kyosai_payout_run_payouts{{transfer_date=\"{date}\",seq=\"{seq}\"}} {}\n\
                 # HELP kyosai_payout_run_yen Yen transferred by the latest payout run.\n\
                 # TYPE kyosai_payout_run_yen gauge\n\
                 kyosai_payout_run_yen{{transfer_date=\"{date}\",seq=\"{seq}\"}} {}\n",
                r.payouts,
                r.yen,
                date = escape(&r.transfer_date),
                seq = r.seq,
            );
        }
        Ok(())
    }
}
