//! Special measures (特例): disaster relief and similar temporary rules, as data.
//!
//! A measure has a period, a scope — a list of prefectures, and/or contracts that staff have
//! flagged with the measure's id — and the effects it has on each program (premium deferral,
//! suspension or reduction; an interest-free disaster loan; deferred loan repayments). Measures
//! ship as TOML files under `rules/special_measures/` (embedded) and can be loaded or replaced by
//! an operator like rule sets. The 2024 Noto earthquake measure (REFERENCE §2.6, §4.2, §5.1) is
//! the first.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::money::Yen;
use crate::prefecture::Prefecture;
use crate::program::Program;
use crate::rate::Rate;
use crate::rules::RuleFileError;
use crate::rules::small_enterprise::{LoanTermBand, MemberLoanKindRules};

/// The days a measure is in force, both inclusive; `until = None`: until further notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
}

impl Period {
    pub fn contains(&self, date: Date) -> bool {
        self.from <= date && self.until.is_none_or(|u| date <= u)
    }
}

/// Who a measure applies to: members whose business is in one of `prefectures`, or contracts
/// flagged by staff with the measure's id (when `flagged_contracts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    #[serde(default)]
    pub prefectures: Vec<Prefecture>,
    #[serde(default)]
    pub flagged_contracts: bool,
}

/// What a measure changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Effect {
    /// 掛金の納付期限の延長: up to `max_months` of premiums not debited in their months, then
    /// `extra_months_per_debit` of them collected with each later debit.
    PremiumDeferral {
        program: Program,
        description: String,
        max_months: u32,
        extra_months_per_debit: u32,
    },
    /// 掛金の掛止め (for 小規模, which has no general suspension).
    PremiumSuspension {
        program: Program,
        description: String,
    },
    /// 掛金月額の減額.
    PremiumReduction {
        program: Program,
        description: String,
    },
    /// 特例災害時貸付け: a member loan on the measure's own terms (interest-free, a grace
    /// period, its own caps), requested with evidence of the damage.
    InterestFreeDisasterLoan {
        program: Program,
        description: String,
        min_yen: Yen,
        max_yen: Yen,
        rate: Rate,
        /// Term by amount, the grace period included (500万以下 4年, 505万以上 6年).
        terms: Vec<LoanTermBand>,
        /// Cap on all member loans together while the measure applies.
        combined_cap_yen: Yen,
        /// Months without repayment from the disbursement (据置期間).
        grace_months: u32,
        /// What the member sends to show the damage (被災証明書 …), as the form asks for it.
        evidence: String,
    },
    /// Loan repayment due dates deferred.
    LoanRepaymentDeferral {
        program: Program,
        description: String,
        months: u32,
        late_interest_waived: bool,
    },
}

impl Effect {
    pub fn program(&self) -> Program {
        match self {
            Effect::PremiumDeferral { program, .. }
            | Effect::PremiumSuspension { program, .. }
            | Effect::PremiumReduction { program, .. }
            | Effect::InterestFreeDisasterLoan { program, .. }
            | Effect::LoanRepaymentDeferral { program, .. } => *program,
        }
    }

    /// The 特例災害時貸付け this effect offers, if it is one.
    pub fn disaster_loan(&self) -> Option<DisasterLoan<'_>> {
        match self {
            Effect::InterestFreeDisasterLoan {
                description,
                min_yen,
                max_yen,
                rate,
                terms,
                combined_cap_yen,
                grace_months,
                evidence,
                ..
            } => Some(DisasterLoan {
                terms: MemberLoanKindRules {
                    min_yen: Some(*min_yen),
                    max_yen: Some(*max_yen),
                    rate: Some(*rate),
                    terms: terms.clone(),
                    min_sales_decline: None,
                    min_hospital_days: None,
                },
                combined_cap: *combined_cap_yen,
                grace_months: *grace_months,
                evidence,
                description,
            }),
            _ => None,
        }
    }

    /// The sentence shown to a member.
    pub fn description(&self) -> &str {
        match self {
            Effect::PremiumDeferral { description, .. }
            | Effect::PremiumSuspension { description, .. }
            | Effect::PremiumReduction { description, .. }
            | Effect::InterestFreeDisasterLoan { description, .. }
            | Effect::LoanRepaymentDeferral { description, .. } => description,
        }
    }
}

/// A 特例災害時貸付け as the member-loan procedure reads it: its amount range, rate and terms in
/// the shape of a member-loan kind's rules (so one check serves every kind), the combined cap
/// and grace period that replace the ordinary ones, and what the member attaches.
#[derive(Debug, Clone, PartialEq)]
pub struct DisasterLoan<'a> {
    pub terms: MemberLoanKindRules,
    pub combined_cap: Yen,
    pub grace_months: u32,
    /// The documents to attach (被災証明書 …).
    pub evidence: &'a str,
    /// What it offers, in the measure's words.
    pub description: &'a str,
}

/// One special measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialMeasure {
    /// Stable id, also the flag staff put on affected contracts (e.g. `2024-noto`).
    pub id: String,
    pub name: String,
    pub description: String,
    pub source: String,
    #[serde(default)]
    pub provisional: bool,
    pub period: Period,
    pub scope: Scope,
    pub effects: Vec<Effect>,
}

impl SpecialMeasure {
    /// Parses and validates a measure file.
    pub fn from_toml(text: &str) -> Result<SpecialMeasure, RuleFileError> {
        let m: SpecialMeasure = toml::from_str(text).map_err(|e| RuleFileError {
            problems: vec![e.message().trim().replace('\n', " ")],
        })?;
        let mut p = Vec::new();
        if m.id.trim().is_empty()
            || !m
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            p.push("id: use letters, digits, '-' or '_' (e.g. \"2024-noto\")".into());
        }
        if m.source.trim().is_empty() {
            p.push("source is required".into());
        }
        if m.name.trim().is_empty() {
            p.push("name is required".into());
        }
        if let Some(until) = m.period.until
            && until < m.period.from
        {
            p.push("period.until is before period.from".into());
        }
        if m.scope.prefectures.is_empty() && !m.scope.flagged_contracts {
            p.push("scope: list prefectures or set flagged_contracts = true".into());
        }
        if m.effects.is_empty() {
            p.push("effects: at least one effect is required".into());
        }
        for e in &m.effects {
            if let Effect::PremiumDeferral {
                max_months,
                extra_months_per_debit,
                ..
            } = e
                && (*max_months == 0 || *extra_months_per_debit == 0)
            {
                p.push(
                    "effects: premium_deferral needs max_months and extra_months_per_debit above 0"
                        .into(),
                );
            }
            if let Effect::InterestFreeDisasterLoan {
                min_yen,
                max_yen,
                terms,
                combined_cap_yen,
                grace_months,
                ..
            } = e
            {
                if *min_yen <= Yen::ZERO || max_yen < min_yen || combined_cap_yen < max_yen {
                    p.push(
                        "effects: interest_free_disaster_loan needs 0 < min_yen <= max_yen <= combined_cap_yen"
                            .into(),
                    );
                }
                if terms.is_empty()
                    || terms.last().is_some_and(|b| b.up_to_yen.is_some())
                    || terms
                        .iter()
                        .flat_map(|b| &b.months)
                        .any(|m| m <= grace_months)
                {
                    p.push(
                        "effects: interest_free_disaster_loan needs terms (the last band without up_to_yen), each longer than grace_months"
                            .into(),
                    );
                }
            }
        }
        if p.is_empty() {
            Ok(m)
        } else {
            Err(RuleFileError { problems: p })
        }
    }

    /// Whether the measure applies on `date` to a contract of `program` in `prefecture` carrying
    /// the staff flags `flags` (measure ids).
    pub fn applies(&self, q: &MeasureQuery<'_>) -> bool {
        let in_scope = q
            .prefecture
            .is_some_and(|p| self.scope.prefectures.contains(&p))
            || (self.scope.flagged_contracts && q.flags.iter().any(|f| f == &self.id));
        self.period.contains(q.date)
            && in_scope
            && q.program
                .is_none_or(|prog| self.effects.iter().any(|e| e.program() == prog))
    }

    /// The effects for one program.
    pub fn effects_for(&self, program: Program) -> impl Iterator<Item = &Effect> {
        self.effects.iter().filter(move |e| e.program() == program)
    }
}

/// Who and when to look up measures for.
#[derive(Debug, Clone, Copy)]
pub struct MeasureQuery<'a> {
    /// Only measures with an effect on this program (None: any).
    pub program: Option<Program>,
    /// The prefecture of the business, if known.
    pub prefecture: Option<Prefecture>,
    /// Measure ids staff have flagged the contract with.
    pub flags: &'a [String],
    pub date: Date,
}

/// Every special measure known to the system.
#[derive(Debug, Clone, Default)]
pub struct SpecialMeasures {
    measures: Vec<SpecialMeasure>,
}

const EMBEDDED: &[(&str, &str)] = &[(
    "rules/special_measures/2024-noto.toml",
    include_str!("../../../rules/special_measures/2024-noto.toml"),
)];

impl SpecialMeasures {
    /// The measures shipped with the code.
    pub fn embedded() -> Result<SpecialMeasures, RuleFileError> {
        let mut all = SpecialMeasures::default();
        for (path, text) in EMBEDDED {
            let m = SpecialMeasure::from_toml(text).map_err(|e| RuleFileError {
                problems: e.problems.iter().map(|p| format!("{path}: {p}")).collect(),
            })?;
            all.add(m)?;
        }
        Ok(all)
    }

    /// Adds a new measure; an id already present is refused (use [`Self::replace`]).
    pub fn add(&mut self, m: SpecialMeasure) -> Result<(), RuleFileError> {
        if self.by_id(&m.id).is_some() {
            return Err(RuleFileError {
                problems: vec![format!("special measure {} already exists", m.id)],
            });
        }
        self.measures.push(m);
        Ok(())
    }

    /// Replaces a measure with a new version (e.g. once its end date is announced).
    pub fn replace(&mut self, m: SpecialMeasure) {
        self.measures.retain(|x| x.id != m.id);
        self.measures.push(m);
    }

    pub fn by_id(&self, id: &str) -> Option<&SpecialMeasure> {
        self.measures.iter().find(|m| m.id == id)
    }

    pub fn all(&self) -> &[SpecialMeasure] {
        &self.measures
    }

    /// The measures that apply to a contract on a date.
    pub fn applicable(&self, q: &MeasureQuery<'_>) -> Vec<&SpecialMeasure> {
        self.measures.iter().filter(|m| m.applies(q)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn q<'a>(
        program: Option<Program>,
        pref: Option<&str>,
        flags: &'a [String],
        d: Date,
    ) -> MeasureQuery<'a> {
        MeasureQuery {
            program,
            prefecture: pref.and_then(Prefecture::parse),
            flags,
            date: d,
        }
    }

    #[test]
    fn noto_measure_applies_by_prefecture_flag_and_date() {
        let all = SpecialMeasures::embedded().unwrap();
        let noto = all.by_id("2024-noto").unwrap();
        assert!(noto.provisional);
        let none: [String; 0] = [];
        let flagged = ["2024-noto".to_string()];
        let d = date(2024, 3, 1);
        assert_eq!(all.applicable(&q(None, Some("石川県"), &none, d)).len(), 1);
        assert_eq!(
            all.applicable(&q(None, Some("13"), &none, d)).len(),
            0,
            "Tokyo"
        );
        assert_eq!(
            all.applicable(&q(None, Some("13"), &flagged, d)).len(),
            1,
            "flagged"
        );
        assert_eq!(all.applicable(&q(None, None, &flagged, d)).len(), 1);
        assert_eq!(
            all.applicable(&q(None, Some("17"), &none, date(2023, 12, 31)))
                .len(),
            0,
            "before the earthquake"
        );
        assert_eq!(
            all.applicable(&q(Some(Program::SafetyNet), Some("17"), &none, d))
                .len(),
            1
        );
        let se: Vec<_> = noto.effects_for(Program::SmallEnterprise).collect();
        assert_eq!(se.len(), 4);
        assert!(se.iter().any(|e| matches!(
            e,
            Effect::InterestFreeDisasterLoan { max_yen, combined_cap_yen, grace_months: 12, .. }
                if *max_yen == Yen::new(20_000_000) && *combined_cap_yen == Yen::new(30_000_000)
        )));
        assert!(noto.effects_for(Program::SafetyNet).any(|e| matches!(
            e,
            Effect::LoanRepaymentDeferral {
                months: 6,
                late_interest_waived: true,
                ..
            }
        )));
    }

    #[test]
    fn an_announced_end_date_closes_the_measure() {
        let mut all = SpecialMeasures::embedded().unwrap();
        let text = include_str!("../../../rules/special_measures/2024-noto.toml").replace(
            "from = \"2024-01-01\"",
            "from = \"2024-01-01\"\nuntil = \"2025-03-31\"",
        );
        let m = SpecialMeasure::from_toml(&text).unwrap();
        assert!(all.add(m.clone()).is_err(), "duplicate id");
        all.replace(m);
        let none: [String; 0] = [];
        assert_eq!(
            all.applicable(&q(None, Some("17"), &none, date(2025, 3, 31)))
                .len(),
            1
        );
        assert_eq!(
            all.applicable(&q(None, Some("17"), &none, date(2025, 4, 1)))
                .len(),
            0
        );
    }

    #[test]
    fn invalid_measure_files_are_refused_with_reasons() {
        let good = include_str!("../../../rules/special_measures/2024-noto.toml");
        let bad_pref = good.replace("\"18\"", "\"48\"");
        assert!(SpecialMeasure::from_toml(&bad_pref).is_err());
        let backwards = good.replace(
            "from = \"2024-01-01\"",
            "from = \"2024-01-01\"\nuntil = \"2023-01-01\"",
        );
        let err = SpecialMeasure::from_toml(&backwards).unwrap_err();
        assert!(err.problems.iter().any(|p| p.contains("until")), "{err}");
        let unknown_effect = good.replacen("premium_suspension", "free_money", 1);
        assert!(SpecialMeasure::from_toml(&unknown_effect).is_err());
        // A disaster loan whose term ends within its grace period, or whose minimum is above
        // its maximum, could never be repaid or lent.
        let short = good.replace("months = [48]", "months = [12]");
        let err = SpecialMeasure::from_toml(&short).unwrap_err();
        assert!(
            err.problems.iter().any(|p| p.contains("grace_months")),
            "{err}"
        );
        let upside_down = good.replace("min_yen = 500000", "min_yen = 25000000");
        let err = SpecialMeasure::from_toml(&upside_down).unwrap_err();
        assert!(err.problems.iter().any(|p| p.contains("min_yen")), "{err}");
    }
}
