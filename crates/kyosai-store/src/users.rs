//! Accounts of every kind (members, staff, agency users, data-entry operators, service accounts)
//! and their second factor.

use kyosai_domain::{AgencyId, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{AnyRow, Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub role: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub email_verified: bool,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: i64,
    pub agency_id: Option<AgencyId>,
}

const COLUMNS: &str = "id, role, email, display_name, password_hash, email_verified_at, \
                       totp_secret, totp_enabled, totp_last_step, agency_id";

fn from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: col(row, "id")?,
        role: col(row, "role")?,
        email: col(row, "email")?,
        display_name: col(row, "display_name")?,
        password_hash: col(row, "password_hash")?,
        email_verified: col::<Option<String>>(row, "email_verified_at")?.is_some(),
        totp_secret: col(row, "totp_secret")?,
        totp_enabled: col::<i64>(row, "totp_enabled")? != 0,
        totp_last_step: col(row, "totp_last_step")?,
        agency_id: col(row, "agency_id")?,
    })
}

pub struct NewUser<'a> {
    pub role: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    /// Set for accounts created already verified (staff, demo data).
    pub verified_at: Option<&'a str>,
    pub agency_id: Option<AgencyId>,
    pub now: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, u: &NewUser<'_>) -> Result<UserId> {
    let row = sqlx::query(
        "INSERT INTO users (role, email, display_name, password_hash, email_verified_at, agency_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(u.role)
    .bind(u.email)
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.verified_at)
    .bind(u.agency_id)
    .bind(u.now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

pub async fn by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<User>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE email = $1"
    )))
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(conn: &mut AnyConnection, id: UserId) -> Result<Option<User>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn set_totp_secret(conn: &mut AnyConnection, id: UserId, secret: &str) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = 0 WHERE id = $2")
        .bind(secret)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn enable_totp(conn: &mut AnyConnection, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET totp_enabled = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records that a TOTP time step was used. Returns false when that step (or a later one) was
/// already used, so a code cannot be replayed — checked and written in one statement.
pub async fn use_totp_step(conn: &mut AnyConnection, id: UserId, step: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
            .bind(step)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_verification(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: UserId,
    expires_at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_verifications (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Consumes a verification token; returns the user it verified.
pub async fn consume_verification(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> Result<Option<UserId>> {
    let row = sqlx::query(
        "UPDATE email_verifications SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: UserId = col(&row, "user_id")?;
    sqlx::query(
        "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(Some(user_id))
}

/// How many accounts exist (demo data is seeded only into an empty database).
pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "n")
}

/// Records a staff user's power (`reviewer` or `approver`), replacing any earlier one.
pub async fn set_staff_power(
    conn: &mut AnyConnection,
    user_id: UserId,
    power: &str,
    now: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM staff_powers WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO staff_powers (user_id, power, granted_at) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(power)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A staff user's power; None for anyone else.
pub async fn staff_power(conn: &mut AnyConnection, user_id: UserId) -> Result<Option<String>> {
    let row = sqlx::query("SELECT power FROM staff_powers WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "power")).transpose()
}

/// A service account's scopes (comma-separated, as stored).
pub async fn service_scopes(conn: &mut AnyConnection, user_id: UserId) -> Result<String> {
    let row = sqlx::query("SELECT service_scopes FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row
        .map(|r| col(&r, "service_scopes"))
        .transpose()?
        .unwrap_or_default())
}

pub async fn set_service_scopes(
    conn: &mut AnyConnection,
    user_id: UserId,
    scopes: &str,
) -> Result<()> {
    sqlx::query("UPDATE users SET service_scopes = $2 WHERE id = $1")
        .bind(user_id)
        .bind(scopes)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A new sign-up for an address nobody verified: its password replaces the earlier one and the
/// earlier links stop working (the address's owner proves it by the newest link).
pub async fn replace_unverified_password(
    conn: &mut AnyConnection,
    id: UserId,
    password_hash: &str,
) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1 AND email_verified_at IS NULL")
        .bind(id)
        .bind(password_hash)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM email_verifications WHERE user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
