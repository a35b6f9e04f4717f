//! Scheduled payouts (migration 0015): what a decision (a claim, a cancellation refund, a loan)
//! has promised to pay, on which date, into which account. Deciders call [`schedule`] in their
//! own transaction; the payout run pays what is due.

use jiff::civil::Date;
use kyosai_domain::payout::{PayoutKind, PayoutStatus};
use kyosai_domain::{ApplicationId, ContractId, PayoutId, PayoutRunId, ReturnImportId, Yen};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{AnyRow, Result, col, decode, typed};

/// The account a payout is transferred to, as Zengin fields (holder in half-width katakana).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayeeAccount {
    pub bank_code: String,
    pub branch_code: String,
    /// `ordinary` or `current`.
    pub account_type: String,
    /// Seven digits.
    pub account_number: String,
    pub holder_kana: String,
}

/// A payout to schedule.
pub struct NewPayout<'a> {
    pub contract_id: ContractId,
    /// The application that decided it, when there is one.
    pub application_id: Option<ApplicationId>,
    pub kind: PayoutKind,
    /// A bank business day.
    pub due_date: Date,
    pub amount: Yen,
    pub account: &'a PayeeAccount,
    /// The deciding row (`claim:3`, `cancellation_refund:7`, `loan:5`).
    pub source: &'a str,
    /// The payout's number within its source (1 for a single payment; instalments count up).
    pub seq: i64,
}

/// A payout as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub id: PayoutId,
    pub contract_id: ContractId,
    pub application_id: Option<ApplicationId>,
    pub kind: PayoutKind,
    pub due_date: Date,
    pub amount: Yen,
    pub account: PayeeAccount,
    pub source: String,
    pub seq: i64,
    pub status: PayoutStatus,
    /// The payout run that paid it (migration 0021).
    pub run_id: Option<PayoutRunId>,
    /// Why it is held, in Japanese (a returned transfer, no usable account).
    pub hold_reason: Option<String>,
}

const COLUMNS: &str = "id, contract_id, application_id, kind, due_date, amount, bank_code, branch_code, \
     account_type, account_number, holder_kana, source, seq, status, run_id, hold_reason";

fn payout(r: &AnyRow) -> Result<Payout> {
    const T: &str = "payouts";
    let due: String = col(r, "due_date")?;
    Ok(Payout {
        id: col(r, "id")?,
        contract_id: col(r, "contract_id")?,
        application_id: col(r, "application_id")?,
        kind: typed(r, T, "kind", PayoutKind::parse)?,
        due_date: decode("payouts.due_date", &due, |s| s.parse().ok())?,
        amount: Yen::new(col(r, "amount")?),
        account: PayeeAccount {
            bank_code: col(r, "bank_code")?,
            branch_code: col(r, "branch_code")?,
            account_type: col(r, "account_type")?,
            account_number: col(r, "account_number")?,
            holder_kana: col(r, "holder_kana")?,
        },
        source: col(r, "source")?,
        seq: col(r, "seq")?,
        status: typed(r, T, "status", PayoutStatus::parse)?,
        run_id: col(r, "run_id")?,
        hold_reason: col(r, "hold_reason")?,
    })
}

/// Schedules one payout; returns its id. The same `(source, seq)` twice is refused by the
/// database, so a decision can never schedule its payment twice.
pub async fn schedule(conn: &mut AnyConnection, p: &NewPayout<'_>, now: &str) -> Result<PayoutId> {
    let row = sqlx::query(
        "INSERT INTO payouts (contract_id, application_id, kind, due_date, amount, bank_code, branch_code, \
         account_type, account_number, holder_kana, source, seq, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'scheduled', $13) RETURNING id",
    )
    .bind(p.contract_id)
    .bind(p.application_id)
    .bind(p.kind.as_str())
    .bind(p.due_date.to_string())
    .bind(p.amount.get())
    .bind(&p.account.bank_code)
    .bind(&p.account.branch_code)
    .bind(&p.account.account_type)
    .bind(&p.account.account_number)
    .bind(&p.account.holder_kana)
    .bind(p.source)
    .bind(p.seq)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// A contract's payouts, by date.
pub async fn for_contract(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<Payout>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payouts WHERE contract_id = $1 ORDER BY due_date, id"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(payout).collect()
}

/// A payout with its contract's program, as a payout run reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLine {
    pub payout: Payout,
    /// `small_enterprise` or `safety_net`: which originator pays it.
    pub program: String,
}

fn run_lines_sql(filter: &str) -> String {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {cols}, c.program AS program FROM payouts p JOIN contracts c ON c.id = p.contract_id \
         WHERE {filter} ORDER BY p.id"
    )
}

fn run_line(r: &AnyRow) -> Result<RunLine> {
    Ok(RunLine {
        payout: payout(r)?,
        program: col(r, "program")?,
    })
}

/// Scheduled payouts due on or before `date`, in id order (the order of a run's files).
pub async fn due_by(conn: &mut AnyConnection, date: Date) -> Result<Vec<RunLine>> {
    let rows = sqlx::query(AssertSqlSafe(run_lines_sql(
        "p.status = 'scheduled' AND p.due_date <= $1",
    )))
    .bind(date.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(run_line).collect()
}

/// The transfers a run made, in payout id order, as they were written (amount and account
/// from the run's own record, so a file is written again byte for byte even after a returned
/// payout was given a new account and paid by a later run).
pub async fn in_run(conn: &mut AnyConnection, run_id: PayoutRunId) -> Result<Vec<RunLine>> {
    let rows = sqlx::query(
        "SELECT p.id, p.contract_id, p.application_id, p.kind, p.due_date, t.amount, t.bank_code, \
         t.branch_code, t.account_type, t.account_number, t.holder_kana, p.source, p.seq, p.status, \
         p.run_id, p.hold_reason, t.program \
         FROM payout_transfers t JOIN payouts p ON p.id = t.payout_id WHERE t.run_id = $1 ORDER BY p.id",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(run_line).collect()
}

/// Pays every scheduled payout due by `date` in run `run_id`, set-based (a 100,000-payout run is
/// a handful of statements): each transfer recorded as written (`payout_transfers`), one
/// `paid_out` ledger entry per payout (reason `payout:<id>`), the deciding cancellation refunds
/// and 前納減額金 marked paid on `date`, the payouts marked paid. Returns how many were paid;
/// the caller checks it against what it wrote.
pub async fn pay_due(
    conn: &mut AnyConnection,
    run_id: PayoutRunId,
    date: Date,
    month: &str,
    now: &str,
) -> Result<u64> {
    const DUE: &str = "p.status = 'scheduled' AND p.due_date <= $1";
    let day = date.to_string();
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO payout_transfers (run_id, payout_id, program, amount, bank_code, branch_code, \
         account_type, account_number, holder_kana) \
         SELECT $2, p.id, c.program, p.amount, p.bank_code, p.branch_code, p.account_type, \
         p.account_number, p.holder_kana FROM payouts p JOIN contracts c ON c.id = p.contract_id \
         WHERE {DUE} ORDER BY p.id"
    )))
    .bind(&day)
    .bind(run_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO billing_ledger (contract_id, month, kind, amount, months, reason, at) \
         SELECT p.contract_id, $2, 'paid_out', p.amount, 0, 'payout:' || CAST(p.id AS TEXT), $3 \
         FROM payouts p WHERE {DUE} ORDER BY p.id"
    )))
    .bind(&day)
    .bind(month)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE cancellation_refunds SET status = 'paid' WHERE id IN \
         (SELECT CAST(SUBSTR(p.source, 21) AS BIGINT) FROM payouts p \
          WHERE {DUE} AND p.source LIKE 'cancellation_refund:%')"
    )))
    .bind(&day)
    .execute(&mut *conn)
    .await?;
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE prepayment_discounts SET status = 'paid', paid_on = $1 WHERE status = 'payable' \
         AND id IN (SELECT CAST(SUBSTR(p.source, 21) AS BIGINT) FROM payouts p \
          WHERE {DUE} AND p.source LIKE 'prepayment_discount:%')"
    )))
    .bind(&day)
    .execute(&mut *conn)
    .await?;
    let r = sqlx::query(
        "UPDATE payouts SET status = 'paid', run_id = $2, paid_at = $3 \
         WHERE status = 'scheduled' AND due_date <= $1",
    )
    .bind(&day)
    .bind(run_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected())
}

/// A payout run as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: PayoutRunId,
    pub transfer_date: Date,
    pub seq: i64,
    pub payout_count: i64,
    pub total: Yen,
    pub actor: String,
    pub created_at: String,
}

/// One file of a run, with the SHA-256 of the bytes delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFile {
    pub run_id: PayoutRunId,
    pub program: String,
    pub name: String,
    pub sha256: String,
    pub records: i64,
    pub total: Yen,
}

/// A run to record.
pub struct NewRun<'a> {
    pub transfer_date: Date,
    pub seq: i64,
    pub payout_count: i64,
    pub total: Yen,
    pub actor: &'a str,
}

/// Records a run; returns its id. `(transfer_date, seq)` is unique.
pub async fn insert_run(
    conn: &mut AnyConnection,
    r: &NewRun<'_>,
    now: &str,
) -> Result<PayoutRunId> {
    let row = sqlx::query(
        "INSERT INTO payout_runs (transfer_date, seq, payout_count, total_yen, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(r.transfer_date.to_string())
    .bind(r.seq)
    .bind(r.payout_count)
    .bind(r.total.get())
    .bind(r.actor)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Records one file of a run (a file is found by its run and name, never by its row id).
pub async fn insert_run_file(conn: &mut AnyConnection, f: &RunFile) -> Result<()> {
    sqlx::query(
        "INSERT INTO payout_run_files (run_id, program, name, sha256, records, total_yen) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(f.run_id)
    .bind(&f.program)
    .bind(&f.name)
    .bind(&f.sha256)
    .bind(f.records)
    .bind(f.total.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn run(r: &AnyRow) -> Result<Run> {
    let date: String = col(r, "transfer_date")?;
    Ok(Run {
        id: col(r, "id")?,
        transfer_date: decode("payout_runs.transfer_date", &date, |s| s.parse().ok())?,
        seq: col(r, "seq")?,
        payout_count: col(r, "payout_count")?,
        total: Yen::new(col(r, "total_yen")?),
        actor: col(r, "actor")?,
        created_at: col(r, "created_at")?,
    })
}

const RUN_COLUMNS: &str = "id, transfer_date, seq, payout_count, total_yen, actor, created_at";

/// Every run, newest first.
pub async fn runs(conn: &mut AnyConnection) -> Result<Vec<Run>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM payout_runs ORDER BY transfer_date DESC, seq DESC"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(run).collect()
}

/// The runs of one transfer date, in order.
pub async fn runs_on(conn: &mut AnyConnection, date: Date) -> Result<Vec<Run>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM payout_runs WHERE transfer_date = $1 ORDER BY seq"
    )))
    .bind(date.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(run).collect()
}

/// The files of a run, by name.
pub async fn run_files(conn: &mut AnyConnection, run_id: PayoutRunId) -> Result<Vec<RunFile>> {
    let rows = sqlx::query(
        "SELECT run_id, program, name, sha256, records, total_yen FROM payout_run_files \
         WHERE run_id = $1 ORDER BY name",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RunFile {
                run_id: col(r, "run_id")?,
                program: col(r, "program")?,
                name: col(r, "name")?,
                sha256: col(r, "sha256")?,
                records: col(r, "records")?,
                total: Yen::new(col(r, "total_yen")?),
            })
        })
        .collect()
}

/// Held payouts (the staff's exceptions), oldest first.
pub async fn held(conn: &mut AnyConnection) -> Result<Vec<Payout>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payouts WHERE status = 'held' ORDER BY due_date, id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(payout).collect()
}

/// One payout.
pub async fn get(conn: &mut AnyConnection, id: PayoutId) -> Result<Option<Payout>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payouts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(payout).transpose()
}

/// Puts a scheduled or paid payout on hold with the reason the member reads (a returned
/// transfer, no account to pay into); `return_import` names the bank's return file. False when
/// it was already held.
pub async fn hold(
    conn: &mut AnyConnection,
    id: PayoutId,
    reason: &str,
    return_import: Option<ReturnImportId>,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE payouts SET status = 'held', hold_reason = $1, return_import_id = $2 \
         WHERE id = $3 AND status IN ('scheduled', 'paid')",
    )
    .bind(reason)
    .bind(return_import)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Schedules a held payout again into a new account on `due`; false when it was not held.
pub async fn reschedule(
    conn: &mut AnyConnection,
    id: PayoutId,
    account: &PayeeAccount,
    due: Date,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE payouts SET status = 'scheduled', hold_reason = NULL, run_id = NULL, paid_at = NULL, \
         bank_code = $1, branch_code = $2, account_type = $3, account_number = $4, holder_kana = $5, \
         due_date = $6 WHERE id = $7 AND status = 'held'",
    )
    .bind(&account.bank_code)
    .bind(&account.branch_code)
    .bind(&account.account_type)
    .bind(&account.account_number)
    .bind(&account.holder_kana)
    .bind(due.to_string())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A returned payout's deciding row is payable again (a cancellation refund or a 前納減額金 is
/// marked paid by [`pay_due`] when its transfer is delivered).
pub async fn reopen_source(conn: &mut AnyConnection, source: &str) -> Result<()> {
    let id_of = |prefix: &str| {
        source
            .strip_prefix(prefix)
            .and_then(|n| n.parse::<i64>().ok())
    };
    if let Some(id) = id_of("cancellation_refund:") {
        sqlx::query("UPDATE cancellation_refunds SET status = 'payable' WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    } else if let Some(id) = id_of("prepayment_discount:") {
        sqlx::query(
            "UPDATE prepayment_discounts SET status = 'payable', paid_on = NULL \
             WHERE id = $1 AND status = 'paid'",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Whether a decision has scheduled its payment already.
pub async fn scheduled_for(conn: &mut AnyConnection, source: &str) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM payouts WHERE source = $1")
        .bind(source)
        .fetch_one(&mut *conn)
        .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

/// One run.
pub async fn run_by_id(conn: &mut AnyConnection, id: PayoutRunId) -> Result<Option<Run>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM payout_runs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(run).transpose()
}

/// When a return file with these bytes was imported, if it was.
pub async fn return_import_exists(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT imported_at FROM payout_return_imports WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| col(r, "imported_at")).transpose()
}

/// Records an imported return file; returns its id.
pub async fn insert_return_import(
    conn: &mut AnyConnection,
    file_name: &str,
    sha256: &str,
    records: i64,
    actor: &str,
    now: &str,
) -> Result<ReturnImportId> {
    let row = sqlx::query(
        "INSERT INTO payout_return_imports (file_name, sha256, records, actor, imported_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(file_name)
    .bind(sha256)
    .bind(records)
    .bind(actor)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// A contract's number and holder name (for the letters about its payouts).
pub async fn contract_of(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<(String, String)> {
    let row = sqlx::query("SELECT number, holder_name FROM contracts WHERE id = $1")
        .bind(contract_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok((col(&row, "number")?, col(&row, "holder_name")?))
}
