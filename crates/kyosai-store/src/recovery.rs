//! Getting back into an account (issue #15 item 5): password-reset links, second-factor
//! recovery codes and staff-assisted second-factor resets.

use kyosai_domain::{FactorResetId, UserId};
use sqlx::AnyConnection;

use crate::{Result, col};

pub async fn insert_reset(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: UserId,
    expires_at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Uses a live reset link once; returns its user.
pub async fn consume_reset(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> Result<Option<UserId>> {
    let row = sqlx::query(
        "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
         AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| col(&r, "user_id")).transpose()
}

pub async fn set_password(conn: &mut AnyConnection, user_id: UserId, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password or second-factor reset).
pub async fn end_sessions(conn: &mut AnyConnection, user_id: UserId) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces a user's recovery codes with these hashes.
pub async fn replace_codes(
    conn: &mut AnyConnection,
    user_id: UserId,
    hashes: &[String],
    now: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for h in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(h)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Uses an unused code once; false when it is not one of the user's unused codes.
pub async fn use_code(
    conn: &mut AnyConnection,
    user_id: UserId,
    code_hash: &str,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(code_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Clears a user's second factor (secret, codes), so the next login sets it up again.
pub async fn clear_second_factor(conn: &mut AnyConnection, user_id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled = 0 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn insert_factor_reset(
    conn: &mut AnyConnection,
    user_id: UserId,
    requested_by: UserId,
    checklist: &str,
    now: &str,
) -> Result<FactorResetId> {
    let row = sqlx::query(
        "INSERT INTO second_factor_resets (user_id, requested_by, checklist, requested_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(requested_by)
    .bind(checklist)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorReset {
    pub id: FactorResetId,
    pub user_id: UserId,
    pub requested_by: UserId,
    pub confirmed_at: Option<String>,
}

pub async fn factor_reset(
    conn: &mut AnyConnection,
    id: FactorResetId,
) -> Result<Option<FactorReset>> {
    let row = sqlx::query(
        "SELECT id, user_id, requested_by, confirmed_at FROM second_factor_resets WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(FactorReset {
            id: col(&r, "id")?,
            user_id: col(&r, "user_id")?,
            requested_by: col(&r, "requested_by")?,
            confirmed_at: col(&r, "confirmed_at")?,
        })
    })
    .transpose()
}

/// Confirms a pending reset once; false when it was already confirmed.
pub async fn confirm_factor_reset(
    conn: &mut AnyConnection,
    id: FactorResetId,
    by: UserId,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE second_factor_resets SET confirmed_by = $2, confirmed_at = $3 \
         WHERE id = $1 AND confirmed_at IS NULL",
    )
    .bind(id)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A second-factor reset waiting for its second staff user, for the staff screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFactorReset {
    pub id: FactorResetId,
    pub member_email: String,
    pub requested_by: UserId,
    pub requested_by_email: String,
    pub requested_at: String,
}

/// Resets not confirmed yet, oldest first.
pub async fn pending_factor_resets(conn: &mut AnyConnection) -> Result<Vec<PendingFactorReset>> {
    let rows = sqlx::query(
        "SELECT r.id, m.email AS member_email, r.requested_by, s.email AS staff_email, r.requested_at \
         FROM second_factor_resets r JOIN users m ON m.id = r.user_id \
         JOIN users s ON s.id = r.requested_by WHERE r.confirmed_at IS NULL ORDER BY r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PendingFactorReset {
                id: col(r, "id")?,
                member_email: col(r, "member_email")?,
                requested_by: col(r, "requested_by")?,
                requested_by_email: col(r, "staff_email")?,
                requested_at: col(r, "requested_at")?,
            })
        })
        .collect()
}
