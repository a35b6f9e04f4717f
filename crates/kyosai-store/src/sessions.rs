//! Server-side sessions. The cookie holds a random id; only its hash is stored, so a database
//! leak does not leak live sessions.

use kyosai_domain::UserId;
use sqlx::AnyConnection;

use crate::{Result, col};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    /// The second factor was given in this session.
    pub mfa_done: bool,
}

pub async fn insert(
    conn: &mut AnyConnection,
    id_hash: &str,
    session: Session,
    now: &str,
    expires_at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, mfa_done, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(session.user_id)
    .bind(i64::from(session.mfa_done))
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id_hash: &str, now: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT user_id, mfa_done FROM sessions WHERE id_hash = $1 AND expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Session {
            user_id: col(&r, "user_id")?,
            mfa_done: col::<i64>(&r, "mfa_done")? != 0,
        })
    })
    .transpose()
}

pub async fn delete(conn: &mut AnyConnection, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
