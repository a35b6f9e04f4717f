//! The audit log: one row per state change, written in the same transaction as the change.
//!
//! Rows form a hash chain (each hash covers the previous hash and the row), so editing or deleting
//! a past row is detectable by [`verify`]. The chain head is a single row updated first in every
//! audited transaction; that update also serialises concurrent writers on PostgreSQL so the chain
//! never forks.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::{Result, StoreError, col, sha256_hex};

pub struct Entry<'a> {
    /// Who did it: `user:42`, `system`, `cli`.
    pub actor: &'a str,
    /// What was done: `application.submitted`, `contract.created`, …
    pub action: &'a str,
    /// What it was done to: `application:17`.
    pub target: &'a str,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
    pub at: &'a str,
}

fn row_hash(prev: &str, seq: i64, e: &Entry<'_>, before: &str, after: &str) -> String {
    let text = format!(
        "{prev}\n{seq}\n{}\n{}\n{}\n{}\n{before}\n{after}",
        e.at, e.actor, e.action, e.target
    );
    sha256_hex(text.as_bytes())
}

/// Appends an entry and returns its sequence number.
pub async fn append(conn: &mut AnyConnection, e: &Entry<'_>) -> Result<i64> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = col(&head, "seq")?;
    let prev: String = col(&head, "hash")?;
    let before = e.before.map(Value::to_string).unwrap_or_default();
    let after = e.after.map(Value::to_string).unwrap_or_default();
    let hash = row_hash(&prev, seq, e, &before, &after);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, target, before_state, after_state, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(e.at)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(e.before.map(|_| before.clone()))
    .bind(e.after.map(|_| after.clone()))
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Entries about one target, oldest first.
pub async fn for_target(conn: &mut AnyConnection, target: &str) -> Result<Vec<AuditRow>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, target, before_state, after_state FROM audit_log WHERE target = $1 ORDER BY seq",
    )
    .bind(target)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                seq: col(r, "seq")?,
                at: col(r, "at")?,
                actor: col(r, "actor")?,
                action: col(r, "action")?,
                target: col(r, "target")?,
                before: col(r, "before_state")?,
                after: col(r, "after_state")?,
            })
        })
        .collect()
}

/// Recomputes the chain; returns the number of rows checked, or the first broken sequence number.
pub async fn verify(conn: &mut AnyConnection) -> Result<i64> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, target, before_state, after_state, prev_hash, hash FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut prev = "0".repeat(64);
    for (expected_seq, r) in (1..).zip(&rows) {
        let seq: i64 = col(r, "seq")?;
        let (at, actor, action, target): (String, String, String, String) = (
            col(r, "at")?,
            col(r, "actor")?,
            col(r, "action")?,
            col(r, "target")?,
        );
        let before: Option<String> = col(r, "before_state")?;
        let after: Option<String> = col(r, "after_state")?;
        let stored_prev: String = col(r, "prev_hash")?;
        let stored: String = col(r, "hash")?;
        let entry = Entry {
            actor: &actor,
            action: &action,
            target: &target,
            before: None,
            after: None,
            at: &at,
        };
        let hash = row_hash(
            &prev,
            seq,
            &entry,
            before.as_deref().unwrap_or(""),
            after.as_deref().unwrap_or(""),
        );
        if seq != expected_seq || stored_prev != prev || stored != hash {
            return Err(StoreError::Corrupt(format!(
                "audit chain broken at seq {seq}"
            )));
        }
        prev = stored;
    }
    Ok(rows.len() as i64)
}
