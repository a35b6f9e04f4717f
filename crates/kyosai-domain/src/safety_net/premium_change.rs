//! 掛金月額変更: when a premium change takes effect (REFERENCE §2.4).
//!
//! Received by the 5th (next business day if a holiday): the new amount is debited that month.
//! Received later: the old amount is debited that month; an increase adds the difference to next
//! month's debit, a decrease bills next month at the new amount and credits the excess against
//! later months. A decrease needs a reason, or outstanding loans + 掛金総額 × 10 ≥ 8,000万円.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::billing::ChangePlan;
use crate::calendar::{BusinessCalendar, YearMonth};
use crate::money::Yen;
use crate::rounding;
use crate::rules::safety_net::PremiumChangeRules;

/// When and how a change received on a date is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeTiming {
    /// The month of receipt.
    pub received_month: YearMonth,
    /// The first month whose premium is at the new amount: always the month of receipt; the
    /// cut-off only decides whether that month's debit already uses it.
    pub new_amount_from: YearMonth,
    /// The debit of the month of receipt is at the new amount (received by the cut-off).
    pub in_time: bool,
    /// Debited in the month of receipt.
    pub debited_in_received_month: Yen,
    /// For a late increase: the difference added to next month's debit (else zero).
    pub added_next_month: Yen,
    /// For a late decrease: the excess paid in the month of receipt, applied to later months.
    pub credit: Yen,
}

pub fn timing(
    rules: &PremiumChangeRules,
    cal: &BusinessCalendar,
    received: Date,
    old_premium: Yen,
    new_premium: Yen,
) -> ChangeTiming {
    let received_month = YearMonth::of(received);
    let from = super::month_for_request(cal, received, rules.cutoff_day.value);
    if from == received_month {
        return ChangeTiming {
            received_month,
            new_amount_from: from,
            in_time: true,
            debited_in_received_month: new_premium,
            added_next_month: Yen::ZERO,
            credit: Yen::ZERO,
        };
    }
    let diff = rounding::sub(new_premium, old_premium);
    ChangeTiming {
        received_month,
        // The month of receipt is owed at the new amount: an increase's difference follows next
        // month, a decrease's excess is credited against later months.
        new_amount_from: received_month,
        in_time: false,
        debited_in_received_month: old_premium,
        added_next_month: diff.max(Yen::ZERO),
        credit: Yen::ZERO.max(rounding::sub(old_premium, new_premium)),
    }
}

/// The ground a member states for a decrease (REFERENCE §2.4, grounds 1–3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DecreaseReason {
    /// 事業の縮小.
    BusinessShrunk,
    /// 掛金の払込みを継続することが著しく困難 (deterioration, illness or injury, sudden expense).
    Hardship,
    /// 借入金の貸付残高 + 掛金総額 × 10 has reached 8,000万円 (checked from the ledger).
    LoanCapReached,
}

impl DecreaseReason {
    pub const ALL: [DecreaseReason; 3] = [
        DecreaseReason::BusinessShrunk,
        DecreaseReason::Hardship,
        DecreaseReason::LoanCapReached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecreaseReason::BusinessShrunk => "business_shrunk",
            DecreaseReason::Hardship => "hardship",
            DecreaseReason::LoanCapReached => "loan_cap_reached",
        }
    }

    pub fn parse(s: &str) -> Option<DecreaseReason> {
        DecreaseReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            DecreaseReason::BusinessShrunk => "事業を縮小した",
            DecreaseReason::Hardship => {
                "掛金の払込みを続けることが著しく困難（業況の悪化、病気・けが、急な出費など）"
            }
            DecreaseReason::LoanCapReached => {
                "借入金の貸付残高と掛金総額の10倍の合計が8,000万円に達した"
            }
        }
    }
}

/// When a change received on `received` is billed: in time, from the month of receipt; late,
/// from the next month, the month of receipt being settled by its difference or credit
/// ([`timing`]).
pub fn plan(
    rules: &PremiumChangeRules,
    cal: &BusinessCalendar,
    received: Date,
    old_premium: Yen,
    new_premium: Yen,
) -> ChangePlan {
    let t = timing(rules, cal, received, old_premium, new_premium);
    if t.in_time {
        ChangePlan {
            effective_month: t.received_month,
            late_from: None,
        }
    } else {
        ChangePlan {
            effective_month: t.received_month.plus(1),
            late_from: Some(t.new_amount_from),
        }
    }
}

/// The third ground for a decrease: outstanding loans + 掛金総額 × 10 has reached 8,000万円.
pub fn decrease_allowed_by_threshold(
    rules: &PremiumChangeRules,
    outstanding_loans: Yen,
    total_paid: Yen,
) -> bool {
    rounding::add(
        outstanding_loans,
        rounding::mul(total_paid, rules.decrease_premium_multiple.value),
    ) >= rules.decrease_threshold_yen.value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Program;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn effective_month_at_the_cut_off_the_day_after_holidays_and_year_end() {
        let book = RuleBook::embedded().unwrap();
        let rules = &book
            .in_force(Program::SafetyNet, date(2026, 11, 1))
            .unwrap()
            .safety_net
            .as_ref()
            .unwrap()
            .premium_change;
        // Golden Week 2026: the 5th and the 6th are holidays, the deadline is the 7th.
        let cal = BusinessCalendar::new([
            date(2026, 5, 4),
            date(2026, 5, 5),
            date(2026, 5, 6),
            date(2027, 1, 1),
        ]);
        let (old, new) = (Yen::new(50_000), Yen::new(80_000));
        for (received, effective, late) in [
            // The 5th itself (a Thursday) and the 6th.
            (date(2026, 11, 5), "2026-11", None),
            (date(2026, 11, 6), "2026-12", Some("2026-11")),
            // The 5th a Saturday: the deadline moves to Monday the 7th.
            (date(2026, 9, 7), "2026-09", None),
            (date(2026, 9, 8), "2026-10", Some("2026-09")),
            // Holidays on the 5th and 6th: the 7th.
            (date(2026, 5, 7), "2026-05", None),
            (date(2026, 5, 8), "2026-06", Some("2026-05")),
            // Year end: late in December is settled with January's debit.
            (date(2026, 12, 31), "2027-01", Some("2026-12")),
            (date(2027, 1, 5), "2027-01", None),
        ] {
            assert_eq!(
                plan(rules, &cal, received, old, new),
                ChangePlan {
                    effective_month: ym(effective),
                    late_from: late.map(ym),
                },
                "received {received}"
            );
        }
    }

    #[test]
    fn decrease_threshold_counts_ten_times_the_premiums_paid() {
        let book = RuleBook::embedded().unwrap();
        let rules = &book
            .in_force(Program::SafetyNet, date(2026, 11, 1))
            .unwrap()
            .safety_net
            .as_ref()
            .unwrap()
            .premium_change;
        assert!(decrease_allowed_by_threshold(
            rules,
            Yen::ZERO,
            Yen::new(8_000_000)
        ));
        assert!(!decrease_allowed_by_threshold(
            rules,
            Yen::ZERO,
            Yen::new(7_995_000)
        ));
        assert!(decrease_allowed_by_threshold(
            rules,
            Yen::new(50_000),
            Yen::new(7_995_000)
        ));
    }
}
