//! Stored answers to POSTs sent with an `Idempotency-Key`, so a retried request gets the first
//! answer instead of creating a second application.

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
    user_id: i64,
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

pub async fn put(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    response: &StoredResponse,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, status, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(key)
    .bind(&response.request_hash)
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
