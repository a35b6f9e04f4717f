//! 掛止め: suspending premium payments (REFERENCE §2.6).
//!
//! Allowed only when 掛金総額 ≥ 40 × 掛金月額. A notice received by the 5th (next business day if
//! a holiday) stops the debit the same month; a later one from the next month.

use jiff::civil::Date;

use crate::calendar::{BusinessCalendar, YearMonth};
use crate::money::Yen;
use crate::rounding;
use crate::rules::safety_net::SuspensionRules;

pub fn allowed(rules: &SuspensionRules, total_paid: Yen, monthly_premium: Yen) -> bool {
    total_paid >= rounding::mul(monthly_premium, rules.min_multiple_of_premium.value)
}

/// The first month without a debit, for a notice received on `received`.
pub fn first_suspended_month(
    rules: &SuspensionRules,
    cal: &BusinessCalendar,
    received: Date,
) -> YearMonth {
    super::month_for_request(cal, received, rules.cutoff_day.value)
}

/// Whether a resumption from `resumed_from` after a suspension from `suspended_from` also needs
/// a new debit account (suspended for a year or more: 中105 with the 中213).
pub fn needs_new_account(
    rules: &SuspensionRules,
    suspended_from: YearMonth,
    resumed_from: YearMonth,
) -> bool {
    suspended_from.months_until(resumed_from) >= rules.new_account_after_months.value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Program;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn forty_times_the_premium_and_the_fifth() {
        let book = RuleBook::embedded().unwrap();
        let set = book
            .in_force(Program::SafetyNet, date(2026, 11, 1))
            .unwrap();
        let rules = &set.safety_net.as_ref().unwrap().suspension;
        assert!(allowed(rules, Yen::new(400_000), Yen::new(10_000)));
        assert!(!allowed(rules, Yen::new(399_999), Yen::new(10_000)));
        // 2026-12-05 is a Saturday: the cut-off moves to Monday the 7th.
        let cal = BusinessCalendar::new([]);
        for (day, want) in [
            (date(2026, 11, 5), "2026-11"),
            (date(2026, 11, 6), "2026-12"),
            (date(2026, 12, 7), "2026-12"),
            (date(2026, 12, 8), "2027-01"),
        ] {
            assert_eq!(first_suspended_month(rules, &cal, day).to_string(), want);
        }
        assert!(!needs_new_account(rules, ym("2026-01"), ym("2026-12")));
        assert!(needs_new_account(rules, ym("2026-01"), ym("2027-01")));
    }
}
