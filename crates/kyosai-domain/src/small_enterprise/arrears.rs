//! 未納 (failed debits) of 小規模企業共済 (REFERENCE §2.7).
//!
//! A premium whose debit failed is re-debited, together with that month's premium, in the first
//! even month at least two months after the failed debit (June fails → August). If that fails as
//! well, the same rule applies from the new failure (August fails → October). After 12 months
//! unpaid, direct debit is no longer possible and the contract is terminated (機構解除).

use crate::calendar::YearMonth;
use crate::rules::small_enterprise::ArrearsRules;

/// The month of the next attempt after a debit attempted in `failed` failed.
pub fn next_attempt(rules: &ArrearsRules, failed: YearMonth) -> YearMonth {
    let gap = i32::try_from(rules.redebit_after_months.value).unwrap_or(2);
    let mut m = failed.plus(gap);
    for _ in 0..12 {
        if rules.redebit_months.value.contains(&m.month()) {
            return m;
        }
        m = m.plus(1);
    }
    failed.plus(gap)
}

/// Whether a contract with `unpaid_months` months in arrears has reached termination.
pub fn termination_reached(rules: &ArrearsRules, unpaid_months: u32) -> bool {
    unpaid_months >= rules.termination_unpaid_months.value
}
