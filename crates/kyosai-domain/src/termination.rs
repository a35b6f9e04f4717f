//! 機構解約/機構解除: whether a contract is a termination candidate and the 解約手当金 it gets
//! (REFERENCE §2.7, §3.4, §5.3; issue #4).
//!
//! Pure: the caller passes the premium months actually collected (from the ledger) and the rule
//! set in force on the cancellation date. Refunds are rounded down to the yen (円未満切捨て) by
//! the calculators they reuse.

use serde::{Deserialize, Serialize};

use crate::calendar::YearMonth;
use crate::money::Yen;
use crate::program::Program;
use crate::rate::Rate;
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

/// The 解約手当金 of a 機構解約/機構解除 and how it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminationRefund {
    pub amount: Yen,
    pub months_paid: u32,
    pub total_paid: Yen,
    /// 倒産防止: the rate of the 機構解約 column; 小規模: None (the rate is per tranche).
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
}

/// 解約手当金 for a cancellation by the Organization under `rules` (in force on the
/// cancellation date).
///
/// 小規模: law §12(3)(1), per tranche 掛金合計 × 表1 rate (§3.4). 倒産防止: the 機構解約 column
/// of §5.3 applied to 掛金総額 less 1/10 of 共済金 loans received (`loans_received`).
pub fn refund_by_organization(
    rules: &RuleSet,
    paid: &PaidPremiums,
    loans_received: Yen,
) -> Result<TerminationRefund, RefundError> {
    match rules.program {
        Program::SmallEnterprise => {
            let r = rules
                .small_enterprise
                .as_ref()
                .ok_or(RefundError::NoRules)?;
            let (history, exact) = paid.history(r.benefit.unit_yen.value);
            let b = se::cancellation_refund(r, &history).map_err(RefundError::History)?;
            Ok(TerminationRefund {
                amount: b.amount,
                months_paid: b.months_paid,
                total_paid: b.total_paid,
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
            let x = sn::cancellation_refund(
                &r.cancellation,
                Cancellation::ByOrganization,
                paid.months_paid(),
                paid.total(),
                loans_received,
            );
            Ok(TerminationRefund {
                amount: x.amount,
                months_paid: paid.months_paid(),
                total_paid: paid.total(),
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
        let se = refund_by_organization(
            &rules(Program::SmallEnterprise),
            &PaidPremiums {
                months: months("2026-11", 14, 30_000),
                ..Default::default()
            },
            Yen::ZERO,
        )
        .unwrap();
        assert_eq!(se.amount, Yen::new(336_000));
        // Under 12 months nothing is paid.
        let short = refund_by_organization(
            &rules(Program::SmallEnterprise),
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
        let r = refund_by_organization(&sn, &paid, Yen::ZERO).unwrap();
        assert_eq!(r.amount, Yen::new(1_620_000));
        let paid = PaidPremiums {
            months: months("2024-01", 40, 50_000),
            ..Default::default()
        };
        let r = refund_by_organization(&sn, &paid, Yen::new(1_000_000)).unwrap();
        assert_eq!(r.amount, Yen::new((2_000_000 - 100_000) * 95 / 100));
    }
}
