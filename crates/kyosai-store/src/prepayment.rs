//! 前納 records and 前納減額金 per fiscal year (issue #4).
//!
//! A 前納 is money collected now for future months: a `collected` ledger entry without a bill
//! line (so it counts in 掛金総額 like any collected premium) plus a `prepayments` row saying
//! which months it covers and when it was paid — the discount depends on how far ahead each
//! month was paid, which `contracts.prepaid_until` alone cannot tell.

use sqlx::{AnyConnection, AssertSqlSafe};

use kyosai_domain::{ContractId, DiscountId, PrepaymentId, Program, YearMonth, Yen};

use crate::{AnyRow, Result, col, month, typed, typed_opt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepaymentRow {
    pub id: PrepaymentId,
    pub contract_id: ContractId,
    pub program: Program,
    pub paid_month: YearMonth,
    pub first_month: YearMonth,
    pub last_month: YearMonth,
    pub monthly_premium: Yen,
    pub amount: Yen,
}

fn prepayment(r: &AnyRow) -> Result<PrepaymentRow> {
    const T: &str = "prepayments";
    Ok(PrepaymentRow {
        id: col(r, "id")?,
        contract_id: col(r, "contract_id")?,
        program: typed(r, "contracts", "program", Program::parse)?,
        paid_month: typed(r, T, "paid_month", month)?,
        first_month: typed(r, T, "first_month", month)?,
        last_month: typed(r, T, "last_month", month)?,
        monthly_premium: Yen::new(col(r, "monthly_premium")?),
        amount: Yen::new(col(r, "amount")?),
    })
}

const PREPAYMENT_SELECT: &str = "SELECT p.id, p.contract_id, c.program, p.paid_month, p.first_month, p.last_month, \
    p.monthly_premium, p.amount FROM prepayments p JOIN contracts c ON c.id = p.contract_id";

pub struct NewPrepayment<'a> {
    pub contract_id: ContractId,
    pub paid_month: &'a str,
    pub first_month: &'a str,
    pub last_month: &'a str,
    pub months: i64,
    pub monthly_premium: i64,
}

/// Posts the collected money and the 前納 row, and moves `contracts.prepaid_until` (billing
/// skips those months) to the last month covered.
pub async fn record(
    conn: &mut AnyConnection,
    p: &NewPrepayment<'_>,
    now: &str,
) -> Result<PrepaymentId> {
    let amount = p.monthly_premium * p.months;
    let ledger_id = crate::ledger::post(
        conn,
        &crate::ledger::Entry {
            contract_id: p.contract_id,
            month: p.paid_month,
            kind: "collected",
            amount,
            months: p.months,
            reason: "prepayment",
        },
        now,
    )
    .await?;
    let row = sqlx::query(
        "INSERT INTO prepayments (contract_id, paid_month, first_month, last_month, monthly_premium, amount, ledger_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(p.contract_id)
    .bind(p.paid_month)
    .bind(p.first_month)
    .bind(p.last_month)
    .bind(p.monthly_premium)
    .bind(amount)
    .bind(ledger_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE contracts SET prepaid_until = $2 WHERE id = $1 AND (prepaid_until IS NULL OR prepaid_until < $2)",
    )
    .bind(p.contract_id)
    .bind(p.last_month)
    .execute(&mut *conn)
    .await?;
    col(&row, "id")
}

/// `contracts.prepaid_until` of one contract.
pub async fn prepaid_until(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Option<YearMonth>> {
    let row = sqlx::query("SELECT prepaid_until FROM contracts WHERE id = $1")
        .bind(contract_id)
        .fetch_one(&mut *conn)
        .await?;
    typed_opt(&row, "contracts", "prepaid_until", month)
}

/// 前納 paid from `from` to `to` (months, inclusive) by contracts still active.
pub async fn paid_between(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<PrepaymentRow>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{PREPAYMENT_SELECT} WHERE p.paid_month >= $1 AND p.paid_month <= $2 AND c.status = 'active' \
         ORDER BY p.contract_id, p.id"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(prepayment).collect()
}

/// Every 前納 of one contract, oldest first.
pub async fn for_contract(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<PrepaymentRow>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{PREPAYMENT_SELECT} WHERE p.contract_id = $1 ORDER BY p.id"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(prepayment).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountRow {
    pub id: DiscountId,
    pub contract_id: ContractId,
    pub fiscal_year: i64,
    pub rule_set: String,
    pub earned_yen: i64,
    pub carried_in_yen: i64,
    pub accumulated_yen: i64,
    pub estimate: bool,
    /// `payable`, `carried_forward`, `paid`, `paid_with_refund`.
    pub status: String,
    pub paid_on: Option<String>,
}

fn discount(r: &AnyRow) -> Result<DiscountRow> {
    Ok(DiscountRow {
        id: col(r, "id")?,
        contract_id: col(r, "contract_id")?,
        fiscal_year: col(r, "fiscal_year")?,
        rule_set: col(r, "rule_set")?,
        earned_yen: col(r, "earned_yen")?,
        carried_in_yen: col(r, "carried_in_yen")?,
        accumulated_yen: col(r, "accumulated_yen")?,
        estimate: col::<i64>(r, "estimate")? != 0,
        status: col(r, "status")?,
        paid_on: col(r, "paid_on")?,
    })
}

const DISCOUNT_COLUMNS: &str = "d.id, d.contract_id, d.fiscal_year, d.rule_set, d.earned_yen, d.carried_in_yen, \
    d.accumulated_yen, d.estimate, d.status, d.paid_on";

/// Each contract's latest year row when it carried its discount forward, for rows before
/// `fiscal_year` of contracts still active (what the next year absorbs as `carried_in`).
pub async fn carried_into(conn: &mut AnyConnection, fiscal_year: i64) -> Result<Vec<DiscountRow>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {DISCOUNT_COLUMNS} FROM prepayment_discounts d JOIN contracts c ON c.id = d.contract_id \
         WHERE d.fiscal_year < $1 AND d.status = 'carried_forward' AND c.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM prepayment_discounts e WHERE e.contract_id = d.contract_id AND e.fiscal_year > d.fiscal_year) \
         ORDER BY d.contract_id"
    )))
    .bind(fiscal_year)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(discount).collect()
}

/// Rows of one fiscal year (all statuses).
pub async fn for_year(conn: &mut AnyConnection, fiscal_year: i64) -> Result<Vec<DiscountRow>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {DISCOUNT_COLUMNS} FROM prepayment_discounts d WHERE d.fiscal_year = $1 ORDER BY d.contract_id"
    )))
    .bind(fiscal_year)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(discount).collect()
}

/// Rows of one contract, oldest year first.
pub async fn for_contract_years(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<DiscountRow>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {DISCOUNT_COLUMNS} FROM prepayment_discounts d WHERE d.contract_id = $1 ORDER BY d.fiscal_year"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(discount).collect()
}

pub struct NewDiscount<'a> {
    pub contract_id: ContractId,
    pub fiscal_year: i64,
    pub rule_set: &'a str,
    pub earned_yen: i64,
    pub carried_in_yen: i64,
    pub accumulated_yen: i64,
    pub estimate: bool,
    pub status: &'a str,
    pub paid_on: Option<&'a str>,
}

/// Stores a year row; false when the contract already has one for that year (idempotent).
pub async fn insert(conn: &mut AnyConnection, d: &NewDiscount<'_>, now: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO prepayment_discounts (contract_id, fiscal_year, rule_set, earned_yen, carried_in_yen, \
         accumulated_yen, estimate, status, paid_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (contract_id, fiscal_year) DO NOTHING",
    )
    .bind(d.contract_id)
    .bind(d.fiscal_year)
    .bind(d.rule_set)
    .bind(d.earned_yen)
    .bind(d.carried_in_yen)
    .bind(d.accumulated_yen)
    .bind(i64::from(d.estimate))
    .bind(d.status)
    .bind(d.paid_on)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a row paid (June transfer or with a refund); false when it was not payable or carried.
pub async fn mark_paid(
    conn: &mut AnyConnection,
    id: DiscountId,
    status: &str,
    paid_on: &str,
    payout_file: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE prepayment_discounts SET status = $2, paid_on = $3, payout_file = $4 \
         WHERE id = $1 AND status IN ('payable', 'carried_forward')",
    )
    .bind(id)
    .bind(status)
    .bind(paid_on)
    .bind(payout_file)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
