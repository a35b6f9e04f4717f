//! Online backup and restore of the embedded SQLite database.
//!
//! `VACUUM INTO` writes a consistent, compacted copy of the database as of one read transaction
//! while the server keeps serving (readers and the writer are not blocked; WAL mode). PostgreSQL
//! is backed up with its own tools (base backup + WAL archive, `scripts/pg-backup.sh`), because
//! point-in-time recovery needs the WAL stream, which no client-side copy has.

use std::path::Path;

use crate::{Backend, Result, Store, StoreError};

impl Store {
    /// Writes a consistent copy of the SQLite database to `out` (which must not exist yet).
    pub async fn backup_to(&self, out: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::NotForThisBackend(
                "PostgreSQL is backed up with pg_basebackup and the WAL archive (scripts/pg-backup.sh)",
            ));
        }
        if out.exists() {
            return Err(StoreError::Exists(out.display().to_string()));
        }
        let path = out
            .to_str()
            .ok_or_else(|| StoreError::Corrupt(format!("not a UTF-8 path: {}", out.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// SQLite's own structural check (`PRAGMA integrity_check`): pages, indexes and constraints.
    /// Returns the problems found (empty: sound). PostgreSQL checksums its pages itself.
    pub async fn integrity_check(&self) -> Result<Vec<String>> {
        if self.backend != Backend::Sqlite {
            return Ok(Vec::new());
        }
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }
}
