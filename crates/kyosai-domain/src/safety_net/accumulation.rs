//! 積立限度: the 8,000,000-yen cap on 掛金総額 (REFERENCE §2.1). Billing stops automatically once
//! it is reached.

use crate::money::Yen;
use crate::rounding;

/// What may still be billed this month: the premium, or what is left below the cap (the last
/// bill before the cap may be smaller), or nothing once the cap is reached.
pub fn next_billable(cap: Yen, total_paid: Yen, monthly_premium: Yen) -> Yen {
    rounding::sub(cap, total_paid)
        .max(Yen::ZERO)
        .min(monthly_premium)
}

/// Whether billing has stopped.
pub fn reached(cap: Yen, total_paid: Yen) -> bool {
    total_paid >= cap
}

/// Months of billing left until the cap (the last one possibly partial).
pub fn months_to_cap(cap: Yen, total_paid: Yen, monthly_premium: Yen) -> i64 {
    let left = rounding::sub(cap, total_paid).get().max(0);
    let p = monthly_premium.get();
    if p <= 0 { 0 } else { (left + p - 1) / p }
}
