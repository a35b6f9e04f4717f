//! Rule-set versions loaded by an operator (the TOML text as loaded, so a computation can be
//! redone as of any date with exactly the rules then in force).

use kyosai_domain::StagingId;
use sqlx::AnyConnection;

use crate::{Result, col, sha256_hex};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRuleSet {
    pub id: String,
    pub program: String,
    pub effective_from: String,
    pub source_text: String,
    pub loaded_by: String,
    pub loaded_at: String,
}

pub struct NewRuleSet<'a> {
    pub id: &'a str,
    pub program: &'a str,
    pub effective_from: &'a str,
    pub source_text: &'a str,
    pub loaded_by: &'a str,
    pub now: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, r: &NewRuleSet<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO rule_set_versions (id, program, effective_from, source_text, sha256, loaded_by, loaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id)
    .bind(r.program)
    .bind(r.effective_from)
    .bind(r.source_text)
    .bind(sha256_hex(r.source_text.as_bytes()))
    .bind(r.loaded_by)
    .bind(r.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The ids of the loaded versions (a cheap check for new ones).
pub async fn ids(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM rule_set_versions")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| col(r, "id")).collect()
}

/// Every loaded version, oldest first.
pub async fn all(conn: &mut AnyConnection) -> Result<Vec<StoredRuleSet>> {
    let rows = sqlx::query(
        "SELECT id, program, effective_from, source_text, loaded_by, loaded_at FROM rule_set_versions ORDER BY loaded_at, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredRuleSet {
                id: col(r, "id")?,
                program: col(r, "program")?,
                effective_from: col(r, "effective_from")?,
                source_text: col(r, "source_text")?,
                loaded_by: col(r, "loaded_by")?,
                loaded_at: col(r, "loaded_at")?,
            })
        })
        .collect()
}

/// A rule file waiting for a second staff user's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub id: StagingId,
    pub rule_set_id: String,
    pub program: String,
    pub effective_from: String,
    pub source_text: String,
    pub sha256: String,
    pub staged_by: String,
    pub staged_at: String,
    pub decision: Option<String>,
}

pub async fn stage(conn: &mut AnyConnection, r: &NewRuleSet<'_>) -> Result<StagingId> {
    let row = sqlx::query(
        "INSERT INTO rule_set_stagings (rule_set_id, program, effective_from, source_text, sha256, staged_by, staged_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(r.id)
    .bind(r.program)
    .bind(r.effective_from)
    .bind(r.source_text)
    .bind(sha256_hex(r.source_text.as_bytes()))
    .bind(r.loaded_by)
    .bind(r.now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

const STAGED_COLUMNS: &str =
    "id, rule_set_id, program, effective_from, source_text, sha256, staged_by, staged_at, decision";

fn staged_row(r: &sqlx::any::AnyRow) -> Result<Staged> {
    Ok(Staged {
        id: col(r, "id")?,
        rule_set_id: col(r, "rule_set_id")?,
        program: col(r, "program")?,
        effective_from: col(r, "effective_from")?,
        source_text: col(r, "source_text")?,
        sha256: col(r, "sha256")?,
        staged_by: col(r, "staged_by")?,
        staged_at: col(r, "staged_at")?,
        decision: col(r, "decision")?,
    })
}

pub async fn staged(conn: &mut AnyConnection, id: StagingId) -> Result<Option<Staged>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STAGED_COLUMNS} FROM rule_set_stagings WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(staged_row).transpose()
}

/// Stagings without a decision, oldest first.
pub async fn pending(conn: &mut AnyConnection) -> Result<Vec<Staged>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {STAGED_COLUMNS} FROM rule_set_stagings WHERE decision IS NULL ORDER BY id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(staged_row).collect()
}

/// Records the decision once; false when it was already decided.
pub async fn decide(
    conn: &mut AnyConnection,
    id: StagingId,
    decision: &str,
    by: &str,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rule_set_stagings SET decision = $2, decided_by = $3, decided_at = $4 \
         WHERE id = $1 AND decision IS NULL",
    )
    .bind(id)
    .bind(decision)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
