//! The audit log: one row per state change, written in the same transaction as the change.
//!
//! Rows form a hash chain (each link covers the previous link and the row), so editing or
//! deleting a past row is detectable by [`verify`]. The chain head is a single row: claiming
//! sequence numbers updates it, which also serialises concurrent writers on PostgreSQL so the
//! chain never forks, and an insert trigger gives it each new row's link. It stays locked until
//! the transaction ends, so callers append their rows together, last ([`append_all`]).
//!
//! Issue #15 item 3 made the trail trustworthy against someone who can write to the database:
//! - the links are HMAC-SHA-256 with an [`AuditKey`] kept outside the database, so a rewritten
//!   chain cannot be recomputed without the key (rows written before the key existed keep plain
//!   SHA-256 links, up to `audit_head.keyed_from`);
//! - the table is append-only (triggers refuse UPDATE and DELETE);
//! - [`verify`] also checks the head row against the last row, so deleting the newest rows is
//!   detected unless the head is rewritten too, and
//! - a signed [`Checkpoint`] (head link, row count, time) written to a file every hour catches
//!   that: [`verify_checkpoints`] refuses a log shorter than a checkpoint or whose row at a
//!   checkpoint's count has another link.

use serde_json::Value;
use sqlx::{AnyConnection, AssertSqlSafe};

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

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

/// The secret the chain's links and the checkpoints are keyed with: 32 random bytes in a file
/// outside the database (`--audit-key-file`), so whoever can write to the database cannot
/// recompute the chain.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// The key of tests and of a store opened without a key file. Never use it for real data:
    /// it is public.
    pub fn development() -> AuditKey {
        AuditKey(*b"kyosai-development-audit-key-32b")
    }

    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey(bytes)
    }

    /// Reads the key file (64 hex digits), creating it with a fresh random key (mode 0600) when
    /// it does not exist and `create` is set (first start, the demo).
    pub fn load(path: &Path, create: bool) -> std::io::Result<AuditKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).map_err(std::io::Error::other)?;
                let key: [u8; 32] = bytes.try_into().map_err(|_| {
                    std::io::Error::other("the audit key file must hold 64 hex digits")
                })?;
                Ok(AuditKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut key = [0u8; 32];
                getrandom_fill(&mut key)?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut f = options.open(path)?;
                f.write_all(hex::encode(key).as_bytes())?;
                f.sync_all()?;
                Ok(AuditKey(key))
            }
            Err(e) => Err(e),
        }
    }

    /// HMAC-SHA-256 (RFC 2104) of `message`, hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(hmac_sha256(&self.0, message))
    }
}

/// Random bytes from the operating system (`/dev/urandom`; the store has no RNG dependency).
fn getrandom_fill(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut padded = [0u8; BLOCK];
    padded[..32].copy_from_slice(key);
    let mut inner = Sha256::new();
    inner.update(padded.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(padded.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn row_text(prev: &str, seq: i64, e: &Entry<'_>, before: &str, after: &str) -> String {
    format!(
        "{prev}\n{seq}\n{}\n{}\n{}\n{}\n{before}\n{after}",
        e.at, e.actor, e.action, e.target
    )
}

/// The link of a row: keyed from `keyed_from` on, plain SHA-256 before (rows older than the key).
fn row_hash(
    key: &AuditKey,
    keyed: bool,
    prev: &str,
    seq: i64,
    e: &Entry<'_>,
    before: &str,
    after: &str,
) -> String {
    let text = row_text(prev, seq, e, before, after);
    if keyed {
        key.sign(text.as_bytes())
    } else {
        sha256_hex(text.as_bytes())
    }
}

/// Appends an entry and returns its sequence number.
pub async fn append(conn: &mut AnyConnection, key: &AuditKey, e: &Entry<'_>) -> Result<i64> {
    append_all(conn, key, std::slice::from_ref(e)).await
}

/// Appends `entries` in order, in two statements whatever their number, and returns the last
/// one's sequence number (no entries: nothing is written and it returns 0). Claiming the sequence numbers
/// locks the chain's head until the transaction ends (PostgreSQL runs writers concurrently),
/// so a procedure appends its rows together at its end: the head is then held only for these
/// two statements and the commit.
pub async fn append_all(
    conn: &mut AnyConnection,
    key: &AuditKey,
    entries: &[Entry<'_>],
) -> Result<i64> {
    if entries.is_empty() {
        return Ok(0);
    }
    let count = i64::try_from(entries.len())
        .map_err(|_| StoreError::Corrupt("too many audit rows".into()))?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
    let last: i64 = col(&head, "seq")?;
    let mut prev: String = col(&head, "hash")?;
    let mut rows = Vec::with_capacity(entries.len());
    for (e, seq) in entries.iter().zip(last - count + 1..) {
        let before = e.before.map(Value::to_string);
        let after = e.after.map(Value::to_string);
        let hash = row_hash(
            key,
            true,
            &prev,
            seq,
            e,
            before.as_deref().unwrap_or_default(),
            after.as_deref().unwrap_or_default(),
        );
        rows.push((
            seq,
            e,
            before,
            after,
            std::mem::replace(&mut prev, hash.clone()),
            hash,
        ));
    }
    let mut sql = String::from(
        "INSERT INTO audit_log (seq, at, actor, action, target, before_state, after_state, prev_hash, hash) VALUES ",
    );
    crate::bulk::push_placeholders(&mut sql, rows.len(), 9, crate::bulk::is_sqlite(conn));
    let mut insert = sqlx::query(AssertSqlSafe(sql));
    for (seq, e, before, after, prev, hash) in rows {
        insert = insert
            .bind(seq)
            .bind(e.at)
            .bind(e.actor)
            .bind(e.action)
            .bind(e.target)
            .bind(before)
            .bind(after)
            .bind(prev)
            .bind(hash);
    }
    // The head takes the newest link from the insert's trigger (migration 0036).
    insert.execute(&mut *conn).await?;
    Ok(last)
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

/// What [`verify`] found: the rows checked and the head they end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub rows: i64,
    pub head_hash: String,
}

const VERIFY_PAGE: i64 = 5_000;

/// Recomputes the chain, page by page, and checks the head row against the last row. Returns
/// the rows checked and the head, or the first broken sequence number.
///
/// The head is read first and only rows up to it are checked: the head and its row are written
/// in one transaction, so rows appended while this runs (a live server) are simply not yet
/// looked at, and no snapshot isolation is needed.
pub async fn verify(conn: &mut AnyConnection, key: &AuditKey) -> Result<Verified> {
    let head = sqlx::query("SELECT seq, hash, keyed_from FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let (head_seq, head_hash, keyed_from): (i64, String, i64) = (
        col(&head, "seq")?,
        col(&head, "hash")?,
        col(&head, "keyed_from")?,
    );
    let mut prev = "0".repeat(64);
    let mut last = 0_i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, target, before_state, after_state, prev_hash, hash \
             FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
        )
        .bind(last)
        .bind(head_seq)
        .bind(VERIFY_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
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
                key,
                seq >= keyed_from,
                &prev,
                seq,
                &entry,
                before.as_deref().unwrap_or(""),
                after.as_deref().unwrap_or(""),
            );
            if seq != last + 1 || stored_prev != prev || stored != hash {
                return Err(StoreError::Corrupt(format!(
                    "audit chain broken at seq {seq}"
                )));
            }
            prev = stored;
            last = seq;
        }
    }
    if head_seq != last || head_hash != prev {
        return Err(StoreError::Corrupt(format!(
            "audit head (seq {head_seq}) does not match the last row (seq {last}): rows were removed or the head was changed"
        )));
    }
    Ok(Verified {
        rows: last,
        head_hash: prev,
    })
}

/// A signed statement "the chain had `count` rows ending in `head_hash` at `at`", one line of
/// the checkpoint file: `at count head_hash signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub at: String,
    pub count: i64,
    pub head_hash: String,
}

impl Checkpoint {
    fn payload(&self) -> String {
        format!("{} {} {}", self.at, self.count, self.head_hash)
    }

    pub fn line(&self, key: &AuditKey) -> String {
        let payload = self.payload();
        format!("{payload} {}", key.sign(payload.as_bytes()))
    }

    /// A line of the file, if its signature is right.
    pub fn parse(line: &str, key: &AuditKey) -> Option<Checkpoint> {
        let mut parts = line.split_whitespace();
        let (at, count, head_hash, signature) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let c = Checkpoint {
            at: at.to_string(),
            count: count.parse().ok()?,
            head_hash: head_hash.to_string(),
        };
        (parts.next().is_none() && key.sign(c.payload().as_bytes()) == signature).then_some(c)
    }
}

/// Verifies the chain and appends a signed checkpoint of its head to `path` (fsynced).
pub async fn write_checkpoint(
    conn: &mut AnyConnection,
    key: &AuditKey,
    path: &Path,
    at: &str,
) -> Result<Checkpoint> {
    let v = verify(conn, key).await?;
    let c = Checkpoint {
        at: at.to_string(),
        count: v.rows,
        head_hash: v.head_hash,
    };
    let io = |e: std::io::Error| StoreError::Corrupt(format!("{}: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    writeln!(f, "{}", c.line(key)).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(c)
}

/// Checks the chain against every checkpoint in `path` (none yet: nothing to check): each line
/// must be signed with the key, and the log must still hold the row the checkpoint ended at,
/// with the same link. Returns the checkpoints checked.
pub async fn verify_checkpoints(
    conn: &mut AnyConnection,
    key: &AuditKey,
    path: &Path,
) -> Result<usize> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(StoreError::Corrupt(format!("{}: {e}", path.display()))),
    };
    let mut checked = 0;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let Some(c) = Checkpoint::parse(line, key) else {
            return Err(StoreError::Corrupt(format!(
                "audit checkpoint line {} is not signed with this key",
                n + 1
            )));
        };
        if c.count == 0 {
            checked += 1;
            continue;
        }
        let row = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(c.count)
            .fetch_optional(&mut *conn)
            .await?;
        let hash: Option<String> = row.map(|r| col(&r, "hash")).transpose()?;
        if hash.as_deref() != Some(c.head_hash.as_str()) {
            return Err(StoreError::Corrupt(format!(
                "the audit log no longer matches the checkpoint of {} ({} rows)",
                c.at, c.count
            )));
        }
        checked += 1;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our keys are always 32 bytes; checked against a value computed independently:
    /// `printf kyosai | openssl dgst -sha256 -hmac kyosai-development-audit-key-32b`.
    #[test]
    fn hmac_matches_openssl() {
        let key = AuditKey::development();
        assert_eq!(
            key.sign(b"kyosai"),
            "aafaf81a6827df26642513e57a7697dd323c6fe7f637f5ce640ada2c58158b20"
        );
    }

    #[test]
    fn a_checkpoint_line_is_signed() {
        let key = AuditKey::development();
        let c = Checkpoint {
            at: "2026-11-28T00:00:00Z".into(),
            count: 3,
            head_hash: "ab".repeat(32),
        };
        let line = c.line(&key);
        assert_eq!(Checkpoint::parse(&line, &key), Some(c));
        assert_eq!(Checkpoint::parse(&line.replace(" 3 ", " 2 "), &key), None);
        assert_eq!(
            Checkpoint::parse(&line, &AuditKey::from_bytes([7; 32])),
            None
        );
    }
}
