//! The online-usage scorecard (オンライン利用率): which rows it has, how an application is counted
//! in them, and the targets they are held against (REFERENCE §9.4).
//!
//! The Organization reports the online usage rate per program and procedure group to a
//! third-party committee every year: 加入関係 (enrollment and the debit-account procedure) and
//! 保全関係 (contract maintenance: the premium increase, the decrease, both combined, then every
//! other procedure). Counting rules live here, as pure functions, so the query, the page, the CSV
//! and the tests agree on them.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::procedure::{Channel, Procedure};
use crate::program::Program;
use crate::rate::Rate;

/// A procedure group of the scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Group {
    /// 加入関係: 契約の申込み and 掛金の口座振替手続き.
    Enrollment,
    /// 保全関係: every change to a running contract.
    Maintenance,
}

impl Group {
    pub const ALL: [Group; 2] = [Group::Enrollment, Group::Maintenance];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Enrollment => "enrollment",
            Group::Maintenance => "maintenance",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Group::Enrollment => "加入関係",
            Group::Maintenance => "保全関係",
        }
    }

    /// The group a procedure is reported in. The debit-account procedure belongs with enrollment
    /// because the seed's 加入関係 row counts 掛金の口座振替手続き (REFERENCE §9.4).
    pub fn of(procedure: Procedure) -> Group {
        match procedure {
            Procedure::Enrollment | Procedure::MandateChange => Group::Enrollment,
            _ => Group::Maintenance,
        }
    }
}

/// One row kind of the scorecard within a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Line {
    /// Every application of one procedure (for the premium change: increases and decreases
    /// combined, the row the maintenance target is set for).
    Procedure(Procedure),
    /// 掛金月額の増額 only.
    PremiumIncrease,
    /// 掛金月額の減額 only.
    PremiumDecrease,
    /// The group as a whole.
    All(Group),
}

impl Line {
    /// The identifier in the API and the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Line::Procedure(p) => p.as_str(),
            Line::PremiumIncrease => "premium_increase",
            Line::PremiumDecrease => "premium_decrease",
            Line::All(_) => "all",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Line::Procedure(Procedure::PremiumChange) => "掛金月額の変更（増額＋減額）",
            Line::Procedure(p) => p.name_ja(),
            Line::PremiumIncrease => "掛金月額の増額",
            Line::PremiumDecrease => "掛金月額の減額",
            Line::All(g) => match g {
                Group::Enrollment => "加入関係 合計",
                Group::Maintenance => "保全関係 合計",
            },
        }
    }

    pub fn group(self) -> Group {
        match self {
            Line::Procedure(p) => Group::of(p),
            Line::PremiumIncrease | Line::PremiumDecrease => Group::Maintenance,
            Line::All(g) => g,
        }
    }

    /// The rows of a group in the order they are reported: the seed's rows first, then every
    /// other procedure, then the group total.
    pub fn of_group(group: Group) -> Vec<Line> {
        let mut lines = Vec::new();
        if group == Group::Maintenance {
            lines.extend([Line::PremiumIncrease, Line::PremiumDecrease]);
            lines.push(Line::Procedure(Procedure::PremiumChange));
        }
        lines.extend(
            Procedure::ALL
                .into_iter()
                .filter(|p| Group::of(*p) == group && *p != Procedure::PremiumChange)
                .map(Line::Procedure),
        );
        lines.push(Line::All(group));
        lines
    }

    /// Every row an application is counted in: its procedure, the increase or decrease row for a
    /// premium change, and its group's total.
    pub fn counted_in(procedure: Procedure, decrease: bool) -> Vec<Line> {
        let mut lines = vec![Line::Procedure(procedure)];
        if procedure == Procedure::PremiumChange {
            lines.push(if decrease {
                Line::PremiumDecrease
            } else {
                Line::PremiumIncrease
            });
        }
        lines.push(Line::All(Group::of(procedure)));
        lines
    }
}

/// Whether an application counts as online use: only the member's own online submission does.
/// Paper (including procedures staff file on a member's behalf) and agency windows do not.
pub fn is_online(channel: Channel) -> bool {
    channel == Channel::Online
}

/// Whether a premium-change application lowers the premium: every decrease carries the
/// `decrease_reason` check (REFERENCE §2.4), an increase never does, so the stored checks tell
/// them apart without the contract's premium at the time.
pub const DECREASE_CHECK: &str = "decrease_reason";

/// `online / total`, or none when nothing was received (a rate of nothing is not zero).
pub fn usage_rate(online: i64, total: i64) -> Option<Rate> {
    if total <= 0 {
        None
    } else {
        Rate::new(online, total)
    }
}

/// A rate as a fraction rounded to 4 decimal places (0.2174 = 21.74 %), for the API and charts.
pub fn rate_fraction(rate: Rate) -> f64 {
    let scaled = (i128::from(rate.num()) * 10_000 * 2 + i128::from(rate.den()))
        / (2 * i128::from(rate.den()));
    scaled as f64 / 10_000.0
}

/// One online usage target: a rate to reach by a deadline, for some rows of a program's group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub program: Program,
    pub group: Group,
    /// Row identifiers ([`Line::as_str`]) the target is set for; `*` for every row of the group.
    pub lines: Vec<String>,
    pub rate: Rate,
    pub deadline: Date,
    pub source: String,
}

impl Target {
    fn covers(&self, program: Program, line: Line) -> bool {
        self.program == program
            && self.group == line.group()
            && self.lines.iter().any(|l| l == "*" || l == line.as_str())
    }
}

/// Every target of the plan (`rules/scorecard_targets.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub target: Vec<Target>,
}

impl Targets {
    /// Parses and checks a targets file: every named row must exist in its group and every rate
    /// must be at most 100 %.
    pub fn from_toml(text: &str) -> Result<Targets, String> {
        let targets: Targets = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, t) in targets.target.iter().enumerate() {
            let known: Vec<&str> = Line::of_group(t.group)
                .into_iter()
                .map(Line::as_str)
                .collect();
            if let Some(bad) = t
                .lines
                .iter()
                .find(|l| *l != "*" && !known.contains(&l.as_str()))
            {
                return Err(format!(
                    "target {}: no row {bad} in {}",
                    i + 1,
                    t.group.as_str()
                ));
            }
            if t.rate.num() > t.rate.den() {
                return Err(format!("target {}: rate above 100 %", i + 1));
            }
        }
        Ok(targets)
    }

    /// The target a row is held against on `day`: the earliest one still ahead (deadline on or
    /// after `day`); once all have passed, the latest; none when no target covers the row.
    pub fn for_row(&self, program: Program, line: Line, day: Date) -> Option<&Target> {
        let covering = || self.target.iter().filter(|t| t.covers(program, line));
        covering()
            .filter(|t| t.deadline >= day)
            .min_by_key(|t| t.deadline)
            .or_else(|| covering().max_by_key(|t| t.deadline))
    }
}

/// The value at percentile `p` (0–100), nearest-rank, of values given as (value, how many)
/// sorted by value (a rollup's counts: millions of equal values are one pair); none when there
/// are none.
pub fn percentile(counted: &[(i64, i64)], p: u32) -> Option<i64> {
    let n: i64 = counted.iter().map(|(_, c)| (*c).max(0)).sum();
    if n == 0 {
        return None;
    }
    // Nearest rank: ceil(p/100 · n), at least 1.
    let rank = (i64::from(p.min(100)) * n + 99).div_euclid(100).max(1);
    let mut seen = 0;
    counted.iter().find_map(|&(value, c)| {
        seen += c.max(0);
        (seen >= rank).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Targets {
        Targets::from_toml(include_str!("../../../rules/scorecard_targets.toml")).unwrap()
    }

    #[test]
    fn the_shipped_targets_are_the_plan() {
        let t = targets();
        let d = |s: &str| s.parse::<Date>().unwrap();
        let se = Program::SmallEnterprise;
        let enrollment = t
            .for_row(se, Line::All(Group::Enrollment), d("2023-10-31"))
            .unwrap();
        assert_eq!(enrollment.rate, Rate::percent(20));
        assert_eq!(enrollment.deadline, d("2024-03-31"));
        // The increase alone had no FY2023 target: only the 2025 goal.
        let inc = t
            .for_row(se, Line::PremiumIncrease, d("2023-10-31"))
            .unwrap();
        assert_eq!(inc.rate, Rate::percent(100));
        // After FY2023 the 100 % goal applies; after 2025 it stays.
        let later = t
            .for_row(se, Line::All(Group::Enrollment), d("2026-11-30"))
            .unwrap();
        assert_eq!(later.deadline, d("2025-12-31"));
    }

    #[test]
    fn a_target_for_an_unknown_row_is_refused() {
        let text = "[[target]]\nprogram = \"safety_net\"\ngroup = \"enrollment\"\nlines = [\"premium_change\"]\nrate = \"20%\"\ndeadline = \"2024-03-31\"\nsource = \"x\"\n";
        assert!(
            Targets::from_toml(text)
                .unwrap_err()
                .contains("premium_change")
        );
    }

    #[test]
    fn the_rollup_triggers_know_the_decrease_check() {
        // Migration 0029's triggers flag premium changes carrying this check by its code.
        assert_eq!(DECREASE_CHECK, "decrease_reason");
    }

    #[test]
    fn rates_and_percentiles() {
        assert_eq!(usage_rate(0, 0), None);
        assert_eq!(rate_fraction(usage_rate(1, 3).unwrap()), 0.3333);
        assert_eq!(rate_fraction(usage_rate(2, 3).unwrap()), 0.6667);
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[(7, 0)], 50), None);
        assert_eq!(percentile(&[(5, 1), (1_000, 1)], 50), Some(5));
        let ten: Vec<(i64, i64)> = (1..=10).map(|v| (v, 1)).collect();
        assert_eq!(percentile(&ten, 90), Some(9));
        assert_eq!(percentile(&ten, 100), Some(10));
        // Counted values give what the values one by one give.
        assert_eq!(percentile(&[(0, 7), (60, 2), (3_600, 1)], 50), Some(0));
        assert_eq!(percentile(&[(0, 7), (60, 2), (3_600, 1)], 90), Some(60));
        assert_eq!(percentile(&[(0, 7), (60, 2), (3_600, 1)], 91), Some(3_600));
    }

    #[test]
    fn a_premium_change_counts_in_its_direction_and_the_group() {
        assert_eq!(
            Line::counted_in(Procedure::PremiumChange, true),
            vec![
                Line::Procedure(Procedure::PremiumChange),
                Line::PremiumDecrease,
                Line::All(Group::Maintenance)
            ]
        );
        assert_eq!(
            Line::counted_in(Procedure::MandateChange, false),
            vec![
                Line::Procedure(Procedure::MandateChange),
                Line::All(Group::Enrollment)
            ]
        );
    }
}
