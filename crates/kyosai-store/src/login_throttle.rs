//! What the per-account and per-session login limits remember (issue #15 item 1): consecutive
//! failures per account with the time of the last one and a temporary lock, and wrong
//! second-factor codes per half-logged-in session.

use kyosai_domain::UserId;
use sqlx::AnyConnection;

use crate::{Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub failed_logins: i64,
    pub last_failed_at: Option<String>,
    pub locked_until: Option<String>,
}

pub async fn account(conn: &mut AnyConnection, user_id: UserId) -> Result<Option<AccountState>> {
    let row = sqlx::query(
        "SELECT failed_logins, last_failed_login_at, locked_until FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(AccountState {
            failed_logins: col(&r, "failed_logins")?,
            last_failed_at: col(&r, "last_failed_login_at")?,
            locked_until: col(&r, "locked_until")?,
        })
    })
    .transpose()
}

/// Counts one more failure and returns the new count.
pub async fn record_failure(conn: &mut AnyConnection, user_id: UserId, now: &str) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, last_failed_login_at = $2 \
         WHERE id = $1 RETURNING failed_logins",
    )
    .bind(user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "failed_logins")
}

/// Locks the account until `until`; the failure count starts again after the lock.
pub async fn lock(conn: &mut AnyConnection, user_id: UserId, until: &str) -> Result<()> {
    sqlx::query("UPDATE users SET locked_until = $2, failed_logins = 0 WHERE id = $1")
        .bind(user_id)
        .bind(until)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A complete login (both factors) forgets earlier failures.
pub async fn reset(conn: &mut AnyConnection, user_id: UserId) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = 0, last_failed_login_at = NULL, locked_until = NULL \
         WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counts a wrong second-factor code on a session and returns the new count (0: no such session).
pub async fn session_totp_failure(conn: &mut AnyConnection, id_hash: &str) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE sessions SET totp_failures = totp_failures + 1 WHERE id_hash = $1 \
         RETURNING totp_failures",
    )
    .bind(id_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| col(&r, "totp_failures"))
        .transpose()
        .map(|n| n.unwrap_or(0))
}
