//! Backup and verification: what a restore drill runs before a restored copy is trusted.
//!
//! `verify` checks, in this order: SQLite's structural integrity, the audit hash chain, the
//! premium ledger against the bill lines it was posted from (per contract, and per result), the
//! recorded request-file figures against their lines and, when the files are at hand, their
//! recorded SHA-256 digests; the stored rule-set texts against their digests, and that every
//! rule set a stored decision names is known to this binary.

use std::path::Path;

use kyosai_store::{audit, integrity, sha256_hex};

use crate::{App, AppError};

/// One check of [`App::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    /// What was checked (`1234 rows`), for the report.
    pub checked: String,
    /// What is wrong (empty: the check passed).
    pub problems: Vec<String>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Everything [`App::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(Check::passed)
    }
}

impl App {
    /// Writes a consistent copy of the (SQLite) database to `out` while the server keeps serving.
    pub async fn backup(&self, out: &Path) -> Result<(), AppError> {
        Ok(self.store.backup_to(out).await?)
    }

    /// Runs every check (see the module doc). `billing_dir`: where the request files were
    /// written; each recorded file found there must have its recorded digest (files absent
    /// there are listed as not checked, not as failures: they may live on the bank's side).
    pub async fn verify(&self, billing_dir: Option<&Path>) -> Result<Report, AppError> {
        let mut checks = Vec::new();
        let structural = self.store.integrity_check().await?;
        checks.push(Check {
            name: "database structure",
            checked: "SQLite PRAGMA integrity_check (PostgreSQL checks its own pages)".into(),
            problems: structural,
        });
        let mut conn = self.store.read().await?;
        checks.push(
            match audit::verify(&mut conn, self.store.audit_key()).await {
                Ok(verified) => Check {
                    name: "audit chain",
                    checked: format!("{} entries (keyed chain and head row)", verified.rows),
                    problems: Vec::new(),
                },
                Err(kyosai_store::StoreError::Corrupt(e)) => Check {
                    name: "audit chain",
                    checked: "chain from the first entry".into(),
                    problems: vec![e],
                },
                Err(e) => return Err(e.into()),
            },
        );
        let mut ledger = integrity::billed_mismatches(&mut conn).await?;
        ledger.extend(integrity::result_mismatches(&mut conn).await?);
        checks.push(Check {
            name: "ledger against bill lines",
            checked: "billed total per contract, every debit result".into(),
            problems: ledger,
        });
        checks.push(Check {
            name: "request file figures",
            checked: "record count and total of every recorded file".into(),
            problems: integrity::file_figure_mismatches(&mut conn).await?,
        });
        let files = integrity::recorded_files(&mut conn).await?;
        let mut digests = Vec::new();
        let mut found = 0;
        if let Some(dir) = billing_dir {
            for f in &files {
                let Ok(bytes) = std::fs::read(dir.join(&f.name)) else {
                    continue;
                };
                found += 1;
                if sha256_hex(&bytes) != f.sha256 {
                    digests.push(format!("{}: SHA-256 differs from the recorded one", f.name));
                }
            }
        }
        checks.push(Check {
            name: "request file digests",
            checked: match billing_dir {
                Some(dir) => format!(
                    "{found} of {} recorded files found in {}",
                    files.len(),
                    dir.display()
                ),
                None => format!("{} recorded files; no folder given", files.len()),
            },
            problems: digests,
        });
        let mut rules = integrity::rule_set_digest_mismatches(&mut conn).await?;
        let book = self.rules.book();
        let used = integrity::rule_sets_in_use(&mut conn).await?;
        for id in &used {
            if book.by_id(id).is_none() {
                rules.push(format!(
                    "rule set {id} is named by stored decisions but unknown to this binary"
                ));
            }
        }
        checks.push(Check {
            name: "rule-set versions",
            checked: format!("{} versions named by stored decisions", used.len()),
            problems: rules,
        });
        Ok(Report { checks })
    }
}
