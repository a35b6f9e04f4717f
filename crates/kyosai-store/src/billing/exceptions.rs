//! Contracts a run could not bill, with the reason.

use kyosai_domain::{BillingRunId, ContractId};
use sqlx::AnyConnection;

use crate::{Result, col};

pub async fn insert_exception(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    contract_id: ContractId,
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

pub async fn exceptions(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
) -> Result<Vec<(ContractId, String)>> {
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

/// The first `limit` contracts a run could not bill, by contract number: (number, reason code).
pub async fn exceptions_by_number(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
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

pub async fn exception_count(conn: &mut AnyConnection, run_id: BillingRunId) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM billing_exceptions WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "n")
}
