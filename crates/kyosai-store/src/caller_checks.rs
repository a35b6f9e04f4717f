//! The contact center's identity checks of callers (issue #14 item 2; table `caller_checks`).

use kyosai_domain::{CallerCheckId, ContractId, UserId};
use sqlx::AnyConnection;

use crate::{Result, col};

pub struct NewCheck<'a> {
    pub operator_id: UserId,
    pub member_id: UserId,
    pub contract_id: ContractId,
    /// The checklist items that matched, comma-separated (never the answers).
    pub matched: &'a str,
    pub passed: bool,
    pub now: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, c: &NewCheck<'_>) -> Result<CallerCheckId> {
    let row = sqlx::query(
        "INSERT INTO caller_checks (operator_id, member_id, contract_id, matched, passed, checked_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(c.operator_id)
    .bind(c.member_id)
    .bind(c.contract_id)
    .bind(c.matched)
    .bind(i64::from(c.passed))
    .bind(c.now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// When `operator_id` last confirmed the caller of `contract_id`, if at or after `since`.
pub async fn passed_since(
    conn: &mut AnyConnection,
    operator_id: UserId,
    contract_id: ContractId,
    since: &str,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT checked_at FROM caller_checks WHERE operator_id = $1 AND contract_id = $2 \
         AND passed = 1 AND checked_at >= $3 ORDER BY id DESC LIMIT 1",
    )
    .bind(operator_id)
    .bind(contract_id)
    .bind(since)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(|r| col(r, "checked_at")).transpose()
}
