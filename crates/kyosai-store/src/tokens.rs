//! Bearer tokens for API clients (members after login, staff and service accounts via the CLI).

use kyosai_domain::UserId;
use sqlx::AnyConnection;

use crate::{Result, col};

pub async fn insert(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: UserId,
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
) -> Result<Option<UserId>> {
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

/// A token as staff see it in the list: never the token nor its whole hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// The first 12 hex digits of the hash: enough to name it for revocation.
    pub id: String,
    pub user_id: UserId,
    pub email: String,
    pub role: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Every token, newest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<TokenRow>> {
    let rows = sqlx::query(
        "SELECT t.token_hash, t.user_id, u.email, u.role, t.name, t.created_at, t.expires_at, t.revoked_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at DESC, t.token_hash",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let hash: String = col(r, "token_hash")?;
            Ok(TokenRow {
                id: hash.chars().take(TOKEN_ID_LEN).collect(),
                user_id: col(r, "user_id")?,
                email: col(r, "email")?,
                role: col(r, "role")?,
                name: col(r, "name")?,
                created_at: col(r, "created_at")?,
                expires_at: col(r, "expires_at")?,
                revoked_at: col(r, "revoked_at")?,
            })
        })
        .collect()
}

/// How many hex digits of the hash name a token.
pub const TOKEN_ID_LEN: usize = 12;

/// Revokes the live tokens whose hash starts with `id` (exactly one, or none is revoked);
/// returns the owner of the revoked token.
pub async fn revoke_by_id(conn: &mut AnyConnection, id: &str, now: &str) -> Result<Option<UserId>> {
    let rows = sqlx::query(
        "SELECT token_hash, user_id FROM api_tokens WHERE token_hash LIKE $1 AND revoked_at IS NULL",
    )
    // The id is hex digits only (checked by the caller), so it holds no LIKE wildcards.
    .bind(format!("{id}%"))
    .fetch_all(&mut *conn)
    .await?;
    let [row] = rows.as_slice() else {
        return Ok(None);
    };
    let hash: String = col(row, "token_hash")?;
    revoke(conn, &hash, now).await?;
    Ok(Some(col(row, "user_id")?))
}

/// Revokes one token by its hash (API logout); false when it was not live.
pub async fn revoke(conn: &mut AnyConnection, token_hash: &str, now: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
