//! What operators watch: readiness (reachable, writable, migrations current), the outbox's depth
//! and age, billing-run progress and the connection pool. Read at scrape time, so the figures
//! are the database's, whichever instance answers.

use sqlx::AnyConnection;

use crate::{Backend, Result, Store, col};

/// The outbox as the delivery loop sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxStats {
    /// Undelivered items.
    pub pending: i64,
    /// Undelivered items that failed at least once (the mail server refused or was down).
    pub retrying: i64,
    /// When the oldest undelivered item was written (None: nothing waits).
    pub oldest_created_at: Option<String>,
}

pub async fn outbox_stats(conn: &mut AnyConnection) -> Result<OutboxStats> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS pending, \
         CAST(COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS retrying, \
         MIN(created_at) AS oldest FROM outbox WHERE processed_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(OutboxStats {
        pending: col(&row, "pending")?,
        retrying: col(&row, "retrying")?,
        oldest_created_at: col(&row, "oldest")?,
    })
}

/// One billing run's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunProgress {
    pub program: String,
    pub month: String,
    /// `billing`, `writing_files` or `completed`.
    pub status: String,
    /// Bill lines written so far.
    pub lines: i64,
    /// Request files written so far.
    pub files: i64,
}

/// Runs not yet completed, and each program's latest run (usually the one just completed).
pub async fn billing_progress(conn: &mut AnyConnection) -> Result<Vec<RunProgress>> {
    let rows = sqlx::query(
        "SELECT r.program, r.month, r.status, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM bill_lines l WHERE l.run_id = r.id) AS lines, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM billing_files f WHERE f.run_id = r.id) AS files \
         FROM billing_runs r WHERE r.status <> 'completed' \
         OR r.id IN (SELECT MAX(id) FROM billing_runs GROUP BY program) ORDER BY r.program, r.month",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RunProgress {
                program: col(r, "program")?,
                month: col(r, "month")?,
                status: col(r, "status")?,
                lines: col(r, "lines")?,
                files: col(r, "files")?,
            })
        })
        .collect()
}

/// Connections in the pool now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// Why the database is not ready to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// No answer (down, refused, or the pool is closed).
    Unreachable(String),
    /// It answers but refuses writes (a standby, a read-only file system).
    ReadOnly(String),
    /// Migrations this binary knows have not run (or the database has ones it does not know).
    Migrations {
        missing: Vec<i64>,
        unknown: Vec<i64>,
    },
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::Unreachable(e) => write!(f, "database unreachable: {e}"),
            NotReady::ReadOnly(e) => write!(f, "database not writable: {e}"),
            NotReady::Migrations { missing, unknown } => write!(
                f,
                "migrations not current (missing {missing:?}, unknown to this binary {unknown:?})"
            ),
        }
    }
}

impl Store {
    /// Pool use, for `/metrics`.
    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle(),
            max: self.pool.options().get_max_connections(),
        }
    }

    /// Whether this instance can serve: the database answers, accepts a write (checked with an
    /// UPDATE that matches no row, rolled back: a PostgreSQL standby or a read-only SQLite file
    /// refuses it all the same), and has exactly the migrations this binary carries.
    pub async fn readiness(&self) -> std::result::Result<(), NotReady> {
        let unreachable = |e: crate::StoreError| NotReady::Unreachable(e.to_string());
        self.ping().await.map_err(unreachable)?;
        let mut tx = self.begin_write().await.map_err(|e| match e {
            crate::StoreError::Db(sqlx::Error::Database(d)) => {
                NotReady::ReadOnly(d.message().to_string())
            }
            e => unreachable(e),
        })?;
        if let Err(e) = sqlx::query("UPDATE counters SET value = value WHERE name = ''")
            .execute(tx.conn())
            .await
        {
            return Err(match e {
                sqlx::Error::Database(d) => NotReady::ReadOnly(d.message().to_string()),
                e => NotReady::Unreachable(e.to_string()),
            });
        }
        drop(tx);
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| NotReady::Unreachable(e.to_string()))?;
        let known: Vec<i64> = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite")
                .iter()
                .map(|m| m.version)
                .collect(),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres")
                .iter()
                .map(|m| m.version)
                .collect(),
        };
        let missing: Vec<i64> = known
            .iter()
            .filter(|v| !applied.contains(v))
            .copied()
            .collect();
        let unknown: Vec<i64> = applied
            .iter()
            .filter(|v| !known.contains(v))
            .copied()
            .collect();
        if missing.is_empty() && unknown.is_empty() {
            Ok(())
        } else {
            Err(NotReady::Migrations { missing, unknown })
        }
    }
}

/// Payouts by status (`scheduled`, `paid`, `held`): how many and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutTotals {
    pub status: String,
    pub count: i64,
    pub yen: i64,
}

/// The latest payout run: its transfer date, its sequence that day, what it paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastPayoutRun {
    pub transfer_date: String,
    pub seq: i64,
    pub payouts: i64,
    pub yen: i64,
}

pub async fn payout_totals(conn: &mut AnyConnection) -> Result<Vec<PayoutTotals>> {
    let rows = sqlx::query(
        "SELECT status, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS yen \
         FROM payouts GROUP BY status ORDER BY status",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PayoutTotals {
                status: col(r, "status")?,
                count: col(r, "n")?,
                yen: col(r, "yen")?,
            })
        })
        .collect()
}

pub async fn last_payout_run(conn: &mut AnyConnection) -> Result<Option<LastPayoutRun>> {
    let row = sqlx::query(
        "SELECT transfer_date, seq, payout_count, total_yen FROM payout_runs ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(LastPayoutRun {
            transfer_date: col(&r, "transfer_date")?,
            seq: col(&r, "seq")?,
            payouts: col(&r, "payout_count")?,
            yen: col(&r, "total_yen")?,
        })
    })
    .transpose()
}
