//! Several PostgreSQL hosts, one writable: `postgres://user@h1:5432,h2:5433/db` (libpq's
//! multi-host form). Kyosai connects to the host that accepts writes (`pg_is_in_recovery()` is
//! false: libpq's `target_session_attrs=read-write`, which sqlx does not implement), and when the
//! connection to it is lost, looks again, in order, until a host is writable (a promoted
//! standby) or [`FAILOVER_WAIT`] has passed.
//!
//! Only a transaction that has not started is retried here (nothing was sent, so nothing can
//! happen twice). A transaction that dies with its connection fails to its caller; a client
//! retries it with the same `Idempotency-Key`, and the stored key answers with the first result
//! if that one committed (on a synchronous standby, a commit acknowledged by the old primary is
//! on the new one).

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::sync::Mutex;

use crate::{Result, StoreError};

/// How long a request waits for a writable host after losing the primary (the promotion of a
/// standby takes seconds; longer than this is an outage, answered with 503).
pub const FAILOVER_WAIT: Duration = Duration::from_secs(30);

/// How long one host gets to answer a connection attempt.
const HOST_TIMEOUT: Duration = Duration::from_secs(2);

/// The hosts of a multi-host URL, in the order given.
pub(crate) struct Failover {
    hosts: Vec<(String, AnyConnectOptions)>,
    /// One search for the writable host at a time; the others wait for its result.
    searching: Mutex<()>,
}

/// The per-host URLs of `url` when it names several hosts (`h1:p1,h2:p2`); None for one host.
pub(crate) fn split_hosts(url: &str) -> Option<Vec<String>> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    if !hosts.contains(',') {
        return None;
    }
    Some(
        hosts
            .split(',')
            .map(|h| format!("{scheme}://{userinfo}{h}{path}"))
            .collect(),
    )
}

impl Failover {
    pub(crate) fn new(urls: Vec<String>) -> Result<Failover> {
        let hosts = urls
            .into_iter()
            .map(|u| {
                let options = AnyConnectOptions::from_str(&u)?;
                let shown = u.rsplit('@').next().unwrap_or("").to_string();
                Ok((shown, options))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Failover {
            hosts,
            searching: Mutex::new(()),
        })
    }

    /// The first host, in order, that accepts writes now; waits (polling every 250 ms) up to
    /// [`FAILOVER_WAIT`] for one, e.g. while a standby is being promoted.
    pub(crate) async fn writable(&self) -> Result<AnyConnectOptions> {
        let _one = self.searching.lock().await;
        let started = Instant::now();
        loop {
            for (shown, options) in &self.hosts {
                match tokio::time::timeout(HOST_TIMEOUT, accepts_writes(options)).await {
                    Ok(Ok(true)) => {
                        tracing::info!(host = %shown, "writable database host");
                        return Ok(options.clone());
                    }
                    Ok(Ok(false)) => tracing::debug!(host = %shown, "host is a standby"),
                    Ok(Err(e)) => tracing::debug!(host = %shown, error = %e, "host unavailable"),
                    Err(_) => tracing::debug!(host = %shown, "host did not answer"),
                }
            }
            if started.elapsed() >= FAILOVER_WAIT {
                return Err(StoreError::Db(sqlx::Error::PoolTimedOut));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

async fn accepts_writes(options: &AnyConnectOptions) -> Result<bool> {
    let mut conn = options.connect().await?;
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut conn)
        .await?;
    let _ = conn.close().await;
    Ok(!in_recovery)
}

/// Whether `e` means the connection (or the host behind it) is gone or cannot take writes, so
/// another host should be looked for: I/O errors, a pool that could not connect, PostgreSQL's
/// read-only transaction (25006: the host is now a standby) and shutdown/startup states
/// (57P01–57P03, and class 08: connection exceptions).
pub fn is_connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c == "25006" || c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_host_url_becomes_one_url_per_host_in_order() {
        assert_eq!(
            split_hosts(
                "postgres://kyosai:pw@127.0.0.1:5432,127.0.0.1:5433/kyosai?sslmode=disable"
            ),
            Some(vec![
                "postgres://kyosai:pw@127.0.0.1:5432/kyosai?sslmode=disable".to_string(),
                "postgres://kyosai:pw@127.0.0.1:5433/kyosai?sslmode=disable".to_string(),
            ])
        );
        assert_eq!(split_hosts("postgres://kyosai@db:5432/kyosai"), None);
        assert_eq!(
            split_hosts("postgresql://a,b/x"),
            Some(vec!["postgresql://a/x".into(), "postgresql://b/x".into()])
        );
    }
}
