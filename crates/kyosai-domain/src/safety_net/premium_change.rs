//! 掛金月額変更: when a premium change takes effect (REFERENCE §2.4).
//!
//! Received by the 5th (next business day if a holiday): the new amount is debited that month.
//! Received later: the old amount is debited that month; an increase adds the difference to next
//! month's debit, a decrease bills next month at the new amount and credits the excess against
//! later months. A decrease needs a reason, or outstanding loans + 掛金総額 × 10 ≥ 8,000万円.

use jiff::civil::Date;

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
