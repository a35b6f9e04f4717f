//! 共済金貸付 proposals (migration 0024): the amount a staff preparer proposes for an
//! application in review, which a different staff user approves (maker-checker).

use kyosai_domain::{ApplicationId, ContractId, UserId};
use sqlx::AnyConnection;

use crate::{Result, col};

/// A preparer's proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub application_id: ApplicationId,
    pub amount: i64,
    pub proposed_by: UserId,
    pub note: String,
    pub proposed_at: String,
}

/// Records (or replaces) the proposal for an application.
pub async fn propose(conn: &mut AnyConnection, p: &Proposal) -> Result<()> {
    sqlx::query("DELETE FROM bankruptcy_loan_proposals WHERE application_id = $1")
        .bind(p.application_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO bankruptcy_loan_proposals (application_id, amount, proposed_by, note, proposed_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(p.application_id)
    .bind(p.amount)
    .bind(p.proposed_by)
    .bind(&p.note)
    .bind(&p.proposed_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The proposal for an application, if a preparer made one.
pub async fn proposal(
    conn: &mut AnyConnection,
    application_id: ApplicationId,
) -> Result<Option<Proposal>> {
    let row = sqlx::query(
        "SELECT application_id, amount, proposed_by, note, proposed_at \
         FROM bankruptcy_loan_proposals WHERE application_id = $1",
    )
    .bind(application_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Proposal {
            application_id: col(&r, "application_id")?,
            amount: col(&r, "amount")?,
            proposed_by: col(&r, "proposed_by")?,
            note: col(&r, "note")?,
            proposed_at: col(&r, "proposed_at")?,
        })
    })
    .transpose()
}

/// Whether the contract already has a loan for this bankruptcy (partner and 倒産日).
pub async fn already_lent(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    bankruptcy_key: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loans WHERE contract_id = $1 AND bankruptcy_key = $2",
    )
    .bind(contract_id)
    .bind(bankruptcy_key)
    .fetch_one(&mut *conn)
    .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}
