//! 払込区分の変更 (payment frequency change) of 小規模企業共済 (REFERENCE §2.5).
//!
//! A change that reaches the Organization by the 20th (the 15th in December; the preceding
//! business day if that day is not one) takes effect the next month; later, the month after.

use jiff::civil::Date;

use crate::billing::ContractFacts;
use crate::calendar::{BusinessCalendar, YearMonth};
use crate::rules::small_enterprise::FrequencyChangeRules;

/// The cut-off date of a month.
pub fn cutoff(rules: &FrequencyChangeRules, cal: &BusinessCalendar, month: YearMonth) -> Date {
    let day = if month.month() == 12 {
        rules.december_cutoff_day.value
    } else {
        rules.cutoff_day.value
    };
    cal.on_or_before(month.day(day))
}

/// The first month at the new frequency for a change received on `received`.
pub fn effective_month(
    rules: &FrequencyChangeRules,
    cal: &BusinessCalendar,
    received: Date,
) -> YearMonth {
    let month = YearMonth::of(received);
    if received <= cutoff(rules, cal, month) {
        month.plus(1)
    } else {
        month.plus(2)
    }
}

/// The first month at the new frequency for a change received on `received` by a contract
/// with `facts`: the month after the cut-off rule's month (never before `first_open`, the first
/// month whose debit file is not made yet), moved on to the end of a semi-annual or annual
/// period already paid for.
pub fn start_month(
    rules: &FrequencyChangeRules,
    cal: &BusinessCalendar,
    facts: &ContractFacts,
    received: Date,
    first_open: YearMonth,
) -> YearMonth {
    facts.first_uncovered_month(effective_month(rules, cal, received).max(first_open))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Program;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    /// REFERENCE §2.5: by the 20th (15th in December; the preceding business day when that is
    /// not one) → next month; later → the month after.
    #[test]
    fn cutoff_table() {
        let book = RuleBook::embedded().unwrap();
        let set = book
            .in_force(Program::SmallEnterprise, date(2026, 11, 1))
            .unwrap();
        let rules = &set.small_enterprise.as_ref().unwrap().frequency_change;
        // A holiday on the 20th of October moves that month's cut-off back to the 19th.
        let cal = BusinessCalendar::new([date(2026, 10, 20)]);
        let cases = [
            // 2026-11-20 is a Friday.
            (date(2026, 11, 20), "2026-12"),
            (date(2026, 11, 21), "2027-01"),
            // 2026-12-15 is a Tuesday: the December cut-off.
            (date(2026, 12, 15), "2027-01"),
            (date(2026, 12, 16), "2027-02"),
            // 2026-09-20 is a Sunday: the cut-off moves back to Friday the 18th.
            (date(2026, 9, 18), "2026-10"),
            (date(2026, 9, 19), "2026-11"),
            (date(2026, 10, 19), "2026-11"),
            (date(2026, 10, 20), "2026-12"),
        ];
        for (day, want) in cases {
            assert_eq!(effective_month(rules, &cal, day).to_string(), want, "{day}");
        }
    }
}
