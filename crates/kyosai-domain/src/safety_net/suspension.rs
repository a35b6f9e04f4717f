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
