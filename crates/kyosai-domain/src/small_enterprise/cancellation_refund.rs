//! 解約手当金 of 小規模企業共済 (REFERENCE §3.4; law §12).
//!
//! For 任意解約 and 機構解約 (law §12(3)(1)): per tranche, 掛金合計 × 支給割合 of the tranche's
//! months paid (表1), rounded down to the yen; nothing for a contract under 12 months. No 付加共済金
//! on a cancellation.

use crate::money::Yen;
use crate::rounding;
use crate::rules::small_enterprise::SmallEnterpriseRules;

use super::benefit::{BenefitResult, TrancheAmount};
use super::tranches::{HistoryError, PremiumSegment, tranches};

/// 解約手当金 after `history` (chronological).
pub fn cancellation_refund(
    rules: &SmallEnterpriseRules,
    history: &[PremiumSegment],
) -> Result<BenefitResult, HistoryError> {
    let c = &rules.cancellation;
    let unit = rules.benefit.unit_yen.value;
    let split = tranches(history, unit)?;
    let payable = split.months_paid >= c.min_months.value;
    let mut estimate = false;
    let mut base = Yen::ZERO;
    let mut out = Vec::with_capacity(split.tranches.len());
    for t in &split.tranches {
        let amount = if payable {
            let premiums = Yen::new(
                unit.get()
                    .saturating_mul(i64::from(t.units))
                    .saturating_mul(i64::from(t.months_paid)),
            );
            let band = c.rates.value.band(t.months_paid);
            estimate |= c.rates.provisional || band.is_some_and(|b| b.provisional);
            band.map_or(Yen::ZERO, |b| rounding::apply_rate(premiums, b.rate))
        } else {
            Yen::ZERO
        };
        base = rounding::add(base, amount);
        out.push(TrancheAmount {
            tranche: *t,
            amount,
        });
    }
    Ok(BenefitResult {
        amount: base,
        base,
        bonus: Yen::ZERO,
        total_paid: split.total_paid,
        months_paid: split.months_paid,
        tranches: out,
        payable,
        estimate,
    })
}
