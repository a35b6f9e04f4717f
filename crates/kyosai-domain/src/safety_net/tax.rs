//! Deductibility of 経営セーフティ共済 premiums after an earlier cancellation (措法66条の11,
//! 令和6年度税制改正; REFERENCE §5.4, §10 #66).
//!
//! After a cancellation on or after 2024-10-01, premiums of a new contract paid from the
//! cancellation date up to the day two years elapse are not deductible (損金・必要経費に算入できない).
//! 「2年を経過する日」 is read as the day before the second anniversary: cancelled 2024-10-01 →
//! not deductible through 2026-09-30. Certificates and statements flag such premiums.

use jiff::ToSpan;
use jiff::civil::Date;

use crate::rules::safety_net::TaxRules;

/// The last day premiums are not deductible after a cancellation on `cancelled_on`, or None when
/// the rule does not apply to that cancellation (before `from_cancellations_on`).
pub fn non_deductible_until(rules: &TaxRules, cancelled_on: Date) -> Option<Date> {
    if cancelled_on < rules.from_cancellations_on.value {
        return None;
    }
    let years = i64::from(rules.non_deductible_years.value);
    let anniversary = cancelled_on.checked_add(years.years()).ok()?;
    anniversary.yesterday().ok()
}

/// Whether a premium paid on `paid_on` is deductible, given the member's latest earlier
/// 倒産防止 cancellation (if any).
pub fn premium_deductible(rules: &TaxRules, cancelled_on: Option<Date>, paid_on: Date) -> bool {
    match cancelled_on.and_then(|c| non_deductible_until(rules, c).map(|until| (c, until))) {
        Some((from, until)) => !(from..=until).contains(&paid_on),
        None => true,
    }
}
