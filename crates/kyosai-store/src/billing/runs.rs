//! Billing runs: one per program and month, with the lease and cursor that make a run resumable
//! by any instance without billing anyone twice.

use sqlx::{AnyConnection, AssertSqlSafe};

use jiff::civil::Date;
use kyosai_domain::billing::RunStatus;
use kyosai_domain::{BillingRunId, ContractId, Program, YearMonth};

use crate::{AnyRow, Result, col, month, typed};

/// The cursor of a run that has billed no contract yet (`billing_runs.cursor_contract_id`
/// defaults to 0): identity columns start at 1, so every contract id is after it.
pub const CURSOR_START: ContractId = ContractId::new(0);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: BillingRunId,
    pub month: YearMonth,
    pub program: Program,
    pub status: RunStatus,
    pub rule_set: String,
    pub debit_date: Date,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub lock_owner: Option<String>,
    pub lock_until: Option<String>,
    pub cursor_contract_id: ContractId,
    /// JSON object: skip reason → count.
    pub skipped: String,
}

const RUN_COLUMNS: &str = "id, month, program, status, rule_set, debit_date, started_at, finished_at, lock_owner, \
    lock_until, cursor_contract_id, skipped";

fn run_from_row(r: &AnyRow) -> Result<Run> {
    const T: &str = "billing_runs";
    Ok(Run {
        id: col(r, "id")?,
        month: typed(r, T, "month", month)?,
        program: typed(r, T, "program", Program::parse)?,
        status: typed(r, T, "status", RunStatus::parse)?,
        rule_set: col(r, "rule_set")?,
        debit_date: typed(r, T, "debit_date", |s| s.parse().ok())?,
        started_at: col(r, "started_at")?,
        finished_at: col(r, "finished_at")?,
        lock_owner: col(r, "lock_owner")?,
        lock_until: col(r, "lock_until")?,
        cursor_contract_id: col(r, "cursor_contract_id")?,
        skipped: col(r, "skipped")?,
    })
}

pub async fn run(conn: &mut AnyConnection, program: &str, month: &str) -> Result<Option<Run>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE program = $1 AND month = $2"
    )))
    .bind(program)
    .bind(month)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(run_from_row).transpose()
}

pub async fn run_by_id(conn: &mut AnyConnection, id: BillingRunId) -> Result<Option<Run>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(run_from_row).transpose()
}

pub async fn runs_for_month(conn: &mut AnyConnection, month: &str) -> Result<Vec<Run>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE month = $1 ORDER BY program"
    )))
    .bind(month)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(run_from_row).collect()
}

/// Creates the run row unless it exists (the UNIQUE (program, month) key makes this safe when
/// several instances start at once).
pub async fn ensure_run(
    conn: &mut AnyConnection,
    program: &str,
    month: &str,
    rule_set: &str,
    debit_date: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO billing_runs (month, program, status, rule_set, debit_date, started_at) \
         VALUES ($1, $2, 'billing', $3, $4, $5) ON CONFLICT (program, month) DO NOTHING",
    )
    .bind(month)
    .bind(program)
    .bind(rule_set)
    .bind(debit_date)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes (or renews) the run's lease for `owner` until `until`. Succeeds when nobody holds it,
/// the holder's lease expired (a crashed instance), or `owner` already holds it.
pub async fn try_lock(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    owner: &str,
    now: &str,
    until: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE billing_runs SET lock_owner = $1, lock_until = $2 WHERE id = $3 \
         AND (lock_owner IS NULL OR lock_owner = $1 OR lock_until < $4)",
    )
    .bind(owner)
    .bind(until)
    .bind(run_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the cursor and renews the lease, in the chunk's transaction. False when `owner` no
/// longer holds the lease (another instance took over): the caller must roll back.
pub async fn checkpoint(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    owner: &str,
    cursor: ContractId,
    skipped: &str,
    until: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE billing_runs SET cursor_contract_id = $1, skipped = $2, lock_until = $3 \
         WHERE id = $4 AND lock_owner = $5",
    )
    .bind(cursor)
    .bind(skipped)
    .bind(until)
    .bind(run_id)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the status (and releases the lease when completed). False when `owner` lost the lease.
pub async fn set_status(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    owner: &str,
    status: RunStatus,
    finished_at: Option<&str>,
) -> Result<bool> {
    let release = status == RunStatus::Completed;
    let done = sqlx::query(
        "UPDATE billing_runs SET status = $1, finished_at = COALESCE($2, finished_at), \
         lock_owner = CASE WHEN $3 = 1 THEN NULL ELSE lock_owner END, \
         lock_until = CASE WHEN $3 = 1 THEN NULL ELSE lock_until END \
         WHERE id = $4 AND lock_owner = $5",
    )
    .bind(status.as_str())
    .bind(finished_at)
    .bind(i64::from(release))
    .bind(run_id)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A run with what staff need to see in a list: its bill lines and exceptions so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunListRow {
    pub run: Run,
    pub line_count: i64,
    pub line_yen: i64,
    pub exception_count: i64,
}

/// The newest runs (by month, then program). A completed run's lines are in its files, so its
/// totals come from `billing_files` (a national run has millions of lines: summing them for
/// every listed run would take seconds); a run in progress is counted live to show progress.
pub async fn recent_runs(conn: &mut AnyConnection, limit: i64) -> Result<Vec<RunListRow>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS}, \
         CASE WHEN r.status = 'completed' \
           THEN (SELECT CAST(COALESCE(SUM(f.record_count), 0) AS BIGINT) FROM billing_files f WHERE f.run_id = r.id) \
           ELSE (SELECT COUNT(*) FROM bill_lines b WHERE b.run_id = r.id) END AS line_count, \
         CASE WHEN r.status = 'completed' \
           THEN (SELECT CAST(COALESCE(SUM(f.total_yen), 0) AS BIGINT) FROM billing_files f WHERE f.run_id = r.id) \
           ELSE (SELECT CAST(COALESCE(SUM(b.amount), 0) AS BIGINT) FROM bill_lines b WHERE b.run_id = r.id) END AS line_yen, \
         (SELECT COUNT(*) FROM billing_exceptions e WHERE e.run_id = r.id) AS exception_count \
         FROM billing_runs r ORDER BY r.month DESC, r.program LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RunListRow {
                run: run_from_row(r)?,
                line_count: col(r, "line_count")?,
                line_yen: col(r, "line_yen")?,
                exception_count: col(r, "exception_count")?,
            })
        })
        .collect()
}
