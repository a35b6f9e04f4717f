//! Persistence for Kyosai on SQLite (embedded, the default) or PostgreSQL (production).
//!
//! One code path serves both: sqlx's `Any` driver, portable SQL with `$n` placeholders, yen as
//! BIGINT and dates/timestamps as ISO-8601 TEXT. Each backend has its own migration folder because
//! the DDL differs (identity columns). Repository modules are named after the aggregate they own
//! and take a `&mut AnyConnection`, so they work inside the caller's transaction.

pub mod agencies;
pub mod applications;
pub mod audit;
pub mod backup;
pub mod bankruptcy_loans;
pub mod billing;
pub mod bulk;
pub mod caller_checks;
pub mod claims;
pub mod contracts;
pub mod details;
pub mod documents;
pub mod drafts;
pub mod evidence;
pub mod failover;
pub mod health;
pub mod idempotency;
pub mod inbox;
pub mod inquiries;
pub mod integrity;
pub mod ledger;
pub mod loan_billing;
pub mod loans;
pub mod login_throttle;
pub mod outbox;
mod packed;
pub mod paid;
pub mod paper;
pub mod payment_schedule;
pub mod payment_slips;
pub mod payouts;
pub mod premium_changes;
pub mod prepayment;
pub mod recovery;
pub mod rule_sets;
pub mod scorecard;
pub mod sessions;
pub mod surveys;
pub mod synthetic;
pub mod termination;
pub mod testing;
pub mod tokens;
pub mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use sqlx::Row;
pub use sqlx::any::AnyRow;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// The operation does not exist for this backend (what to use instead is in the message).
    #[error("{0}")]
    NotForThisBackend(&'static str),
    /// A file to create exists already.
    #[error("{0} exists; a backup never overwrites a file")]
    Exists(String),
}

impl StoreError {
    /// A UNIQUE constraint refused the write: another transaction did the same thing first.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool plus, for SQLite, a gate that lets one write transaction run at a time.
///
/// SQLite allows one writer; transactions that start deferred and upgrade to a write lock fail
/// with SQLITE_BUSY under concurrency. Queuing writers in the process is both simpler and faster
/// than retrying. PostgreSQL needs no gate.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    write_gate: Option<Arc<Mutex<()>>>,
    /// PostgreSQL with several hosts: where to look for the writable one after losing it.
    failover: Option<Arc<failover::Failover>>,
    /// The key of the audit chain ([`audit::AuditKey`]); the development key until
    /// [`Store::with_audit_key`].
    audit_key: Arc<audit::AuditKey>,
}

/// A write transaction; commit it or it rolls back on drop.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). SQLite files are created if
    /// missing and run in WAL mode with foreign keys on.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let failover = match backend {
            Backend::Postgres => failover::split_hosts(&url)
                .map(failover::Failover::new)
                .transpose()?
                .map(Arc::new),
            Backend::Sqlite => None,
        };
        let options = match &failover {
            Some(f) => f.writable().await?,
            None => AnyConnectOptions::from_str(&url)?,
        };
        let several_hosts = failover.is_some();
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            // Checkpoints run in the background (Store::checkpoint); this is
                            // only the safety net, so a commit rarely pays for one.
                            conn.execute("PRAGMA wal_autocheckpoint = 8000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    // Each PostgreSQL backend loads its caches and prepares every statement on
                    // first use, and the pool hands its connections out in turn: with 16 per
                    // instance the first second of load paid for 32 cold backends (p99 250–290
                    // ms), with 8 half that, and the steady state was the same (BENCHMARKS,
                    // session 13). Two instances then keep 16 backends, several per core of
                    // a database host of this size.
                    .max_connections(8)
                    // With several hosts, a lost primary must be noticed in seconds to look
                    // for the promoted standby (failover::FAILOVER_WAIT bounds the whole wait).
                    .acquire_timeout(if several_hosts {
                        Duration::from_secs(3)
                    } else {
                        Duration::from_secs(30)
                    })
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            if several_hosts {
                                // Never hand out a connection to a standby (the pool may
                                // reconnect to a host that was demoted meanwhile).
                                let standby: bool =
                                    sqlx::query_scalar("SELECT pg_is_in_recovery()")
                                        .fetch_one(&mut *conn)
                                        .await?;
                                if standby {
                                    return Err(sqlx::Error::Protocol(
                                        "host is a standby (read-only)".into(),
                                    ));
                                }
                            }
                            // The billing chunk queries look expensive to the planner (millions
                            // of contracts) and PostgreSQL then JIT-compiles them: half of each
                            // chunk's time went to compiling, for queries that run 0.2 s.
                            conn.execute("SET jit = off").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
        };
        Ok(Store {
            pool,
            backend,
            write_gate: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
            failover,
            audit_key: Arc::new(audit::AuditKey::development()),
        })
    }

    /// Applies the backend's migrations that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The same store, chaining audit rows with `key` (read from a file outside the database).
    pub fn with_audit_key(mut self, key: audit::AuditKey) -> Store {
        self.audit_key = Arc::new(key);
        self
    }

    pub fn audit_key(&self) -> &audit::AuditKey {
        &self.audit_key
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction (queued behind other writers on SQLite).
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at the start, waiting (busy
    /// timeout) for a writer of another process. A deferred transaction that reads first and
    /// then writes cannot wait when another connection wrote in between: SQLite answers
    /// "database is locked" at once (two instances on one file starting a billing run did).
    ///
    /// With several PostgreSQL hosts, a lost connection at the start is retried on the writable
    /// host (see [`failover`]): nothing has been sent yet, so this is always safe.
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let (gate, tx) = match &self.write_gate {
            Some(g) => (
                Some(g.clone().lock_owned().await),
                self.pool.begin_with("BEGIN IMMEDIATE").await?,
            ),
            None => (None, self.with_failover(|| self.pool.begin()).await?),
        };
        Ok(WriteTx { tx, _gate: gate })
    }

    /// A pooled connection for reads. Every write goes through [`Store::begin_write`]: on SQLite a
    /// write outside the gate can fail with SQLITE_BUSY_SNAPSHOT when another writer commits.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        self.with_failover(|| self.pool.acquire()).await
    }

    /// Opens every connection the pool may hold, before the server takes requests: otherwise
    /// the first second of load pays for opening them (on PostgreSQL a process, a login and
    /// empty caches each), and on PostgreSQL the first second's p99 was the worst of a run.
    pub async fn open_all_connections(&self) -> Result<()> {
        let mut held = Vec::new();
        for _ in 0..self.pool.options().get_max_connections() {
            let mut conn = self.read().await?;
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            held.push(conn);
        }
        Ok(())
    }

    /// Runs `start` (acquiring a connection or beginning a transaction); when it fails because
    /// the host is gone and several hosts are configured, points the pool at the writable host
    /// and tries again, for at most [`failover::FAILOVER_WAIT`].
    async fn with_failover<T, F>(&self, start: impl Fn() -> F) -> Result<T>
    where
        F: std::future::Future<Output = std::result::Result<T, sqlx::Error>>,
    {
        let started = std::time::Instant::now();
        loop {
            match start().await {
                Ok(t) => return Ok(t),
                Err(e) => match &self.failover {
                    Some(f)
                        if failover::is_connection_lost(&e)
                            && started.elapsed() < failover::FAILOVER_WAIT =>
                    {
                        tracing::warn!(error = %e, "database connection lost; looking for the writable host");
                        self.pool.set_connect_options(f.writable().await?);
                    }
                    _ => return Err(e.into()),
                },
            }
        }
    }

    /// Copies committed WAL pages into the SQLite database file without blocking writers (PASSIVE).
    /// The server calls it every second so member requests do not pay for checkpoints. No-op on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Answers when the database does (for /healthz and the web layer's outage probe). Goes
    /// through [`Store::read`], so with several hosts a probe after losing the primary also
    /// finds the promoted standby (the probe is what ends the web layer's 503s).
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.read().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Current UTC time as stored: RFC 3339 with second precision.
pub fn timestamp_text(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// SHA-256 hex digest, used to store tokens and session ids without keeping the secret itself.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Reads a row column, mapping a decode problem to [`StoreError`].
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    Ok(row.try_get(name)?)
}

/// Parses a stored value into a domain value; one that does not parse is
/// [`StoreError::Corrupt`] naming where it was (`table.column`) and the value, so callers get
/// typed rows only.
pub(crate) fn decode<T>(
    place: &str,
    raw: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    parse(raw).ok_or_else(|| StoreError::Corrupt(format!("{place}: {raw}")))
}

/// [`decode`] of a text column.
pub(crate) fn typed<T>(
    row: &AnyRow,
    table: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    let raw: String = col(row, name)?;
    decode(&format!("{table}.{name}"), &raw, parse)
}

/// [`typed`] for a nullable column.
pub(crate) fn typed_opt<T>(
    row: &AnyRow,
    table: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>> {
    let raw: Option<String> = col(row, name)?;
    raw.map(|raw| decode(&format!("{table}.{name}"), &raw, parse))
        .transpose()
}

/// `YYYY-MM` as stored.
pub(crate) fn month(s: &str) -> Option<kyosai_domain::YearMonth> {
    s.parse().ok()
}

/// The next contract serial: on SQLite the `counters` row (gap-free: one writer at a time); on
/// PostgreSQL a sequence, which concurrent enrollments draw from without waiting for each
/// other's commits (a rolled-back enrollment leaves a gap; migration 0037).
pub async fn next_contract_serial(conn: &mut AnyConnection) -> Result<i64> {
    let sql = if bulk::is_sqlite(conn) {
        "UPDATE counters SET value = value + 1 WHERE name = 'contract_serial' RETURNING value"
    } else {
        "SELECT nextval('contract_serial') AS value"
    };
    let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
    col(&row, "value")
}
