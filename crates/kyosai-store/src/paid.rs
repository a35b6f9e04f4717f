//! What a contract has paid so far, from the premium ledger: premiums migrated as the opening
//! balance plus every collected debit, less the 1/10 of 共済金 loans (`loan_reduction`, REFERENCE
//! §5.3). Failed and pending debits count for nothing.

use kyosai_domain::ContractId;
use sqlx::AnyConnection;

use crate::{Result, col};

/// Yen and months paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paid {
    pub yen: i64,
    pub months: i64,
}

/// The opening balance and collected debits of one contract.
pub async fn so_far(conn: &mut AnyConnection, contract_id: ContractId) -> Result<Paid> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS yen, CAST(COALESCE(SUM(months), 0) AS BIGINT) AS months \
         FROM billing_ledger WHERE contract_id = $1 AND kind IN ('opening', 'collected', 'loan_reduction')",
    )
    .bind(contract_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Paid {
        yen: col(&row, "yen")?,
        months: col(&row, "months")?,
    })
}

/// The same, counting only ledger entries of months up to `month` (`YYYY-MM`): what had been paid
/// by then (the member loan limit is recalculated from it twice a year).
pub async fn up_to(conn: &mut AnyConnection, contract_id: ContractId, month: &str) -> Result<Paid> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS yen, CAST(COALESCE(SUM(months), 0) AS BIGINT) AS months \
         FROM billing_ledger WHERE contract_id = $1 AND month <= $2 AND kind IN ('opening', 'collected', 'loan_reduction')",
    )
    .bind(contract_id)
    .bind(month)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Paid {
        yen: col(&row, "yen")?,
        months: col(&row, "months")?,
    })
}
