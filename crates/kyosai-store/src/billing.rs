//! Billing runs, bill lines, request files, result imports and the premium ledger (issue #4).
//!
//! The ledger (`billing_ledger`) is append-only: the database refuses UPDATE and DELETE on it.
//! Bulk writes use multi-row INSERTs (a few hundred rows per statement) so a national billing
//! run stays close to the database's own insert speed.

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{AnyRow, Result, bulk, col};

/// Rows per multi-row INSERT (bill_lines takes 20 columns: 20 × 400 < SQLite's 32,766 limit).
const ROWS_PER_INSERT: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originator {
    pub id: i64,
    pub program: String,
    pub code: String,
    pub name_kana: String,
    pub bank_code: String,
    pub bank_name_kana: String,
    pub branch_code: String,
    pub branch_name_kana: String,
    pub account_type: String,
    pub account_number: String,
    /// `*` or comma-separated member bank codes.
    pub member_banks: String,
    pub line_ending: String,
}

pub async fn originators(conn: &mut AnyConnection, program: &str) -> Result<Vec<Originator>> {
    let rows = sqlx::query(
        "SELECT id, program, code, name_kana, bank_code, bank_name_kana, branch_code, branch_name_kana, \
         account_type, account_number, member_banks, line_ending FROM billing_originators WHERE program = $1 ORDER BY id",
    )
    .bind(program)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Originator {
                id: col(r, "id")?,
                program: col(r, "program")?,
                code: col(r, "code")?,
                name_kana: col(r, "name_kana")?,
                bank_code: col(r, "bank_code")?,
                bank_name_kana: col(r, "bank_name_kana")?,
                branch_code: col(r, "branch_code")?,
                branch_name_kana: col(r, "branch_name_kana")?,
                account_type: col(r, "account_type")?,
                account_number: col(r, "account_number")?,
                member_banks: col(r, "member_banks")?,
                line_ending: col(r, "line_ending")?,
            })
        })
        .collect()
}

/// Adds an originator (configuration; also used by tests and the synthetic book).
pub async fn insert_originator(conn: &mut AnyConnection, o: &Originator) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO billing_originators (program, code, name_kana, bank_code, bank_name_kana, branch_code, \
         branch_name_kana, account_type, account_number, member_banks, line_ending) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&o.program)
    .bind(&o.code)
    .bind(&o.name_kana)
    .bind(&o.bank_code)
    .bind(&o.bank_name_kana)
    .bind(&o.branch_code)
    .bind(&o.branch_name_kana)
    .bind(&o.account_type)
    .bind(&o.account_number)
    .bind(&o.member_banks)
    .bind(&o.line_ending)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub month: String,
    pub program: String,
    /// `billing`, `writing_files`, `completed`.
    pub status: String,
    pub rule_set: String,
    pub debit_date: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub lock_owner: Option<String>,
    pub lock_until: Option<String>,
    pub cursor_contract_id: i64,
    /// JSON object: skip reason → count.
    pub skipped: String,
}

const RUN_COLUMNS: &str = "id, month, program, status, rule_set, debit_date, started_at, finished_at, lock_owner, \
    lock_until, cursor_contract_id, skipped";

fn run_from_row(r: &AnyRow) -> Result<Run> {
    Ok(Run {
        id: col(r, "id")?,
        month: col(r, "month")?,
        program: col(r, "program")?,
        status: col(r, "status")?,
        rule_set: col(r, "rule_set")?,
        debit_date: col(r, "debit_date")?,
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
    run_id: i64,
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
    run_id: i64,
    owner: &str,
    cursor: i64,
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
    run_id: i64,
    owner: &str,
    status: &str,
    finished_at: Option<&str>,
) -> Result<bool> {
    let release = status == "completed";
    let done = sqlx::query(
        "UPDATE billing_runs SET status = $1, finished_at = COALESCE($2, finished_at), \
         lock_owner = CASE WHEN $3 = 1 THEN NULL ELSE lock_owner END, \
         lock_until = CASE WHEN $3 = 1 THEN NULL ELSE lock_until END \
         WHERE id = $4 AND lock_owner = $5",
    )
    .bind(status)
    .bind(finished_at)
    .bind(i64::from(release))
    .bind(run_id)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A contract with the mandate in force for the month, as billing reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableContract {
    pub id: i64,
    pub monthly_premium: i64,
    pub frequency: String,
    pub first_debit_month: String,
    pub prepaid_until: Option<String>,
    pub suspended_from: Option<String>,
    /// The mandate in force for the month, usable or not.
    pub mandate: Option<MandateSnapshot>,
    /// False when the mandate in force was made unusable by a result (codes 2, 3, 4).
    pub mandate_usable: bool,
    /// Collected total including the opening balance (only when asked for; else 0).
    pub collected: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSnapshot {
    pub id: i64,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
    /// Registered by an account change and not debited yet: its first record says so to the
    /// bank (Zengin 新規コード 2, 変更分).
    pub changed_unused: bool,
}

/// Active contracts of `program` after `after_id`, by id, with the mandate in force for
/// `month` (and whether it is usable) and, when `with_collected`, their collected total
/// (opening balance included).
///
/// The mandate in force is the newest whose `effective_month` is not after `month`
/// (`contracts::in_force`), so an account registered on or after the month's cut-off is used
/// from the next month and the previous one (even if `replaced`) still for this month; an
/// `unusable` one in force makes the month's line a withheld one.
///
/// The contracts come from the `contracts_billing` (program, status, id) index; the mandate and
/// the ledger sum are index seeks per contract (`mandates_contract`,
/// `billing_ledger_contract`), so the cost is proportional to the chunk, not to the id range it
/// spans (the programs' ids interleave).
pub async fn billable_chunk(
    conn: &mut AnyConnection,
    program: &str,
    month: &str,
    after_id: i64,
    limit: i64,
    with_collected: bool,
) -> Result<Vec<BillableContract>> {
    let collected = if with_collected {
        "(SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM billing_ledger l \
         WHERE l.contract_id = c.id AND l.kind IN ('opening', 'collected'))"
    } else {
        "CAST(0 AS BIGINT)"
    };
    let (agg_open, agg_close) = json_agg(conn);
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {agg_open}t.id, t.monthly_premium, t.frequency, t.first_debit_month, t.prepaid_until, \
         t.suspended_from, t.mandate_id, t.bank_code, t.branch_code, t.account_type, t.account_number, \
         t.holder_kana, t.collected, t.changed_unused, t.usable{agg_close} AS j FROM (\
         SELECT c.id, c.monthly_premium, c.frequency, c.first_debit_month, c.prepaid_until, c.suspended_from, \
         m.id AS mandate_id, m.bank_code, m.branch_code, m.account_type, m.account_number, m.holder_kana, \
         {collected} AS collected, \
         CASE WHEN m.effective_month IS NULL THEN 0 \
              WHEN EXISTS (SELECT 1 FROM bill_lines b WHERE b.contract_id = c.id AND b.mandate_id = m.id) THEN 0 \
              ELSE 1 END AS changed_unused, \
         CASE WHEN m.status = 'unusable' THEN 0 ELSE 1 END AS usable \
         FROM contracts c LEFT JOIN mandates m ON m.id = \
           (SELECT MAX(x.id) FROM mandates x WHERE x.contract_id = c.id \
            AND COALESCE(x.effective_month, '') <= $4) \
         WHERE c.program = $1 AND c.status = 'active' AND c.id > $2 ORDER BY c.id LIMIT $3) t"
    )))
    .bind(program)
    .bind(after_id)
    .bind(limit)
    .bind(month)
    .fetch_one(&mut *conn)
    .await?;
    type Packed = (
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        i64,
        i64,
    );
    let text: String = col(&row, "j")?;
    let packed: Vec<Packed> = serde_json::from_str(&text)
        .map_err(|e| crate::StoreError::Corrupt(format!("billable chunk: {e}")))?;
    let mut out: Vec<BillableContract> = packed
        .into_iter()
        .map(|p| BillableContract {
            id: p.0,
            monthly_premium: p.1,
            frequency: p.2,
            first_debit_month: p.3,
            prepaid_until: p.4,
            suspended_from: p.5,
            mandate: p.6.map(|id| MandateSnapshot {
                id,
                bank_code: p.7.unwrap_or_default(),
                branch_code: p.8.unwrap_or_default(),
                account_type: p.9.unwrap_or_default(),
                account_number: p.10.unwrap_or_default(),
                holder_kana: p.11.unwrap_or_default(),
                changed_unused: p.13 == 1,
            }),
            mandate_usable: p.14 == 1,
            collected: p.12,
        })
        .collect();
    out.sort_by_key(|c| c.id);
    Ok(out)
}

/// Wraps a select list so a whole result comes back as one JSON text (an array of arrays,
/// ordered by `t.id`): `{open}col, col…{close}`. Decoding rows one by one through the `Any`
/// driver costs about 10 µs per row; one JSON value per chunk costs a fraction of that.
fn json_agg(conn: &AnyConnection) -> (&'static str, &'static str) {
    if is_sqlite(conn) {
        ("json_group_array(json_array(", "))")
    } else {
        (
            "COALESCE(json_agg(json_build_array(",
            ") ORDER BY t.id), '[]'::json)::text",
        )
    }
}

/// (contract id, effective month, monthly premium) for contracts in `from..=to`.
pub async fn premium_changes_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, String, i64)>> {
    let rows = sqlx::query(
        "SELECT contract_id, effective_month, monthly_premium FROM premium_changes \
         WHERE contract_id >= $1 AND contract_id <= $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                col(r, "contract_id")?,
                col(r, "effective_month")?,
                col(r, "monthly_premium")?,
            ))
        })
        .collect()
}

/// (contract id, collected total including the opening balance) for contracts in `from..=to`.
pub async fn collected_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT contract_id, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM billing_ledger \
         WHERE contract_id >= $1 AND contract_id <= $2 AND kind IN ('opening', 'collected') GROUP BY contract_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "contract_id")?, col(r, "total")?)))
        .collect()
}

/// A bill line with its result, for replaying a contract's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWithResult {
    pub id: i64,
    pub contract_id: i64,
    pub month: String,
    pub amount: i64,
    pub items: String,
    /// `collected`, `failed` or None (no result yet).
    pub result: Option<String>,
    pub result_code: Option<i64>,
}

fn line_with_result(r: &AnyRow) -> Result<LineWithResult> {
    Ok(LineWithResult {
        id: col(r, "id")?,
        contract_id: col(r, "contract_id")?,
        month: col(r, "month")?,
        amount: col(r, "amount")?,
        items: col(r, "items")?,
        result: col(r, "result")?,
        result_code: col(r, "result_code")?,
    })
}

const LINE_RESULT_SELECT: &str = "SELECT b.id, b.contract_id, b.month, b.amount, b.items, l.kind AS result, l.result_code \
    FROM bill_lines b LEFT JOIN billing_ledger l ON l.bill_line_id = b.id AND l.kind IN ('collected', 'failed')";

/// Lines (with results) that matter for the standing of contracts in `from..=to` billed from
/// `since` to before `before`: every line of a contract with a failed debit, and lines still
/// without a result for the others.
pub async fn open_lines_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    since: &str,
    before: &str,
) -> Result<Vec<LineWithResult>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{LINE_RESULT_SELECT} WHERE b.contract_id >= $1 AND b.contract_id <= $2 AND b.month >= $3 AND b.month < $4 \
         AND (l.kind IS NULL OR b.contract_id IN (SELECT f.contract_id FROM billing_ledger f \
              WHERE f.kind = 'failed' AND f.contract_id >= $1 AND f.contract_id <= $2)) \
         ORDER BY b.contract_id, b.id"
    )))
    .bind(from)
    .bind(to)
    .bind(since)
    .bind(before)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(line_with_result).collect()
}

/// Every line of one contract with its result, oldest first.
pub async fn lines_for_contract(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<LineWithResult>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{LINE_RESULT_SELECT} WHERE b.contract_id = $1 ORDER BY b.id"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(line_with_result).collect()
}

/// A bill line to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub contract_id: i64,
    pub originator_id: i64,
    pub amount: i64,
    pub monthly_premium: i64,
    pub frequency: String,
    pub months_covered: i64,
    pub premium_amount: i64,
    pub arrears_months: i64,
    pub arrears_amount: i64,
    pub paid_before: i64,
    pub items: String,
    pub new_code: i64,
    pub mandate: MandateSnapshot,
    /// Due but not sent: the mandate in force is unusable (see migration 0006).
    pub withheld: bool,
}

/// Inserts a chunk's bill lines.
pub async fn insert_lines(
    conn: &mut AnyConnection,
    run_id: i64,
    month: &str,
    lines: &[NewLine],
) -> Result<()> {
    use bulk::Cell::{Int, Text};
    bulk::insert(
        conn,
        "bill_lines",
        &[
            "run_id",
            "contract_id",
            "month",
            "originator_id",
            "amount",
            "monthly_premium",
            "frequency",
            "months_covered",
            "premium_amount",
            "arrears_months",
            "arrears_amount",
            "paid_before",
            "items",
            "new_code",
            "mandate_id",
            "bank_code",
            "branch_code",
            "account_type",
            "account_number",
            "holder_kana",
            "withheld",
        ],
        lines,
        |l| {
            vec![
                Int(run_id),
                Int(l.contract_id),
                Text(month),
                Int(l.originator_id),
                Int(l.amount),
                Int(l.monthly_premium),
                Text(&l.frequency),
                Int(l.months_covered),
                Int(l.premium_amount),
                Int(l.arrears_months),
                Int(l.arrears_amount),
                Int(l.paid_before),
                Text(&l.items),
                Int(l.new_code),
                Int(l.mandate.id),
                Text(&l.mandate.bank_code),
                Text(&l.mandate.branch_code),
                Text(&l.mandate.account_type),
                Text(&l.mandate.account_number),
                Text(&l.mandate.holder_kana),
                Int(i64::from(l.withheld)),
            ]
        },
    )
    .await
}

/// Page cache for a bulk billing transaction on SQLite (32 MiB instead of the default 2 MiB):
/// the chunk's index pages stay in memory instead of being re-read from the OS. Per connection,
/// so at most 8 × 32 MiB with the pool's 8 connections. No-op on PostgreSQL.
pub async fn bulk_cache(conn: &mut AnyConnection) -> Result<()> {
    if is_sqlite(conn) {
        sqlx::query("PRAGMA cache_size = -32768")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// True when `conn` is SQLite (bulk statements then use anonymous `?` placeholders).
pub fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` columns; `(?, ?, …), (…)` when `anonymous`.
///
/// On SQLite, sqlx resolves every *named* parameter (`$n`) with `sqlite3_bind_parameter_name`,
/// a linear scan of the statement's parameter list: binding a multi-row INSERT with thousands of
/// `$n` parameters is quadratic (it was 80% of a billing run's time). Anonymous `?` parameters
/// are bound by position in constant time. PostgreSQL needs `$n`.
pub fn push_placeholders(sql: &mut String, rows: usize, cols: usize, anonymous: bool) {
    use std::fmt::Write;
    let mut n = 1;
    sql.reserve(rows * cols * if anonymous { 3 } else { 8 });
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
            } else {
                let _ = write!(sql, "${n}");
            }
            n += 1;
        }
        sql.push(')');
    }
}

/// Posts a `billed` ledger entry for each line of the run for contracts in `from..=to` (the
/// chunk just inserted), and for each withheld line its result at once: `failed`, result code 4
/// (no usable mandate), so the month is unpaid like any failed debit and re-billed by the cycle.
/// One statement each (a range on the UNIQUE (contract_id, month) index).
///
/// `run_id + 0` keeps the planner off `bill_lines_run (run_id, …)`: SQLite otherwise prefers
/// that equality and scans every line of the run so far for each chunk (quadratic: 37 s of a
/// 2.3M-contract run).
pub async fn post_billed(
    conn: &mut AnyConnection,
    run_id: i64,
    month: &str,
    from: i64,
    to: i64,
    now: &str,
) -> Result<u64> {
    const CHUNK_LINES: &str = "FROM bill_lines WHERE contract_id >= $3 AND contract_id <= $4 AND month = $5 AND run_id + 0 = $2";
    let mut posted = 0;
    for sql in [
        format!(
            "INSERT INTO billing_ledger (contract_id, bill_line_id, month, kind, amount, months, at) \
             SELECT contract_id, id, month, 'billed', amount, months_covered + arrears_months, $1 {CHUNK_LINES}"
        ),
        format!(
            "INSERT INTO billing_ledger (contract_id, bill_line_id, month, kind, amount, months, result_code, reason, at) \
             SELECT contract_id, id, month, 'failed', amount, months_covered + arrears_months, 4, 'no_usable_mandate', $1 \
             {CHUNK_LINES} AND withheld = 1"
        ),
    ] {
        posted += sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(run_id)
            .bind(from)
            .bind(to)
            .bind(month)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(posted)
}

pub async fn insert_exception(
    conn: &mut AnyConnection,
    run_id: i64,
    contract_id: i64,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO billing_exceptions (run_id, contract_id, reason) VALUES ($1, $2, $3) \
         ON CONFLICT (run_id, contract_id) DO NOTHING",
    )
    .bind(run_id)
    .bind(contract_id)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn exceptions(conn: &mut AnyConnection, run_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT contract_id, reason FROM billing_exceptions WHERE run_id = $1 ORDER BY contract_id",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "contract_id")?, col(r, "reason")?)))
        .collect()
}

/// Records a notice once per contract and kind; true when it is new (send it).
pub async fn record_notice(
    conn: &mut AnyConnection,
    contract_id: i64,
    kind: &str,
    month: &str,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO billing_notices (contract_id, kind, month, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (contract_id, kind) DO NOTHING",
    )
    .bind(contract_id)
    .bind(kind)
    .bind(month)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records notices (contract id, kind) once per contract and kind, with multi-row INSERTs;
/// returns the ones that are new (send them), by contract id.
pub async fn record_notices(
    conn: &mut AnyConnection,
    notices: &[(i64, &str)],
    month: &str,
    now: &str,
) -> Result<Vec<(i64, String)>> {
    let anonymous = is_sqlite(conn);
    let mut out = Vec::new();
    for batch in notices.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO billing_notices (contract_id, kind, month, created_at) VALUES ",
        );
        push_placeholders(&mut sql, batch.len(), 4, anonymous);
        sql.push_str(" ON CONFLICT (contract_id, kind) DO NOTHING RETURNING contract_id, kind");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (cid, kind) in batch {
            q = q.bind(*cid).bind(*kind).bind(month).bind(now);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push((col(&r, "contract_id")?, col(&r, "kind")?));
        }
    }
    out.sort();
    Ok(out)
}

/// Appends outbox items of one kind with multi-row INSERTs: the same rows, in the same order,
/// as `outbox::enqueue` called for each payload.
pub async fn enqueue_outbox(
    conn: &mut AnyConnection,
    kind: &str,
    payloads: &[String],
    now: &str,
) -> Result<()> {
    let anonymous = is_sqlite(conn);
    for batch in payloads.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from("INSERT INTO outbox (kind, payload, created_at) VALUES ");
        push_placeholders(&mut sql, batch.len(), 3, anonymous);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for p in batch {
            q = q.bind(kind).bind(p.as_str()).bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Who to write to about a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub number: String,
    pub email: String,
    pub program: String,
}

/// The contact of several contracts, by contract id.
pub async fn contacts(
    conn: &mut AnyConnection,
    contract_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Contact>> {
    let anonymous = is_sqlite(conn);
    let mut out = std::collections::HashMap::with_capacity(contract_ids.len());
    for batch in contract_ids.chunks(1_000) {
        let mut sql = String::from(
            "SELECT c.id, c.number, c.program, u.email FROM contracts c JOIN users u ON u.id = c.member_id WHERE c.id IN ",
        );
        let mut ph = String::new();
        push_placeholders(&mut ph, 1, batch.len(), anonymous);
        sql.push_str(&ph);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in batch {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(
                col(&r, "id")?,
                Contact {
                    number: col(&r, "number")?,
                    email: col(&r, "email")?,
                    program: col(&r, "program")?,
                },
            );
        }
    }
    Ok(out)
}

/// A stored line as the file writer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    pub id: i64,
    pub amount: i64,
    pub new_code: i64,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
}

/// Lines of a run for one originator after `after_id`, by id (one JSON value per page).
pub async fn file_lines(
    conn: &mut AnyConnection,
    run_id: i64,
    originator_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<FileLine>> {
    let (agg_open, agg_close) = json_agg(conn);
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {agg_open}t.id, t.amount, t.new_code, t.bank_code, t.branch_code, t.account_type, \
         t.account_number, t.holder_kana{agg_close} AS j FROM (\
         SELECT id, amount, new_code, bank_code, branch_code, account_type, account_number, holder_kana \
         FROM bill_lines WHERE run_id = $1 AND originator_id = $2 AND id > $3 AND withheld = 0 ORDER BY id LIMIT $4) t"
    )))
    .bind(run_id)
    .bind(originator_id)
    .bind(after_id)
    .bind(limit)
    .fetch_one(&mut *conn)
    .await?;
    type Packed = (i64, i64, i64, String, String, String, String, String);
    let text: String = col(&row, "j")?;
    let packed: Vec<Packed> = serde_json::from_str(&text)
        .map_err(|e| crate::StoreError::Corrupt(format!("file lines: {e}")))?;
    let mut out: Vec<FileLine> = packed
        .into_iter()
        .map(|p| FileLine {
            id: p.0,
            amount: p.1,
            new_code: p.2,
            bank_code: p.3,
            branch_code: p.4,
            account_type: p.5,
            account_number: p.6,
            holder_kana: p.7,
        })
        .collect();
    out.sort_by_key(|l| l.id);
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    pub run_id: i64,
    pub originator_id: i64,
    pub seq: i64,
    pub name: String,
    pub first_line_id: i64,
    pub last_line_id: i64,
    pub record_count: i64,
    pub total_yen: i64,
    pub sha256: String,
}

/// Records a written file; a rewrite of the same file must have the same digest.
pub async fn upsert_file(conn: &mut AnyConnection, f: &FileRow, now: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO billing_files (run_id, originator_id, seq, name, first_line_id, last_line_id, record_count, \
         total_yen, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (run_id, originator_id, seq) DO NOTHING",
    )
    .bind(f.run_id)
    .bind(f.originator_id)
    .bind(f.seq)
    .bind(&f.name)
    .bind(f.first_line_id)
    .bind(f.last_line_id)
    .bind(f.record_count)
    .bind(f.total_yen)
    .bind(&f.sha256)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn files(conn: &mut AnyConnection, run_id: i64) -> Result<Vec<FileRow>> {
    let rows = sqlx::query(
        "SELECT run_id, originator_id, seq, name, first_line_id, last_line_id, record_count, total_yen, sha256 \
         FROM billing_files WHERE run_id = $1 ORDER BY originator_id, seq",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FileRow {
                run_id: col(r, "run_id")?,
                originator_id: col(r, "originator_id")?,
                seq: col(r, "seq")?,
                name: col(r, "name")?,
                first_line_id: col(r, "first_line_id")?,
                last_line_id: col(r, "last_line_id")?,
                record_count: col(r, "record_count")?,
                total_yen: col(r, "total_yen")?,
                sha256: col(r, "sha256")?,
            })
        })
        .collect()
}

/// A stored line as a result record is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineForResult {
    pub id: i64,
    pub contract_id: i64,
    pub month: String,
    pub amount: i64,
    pub months: i64,
    pub mandate_id: i64,
    pub bank_code: String,
    pub branch_code: String,
    pub account_number: String,
    pub has_result: bool,
}

/// Lines with `from <= id <= to` after `after_id`, by id (keyset pages, one JSON value each).
pub async fn lines_for_results(
    conn: &mut AnyConnection,
    after_id: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<LineForResult>> {
    let (agg_open, agg_close) = json_agg(conn);
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {agg_open}t.id, t.contract_id, t.month, t.amount, t.months, t.mandate_id, t.bank_code, \
         t.branch_code, t.account_number, t.has_result{agg_close} AS j FROM (\
         SELECT b.id, b.contract_id, b.month, b.amount, b.months_covered + b.arrears_months AS months, b.mandate_id, \
         b.bank_code, b.branch_code, b.account_number, \
         CASE WHEN EXISTS (SELECT 1 FROM billing_ledger l WHERE l.bill_line_id = b.id AND l.kind IN ('collected', 'failed')) \
           THEN 1 ELSE 0 END AS has_result \
         FROM bill_lines b WHERE b.id > $1 AND b.id <= $2 AND b.withheld = 0 ORDER BY b.id LIMIT $3) t"
    )))
    .bind(after_id)
    .bind(to)
    .bind(limit)
    .fetch_one(&mut *conn)
    .await?;
    type Packed = (i64, i64, String, i64, i64, i64, String, String, String, i64);
    let text: String = col(&row, "j")?;
    let packed: Vec<Packed> = serde_json::from_str(&text)
        .map_err(|e| crate::StoreError::Corrupt(format!("lines for results: {e}")))?;
    let mut out: Vec<LineForResult> = packed
        .into_iter()
        .map(|p| LineForResult {
            id: p.0,
            contract_id: p.1,
            month: p.2,
            amount: p.3,
            months: p.4,
            mandate_id: p.5,
            bank_code: p.6,
            branch_code: p.7,
            account_number: p.8,
            has_result: p.9 != 0,
        })
        .collect();
    out.sort_by_key(|l| l.id);
    Ok(out)
}

pub async fn import_exists(conn: &mut AnyConnection, sha256: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT imported_at FROM result_imports WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| col(r, "imported_at")).transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImport<'a> {
    pub sha256: &'a str,
    pub file_name: &'a str,
    pub imported_at: &'a str,
    pub actor: &'a str,
    pub record_count: i64,
    pub total_yen: i64,
    pub collected_count: i64,
    pub collected_yen: i64,
    pub failed_count: i64,
    pub failed_yen: i64,
    pub report: &'a str,
}

pub async fn insert_import(conn: &mut AnyConnection, i: &NewImport<'_>) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO result_imports (sha256, file_name, imported_at, actor, record_count, total_yen, collected_count, \
         collected_yen, failed_count, failed_yen, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(i.sha256)
    .bind(i.file_name)
    .bind(i.imported_at)
    .bind(i.actor)
    .bind(i.record_count)
    .bind(i.total_yen)
    .bind(i.collected_count)
    .bind(i.collected_yen)
    .bind(i.failed_count)
    .bind(i.failed_yen)
    .bind(i.report)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// A result ledger entry to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultEntry {
    pub contract_id: i64,
    pub bill_line_id: i64,
    pub month: String,
    pub collected: bool,
    pub amount: i64,
    pub months: i64,
    pub result_code: i64,
    pub reason: Option<&'static str>,
}

/// Appends result entries (collected / failed).
pub async fn post_results(
    conn: &mut AnyConnection,
    import_id: i64,
    entries: &[ResultEntry],
    now: &str,
) -> Result<()> {
    use bulk::Cell::{Int, OptText, Text};
    bulk::insert(
        conn,
        "billing_ledger",
        &[
            "contract_id",
            "bill_line_id",
            "month",
            "kind",
            "amount",
            "months",
            "result_code",
            "reason",
            "import_id",
            "at",
        ],
        entries,
        |e| {
            vec![
                Int(e.contract_id),
                Int(e.bill_line_id),
                Text(&e.month),
                Text(if e.collected { "collected" } else { "failed" }),
                Int(e.amount),
                Int(e.months),
                Int(e.result_code),
                OptText(e.reason),
                Int(import_id),
                Text(now),
            ]
        },
    )
    .await
}

/// Marks a mandate unusable (result codes 2, 3, 4); false when it already was.
pub async fn mark_mandate_unusable(conn: &mut AnyConnection, mandate_id: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE mandates SET status = 'unusable' WHERE id = $1 AND status = 'active'")
            .bind(mandate_id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks several mandates unusable (result codes 2, 3, 4); returns the ids that were active.
pub async fn mark_mandates_unusable(
    conn: &mut AnyConnection,
    mandate_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    let anonymous = is_sqlite(conn);
    let mut out = std::collections::HashSet::with_capacity(mandate_ids.len());
    for batch in mandate_ids.chunks(1_000) {
        let mut sql = String::from(
            "UPDATE mandates SET status = 'unusable' WHERE status = 'active' AND id IN ",
        );
        push_placeholders(&mut sql, 1, batch.len(), anonymous);
        sql.push_str(" RETURNING id");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in batch {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(col(&r, "id")?);
        }
    }
    Ok(out)
}

/// Count and yen of a month's lines by outcome: `billed`, `collected`, `failed:<code>`.
pub async fn month_totals(
    conn: &mut AnyConnection,
    run_id: i64,
) -> Result<Vec<(String, i64, i64)>> {
    let mut out = Vec::new();
    let billed = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS yen FROM bill_lines WHERE run_id = $1",
    )
    .bind(run_id)
    .fetch_one(&mut *conn)
    .await?;
    out.push((
        "billed".to_string(),
        col(&billed, "n")?,
        col(&billed, "yen")?,
    ));
    let rows = sqlx::query(
        "SELECT l.kind, l.result_code, COUNT(*) AS n, CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) AS yen \
         FROM bill_lines b JOIN billing_ledger l ON l.bill_line_id = b.id AND l.kind IN ('collected', 'failed') \
         WHERE b.run_id = $1 GROUP BY l.kind, l.result_code ORDER BY l.kind, l.result_code",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let kind: String = col(r, "kind")?;
        let code: Option<i64> = col(r, "result_code")?;
        let key = if kind == "failed" {
            format!("failed:{}", code.unwrap_or(9))
        } else {
            kind
        };
        out.push((key, col(r, "n")?, col(r, "yen")?));
    }
    Ok(out)
}

/// Contracts whose member e-mail is needed for a notice: (contract number, member e-mail).
pub async fn contact(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Option<(String, String)>> {
    let row = sqlx::query(
        "SELECT c.number, u.email FROM contracts c JOIN users u ON u.id = c.member_id WHERE c.id = $1",
    )
    .bind(contract_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref()
        .map(|r| Ok((col(r, "number")?, col(r, "email")?)))
        .transpose()
}

pub async fn run_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Run>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(run_from_row).transpose()
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

/// The first `limit` contracts a run could not bill, by contract number: (number, reason code).
pub async fn exceptions_by_number(
    conn: &mut AnyConnection,
    run_id: i64,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT c.number, e.reason FROM billing_exceptions e JOIN contracts c ON c.id = e.contract_id \
         WHERE e.run_id = $1 ORDER BY c.number LIMIT $2",
    )
    .bind(run_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "number")?, col(r, "reason")?)))
        .collect()
}

pub async fn exception_count(conn: &mut AnyConnection, run_id: i64) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM billing_exceptions WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "n")
}

/// An imported result file as listed for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub id: i64,
    pub file_name: String,
    pub imported_at: String,
    pub actor: String,
    pub record_count: i64,
    pub total_yen: i64,
    pub collected_count: i64,
    pub collected_yen: i64,
    pub failed_count: i64,
    pub failed_yen: i64,
}

/// The newest result imports first.
pub async fn recent_imports(conn: &mut AnyConnection, limit: i64) -> Result<Vec<ImportRow>> {
    let rows = sqlx::query(
        "SELECT id, file_name, imported_at, actor, record_count, total_yen, collected_count, collected_yen, \
         failed_count, failed_yen FROM result_imports ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ImportRow {
                id: col(r, "id")?,
                file_name: col(r, "file_name")?,
                imported_at: col(r, "imported_at")?,
                actor: col(r, "actor")?,
                record_count: col(r, "record_count")?,
                total_yen: col(r, "total_yen")?,
                collected_count: col(r, "collected_count")?,
                collected_yen: col(r, "collected_yen")?,
                failed_count: col(r, "failed_count")?,
                failed_yen: col(r, "failed_yen")?,
            })
        })
        .collect()
}
