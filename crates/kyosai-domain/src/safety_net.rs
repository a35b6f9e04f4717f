//! 経営セーフティ共済 calculators (REFERENCE §2.3–§2.6, §5). Pure functions of the rule-set
//! section [`SafetyNetRules`](crate::rules::SafetyNetRules) and the facts.

pub mod accumulation;
pub mod bankruptcy_loan;
pub mod cancellation_refund;
pub mod premium_change;
pub mod prepayment;
pub mod suspension;
pub mod tax;
pub mod temporary_loan;

pub use crate::rules::safety_net::Cancellation;

use jiff::civil::Date;

use crate::calendar::{BusinessCalendar, YearMonth};

/// The first month a request received on `received` takes effect in, when requests received by
/// `cutoff_day` of a month (moved to the next business day if that is not one) apply to that
/// month and later ones to the next (REFERENCE §2.4, §2.6: "5日まで（休日の場合は翌営業日）").
pub fn month_for_request(cal: &BusinessCalendar, received: Date, cutoff_day: i8) -> YearMonth {
    let month = YearMonth::of(received);
    let deadline = cal.on_or_after(month.day(cutoff_day));
    if received <= deadline {
        month
    } else {
        month.plus(1)
    }
}
