//! The transactional outbox: side effects (mail, notices) are written in the same transaction as
//! the change that causes them and delivered after commit, so nothing acknowledged is lost and
//! nothing is sent for a change that rolled back.

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &str,
    now: &str,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO outbox (kind, payload, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Oldest undelivered items first.
pub async fn pending(conn: &mut AnyConnection, limit: i64) -> Result<Vec<OutboxItem>> {
    let rows = sqlx::query(
        "SELECT id, kind, payload, attempts FROM outbox WHERE processed_at IS NULL AND attempts < 10 ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OutboxItem {
                id: col(r, "id")?,
                kind: col(r, "kind")?,
                payload: col(r, "payload")?,
                attempts: col(r, "attempts")?,
            })
        })
        .collect()
}

/// Marks delivered items, in statements of up to 500 ids (one round of delivery is one short
/// write, not one per mail).
pub async fn mark_done(conn: &mut AnyConnection, ids: &[i64], now: &str) -> Result<()> {
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE outbox SET processed_at = $1 WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn mark_failed(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
