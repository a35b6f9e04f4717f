//! Stored answers to POSTs sent with an `Idempotency-Key`, so a retried request gets the first
//! answer instead of creating a second application.

use kyosai_domain::UserId;
use sqlx::AnyConnection;

use crate::{Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// Hash of the first request's method, path and body; a different request with the same key
    /// is refused.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub async fn get(
    conn: &mut AnyConnection,
    user_id: UserId,
    key: &str,
) -> Result<Option<StoredResponse>> {
    let row = sqlx::query("SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
        .bind(user_id)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(StoredResponse {
            request_hash: col(&r, "request_hash")?,
            status: u16::try_from(col::<i64>(&r, "status")?).unwrap_or(500),
            body: col(&r, "body")?,
        })
    })
    .transpose()
}

/// Claims `key` for a request whose answer is not known yet, as the first write of the use
/// case's transaction: a concurrent request with the same key waits on this row (PostgreSQL) and
/// then fails on the primary key, so only one of them does the work. The claim rolls back with
/// the transaction; [`record_answer`] fills it in before commit.
pub async fn claim(
    conn: &mut AnyConnection,
    user_id: UserId,
    key: &str,
    request_hash: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, body, created_at) \
         VALUES ($1, $2, $3, 0, '', $4)",
    )
    .bind(user_id)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores the answer of a claimed key (same transaction as the claim).
pub async fn record_answer(
    conn: &mut AnyConnection,
    user_id: UserId,
    key: &str,
    status: u16,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $1, body = $2 WHERE user_id = $3 AND idem_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(user_id)
    .bind(key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
