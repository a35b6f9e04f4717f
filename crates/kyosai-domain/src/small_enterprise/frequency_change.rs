//! 払込区分の変更 (payment frequency change) of 小規模企業共済 (REFERENCE §2.5).
//!
//! A change that reaches the Organization by the 20th (the 15th in December; the preceding
//! business day if that day is not one) takes effect the next month; later, the month after.

use jiff::civil::Date;

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
