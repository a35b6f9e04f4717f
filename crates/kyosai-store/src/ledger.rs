//! The premium ledger (`billing_ledger`): opening balances, billed amounts and debit results.
//!
//! Append-only: the database refuses UPDATE and DELETE on it. Billing posts to it today; loans and
//! payouts will post to it too, so it is its own module rather than part of billing.

use kyosai_domain::{
    BillLineId, BillingRunId, ContractId, LedgerEntryId, ResultImportId, YearMonth,
};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::bulk::{self, is_sqlite, push_placeholders};
use crate::{Result, col};

/// One entry that is not a bill line's: money collected outside the debit file (a 前納), a
/// refund (`refunded`), and later loans and payouts.
pub struct Entry<'a> {
    pub contract_id: ContractId,
    /// `YYYY-MM`.
    pub month: &'a str,
    /// `collected`, `refunded`, …
    pub kind: &'a str,
    pub amount: i64,
    pub months: i64,
    /// Why, with a reference to the row that caused it (`prepayment`, `cancellation_refund:7`).
    pub reason: &'a str,
}

/// Appends one entry; returns its id.
pub async fn post(conn: &mut AnyConnection, e: &Entry<'_>, now: &str) -> Result<LedgerEntryId> {
    let row = sqlx::query(
        "INSERT INTO billing_ledger (contract_id, month, kind, amount, months, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.contract_id)
    .bind(e.month)
    .bind(e.kind)
    .bind(e.amount)
    .bind(e.months)
    .bind(e.reason)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
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
    run_id: BillingRunId,
    month: &str,
    from: ContractId,
    to: ContractId,
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

/// A result ledger entry to post (an import holds one per record: fixed-size, no heap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultEntry {
    pub contract_id: ContractId,
    pub bill_line_id: BillLineId,
    pub month: YearMonth,
    pub collected: bool,
    pub amount: i64,
    pub months: i64,
    pub result_code: i64,
    pub reason: Option<&'static str>,
}

/// Appends result entries (collected / failed).
pub async fn post_results(
    conn: &mut AnyConnection,
    import_id: ResultImportId,
    entries: &[ResultEntry],
    now: &str,
) -> Result<()> {
    use bulk::Cell::{Int, OptText, Text};
    // The few months an import answers, as text once each.
    let months: std::collections::BTreeMap<YearMonth, String> = entries
        .iter()
        .map(|e| (e.month, e.month.to_string()))
        .collect();
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
                Int(e.contract_id.get()),
                Int(e.bill_line_id.get()),
                Text(months.get(&e.month).map_or("", String::as_str)),
                Text(if e.collected { "collected" } else { "failed" }),
                Int(e.amount),
                Int(e.months),
                Int(e.result_code),
                OptText(e.reason),
                Int(import_id.get()),
                Text(now),
            ]
        },
    )
    .await
}

/// (contract id, collected total including the opening balance) for contracts in `from..=to`.
pub async fn collected_between(
    conn: &mut AnyConnection,
    from: ContractId,
    to: ContractId,
) -> Result<Vec<(ContractId, i64)>> {
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

/// A balance of premiums paid before Kyosai kept the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub contract_id: ContractId,
    pub month: String,
    pub amount: i64,
    pub months: i64,
}

/// Appends `opening` entries in one multi-row INSERT (the synthetic book passes a few hundred
/// at a time).
pub async fn append_openings(
    conn: &mut AnyConnection,
    openings: &[Opening],
    now: &str,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO billing_ledger (contract_id, month, kind, amount, months, at) VALUES ",
    );
    push_placeholders(&mut sql, openings.len(), 6, is_sqlite(conn));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for o in openings {
        q = q
            .bind(o.contract_id)
            .bind(o.month.clone())
            .bind("opening")
            .bind(o.amount)
            .bind(o.months)
            .bind(now.to_string());
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// One `collected` entry of a contract: a debit's result or money received outside the debit
/// file (a 前納), as the tax certificates read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    /// `YYYY-MM`: the month the money arrived (the debit's month, the 前納's month paid).
    pub month: String,
    pub amount: i64,
    pub months: i64,
    /// None for money outside a bill line (a 前納).
    pub bill_line_id: Option<BillLineId>,
}

/// A contract's `collected` entries with a month in `from..=to` (`YYYY-MM`), oldest first.
/// Opening balances are left out: they carry no month of payment.
pub async fn collected_in(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    from: &str,
    to: &str,
) -> Result<Vec<Collected>> {
    let rows = sqlx::query(
        "SELECT month, amount, months, bill_line_id FROM billing_ledger \
         WHERE contract_id = $1 AND kind = 'collected' AND month >= $2 AND month <= $3 ORDER BY month, id",
    )
    .bind(contract_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Collected {
                month: col(r, "month")?,
                amount: col(r, "amount")?,
                months: col(r, "months")?,
                bill_line_id: col(r, "bill_line_id")?,
            })
        })
        .collect()
}
