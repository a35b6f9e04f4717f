//! 前納減額金: the prepayment discount (REFERENCE §2.3).
//!
//! `掛金月額 × rate × 前納月数の累計`, where the 累計 sums, over the prepaid months, how many months
//! ahead each one is paid (11 months ahead: 1 + 2 + … + 11 = 66); for 小規模 a month paid 12 or
//! more months ahead counts as 12. Rounded down to the yen. The discount is computed on the
//! March-end position and paid in June; below 5,000 yen it is carried to the next year.

use crate::money::Yen;
use crate::rounding;
use crate::rules::small_enterprise::PrepaymentRules;

/// 前納月数の累計 for paying the next `months_ahead` months now.
pub fn counted_months(rules: &PrepaymentRules, months_ahead: u32) -> u64 {
    let cap = rules
        .max_counted_months_ahead
        .as_ref()
        .map_or(u32::MAX, |c| c.value);
    (1..=u64::from(months_ahead))
        .map(|k| k.min(u64::from(cap)))
        .sum()
}

/// The discount for paying the next `months_ahead` months of `monthly_premium` now.
pub fn discount(rules: &PrepaymentRules, monthly_premium: Yen, months_ahead: u32) -> Yen {
    let counted = i64::try_from(counted_months(rules, months_ahead)).unwrap_or(i64::MAX);
    rounding::apply_rate(
        rounding::mul(monthly_premium, counted),
        rules.discount_rate.value,
    )
}

/// What is paid out in June from the discount accumulated, and what is carried forward.
pub fn june_payout(rules: &PrepaymentRules, accumulated: Yen) -> (Yen, Yen) {
    if accumulated < rules.carry_forward_below_yen.value {
        (Yen::ZERO, accumulated)
    } else {
        (accumulated, Yen::ZERO)
    }
}
