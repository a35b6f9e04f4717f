//! Persistence for Kyosai on SQLite (embedded, the default) or PostgreSQL (production).
//!
//! One code path serves both: sqlx's `Any` driver, portable SQL with `$n` placeholders, yen as
//! BIGINT and dates/timestamps as ISO-8601 TEXT. Each backend has its own migration folder because
//! the DDL differs (identity columns). Repository modules are named after the aggregate they own
//! and take a `&mut AnyConnection`, so they work inside the caller's transaction.

pub mod agencies;
pub mod applications;
pub mod audit;
pub mod billing;
pub mod bulk;
pub mod contracts;
pub mod details;
pub mod drafts;
pub mod evidence;
pub mod idempotency;
pub mod inbox;
pub mod ledger;
pub mod loans;
pub mod outbox;
pub mod paid;
pub mod payment_schedule;
pub mod payment_slips;
pub mod payouts;
pub mod premium_changes;
pub mod prepayment;
pub mod rule_sets;
pub mod sessions;
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
        let options = AnyConnectOptions::from_str(&url)?;
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
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
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
    pub async fn begin_write(&self) -> Result<WriteTx> {
        let (gate, tx) = match &self.write_gate {
            Some(g) => (
                Some(g.clone().lock_owned().await),
                self.pool.begin_with("BEGIN IMMEDIATE").await?,
            ),
            None => (None, self.pool.begin().await?),
        };
        Ok(WriteTx { tx, _gate: gate })
    }

    /// A pooled connection for reads. Every write goes through [`Store::begin_write`]: on SQLite a
    /// write outside the gate can fail with SQLITE_BUSY_SNAPSHOT when another writer commits.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
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

    /// Answers when the database does (for /healthz).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
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

/// Increments a named counter and returns its new value (contract serials).
pub async fn next_counter(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    let row = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "value")
}
