//! Loading a rule set is maker-checker (issue #15 item 2): one staff user (or the CLI) stages a
//! file, which is validated and checked against the sanity bounds in `rules/bounds.toml`; a
//! second staff user, an approver, sees it as a diff against the version in force and approves
//! it. An effective date in the past (back-dating: bills and quotes already made would have
//! been computed differently) needs the approver to confirm it explicitly. The audit rows keep
//! the file's SHA-256.

use kyosai_domain::StagingId;
use std::collections::BTreeMap;

use kyosai_domain::rules::RuleSet;
use kyosai_store::{rule_sets, sha256_hex};
use serde::Serialize;
use serde_json::{Value, json};

use crate::capability::Capability;
use crate::{Actor, App, AppError};

const BOUNDS: &str = include_str!("../../../rules/bounds.toml");

/// One value that differs between the version in force and the staged one (dotted path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub key: String,
    pub in_force: Option<String>,
    pub staged: Option<String>,
}

/// A staged rule file as the approver sees it.
#[derive(Debug, Clone, Serialize)]
pub struct StagedRuleSet {
    pub staging_id: StagingId,
    pub rule_set_id: String,
    pub effective_from: String,
    pub sha256: String,
    pub staged_by: String,
    pub staged_at: String,
    /// The effective date is before today: approving needs an explicit confirmation.
    pub backdated: bool,
    /// The version in force today for the program (None: the first version).
    pub compared_with: Option<String>,
    pub diff: Vec<DiffLine>,
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn flat(set: &RuleSet) -> Result<BTreeMap<String, String>, AppError> {
    let v = serde_json::to_value(set).map_err(|e| AppError::Internal(e.into()))?;
    let mut out = BTreeMap::new();
    flatten("", &v, &mut out);
    Ok(out)
}

/// Every value outside its sanity bounds, as field errors (nothing is staged).
pub fn check_bounds(set: &RuleSet) -> Result<(), AppError> {
    let bounds: toml::Table = BOUNDS
        .parse()
        .map_err(|e: toml::de::Error| AppError::Internal(e.into()))?;
    let Some(program) = bounds.get(set.program.as_str()).and_then(|b| b.as_table()) else {
        return Ok(());
    };
    let values = flat(set)?;
    let mut problems = Vec::new();
    for (key, b) in program {
        let (Some(min), Some(max)) = (
            b.get("min").and_then(toml::Value::as_integer),
            b.get("max").and_then(toml::Value::as_integer),
        ) else {
            continue;
        };
        let Some(value) = values
            .get(&format!("{key}.value"))
            .or_else(|| values.get(key))
            .and_then(|v| v.trim_matches('"').parse::<i64>().ok())
        else {
            continue;
        };
        if !(min..=max).contains(&value) {
            problems.push(kyosai_domain::FieldError::new(
                "rule_file",
                "out_of_bounds",
                format!(
                    "{key} = {value} は想定範囲（{min}〜{max}）の外です。値を確認してください。"
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(problems))
    }
}

/// Parses and validates a rule file (every problem named), then checks the bounds.
pub(crate) fn parse_checked(text: &str) -> Result<RuleSet, AppError> {
    let set = RuleSet::from_toml(text).map_err(|e| {
        AppError::Invalid(
            e.problems
                .into_iter()
                .map(|p| kyosai_domain::FieldError::new("rule_file", "invalid", p))
                .collect(),
        )
    })?;
    check_bounds(&set)?;
    Ok(set)
}

impl App {
    fn staged_view(&self, s: &rule_sets::Staged) -> Result<StagedRuleSet, AppError> {
        let set = RuleSet::from_toml(&s.source_text)
            .map_err(|e| AppError::Internal(format!("staged rule set {}: {e}", s.id).into()))?;
        let book = self.rules.book();
        let current = book.in_force(set.program, self.clock.today());
        let staged = flat(&set)?;
        let before = match current {
            Some(c) => flat(c)?,
            None => BTreeMap::new(),
        };
        let mut keys: Vec<&String> = staged.keys().chain(before.keys()).collect();
        keys.sort();
        keys.dedup();
        let diff = keys
            .into_iter()
            .filter(|k| staged.get(*k) != before.get(*k))
            .map(|k| DiffLine {
                key: k.clone(),
                in_force: before.get(k).cloned(),
                staged: staged.get(k).cloned(),
            })
            .collect();
        Ok(StagedRuleSet {
            staging_id: s.id,
            rule_set_id: s.rule_set_id.clone(),
            effective_from: s.effective_from.clone(),
            sha256: s.sha256.clone(),
            staged_by: s.staged_by.clone(),
            staged_at: s.staged_at.clone(),
            backdated: set.effective_from < self.clock.today(),
            compared_with: current.map(|c| c.id.clone()),
            diff,
        })
    }

    /// Stages a rule file for a second person's approval (`staged_by`: a staff user's audit name
    /// or `cli`). Invalid or out-of-bounds files are refused with every problem; nothing is
    /// staged.
    pub async fn stage_rule_set(
        &self,
        text: &str,
        staged_by: &str,
    ) -> Result<StagedRuleSet, AppError> {
        let set = parse_checked(text)?;
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
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let id = rule_sets::stage(
            tx.conn(),
            &rule_sets::NewRuleSet {
                id: &set.id,
                program: set.program.as_str(),
                effective_from: &set.effective_from.to_string(),
                source_text: text,
                loaded_by: staged_by,
                now: &now,
            },
        )
        .await?;
        self.audit(
            tx.conn(),
            staged_by,
            "rule_set.staged",
            &format!("rule_set:{}", set.id),
            None,
            Some(&json!({ "staging": id, "sha256": sha256_hex(text.as_bytes()), "effective_from": set.effective_from.to_string() })),
        )
        .await?;
        let staged = rule_sets::staged(tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        self.staged_view(&staged)
    }

    /// Staged files waiting for approval, each with its diff (staff).
    pub async fn staged_rule_sets(&self, actor: &Actor) -> Result<Vec<StagedRuleSet>, AppError> {
        self.require(actor, Capability::Review).await?;
        let mut conn = self.store.read().await?;
        let pending = rule_sets::pending(&mut conn).await?;
        drop(conn);
        pending.iter().map(|s| self.staged_view(s)).collect()
    }

    /// A second staff user (an approver, not the one who staged it) approves a staged file; it
    /// is stored as a version and used from its effective date. A back-dated file needs
    /// `confirm_backdating`.
    pub async fn approve_rule_set(
        &self,
        actor: &Actor,
        staging_id: StagingId,
        confirm_backdating: bool,
    ) -> Result<String, AppError> {
        self.require(actor, Capability::Decide).await?;
        let mut conn = self.store.read().await?;
        let staged = rule_sets::staged(&mut conn, staging_id)
            .await?
            .filter(|s| s.decision.is_none())
            .ok_or(AppError::NotFound)?;
        drop(conn);
        if staged.staged_by == actor.audit_name() {
            return Err(AppError::conflict(
                "same_staff",
                "規則セットを登録した職員とは別の職員が承認してください。",
            ));
        }
        let view = self.staged_view(&staged)?;
        if view.backdated && !confirm_backdating {
            return Err(AppError::conflict(
                "backdating_unconfirmed",
                format!(
                    "適用開始日 {} は過去の日付です。さかのぼって適用することを確認してください。",
                    staged.effective_from
                ),
            ));
        }
        let set = parse_checked(&staged.source_text)?;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        if !rule_sets::decide(tx.conn(), staging_id, "approved", &actor.audit_name(), &now).await? {
            return Err(AppError::conflict(
                "already_decided",
                "この規則セットはすでに承認または却下されています。",
            ));
        }
        self.store_rule_set(
            tx,
            &set,
            &staged.source_text,
            &staged.staged_by,
            json!({
                "staging": staging_id,
                "staged_by": staged.staged_by,
                "approved_by": actor.audit_name(),
                "backdated": view.backdated,
            }),
        )
        .await?;
        Ok(set.id)
    }

    /// Refuses a staged file (an approver); it can be staged again corrected.
    pub async fn reject_rule_set(
        &self,
        actor: &Actor,
        staging_id: StagingId,
    ) -> Result<(), AppError> {
        self.require(actor, Capability::Decide).await?;
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        let staged = rule_sets::staged(tx.conn(), staging_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !rule_sets::decide(tx.conn(), staging_id, "rejected", &actor.audit_name(), &now).await? {
            return Err(AppError::conflict(
                "already_decided",
                "この規則セットはすでに承認または却下されています。",
            ));
        }
        self.audit(
            tx.conn(),
            &actor.audit_name(),
            "rule_set.rejected",
            &format!("rule_set:{}", staged.rule_set_id),
            None,
            Some(&json!({ "staging": staging_id, "sha256": staged.sha256 })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rule_sets_are_within_bounds_and_absurd_values_are_not() {
        let book = kyosai_domain::rules::RuleBook::embedded().unwrap();
        for set in book.all() {
            check_bounds(set).unwrap();
        }
        let text = include_str!("../../../rules/small_enterprise/2016-04-01.toml").replace(
            "max_monthly_yen = { value = 70000",
            "max_monthly_yen = { value = 7000000",
        );
        let set = RuleSet::from_toml(&text).unwrap();
        let Err(AppError::Invalid(f)) = check_bounds(&set) else {
            panic!("7,000,000 yen a month is out of bounds");
        };
        assert!(
            f[0].message.contains("premium.max_monthly_yen"),
            "{}",
            f[0].message
        );
    }
}
