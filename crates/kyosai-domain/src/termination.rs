//! How a contract ends — 任意解約, 機構解約/機構解除, みなし解約 — and the 解約手当金 it gets
//! (REFERENCE §2.7, §3.4, §5.3; issues #4, #10).
//!
//! Pure: the caller passes the premium months actually collected (from the ledger) and the rule
//! set in force on the cancellation date. Refunds are rounded down to the yen (円未満切捨て) by
//! the calculators they reuse.

use serde::{Deserialize, Serialize};

use crate::calendar::YearMonth;
use crate::money::Yen;
use crate::program::Program;
use crate::rate::Rate;
use crate::rounding;
use crate::rules::RuleSet;
use crate::rules::safety_net::Cancellation;
use crate::safety_net::cancellation_refund as sn;
use crate::small_enterprise::cancellation_refund as se;
use crate::small_enterprise::tranches::PremiumSegment;

/// Where a termination candidate stands: one staff member prepares it, another confirms it
/// (maker-checker) or it is withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CandidateStatus {
    Prepared,
    Confirmed,
    Withdrawn,
}

impl CandidateStatus {
    pub const ALL: [CandidateStatus; 3] = [
        CandidateStatus::Prepared,
        CandidateStatus::Confirmed,
        CandidateStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CandidateStatus::Prepared => "prepared",
            CandidateStatus::Confirmed => "confirmed",
            CandidateStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<CandidateStatus> {
        CandidateStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A balance of premiums paid before Kyosai, as the migration received it: `months` months
/// ending with `last_month`, `yen` in all, without month-by-month detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningBalance {
    pub last_month: YearMonth,
    pub months: u32,
    pub yen: Yen,
}

/// Premiums collected for one contract, as the ledger records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaidPremiums {
    /// Premiums paid before Kyosai (opening balances), each as received. They precede every
    /// month in `months`.
    pub openings: Vec<OpeningBalance>,
    /// Each premium month collected since, with its amount (any order).
    pub months: Vec<(YearMonth, Yen)>,
}

/// The chronological premium history of a contract for the 小規模 tranche rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub segments: Vec<PremiumSegment>,
    /// The first this many segments are premiums for months before the 表1 cut-over.
    pub legacy_segments: usize,
    /// Part of the history was reconstructed from an opening balance (no monthly detail): every
    /// amount computed from it is an estimate (概算).
    pub reconstructed: bool,
}

impl PaidPremiums {
    pub fn months_paid(&self) -> u32 {
        self.openings.iter().map(|o| o.months).sum::<u32>() + self.months.len() as u32
    }

    pub fn total(&self) -> Yen {
        Yen::new(
            self.openings.iter().map(|o| o.yen.get()).sum::<i64>()
                + self.months.iter().map(|(_, y)| y.get()).sum::<i64>(),
        )
    }

    /// The chronological history, split at `legacy_before` (the month 表1 starts to apply).
    ///
    /// Each opening balance stays one stretch as received, at its average monthly premium
    /// rounded down to `unit`: the migration recorded no increases or decreases inside it, and
    /// inventing some would invent tranches. Since the real tranches are unknown, any history
    /// with an opening balance is `reconstructed`. The collected months follow, grouped into
    /// runs of the same premium (unpaid gaps do not count as months paid).
    pub fn history(&self, unit: Yen, legacy_before: YearMonth) -> History {
        // (first month, months, monthly premium), chronological.
        let mut runs: Vec<(YearMonth, u32, Yen)> = Vec::new();
        let mut openings = self.openings.clone();
        openings.sort_by_key(|o| o.last_month);
        for o in &openings {
            if o.months == 0 || unit.get() <= 0 {
                continue;
            }
            // The average monthly premium, rounded down to whole units (円未満・単位未満切捨て).
            let average = Yen::new(o.yen.get() / i64::from(o.months));
            let per_month = rounding::floor_to_unit(average, unit);
            if per_month > Yen::ZERO {
                let first = o.last_month.plus(1 - o.months as i32);
                runs.push((first, o.months, per_month));
            }
        }
        let mut months = self.months.clone();
        months.sort();
        runs.extend(months.into_iter().map(|(month, amount)| (month, 1, amount)));
        let mut segments: Vec<PremiumSegment> = Vec::with_capacity(runs.len() + 1);
        let mut legacy_segments = 0;
        let mut last_legacy = None;
        for (first, n, premium) in runs {
            let before = u32::try_from(first.months_until(legacy_before))
                .unwrap_or(0)
                .min(n);
            for (months, legacy) in [(before, true), (n - before, false)] {
                if months == 0 {
                    continue;
                }
                match segments.last_mut() {
                    Some(s) if s.monthly_premium == premium && last_legacy == Some(legacy) => {
                        s.months += months
                    }
                    _ => segments.push(PremiumSegment {
                        monthly_premium: premium,
                        months,
                    }),
                }
                last_legacy = Some(legacy);
                if legacy {
                    legacy_segments = segments.len();
                }
            }
        }
        History {
            segments,
            legacy_segments,
            reconstructed: !self.openings.is_empty(),
        }
    }
}

/// A deemed cancellation (みなし解約/みなし解除) recorded by staff, with the rule it follows.
///
/// 倒産防止 (REFERENCE §5.3): the death of a sole proprietor, the dissolution of a company, a
/// company split or a transfer handing over the whole business (unless the contract is taken
/// over: 承継 is no cancellation); the みなし解約 column applies. 小規模 (REFERENCE §3.1, §3.4):
/// incorporation where the holder becomes an officer of a small company (law §12(3)(1): the same
/// 表1 rates as a voluntary cancellation) and the other deemed cancellations of law §12(3)(2)
/// (the 準共済金 cases: 区分解約手当金額). A 小規模 holder's death is no cancellation but a
/// 共済金A claim, so `Death` applies to 倒産防止 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeemedReason {
    Death,
    Dissolution,
    CompanySplit,
    BusinessTransfer,
    IncorporationOfficer,
    QuasiBenefitCase,
}

impl DeemedReason {
    pub const ALL: [DeemedReason; 6] = [
        DeemedReason::Death,
        DeemedReason::Dissolution,
        DeemedReason::CompanySplit,
        DeemedReason::BusinessTransfer,
        DeemedReason::IncorporationOfficer,
        DeemedReason::QuasiBenefitCase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeemedReason::Death => "death",
            DeemedReason::Dissolution => "dissolution",
            DeemedReason::CompanySplit => "company_split",
            DeemedReason::BusinessTransfer => "business_transfer",
            DeemedReason::IncorporationOfficer => "incorporation_officer",
            DeemedReason::QuasiBenefitCase => "quasi_benefit_case",
        }
    }

    pub fn parse(s: &str) -> Option<DeemedReason> {
        DeemedReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            DeemedReason::Death => "個人事業主の死亡",
            DeemedReason::Dissolution => "法人の解散",
            DeemedReason::CompanySplit => "会社分割による事業の全部の承継（契約の承継なし）",
            DeemedReason::BusinessTransfer => "事業の全部の譲渡（契約の承継なし）",
            DeemedReason::IncorporationOfficer => "法人成りにより小規模企業の役員となった",
            DeemedReason::QuasiBenefitCase => {
                "その他のみなし解除（法第12条第3項第2号・準共済金に当たる事由）"
            }
        }
    }

    /// The program whose rules know this reason.
    pub fn program(self) -> Program {
        match self {
            DeemedReason::Death
            | DeemedReason::Dissolution
            | DeemedReason::CompanySplit
            | DeemedReason::BusinessTransfer => Program::SafetyNet,
            DeemedReason::IncorporationOfficer | DeemedReason::QuasiBenefitCase => {
                Program::SmallEnterprise
            }
        }
    }
}

/// How a contract ends (GLOSSARY: `Cancellation::{Voluntary, ByOrganization, Deemed}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancellationKind {
    /// 任意解約 (the member's own request).
    Voluntary,
    /// 機構解約/機構解除 (12+ months unpaid).
    ByOrganization,
    /// みなし解約, recorded by staff.
    Deemed(DeemedReason),
}

impl CancellationKind {
    /// Stored as `contracts.cancellation_kind` and `cancellation_refunds.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            CancellationKind::Voluntary => "voluntary",
            CancellationKind::ByOrganization => "by_organization",
            CancellationKind::Deemed(_) => "deemed",
        }
    }

    /// The name members read, in the program's own words (小規模 says 解除).
    pub fn name_ja(self, program: Program) -> &'static str {
        match (self, program) {
            (CancellationKind::Voluntary, _) => "任意解約",
            (CancellationKind::ByOrganization, Program::SmallEnterprise) => "機構解除",
            (CancellationKind::ByOrganization, Program::SafetyNet) => "機構解約",
            (CancellationKind::Deemed(_), Program::SmallEnterprise) => "みなし解除",
            (CancellationKind::Deemed(_), Program::SafetyNet) => "みなし解約",
        }
    }
}

/// A 解約手当金 and how it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminationRefund {
    /// What is paid (after `loans_deducted`).
    pub amount: Yen,
    pub months_paid: u32,
    pub total_paid: Yen,
    /// 倒産防止: 1/10 of the 共済金 loans received, taken off 掛金総額 before the rate applies
    /// (the app adds what is still owed on the loans, set off against the refund); 小規模:
    /// outstanding 契約者貸付 set off against the refund.
    pub loans_deducted: Yen,
    /// 倒産防止: the rate of the cancellation's column; 小規模: None (the rate is per tranche).
    pub rate: Option<Rate>,
    /// 小規模: (500-yen units, months paid, amount) per tranche.
    pub tranches: Vec<(u32, u32, Yen)>,
    /// A provisional rate or band went into the amount, or the history was reconstructed from
    /// an opening balance (概算).
    pub estimate: bool,
    /// 小規模: premiums of months before H16-4 were valued at 表2 (rule data, provisional).
    pub legacy_rates_used: bool,
}

/// Why a refund cannot be computed from the paid premiums.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("the rule set has no calculator section for the program")]
    NoRules,
    #[error("the premium history cannot be split into tranches: {0:?}")]
    History(crate::small_enterprise::tranches::HistoryError),
    #[error("a deemed cancellation for {0:?} is not one of the program's")]
    NotForProgram(DeemedReason),
}

/// 解約手当金 of a cancellation of `kind` under `rules` (in force on the cancellation date),
/// from the premiums actually paid, net of loans (`loans`: 倒産防止 共済金 loans received,
/// 小規模 契約者貸付 outstanding).
///
/// 小規模: law §12(3)(1) (任意解約, 機構解除, 法人成り to an officer): per tranche 掛金合計 × 表1
/// rate (§3.4); law §12(3)(2) (other deemed cancellations): the 区分解約手当金額. Outstanding loans
/// are then set off (never below zero). 倒産防止: the column of §5.3 for the kind, applied to
/// 掛金総額 less 1/10 of 共済金 loans received.
pub fn refund(
    rules: &RuleSet,
    kind: CancellationKind,
    paid: &PaidPremiums,
    loans: Yen,
) -> Result<TerminationRefund, RefundError> {
    if let CancellationKind::Deemed(reason) = kind
        && reason.program() != rules.program
    {
        return Err(RefundError::NotForProgram(reason));
    }
    match rules.program {
        Program::SmallEnterprise => {
            let r = rules
                .small_enterprise
                .as_ref()
                .ok_or(RefundError::NoRules)?;
            let history =
                paid.history(r.benefit.unit_yen.value, r.cancellation.legacy_before.value);
            let b = match kind {
                // Law §12(3)(2) values tranches by the 区分解約手当金額, not by 表1/表2.
                CancellationKind::Deemed(DeemedReason::QuasiBenefitCase) => {
                    se::deemed_cancellation_refund(r, &history.segments)
                }
                _ => se::cancellation_refund_dated(r, &history.segments, history.legacy_segments),
            }
            .map_err(RefundError::History)?;
            let loans_deducted = loans.min(b.amount).max(Yen::ZERO);
            Ok(TerminationRefund {
                amount: rounding::sub(b.amount, loans_deducted),
                months_paid: paid.months_paid(),
                total_paid: paid.total(),
                loans_deducted,
                rate: None,
                tranches: b
                    .tranches
                    .iter()
                    .map(|t| (t.tranche.units, t.tranche.months_paid, t.amount))
                    .collect(),
                estimate: b.estimate || history.reconstructed,
                legacy_rates_used: b.legacy_rates_used,
            })
        }
        Program::SafetyNet => {
            let r = rules.safety_net.as_ref().ok_or(RefundError::NoRules)?;
            let column = match kind {
                CancellationKind::Voluntary => Cancellation::Voluntary,
                CancellationKind::ByOrganization => Cancellation::ByOrganization,
                CancellationKind::Deemed(_) => Cancellation::Deemed,
            };
            let x = sn::cancellation_refund(
                &r.cancellation,
                column,
                paid.months_paid(),
                paid.total(),
                loans,
            );
            Ok(TerminationRefund {
                amount: x.amount,
                months_paid: paid.months_paid(),
                total_paid: paid.total(),
                loans_deducted: rounding::sub(paid.total(), x.base),
                rate: Some(x.rate),
                tranches: Vec::new(),
                estimate: x.estimate,
                legacy_rates_used: false,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    fn rules(program: Program) -> RuleSet {
        RuleBook::embedded()
            .unwrap()
            .in_force(program, date(2028, 1, 1))
            .unwrap()
            .clone()
    }

    fn months(from: &str, n: i32, yen: i64) -> Vec<(YearMonth, Yen)> {
        let first: YearMonth = from.parse().unwrap();
        (0..n).map(|k| (first.plus(k), Yen::new(yen))).collect()
    }

    fn opening(last: &str, months: u32, yen: i64) -> OpeningBalance {
        OpeningBalance {
            last_month: last.parse().unwrap(),
            months,
            yen: Yen::new(yen),
        }
    }

    fn shape(h: &History) -> Vec<(i64, u32)> {
        h.segments
            .iter()
            .map(|s| (s.monthly_premium.get(), s.months))
            .collect()
    }

    const CUT: &str = "2004-04";

    #[test]
    fn history_groups_runs_of_the_same_premium() {
        let mut m = months("2026-01", 3, 10_000);
        m.extend(months("2026-06", 2, 20_000));
        let p = PaidPremiums {
            openings: vec![opening("2025-12", 10, 50_000)],
            months: m,
        };
        let h = p.history(Yen::new(500), CUT.parse().unwrap());
        assert_eq!(shape(&h), [(5_000, 10), (10_000, 3), (20_000, 2)]);
        assert_eq!(h.legacy_segments, 0);
        assert_eq!(p.months_paid(), 15);
        assert_eq!(p.total(), Yen::new(120_000));
    }

    #[test]
    fn an_opening_balance_is_kept_as_received_and_always_an_estimate() {
        // 10 months worth 52,500 yen: one stretch at 5,000 (never an invented 5,500 tranche).
        let uneven = PaidPremiums {
            openings: vec![opening("2025-12", 10, 52_500)],
            months: vec![],
        };
        let h = uneven.history(Yen::new(500), CUT.parse().unwrap());
        assert_eq!(shape(&h), [(5_000, 10)]);
        assert!(h.reconstructed);
        // Two balances received separately stay two stretches, in month order.
        let two = PaidPremiums {
            openings: vec![
                opening("2025-12", 12, 120_000),
                opening("2024-12", 24, 240_000),
            ],
            months: months("2026-01", 1, 10_000),
        };
        assert_eq!(
            shape(&two.history(Yen::new(500), CUT.parse().unwrap())),
            [(10_000, 37)]
        );
        // A whole number of units is no proof of an exact history: the refund is 概算.
        let se = rules(Program::SmallEnterprise);
        let r = refund(
            &se,
            CancellationKind::Voluntary,
            &PaidPremiums {
                openings: vec![opening("2025-12", 24, 240_000)],
                months: vec![],
            },
            Yen::ZERO,
        )
        .unwrap();
        assert_eq!((r.amount, r.estimate), (Yen::new(192_000), true));
        assert_eq!(r.total_paid, Yen::new(240_000));
        // Without an opening balance the same premiums are exact.
        let r = refund(
            &se,
            CancellationKind::Voluntary,
            &PaidPremiums {
                openings: vec![],
                months: months("2024-01", 24, 10_000),
            },
            Yen::ZERO,
        )
        .unwrap();
        assert_eq!((r.amount, r.estimate), (Yen::new(192_000), false));
    }

    #[test]
    fn months_before_h16_4_use_table_2_and_say_so() {
        // 2003-01..=2004-12 at 10,000 (15 months before 2004-04, 9 after) then 12 more months.
        let p = PaidPremiums {
            openings: vec![opening("2004-12", 24, 240_000)],
            months: vec![],
        };
        let h = p.history(Yen::new(500), CUT.parse().unwrap());
        assert_eq!(shape(&h), [(10_000, 15), (10_000, 9)]);
        assert_eq!(h.legacy_segments, 1);
        let mut se = rules(Program::SmallEnterprise);
        let r = refund(&se, CancellationKind::Voluntary, &p, Yen::ZERO).unwrap();
        assert!(r.legacy_rates_used && r.estimate);
        // 表2 is rule data: a rule set with another 表2 changes only the pre-H16-4 premiums.
        let s = se.small_enterprise.as_mut().unwrap();
        for b in &mut s.cancellation.legacy_rates.value.0 {
            if !b.rate.is_zero() {
                b.rate = Rate::percent(50);
            }
        }
        let r = refund(&se, CancellationKind::Voluntary, &p, Yen::ZERO).unwrap();
        // 150,000 × 50% + 90,000 × 80%.
        assert_eq!(r.amount, Yen::new(75_000 + 72_000));
        // A contract entirely after the cut-over never touches 表2.
        let later = PaidPremiums {
            openings: vec![],
            months: months("2004-04", 24, 10_000),
        };
        let r = refund(&se, CancellationKind::Voluntary, &later, Yen::ZERO).unwrap();
        assert!(!r.legacy_rates_used);
        assert_eq!(r.amount, Yen::new(192_000));
    }

    #[test]
    fn refunds_by_the_rates_in_reference() {
        // 小規模 §3.4: 14 months of 30,000 → 80% of 420,000.
        let se = refund(
            &rules(Program::SmallEnterprise),
            CancellationKind::ByOrganization,
            &PaidPremiums {
                months: months("2026-11", 14, 30_000),
                ..Default::default()
            },
            Yen::ZERO,
        )
        .unwrap();
        assert_eq!(se.amount, Yen::new(336_000));
        // Under 12 months nothing is paid.
        let short = refund(
            &rules(Program::SmallEnterprise),
            CancellationKind::ByOrganization,
            &PaidPremiums {
                months: months("2026-11", 11, 30_000),
                ..Default::default()
            },
            Yen::ZERO,
        )
        .unwrap();
        assert_eq!(short.amount, Yen::ZERO);
        // 倒産防止 §5.3 機構解約 column: 36–39 months → 90%; 40+ → 95%, less 1/10 of loans.
        let sn = rules(Program::SafetyNet);
        let paid = PaidPremiums {
            months: months("2024-01", 36, 50_000),
            ..Default::default()
        };
        let r = refund(&sn, CancellationKind::ByOrganization, &paid, Yen::ZERO).unwrap();
        assert_eq!(r.amount, Yen::new(1_620_000));
        let paid = PaidPremiums {
            months: months("2024-01", 40, 50_000),
            ..Default::default()
        };
        let r = refund(
            &sn,
            CancellationKind::ByOrganization,
            &paid,
            Yen::new(1_000_000),
        )
        .unwrap();
        assert_eq!(r.amount, Yen::new((2_000_000 - 100_000) * 95 / 100));
    }

    #[test]
    fn each_kind_uses_its_column_and_loans_are_netted() {
        let sn = rules(Program::SafetyNet);
        let paid = |n: i32| PaidPremiums {
            months: months("2024-01", n, 10_000),
            ..Default::default()
        };
        // REFERENCE §10 #39–#44: months → (任意, みなし) rates.
        for (n, voluntary, deemed) in [
            (11, 0, 0),
            (12, 80, 85),
            (23, 80, 85),
            (24, 85, 90),
            (30, 90, 95),
            (36, 95, 100),
            (40, 100, 100),
        ] {
            let total = 10_000 * i64::from(n);
            let v = refund(&sn, CancellationKind::Voluntary, &paid(n), Yen::ZERO).unwrap();
            assert_eq!(v.amount, Yen::new(total * voluntary / 100), "{n} voluntary");
            let d = refund(
                &sn,
                CancellationKind::Deemed(DeemedReason::Dissolution),
                &paid(n),
                Yen::ZERO,
            )
            .unwrap();
            assert_eq!(d.amount, Yen::new(total * deemed / 100), "{n} deemed");
        }
        // 1/10 of 1,000,000 yen of 共済金 loans comes off 掛金総額 (400,000 → 300,000).
        let v = refund(
            &sn,
            CancellationKind::Voluntary,
            &paid(40),
            Yen::new(1_000_000),
        )
        .unwrap();
        assert_eq!(
            (v.amount, v.loans_deducted),
            (Yen::new(300_000), Yen::new(100_000))
        );
        // A 小規模 reason does not apply to 倒産防止, nor death to 小規模 (a 共済金A claim).
        assert_eq!(
            refund(
                &sn,
                CancellationKind::Deemed(DeemedReason::IncorporationOfficer),
                &paid(40),
                Yen::ZERO
            ),
            Err(RefundError::NotForProgram(
                DeemedReason::IncorporationOfficer
            ))
        );
        let se = rules(Program::SmallEnterprise);
        let se_paid = PaidPremiums {
            months: months("2026-11", 14, 30_000),
            ..Default::default()
        };
        assert!(matches!(
            refund(
                &se,
                CancellationKind::Deemed(DeemedReason::Death),
                &se_paid,
                Yen::ZERO
            ),
            Err(RefundError::NotForProgram(DeemedReason::Death))
        ));
        // 小規模 任意解約 and 法人成り: 表1 (80% of 420,000); the §12(3)(2) cases: premiums paid
        // below 36 months. Outstanding loans are set off against the refund.
        for (kind, expected) in [
            (CancellationKind::Voluntary, 336_000),
            (
                CancellationKind::Deemed(DeemedReason::IncorporationOfficer),
                336_000,
            ),
            (
                CancellationKind::Deemed(DeemedReason::QuasiBenefitCase),
                420_000,
            ),
        ] {
            assert_eq!(
                refund(&se, kind, &se_paid, Yen::ZERO).unwrap().amount,
                Yen::new(expected)
            );
        }
        let net = refund(&se, CancellationKind::Voluntary, &se_paid, Yen::new(36_000)).unwrap();
        assert_eq!(
            (net.amount, net.loans_deducted),
            (Yen::new(300_000), Yen::new(36_000))
        );
    }
}
