//! Rule sets: every number the programs' rules use, as effective-dated, sourced data.
//!
//! A rule set is one TOML file under `rules/<program>/<effective-from>.toml`. The files shipped
//! with the code are embedded; an operator can load a newer version at run time (validated by
//! [`RuleSet::from_toml`] before it is accepted). Past versions stay, so any computation can be
//! redone as of its date with [`RuleBook::in_force`]. Each value carries its source and whether it
//! is provisional (REFERENCE marks it UNKNOWN or uncertain); results computed from a provisional
//! value are estimates (概算).

mod enrollment;
pub mod safety_net;
pub mod small_enterprise;
pub mod tables;

use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub use enrollment::{
    CollectionRules, DebitCycle, EligibilityRules, Industry, LegalForm, PaymentFrequency,
    PremiumError, PremiumRules, SizeLimit,
};
pub use safety_net::SafetyNetRules;
pub use small_enterprise::SmallEnterpriseRules;
pub use tables::{PerUnitTable, RateBand, RateTable};

use crate::program::Program;

/// A value with the source it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
    /// True when the value is not confirmed by an official source.
    #[serde(default)]
    pub provisional: bool,
}

impl<T: Copy> Sourced<T> {
    pub fn get(&self) -> T {
        self.value
    }
}

/// All rules of one program from one effective date on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Unique version id, e.g. `small_enterprise/2016-04-01`.
    pub id: String,
    pub program: Program,
    pub effective_from: Date,
    /// What changed in this version and why, for staff.
    pub description: String,
    pub premium: PremiumRules,
    pub collection: CollectionRules,
    pub eligibility: EligibilityRules,
    /// The 小規模企業共済 calculators' numbers; required in a `small_enterprise` rule set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_enterprise: Option<SmallEnterpriseRules>,
    /// The 経営セーフティ共済 calculators' numbers; required in a `safety_net` rule set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_net: Option<SafetyNetRules>,
}

/// Why a rule file was refused. Each entry names the place and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleFileError {
    pub problems: Vec<String>,
}

impl fmt::Display for RuleFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule file refused: {}", self.problems.join("; "))
    }
}

impl RuleSet {
    /// Parses and validates a rule file. Unknown keys, missing sources and inconsistent values
    /// are refused, so a typo never silently falls back to a default.
    pub fn from_toml(text: &str) -> Result<RuleSet, RuleFileError> {
        let set: RuleSet = toml::from_str(text).map_err(|e| RuleFileError {
            problems: vec![describe_toml_error(text, &e)],
        })?;
        let problems = set.problems();
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(RuleFileError { problems })
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let expected_id = format!("{}/{}", self.program.as_str(), self.effective_from);
        if self.id != expected_id {
            p.push(format!(
                "id: expected \"{expected_id}\", found \"{}\"",
                self.id
            ));
        }
        self.premium.check(&mut p);
        self.collection.check(&mut p);
        self.eligibility.check(self.program, &mut p);
        match (self.program, &self.small_enterprise, &self.safety_net) {
            (Program::SmallEnterprise, Some(se), None) => se.check(&mut p),
            (Program::SafetyNet, None, Some(sn)) => sn.check(&mut p),
            (Program::SmallEnterprise, _, _) => p.push(
                "small_enterprise: a small_enterprise rule set needs a [small_enterprise] section and no [safety_net] section".into(),
            ),
            (Program::SafetyNet, _, _) => p.push(
                "safety_net: a safety_net rule set needs a [safety_net] section and no [small_enterprise] section".into(),
            ),
        }
        p
    }

    /// Whether any value this rule set holds is provisional.
    pub fn has_provisional(&self) -> bool {
        self.premium.has_provisional()
            || self.collection.has_provisional()
            || self
                .small_enterprise
                .as_ref()
                .is_some_and(|s| s.has_provisional())
            || self
                .safety_net
                .as_ref()
                .is_some_and(|s| s.has_provisional())
    }
}

/// A TOML error as one line naming the place (line and column) and the problem.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let snippet: String = text
                .get(span.clone())
                .unwrap_or("")
                .chars()
                .take(40)
                .collect();
            format!("line {line}, column {column} (`{snippet}`): {msg}")
        }
        None => format!("TOML: {msg}"),
    }
}

/// Pushes a problem when a source is empty.
pub(crate) fn require_source<T>(name: &str, v: &Sourced<T>, problems: &mut Vec<String>) {
    if v.source.trim().is_empty() {
        problems.push(format!("{name}: source is required"));
    }
}

/// Every rule-set version known to the system, for both programs.
#[derive(Debug, Clone)]
pub struct RuleBook {
    /// Sorted by program, then effective date. Shared so a use case can keep the version it
    /// started with while an operator loads a newer one.
    sets: Vec<Arc<RuleSet>>,
}

/// The rule files shipped with this build.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "rules/small_enterprise/2016-04-01.toml",
        include_str!("../../../../rules/small_enterprise/2016-04-01.toml"),
    ),
    (
        "rules/safety_net/2011-10-01.toml",
        include_str!("../../../../rules/safety_net/2011-10-01.toml"),
    ),
    (
        "rules/safety_net/2017-11-01.toml",
        include_str!("../../../../rules/safety_net/2017-11-01.toml"),
    ),
];

impl RuleBook {
    /// The rule sets shipped with the code. The files are validated by the test suite, so an
    /// error here means a broken build.
    pub fn embedded() -> Result<RuleBook, RuleFileError> {
        let mut book = RuleBook { sets: Vec::new() };
        for (path, text) in EMBEDDED {
            let set = RuleSet::from_toml(text).map_err(|e| RuleFileError {
                problems: e
                    .problems
                    .into_iter()
                    .map(|m| format!("{path}: {m}"))
                    .collect(),
            })?;
            book.add(set)?;
        }
        Ok(book)
    }

    /// Adds a version (shipped or loaded by an operator). A second version with the same id is
    /// refused: versions are immutable once used.
    pub fn add(&mut self, set: RuleSet) -> Result<(), RuleFileError> {
        if self.sets.iter().any(|s| s.id == set.id) {
            return Err(RuleFileError {
                problems: vec![format!("rule set {} already exists", set.id)],
            });
        }
        self.sets.push(Arc::new(set));
        self.sets.sort_by_key(|s| (s.program, s.effective_from));
        Ok(())
    }

    /// The version in force for `program` on `date`: the latest with `effective_from <= date`.
    /// None before the first version: the rules then (倒産防止 before 2011-10 had other caps,
    /// REFERENCE §2.1) are not in the book, and applying today's would give wrong figures.
    /// [`RuleBook::earliest`] tells that case apart from a program without any version.
    pub fn in_force(&self, program: Program, date: Date) -> Option<&RuleSet> {
        self.shared_in_force(program, date).map(|s| &**s)
    }

    /// [`RuleBook::in_force`] as a handle that outlives this book.
    pub fn shared_in_force(&self, program: Program, date: Date) -> Option<&Arc<RuleSet>> {
        // Sorted by (program, effective_from): the last match is the latest.
        self.sets
            .iter()
            .rev()
            .find(|s| s.program == program && s.effective_from <= date)
    }

    /// The first day any version of `program` covers (None: no version at all).
    pub fn earliest(&self, program: Program) -> Option<Date> {
        self.sets
            .iter()
            .filter(|s| s.program == program)
            .map(|s| s.effective_from)
            .min()
    }

    pub fn by_id(&self, id: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.id == id).map(|s| &**s)
    }

    pub fn all(&self) -> impl Iterator<Item = &RuleSet> {
        self.sets.iter().map(|s| &**s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn embedded_rule_sets_are_valid() {
        let book = RuleBook::embedded().unwrap();
        let se = book
            .in_force(Program::SmallEnterprise, date(2026, 11, 26))
            .unwrap();
        assert_eq!(se.premium.min_monthly_yen.get().get(), 1_000);
        let sn = book
            .in_force(Program::SafetyNet, date(2026, 11, 26))
            .unwrap();
        assert_eq!(sn.premium.max_monthly_yen.get().get(), 200_000);
    }

    #[test]
    fn newer_version_takes_over_from_its_date() {
        let mut book = RuleBook::embedded().unwrap();
        let text = include_str!("../../../../rules/small_enterprise/2016-04-01.toml")
            .replace("2016-04-01", "2027-04-01")
            .replace("value = 70000", "value = 80000");
        book.add(RuleSet::from_toml(&text).unwrap()).unwrap();
        let before = book
            .in_force(Program::SmallEnterprise, date(2027, 3, 31))
            .unwrap();
        let after = book
            .in_force(Program::SmallEnterprise, date(2027, 4, 1))
            .unwrap();
        assert_eq!(before.premium.max_monthly_yen.get().get(), 70_000);
        assert_eq!(after.premium.max_monthly_yen.get().get(), 80_000);
        assert!(
            book.add(RuleSet::from_toml(&text).unwrap()).is_err(),
            "duplicate id"
        );
    }

    #[test]
    fn no_version_before_the_first() {
        // 倒産防止 before 2011-10-01 had an 8万 monthly cap and a 320万 accumulation cap
        // (REFERENCE §2.1): today's caps must not be applied to it.
        let book = RuleBook::embedded().unwrap();
        assert_eq!(book.earliest(Program::SafetyNet), Some(date(2011, 10, 1)));
        assert!(
            book.in_force(Program::SafetyNet, date(2011, 9, 30))
                .is_none()
        );
        assert_eq!(
            book.in_force(Program::SafetyNet, date(2011, 10, 1))
                .unwrap()
                .id,
            "safety_net/2011-10-01"
        );
        assert!(
            book.in_force(Program::SmallEnterprise, date(2016, 3, 31))
                .is_none()
        );
    }

    #[test]
    fn invalid_files_are_refused_with_reasons() {
        let good = include_str!("../../../../rules/small_enterprise/2016-04-01.toml");
        let typo = good.replacen("min_monthly_yen", "min_monthyl_yen", 1);
        assert!(RuleSet::from_toml(&typo).is_err());
        let inverted = good.replace("value = 70000", "value = 500");
        let err = RuleSet::from_toml(&inverted).unwrap_err();
        assert!(err.problems.iter().any(|p| p.contains("premium")), "{err}");
        let wrong_id = good.replacen("small_enterprise/2016-04-01", "x", 1);
        assert!(RuleSet::from_toml(&wrong_id).is_err());
    }
}
