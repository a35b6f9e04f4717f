//! 共済金A / 共済金B / 準共済金 = 基本共済金 + 付加共済金 (REFERENCE §3.1–§3.3).
//!
//! 基本共済金 is the sum over tranches: a tranche paid for fewer than 36 months is worth the
//! premiums paid into it; from 36 months it is `units ×` the per-unit amount of the event's table
//! (施行令 別表第一; the shipped table is provisional, see [`PerUnitTable`]). Below the minimum
//! months of the contract (6 for A/B, 12 for 準共済金) nothing is paid. 付加共済金 is
//! `基本共済金 × the fiscal year's rate`, rounded down to the yen, for contracts of 36 months or more;
//! whether only tranches of 36 months count is the rule set's `bonus.basis` (unconfirmed, §3.2).
//!
//! [`PerUnitTable`]: crate::rules::PerUnitTable

use crate::money::Yen;
use crate::rounding;
use crate::rules::small_enterprise::{
    BonusBasis, ClaimReason, DecreasedTranche, SmallEnterpriseRules,
};

use super::tranches::{HistoryError, PremiumSegment, Tranche, tranches};

/// The amount of one tranche.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrancheAmount {
    pub tranche: Tranche,
    pub amount: Yen,
}

/// A computed benefit or refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenefitResult {
    /// 基本共済金 + 付加共済金 (the refund for a cancellation).
    pub amount: Yen,
    pub base: Yen,
    pub bonus: Yen,
    pub total_paid: Yen,
    pub months_paid: u32,
    pub tranches: Vec<TrancheAmount>,
    /// False when the contract is below the minimum months (掛け捨て): every amount is zero.
    pub payable: bool,
    /// A provisional value (table, rate or unknown bonus year) went into the result (概算).
    pub estimate: bool,
    /// 解約手当金: premiums of months before the 表1 cut-over were valued at 表2
    /// (`cancellation.legacy_rates`), which the answer must say.
    pub legacy_rates_used: bool,
}

/// The value of one tranche for a claim reason, and whether that value is an estimate.
pub(crate) fn claim_tranche_amount(
    rules: &SmallEnterpriseRules,
    reason: ClaimReason,
    t: &Tranche,
) -> (Yen, bool) {
    let b = &rules.benefit;
    let unit = b.unit_yen.value;
    let premiums = t.premiums(unit);
    if !t.active && b.decreased_tranche.value == DecreasedTranche::CancellationRates {
        let band = rules.cancellation.rates.value.band(t.months_paid);
        let rate = band.map_or(crate::rate::Rate::ZERO, |x| x.rate);
        let provisional = band.is_some_and(|x| x.provisional)
            || rules.cancellation.rates.provisional
            || b.decreased_tranche.provisional;
        return (rounding::apply_rate(premiums, rate), provisional);
    }
    let stopped_estimate = !t.active && b.decreased_tranche.provisional;
    if t.months_paid < b.premiums_only_below_months.value {
        return (
            premiums,
            stopped_estimate || b.premiums_only_below_months.provisional,
        );
    }
    let table = b.table(reason);
    let per_unit = table.value.amount(t.months_paid, unit);
    let estimate = stopped_estimate || (table.provisional && !per_unit.published);
    (rounding::mul(per_unit.yen, i64::from(t.units)), estimate)
}

/// 共済金 for `reason` after `history` (chronological), with the bonus of `fiscal_year` if given.
pub fn benefit(
    rules: &SmallEnterpriseRules,
    reason: ClaimReason,
    history: &[PremiumSegment],
    fiscal_year: Option<i16>,
) -> Result<BenefitResult, HistoryError> {
    let split = tranches(history, rules.benefit.unit_yen.value)?;
    let payable = split.months_paid >= rules.benefit.min_months(reason);
    let mut estimate = false;
    let mut base = Yen::ZERO;
    let mut out = Vec::with_capacity(split.tranches.len());
    for t in &split.tranches {
        let amount = if payable {
            let (a, e) = claim_tranche_amount(rules, reason, t);
            estimate |= e;
            a
        } else {
            Yen::ZERO
        };
        base = rounding::add(base, amount);
        out.push(TrancheAmount {
            tranche: *t,
            amount,
        });
    }
    let mut bonus = Yen::ZERO;
    if payable
        && let Some(fy) = fiscal_year
        && split.months_paid >= rules.bonus.min_months.value
    {
        match rules.bonus.rate(fy) {
            Some(rate) => {
                let (bonus_base, bases_differ) = bonus_base(rules, base, &out);
                bonus = rounding::apply_rate(bonus_base, rate);
                estimate |= rules.bonus.rates.provisional
                    || (bases_differ && rules.bonus.basis.provisional);
            }
            // The Minister has not set (or we do not know) this year's rate: no bonus, estimate.
            None => estimate = true,
        }
    }
    Ok(BenefitResult {
        amount: rounding::add(base, bonus),
        base,
        bonus,
        total_paid: split.total_paid,
        months_paid: split.months_paid,
        tranches: out,
        payable,
        estimate,
        legacy_rates_used: false,
    })
}

/// The amount the 付加共済金 rate applies to under the rule set's [`BonusBasis`], and whether
/// the other basis would give a different amount (then an unconfirmed basis makes the result an
/// estimate). Called once the contract has the bonus's minimum months.
fn bonus_base(rules: &SmallEnterpriseRules, base: Yen, tranches: &[TrancheAmount]) -> (Yen, bool) {
    let min = rules.bonus.min_months.value;
    let per_tranche = tranches
        .iter()
        .filter(|t| t.tranche.months_paid >= min)
        .fold(Yen::ZERO, |acc, t| rounding::add(acc, t.amount));
    let chosen = match rules.bonus.basis.value {
        BonusBasis::Contract => base,
        BonusBasis::PerTranche => per_tranche,
    };
    (chosen, per_tranche != base)
}

/// 付加共済金 of a base amount in a fiscal year (None: the year's rate is not known).
pub fn bonus(rules: &SmallEnterpriseRules, base: Yen, fiscal_year: i16) -> Option<Yen> {
    rules
        .bonus
        .rate(fiscal_year)
        .map(|r| rounding::apply_rate(base, r))
}
