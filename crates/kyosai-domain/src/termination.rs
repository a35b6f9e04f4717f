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

/// Premiums collected for one contract, as the ledger records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaidPremiums {
    /// Premiums paid before Kyosai (opening balance): months and total yen. They precede every
    /// month in `months` (the migration recorded no month-by-month detail).
    pub opening_months: u32,
    pub opening_yen: Yen,
    /// Each premium month collected since, with its amount (any order).
    pub months: Vec<(YearMonth, Yen)>,
}

impl PaidPremiums {
    pub fn months_paid(&self) -> u32 {
        self.opening_months + self.months.len() as u32
    }

    pub fn total(&self) -> Yen {
        Yen::new(self.opening_yen.get() + self.months.iter().map(|(_, y)| y.get()).sum::<i64>())
    }

    /// The chronological premium history the 小規模 tranche rules need, and whether it is exact.
    ///
    /// The opening balance has no month-by-month detail: its units are spread evenly over its
    /// months (the remainder as a later, higher stretch, as an increase would be), which keeps
    /// the total exact when it is a whole number of `unit`s; otherwise the premium is rounded
    /// down to the unit and the history is not exact (the refund is then an estimate). The
    /// collected months follow, grouped into runs of the same premium (unpaid gaps do not count
    /// as months paid).
    pub fn history(&self, unit: Yen) -> (Vec<PremiumSegment>, bool) {
        let mut out: Vec<PremiumSegment> = Vec::new();
        let mut exact = true;
        let n = i64::from(self.opening_months);
        if n > 0 && unit.get() > 0 {
            let units = self.opening_yen.get() / unit.get();
            exact = self.opening_yen.get() % unit.get() == 0;
            let (base, extra) = (units / n, units % n);
            for (months, per_month_units) in [(n - extra, base), (extra, base + 1)] {
                if months > 0 && per_month_units > 0 {
                    out.push(PremiumSegment {
                        monthly_premium: Yen::new(per_month_units * unit.get()),
                        months: months as u32,
                    });
                }
            }
        }
        let mut months = self.months.clone();
        months.sort();
        for (_, amount) in months {
            match out.last_mut() {
                Some(s) if s.monthly_premium == amount => s.months += 1,
                _ => out.push(PremiumSegment {
                    monthly_premium: amount,
                    months: 1,
                }),
            }
        }
        (out, exact)
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
    /// 倒産防止: 1/10 of the 共済金 loans received, taken off 掛金総額 before the rate applies;
    /// 小規模: outstanding 契約者貸付 set off against the refund.
    pub loans_deducted: Yen,
    /// 倒産防止: the rate of the cancellation's column; 小規模: None (the rate is per tranche).
    pub rate: Option<Rate>,
    /// 小規模: (500-yen units, months paid, amount) per tranche.
    pub tranches: Vec<(u32, u32, Yen)>,
    /// A provisional rate or band went into the amount (概算).
    pub estimate: bool,
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
            let (history, exact) = paid.history(r.benefit.unit_yen.value);
            let b = match kind {
                CancellationKind::Deemed(DeemedReason::QuasiBenefitCase) => {
                    se::deemed_cancellation_refund(r, &history)
                }
                _ => se::cancellation_refund(r, &history),
            }
            .map_err(RefundError::History)?;
            let loans_deducted = loans.min(b.amount).max(Yen::ZERO);
            Ok(TerminationRefund {
                amount: rounding::sub(b.amount, loans_deducted),
                months_paid: b.months_paid,
                total_paid: b.total_paid,
                loans_deducted,
                rate: None,
                tranches: b
                    .tranches
                    .iter()
                    .map(|t| (t.tranche.units, t.tranche.months_paid, t.amount))
                    .collect(),
                estimate: b.estimate || !exact,
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

    #[test]
    fn history_groups_runs_of_the_same_premium() {
        let mut m = months("2026-01", 3, 10_000);
        m.extend(months("2026-06", 2, 20_000));
        let p = PaidPremiums {
            opening_months: 10,
            opening_yen: Yen::new(50_000),
            months: m,
        };
        assert_eq!(
            p.history(Yen::new(500)),
            (
                vec![
                    PremiumSegment {
                        monthly_premium: Yen::new(5_000),
                        months: 10
                    },
                    PremiumSegment {
                        monthly_premium: Yen::new(10_000),
                        months: 3
                    },
                    PremiumSegment {
                        monthly_premium: Yen::new(20_000),
                        months: 2
                    },
                ],
                true
            )
        );
        // 10 months worth 52,500 yen: 5 months at 5,000 then 5 at 5,500 (total exact).
        let uneven = PaidPremiums {
            opening_months: 10,
            opening_yen: Yen::new(52_500),
            months: vec![],
        };
        let (h, exact) = uneven.history(Yen::new(500));
        assert!(exact);
        assert_eq!(
            h.iter()
                .map(|s| (s.monthly_premium.get(), s.months))
                .collect::<Vec<_>>(),
            [(5_000, 5), (5_500, 5)]
        );
        assert_eq!(
            h.iter()
                .map(|s| s.monthly_premium.get() * i64::from(s.months))
                .sum::<i64>(),
            52_500
        );
        // Not a whole number of units: rounded down, flagged.
        let odd = PaidPremiums {
            opening_yen: Yen::new(52_700),
            ..uneven
        };
        assert!(!odd.history(Yen::new(500)).1);
        assert_eq!(p.months_paid(), 15);
        assert_eq!(p.total(), Yen::new(120_000));
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
