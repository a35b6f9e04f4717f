//! Scheduled payouts (migration 0015): what a decision (a claim, a cancellation refund, a loan)
//! has promised to pay, on which date, into which account. Deciders call [`schedule`] in their
//! own transaction; the payout run pays what is due.

use jiff::civil::Date;
use kyosai_domain::Yen;
use kyosai_domain::payout::{PayoutKind, PayoutStatus};
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
    pub contract_id: i64,
    /// The application that decided it, when there is one.
    pub application_id: Option<i64>,
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
    pub id: i64,
    pub contract_id: i64,
    pub application_id: Option<i64>,
    pub kind: PayoutKind,
    pub due_date: Date,
    pub amount: Yen,
    pub account: PayeeAccount,
    pub source: String,
    pub seq: i64,
    pub status: PayoutStatus,
}

const COLUMNS: &str = "id, contract_id, application_id, kind, due_date, amount, bank_code, branch_code, \
     account_type, account_number, holder_kana, source, seq, status";

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
    })
}

/// Schedules one payout; returns its id. The same `(source, seq)` twice is refused by the
/// database, so a decision can never schedule its payment twice.
pub async fn schedule(conn: &mut AnyConnection, p: &NewPayout<'_>, now: &str) -> Result<i64> {
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
pub async fn for_contract(conn: &mut AnyConnection, contract_id: i64) -> Result<Vec<Payout>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payouts WHERE contract_id = $1 ORDER BY due_date, id"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(payout).collect()
}
