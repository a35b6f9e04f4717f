//! 掛金月額変更 of 小規模企業共済: from which month a change is billed (REFERENCE §2.4).
//!
//! The rule set names the rule: the renewed cycle bills the new amount from the first debit
//! whose file is not made yet on the day of receipt (before the month's cut-off: that month;
//! else the next); the legacy rule bills it from the month after next (翌々月), an increase also
//! owing the difference of the month of receipt and the next, collected with that bill.

use jiff::civil::Date;

use crate::billing::ChangePlan;
use crate::calendar::{BusinessCalendar, YearMonth};
use crate::money::Yen;
use crate::rules::CollectionRules;
use crate::rules::small_enterprise::{EffectiveMonthRule, PremiumChangeRules};
use crate::schedule;

/// When a change from `old_premium` to `new_premium` received on `received` is billed.
pub fn plan(
    rules: &PremiumChangeRules,
    collection: &CollectionRules,
    cal: &BusinessCalendar,
    received: Date,
    old_premium: Yen,
    new_premium: Yen,
) -> ChangePlan {
    let month = YearMonth::of(received);
    match rules.effective_month_rule.value {
        EffectiveMonthRule::NextOpenDebit => ChangePlan {
            effective_month: schedule::first_open_month(collection, cal, received),
            late_from: None,
        },
        EffectiveMonthRule::MonthAfterNext => ChangePlan {
            effective_month: month.plus(2),
            late_from: (new_premium > old_premium && rules.back_difference_on_increase.value)
                .then_some(month),
        },
    }
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
    fn effective_month_by_rule_at_the_cut_off_the_day_after_holidays_and_year_end() {
        let book = RuleBook::embedded().unwrap();
        let set = book
            .in_force(Program::SmallEnterprise, date(2026, 11, 1))
            .unwrap();
        let mut rules = set
            .small_enterprise
            .as_ref()
            .unwrap()
            .premium_change
            .clone();
        assert_eq!(
            rules.effective_month_rule.value,
            EffectiveMonthRule::NextOpenDebit
        );
        // 成人の日 2027-01-11 lies in January's five business days before the debit (the 18th).
        let cal = BusinessCalendar::new([
            date(2026, 11, 3),
            date(2026, 11, 23),
            date(2027, 1, 1),
            date(2027, 1, 11),
        ]);
        let (old, up) = (Yen::new(10_000), Yen::new(20_000));
        for (received, effective) in [
            // November's cut-off is the 11th: the day before is in time, the cut-off day not.
            (date(2026, 11, 10), "2026-11"),
            (date(2026, 11, 11), "2026-12"),
            // The holiday moves January's cut-off to the 8th.
            (date(2027, 1, 7), "2027-01"),
            (date(2027, 1, 8), "2027-02"),
            // Year end: December's file went out on the 11th.
            (date(2026, 12, 31), "2027-01"),
        ] {
            assert_eq!(
                plan(&rules, &set.collection, &cal, received, old, up),
                ChangePlan {
                    effective_month: ym(effective),
                    late_from: None,
                },
                "received {received}"
            );
        }
        rules.effective_month_rule.value = EffectiveMonthRule::MonthAfterNext;
        for (received, effective, late) in [
            (date(2026, 11, 10), "2027-01", "2026-11"),
            (date(2026, 11, 11), "2027-01", "2026-11"),
            (date(2026, 12, 31), "2027-02", "2026-12"),
            (date(2027, 1, 8), "2027-03", "2027-01"),
        ] {
            assert_eq!(
                plan(&rules, &set.collection, &cal, received, old, up),
                ChangePlan {
                    effective_month: ym(effective),
                    late_from: Some(ym(late)),
                },
                "received {received}"
            );
            // A decrease owes no back-difference.
            assert_eq!(
                plan(&rules, &set.collection, &cal, received, up, old).late_from,
                None
            );
        }
    }

    #[test]
    fn the_back_difference_covers_the_month_of_receipt_and_the_next() {
        let p = ChangePlan {
            effective_month: ym("2027-01"),
            late_from: Some(ym("2026-11")),
        };
        let s = p.settlement(Yen::new(10_000), Yen::new(12_000)).unwrap();
        let d = s.differences();
        assert_eq!(
            d.iter()
                .map(|i| (i.month.to_string(), i.amount.get()))
                .collect::<Vec<_>>(),
            [
                ("2026-11".to_string(), 2_000),
                ("2026-12".to_string(), 2_000)
            ]
        );
        // A contract first debited in December owes no November.
        let later = p.not_before(ym("2026-12"));
        assert_eq!(later.late_from, Some(ym("2026-12")));
        assert_eq!(p.not_before(ym("2027-01")).late_from, None);
    }
}
