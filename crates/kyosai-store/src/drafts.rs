//! Unfinished enrollment forms, so a member can fill in one short step at a time on a phone and
//! come back later.

use kyosai_domain::UserId;
use sqlx::AnyConnection;

use crate::{Result, col};

pub async fn get(
    conn: &mut AnyConnection,
    user_id: UserId,
    program: &str,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT data FROM drafts WHERE user_id = $1 AND program = $2")
        .bind(user_id)
        .bind(program)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "data")).transpose()
}

pub async fn put(
    conn: &mut AnyConnection,
    user_id: UserId,
    program: &str,
    data: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO drafts (user_id, program, data, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, program) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(program)
    .bind(data)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, user_id: UserId, program: &str) -> Result<()> {
    sqlx::query("DELETE FROM drafts WHERE user_id = $1 AND program = $2")
        .bind(user_id)
        .bind(program)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
