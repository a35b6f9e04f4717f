//! Bill lines: inserted by a run, read back with their results to replay a contract's standing
//! and to total a month.

use kyosai_domain::{BillingRunId, ContractId, OriginatorId};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::MandateSnapshot;
use crate::bulk;
use crate::{AnyRow, Result, col};

/// A bill line with its result, for replaying a contract's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWithResult {
    /// The bill line's id, or a paid slip's id negated when `payment_slips::paid_as_lines`
    /// replays the slip as a collected line: not one table's id, so a plain number.
    pub id: i64,
    pub contract_id: ContractId,
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
    from: ContractId,
    to: ContractId,
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
    contract_id: ContractId,
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
    pub contract_id: ContractId,
    pub originator_id: OriginatorId,
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
///
/// Line ids are the customer numbers of the request file, so they come from the `bill_line_id`
/// counter, taken in the chunk's own transaction, rather than from the table's sequence: a
/// PostgreSQL sequence is not transactional (a chunk rolled back by a crash keeps its values
/// used) and a promoted standby resumes it up to 32 values further, so a run resumed after a
/// crash or a failover would number its lines, and write its files, differently from an
/// undisturbed run. The counter rolls back with the chunk.
pub async fn insert_lines(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    month: &str,
    lines: &[NewLine],
) -> Result<()> {
    use bulk::Cell::{Int, Text};
    if lines.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(lines.len())
        .map_err(|_| crate::StoreError::Corrupt("too many bill lines in one chunk".into()))?;
    let row = sqlx::query(
        "UPDATE counters SET value = value + $1 WHERE name = 'bill_line_id' RETURNING value",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    let first = crate::col::<i64>(&row, "value")? - n + 1;
    let numbered: Vec<(i64, &NewLine)> = (first..).zip(lines).collect();
    bulk::insert(
        conn,
        "bill_lines",
        &[
            "id",
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
        &numbered,
        |(id, l)| {
            vec![
                Int(*id),
                Int(run_id.get()),
                Int(l.contract_id.get()),
                Text(month),
                Int(l.originator_id.get()),
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
                Int(l.mandate.id.get()),
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

/// Count and yen of a run's lines, premiums and loans, by outcome: `billed`, `collected`,
/// `failed:<code>`.
pub async fn month_totals(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
) -> Result<Vec<(String, i64, i64)>> {
    let mut out = Vec::new();
    let billed = sqlx::query(
        "SELECT CAST(SUM(n) AS BIGINT) AS n, CAST(COALESCE(SUM(yen), 0) AS BIGINT) AS yen FROM (\
         SELECT COUNT(*) AS n, SUM(amount) AS yen FROM bill_lines WHERE run_id = $1 UNION ALL \
         SELECT COUNT(*) AS n, SUM(amount) AS yen FROM loan_bill_lines WHERE run_id = $1) t",
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
        "SELECT kind, result_code, CAST(SUM(n) AS BIGINT) AS n, CAST(COALESCE(SUM(yen), 0) AS BIGINT) AS yen FROM (\
         SELECT l.kind, l.result_code, COUNT(*) AS n, SUM(l.amount) AS yen \
         FROM bill_lines b JOIN billing_ledger l ON l.bill_line_id = b.id AND l.kind IN ('collected', 'failed') \
         WHERE b.run_id = $1 GROUP BY l.kind, l.result_code UNION ALL \
         SELECT p.kind, p.result_code, COUNT(*) AS n, SUM(b.amount) AS yen \
         FROM loan_bill_lines b JOIN loan_payments p ON p.line_id = b.id \
         WHERE b.run_id = $1 GROUP BY p.kind, p.result_code) t \
         GROUP BY kind, result_code ORDER BY kind, result_code",
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
