//! Bearer tokens for API clients (members after login, staff and service accounts via the CLI).

use sqlx::AnyConnection;

use crate::{Result, col};

pub async fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    name: &str,
    now: &str,
    expires_at: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(name)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The user a live token belongs to.
pub async fn user_for(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| col(&r, "user_id")).transpose()
}
