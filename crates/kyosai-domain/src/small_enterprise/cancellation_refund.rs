//! 解約手当金 of 小規模企業共済 (REFERENCE §3.4; law §12).
//!
//! For 任意解約 and 機構解約 (law §12(3)(1)): per tranche, 掛金合計 × 支給割合 of the tranche's
//! months paid (表1), rounded down to the yen; nothing for a contract under 12 months. No 付加共済金
//! on a cancellation. Deemed cancellations of §12(3)(2) are valued per §12(4): see
//! [`deemed_cancellation_refund`].

use crate::money::Yen;
use crate::rounding;
use crate::rules::small_enterprise::SmallEnterpriseRules;

use super::benefit::{BenefitResult, TrancheAmount};
use super::tranches::{HistoryError, PremiumSegment, Tranche, tranches_dated};

/// 解約手当金 after `history` (chronological, undated: every month at 表1).
pub fn cancellation_refund(
    rules: &SmallEnterpriseRules,
    history: &[PremiumSegment],
) -> Result<BenefitResult, HistoryError> {
    cancellation_refund_dated(rules, history, 0)
}

/// 解約手当金 after `history` whose first `legacy_segments` segments are premiums for months
/// before `cancellation.legacy_before` (H16-4): per tranche, those premiums × the 表2 rate of
/// the tranche's months paid plus the others × the 表1 rate, each rounded down to the yen
/// (REFERENCE §3.4). 表2 is rule data (a provisional stand-in today), so using it makes the
/// answer an estimate and sets `legacy_rates_used`.
pub fn cancellation_refund_dated(
    rules: &SmallEnterpriseRules,
    history: &[PremiumSegment],
    legacy_segments: usize,
) -> Result<BenefitResult, HistoryError> {
    let c = &rules.cancellation;
    let unit = rules.benefit.unit_yen.value;
    let mut r = refund(rules, history, legacy_segments, |t, premiums| {
        let legacy = t.legacy_premiums(unit);
        let current = rounding::sub(premiums, legacy);
        let mut amount = Yen::ZERO;
        let mut estimate = false;
        for (part, table) in [(current, &c.rates), (legacy, &c.legacy_rates)] {
            if part == Yen::ZERO {
                continue;
            }
            let band = table.value.band(t.months_paid);
            amount = rounding::add(
                amount,
                band.map_or(Yen::ZERO, |b| rounding::apply_rate(part, b.rate)),
            );
            estimate |= table.provisional || band.is_some_and(|b| b.provisional);
        }
        (amount, estimate)
    })?;
    r.legacy_rates_used = r.payable && r.tranches.iter().any(|t| t.tranche.legacy_months > 0);
    Ok(r)
}

/// 解約手当金 of a deemed cancellation under law §12(3)(2) (the 準共済金 cases, e.g. the holder
/// stops being a 小規模企業者 other than by becoming an officer of a small company): per tranche
/// the 区分解約手当金額 of §12(4) — the premiums paid into a tranche of fewer than 36 months, from
/// 36 months the amount of `deemed_table` (a stand-in for the unpublished 政令 amounts, so an
/// estimate). Nothing for a contract under 12 months (§12(1)); no 付加共済金.
pub fn deemed_cancellation_refund(
    rules: &SmallEnterpriseRules,
    history: &[PremiumSegment],
) -> Result<BenefitResult, HistoryError> {
    let c = &rules.cancellation;
    let unit = rules.benefit.unit_yen.value;
    let table = rules.benefit.table(c.deemed_table.value);
    refund(rules, history, 0, |t, premiums| {
        if t.months_paid < c.deemed_premiums_only_below_months.value {
            (premiums, c.deemed_premiums_only_below_months.provisional)
        } else {
            let per_unit = table.value.amount(t.months_paid, unit);
            (
                rounding::mul(per_unit.yen, i64::from(t.units)),
                c.deemed_table.provisional || (table.provisional && !per_unit.published),
            )
        }
    })
}

/// A refund: the sum over tranches of `value(tranche, its premiums)` → (amount, estimate), or
/// nothing for a contract under the minimum months (§12(1)).
fn refund(
    rules: &SmallEnterpriseRules,
    history: &[PremiumSegment],
    legacy_segments: usize,
    value: impl Fn(&Tranche, Yen) -> (Yen, bool),
) -> Result<BenefitResult, HistoryError> {
    let unit = rules.benefit.unit_yen.value;
    let split = tranches_dated(history, unit, legacy_segments)?;
    let payable = split.months_paid >= rules.cancellation.min_months.value;
    let mut estimate = false;
    let mut base = Yen::ZERO;
    let mut out = Vec::with_capacity(split.tranches.len());
    for t in &split.tranches {
        let amount = if payable {
            let (amount, e) = value(t, t.premiums(unit));
            estimate |= e;
            amount
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
        legacy_rates_used: false,
    })
}
