//! Rule-set versions loaded at run time: a law change or a disaster special measure becomes a new
//! version with an effective date, validated before it is accepted, without a release.

use kyosai_domain::rules::{RuleBook, RuleSet};
use kyosai_store::rule_sets;
use serde_json::json;

use crate::{App, AppError};

impl App {
    /// Makes the rule book the embedded versions plus every version stored in the database
    /// (loaded by an operator here or on another instance). Called at start-up by every command
    /// and periodically by the server; does nothing when no new version was stored. A stored
    /// version that no longer validates is an error with its report (the book in use stays),
    /// rather than silently computing with other rules. Returns whether the book changed.
    pub async fn refresh_rules(&self) -> Result<bool, AppError> {
        let mut conn = self.store.read().await?;
        let ids = rule_sets::ids(&mut conn).await?;
        let current = self.rules.book();
        if ids.iter().all(|id| current.by_id(id).is_some()) {
            return Ok(false);
        }
        let stored = rule_sets::all(&mut conn).await?;
        drop(conn);
        let mut book = RuleBook::embedded().map_err(|e| AppError::Internal(e.into()))?;
        for s in stored {
            let set = RuleSet::from_toml(&s.source_text)
                .map_err(|e| AppError::Internal(format!("stored rule set {}: {e}", s.id).into()))?;
            book.add(set).map_err(|e| AppError::Internal(e.into()))?;
        }
        self.rules.replace(book);
        Ok(true)
    }

    /// Validates a rule file (with the sanity bounds) and stores it as a new version at once,
    /// without a second person: for tests and demo seeding only. People load rule files
    /// through [`App::stage_rule_set`] and [`App::approve_rule_set`] (maker-checker); the staff
    /// screen and the CLI do. Returns the version id; an invalid file is refused with every
    /// problem named and nothing is stored.
    #[tracing::instrument(skip(self, text))]
    pub async fn load_rule_set(&self, text: &str, loaded_by: &str) -> Result<String, AppError> {
        let set = crate::rule_staging::parse_checked(text)?;
        self.refresh_rules().await?;
        if self.rules.book().by_id(&set.id).is_some() {
            return Err(AppError::conflict(
                "rule_set_exists",
                format!(
                    "規則セット {} はすでにあります。新しい版には別の適用開始日を付けてください。",
                    set.id
                ),
            ));
        }
        let tx = self.store.begin_write().await?;
        self.store_rule_set(tx, &set, text, loaded_by, json!({}))
            .await?;
        Ok(set.id)
    }

    /// Stores a checked version in `tx` with its audit row (the file's SHA-256 and `extra`),
    /// commits, and takes the version into use.
    pub(crate) async fn store_rule_set(
        &self,
        mut tx: kyosai_store::WriteTx,
        set: &RuleSet,
        text: &str,
        loaded_by: &str,
        extra: serde_json::Value,
    ) -> Result<(), AppError> {
        let now = self.clock.now_text();
        rule_sets::insert(
            tx.conn(),
            &rule_sets::NewRuleSet {
                id: &set.id,
                program: set.program.as_str(),
                effective_from: &set.effective_from.to_string(),
                source_text: text,
                loaded_by,
                now: &now,
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            loaded_by,
            "rule_set.loaded",
            &format!("rule_set:{}", set.id),
            None,
            Some(&json!({
                "program": set.program.as_str(),
                "effective_from": set.effective_from.to_string(),
                "provisional": set.has_provisional(),
                "sha256": kyosai_store::sha256_hex(text.as_bytes()),
                "maker_checker": extra,
            })),
        )
        .await?;
        tx.commit().await?;
        self.refresh_rules().await?;
        Ok(())
    }

    /// Who loaded each stored version and when, for the staff list (a version not listed is
    /// embedded in the release).
    pub async fn rule_set_origins(&self) -> Result<Vec<RuleSetOrigin>, AppError> {
        let mut conn = self.store.read().await?;
        Ok(rule_sets::all(&mut conn)
            .await?
            .into_iter()
            .map(|s| RuleSetOrigin {
                id: s.id,
                loaded_by: s.loaded_by,
                loaded_at: s.loaded_at,
            })
            .collect())
    }
}

/// Where a stored rule-set version came from.
#[derive(Debug, Clone)]
pub struct RuleSetOrigin {
    pub id: String,
    pub loaded_by: String,
    /// A stored timestamp (UTC).
    pub loaded_at: String,
}
