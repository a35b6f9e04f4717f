//! The transactional outbox: side effects (mail, notices) are written in the same transaction as
//! the change that causes them and delivered after commit, so nothing acknowledged is lost and
//! nothing is sent for a change that rolled back.

use kyosai_domain::OutboxId;

use crate::bulk::Cell::{Int, Text};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: OutboxId,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: String,
}

pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &str,
    now: &str,
) -> Result<OutboxId> {
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

/// Enqueues many items of one kind; returns their ids in `payloads` order.
///
/// A multi-row INSERT does not promise to return its ids in row order, so on PostgreSQL the ids
/// are drawn from the table's sequence first and the rows inserted with them in one statement
/// per 5,000: the first national billing run mails 357,254 notices, which were as many round
/// trips. SQLite (in process, no round trips) inserts them one by one.
pub async fn enqueue_many(
    conn: &mut AnyConnection,
    kind: &str,
    payloads: &[String],
    now: &str,
) -> Result<Vec<OutboxId>> {
    if payloads.len() < 2 || crate::bulk::is_sqlite(conn) {
        let mut ids = Vec::with_capacity(payloads.len());
        for p in payloads {
            ids.push(enqueue(conn, kind, p, now).await?);
        }
        return Ok(ids);
    }
    let n = i64::try_from(payloads.len())
        .map_err(|_| crate::StoreError::Corrupt("too many mails at once".into()))?;
    // The ids as one text, not a row each (about 10 µs a row through the `Any` driver).
    let row = sqlx::query(
        "SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM \
         (SELECT nextval(pg_get_serial_sequence('outbox', 'id')) AS id FROM generate_series(1, $1)) s",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    let ids = col::<String>(&row, "ids")?
        .split(',')
        .map(|id| {
            id.parse::<i64>()
                .map(OutboxId::new)
                .map_err(|_| crate::StoreError::Corrupt(format!("outbox id {id:?}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let items: Vec<(OutboxId, &String)> = ids.iter().copied().zip(payloads).collect();
    crate::bulk::insert(
        conn,
        "outbox",
        &["id", "kind", "payload", "created_at"],
        &items,
        |(id, payload)| vec![Int(id.get()), Text(kind), Text(payload), Text(now)],
    )
    .await?;
    Ok(ids)
}

/// Every undelivered item, oldest first, whether or not its retry is due (inspection and tests).
pub async fn pending(conn: &mut AnyConnection, limit: i64) -> Result<Vec<OutboxItem>> {
    let rows = sqlx::query(
        "SELECT id, kind, payload, attempts, created_at FROM outbox WHERE processed_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(item).collect()
}

/// Undelivered items whose next attempt is due at `now`, oldest first: what the delivery loop
/// sends. Nothing is ever given up: a failing item waits longer and longer ([`mark_failed`]).
pub async fn due(conn: &mut AnyConnection, now: &str, limit: i64) -> Result<Vec<OutboxItem>> {
    let rows = sqlx::query(
        "SELECT id, kind, payload, attempts, created_at FROM outbox WHERE processed_at IS NULL \
         AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(item).collect()
}

fn item(r: &crate::AnyRow) -> Result<OutboxItem> {
    Ok(OutboxItem {
        id: col(r, "id")?,
        kind: col(r, "kind")?,
        payload: col(r, "payload")?,
        attempts: col(r, "attempts")?,
        created_at: col(r, "created_at")?,
    })
}

/// Marks delivered items, in statements of up to 500 ids (one round of delivery is one short
/// write, not one per mail).
pub async fn mark_done(conn: &mut AnyConnection, ids: &[OutboxId], now: &str) -> Result<()> {
    set_for_ids(conn, "processed_at", ids, now).await
}

/// Puts items off until `until` without counting an attempt (work that waits for a quieter
/// moment, not a failure).
pub async fn postpone(conn: &mut AnyConnection, ids: &[OutboxId], until: &str) -> Result<()> {
    set_for_ids(conn, "next_attempt_at", ids, until).await
}

/// Sets one timestamp column of the items, in statements of up to 500 ids.
async fn set_for_ids(
    conn: &mut AnyConnection,
    column: &'static str,
    ids: &[OutboxId],
    value: &str,
) -> Result<()> {
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE outbox SET {column} = $1 WHERE id IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(value);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records a failed attempt; the item is tried again from `next_attempt_at` (the caller's
/// back-off, see [`retry_delay`]).
pub async fn mark_failed(
    conn: &mut AnyConnection,
    id: OutboxId,
    next_attempt_at: &str,
) -> Result<()> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1")
        .bind(id)
        .bind(next_attempt_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How long to wait after the `attempts`-th failure: 2, 4, 8 … seconds, at most an hour, so a
/// long outage costs a try an hour per mail and a short one delays mail by seconds.
pub fn retry_delay(attempts: i64) -> std::time::Duration {
    let exp = u32::try_from(attempts.clamp(1, 12)).unwrap_or(12);
    std::time::Duration::from_secs((1u64 << exp).min(3600))
}
