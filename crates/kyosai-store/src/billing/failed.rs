//! Failed debits as staff follow them up: every `failed` ledger entry with its contract, and
//! whether the contract still has a usable debit account.

use sqlx::AnyConnection;

use crate::{Result, col};

/// One failed debit (a `failed` ledger entry) with what staff need to call the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDebitRow {
    pub contract_number: String,
    pub program: String,
    pub holder_name: String,
    /// The bill line's month, `YYYY-MM`.
    pub month: String,
    pub amount: i64,
    /// The bank's result code; 4 for a line withheld for want of a usable account.
    pub result_code: Option<i64>,
    pub reason: Option<String>,
    /// True when the contract has no active mandate: results 2, 3 or 4 made it unusable and no
    /// new account has been registered since.
    pub account_unusable: bool,
}

/// Failed debits, optionally of one month and one program, by contract number then month; at
/// most `limit` entries.
pub async fn failed_debits(
    conn: &mut AnyConnection,
    month: Option<&str>,
    program: Option<&str>,
    limit: i64,
) -> Result<Vec<FailedDebitRow>> {
    let rows = sqlx::query(
        "SELECT c.number, c.program, c.holder_name, l.month, l.amount, l.result_code, l.reason, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM mandates m WHERE m.contract_id = c.id AND m.status = 'active') \
           THEN 0 ELSE 1 END AS BIGINT) AS unusable \
         FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id \
         WHERE l.kind = 'failed' AND ($1 = '' OR l.month = $1) AND ($2 = '' OR c.program = $2) \
         ORDER BY c.number, l.month, l.id LIMIT $3",
    )
    .bind(month.unwrap_or(""))
    .bind(program.unwrap_or(""))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FailedDebitRow {
                contract_number: col(r, "number")?,
                program: col(r, "program")?,
                holder_name: col(r, "holder_name")?,
                month: col(r, "month")?,
                amount: col(r, "amount")?,
                result_code: col(r, "result_code")?,
                reason: col(r, "reason")?,
                account_unusable: col::<i64>(r, "unusable")? == 1,
            })
        })
        .collect()
}
