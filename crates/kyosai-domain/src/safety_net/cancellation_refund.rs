//! 解約手当金 of 経営セーフティ共済 (REFERENCE §5.3).
//!
//! `支給率 × (掛金総額 − 1/10 of 共済金 loans received)`, rounded down to the yen; the rate depends
//! on the kind of cancellation and the months paid (nothing under 12 months).

use crate::money::Yen;
use crate::rate::Rate;
use crate::rounding;
use crate::rules::safety_net::{Cancellation, CancellationRules};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refund {
    pub amount: Yen,
    pub rate: Rate,
    /// 掛金総額 after the deduction the rate applies to.
    pub base: Yen,
    pub estimate: bool,
}

/// The premiums the refund rate applies to: total paid less the loan deduction (never negative).
pub fn base(rules: &CancellationRules, total_paid: Yen, loans_received: Yen) -> Yen {
    let deduction = rounding::apply_rate(loans_received, rules.loan_deduction.value);
    rounding::sub(total_paid, deduction).max(Yen::ZERO)
}

pub fn cancellation_refund(
    rules: &CancellationRules,
    cancellation: Cancellation,
    months_paid: u32,
    total_paid: Yen,
    loans_received: Yen,
) -> Refund {
    let table = rules.rates(cancellation);
    let band = table.value.band(months_paid);
    let rate = if months_paid < rules.min_months.value {
        Rate::ZERO
    } else {
        band.map_or(Rate::ZERO, |b| b.rate)
    };
    let base = base(rules, total_paid, loans_received);
    Refund {
        amount: rounding::apply_rate(base, rate),
        rate,
        base,
        estimate: table.provisional || band.is_some_and(|b| b.provisional),
    }
}
