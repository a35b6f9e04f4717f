//! 一時貸付金: a one-year loan against the refund, no bankruptcy needed (REFERENCE §5.2).
//!
//! Limit: 95% of the 解約手当金 the member would get on a 機構解約 now, less outstanding 共済金 and
//! 一時貸付金 loans, rounded down to 50,000 yen. Once 掛金総額 has reached the accumulation cap the
//! published limit uses 100% instead of the table rate (800万 × 100% × 95% = 760万). Needs 12
//! months paid (excluding 前納) and a limit of at least 300,000 yen. Holders who were at the old
//! 320万 cap on H23-9-30 and are still there without having raised the premium to 85,000 keep the
//! old 300万 limit (before outstanding loans); whether a contract is such a holder is a fact of
//! its record ([`TemporaryLoanFacts::legacy_holder`]).

use crate::error::Reason;
use crate::money::Yen;
use crate::rate::Rate;
use crate::rounding;
use crate::rules::safety_net::{CancellationRules, TemporaryLoanRules};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryLoanResult {
    pub eligible: bool,
    /// 0 when not eligible.
    pub limit: Yen,
    pub reasons: Vec<Reason>,
    pub estimate: bool,
}

/// The contract's facts the limit depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemporaryLoanFacts {
    /// Excluding 前納 months.
    pub months_paid: u32,
    pub total_paid: Yen,
    /// Outstanding 共済金 and 一時貸付金 loans.
    pub outstanding: Yen,
    /// At the old 320万 cap on H23-9-30 and never raised the premium to 85,000 or more.
    pub legacy_holder: bool,
}

/// `accumulation_cap`: the program's 掛金総額 cap, if any.
pub fn temporary_loan(
    rules: &TemporaryLoanRules,
    cancellation: &CancellationRules,
    accumulation_cap: Option<Yen>,
    facts: &TemporaryLoanFacts,
) -> TemporaryLoanResult {
    let TemporaryLoanFacts {
        months_paid,
        total_paid,
        outstanding,
        legacy_holder,
    } = *facts;
    let mut reasons = Vec::new();
    if months_paid < rules.min_months.value {
        reasons.push(Reason::new(
            "months_paid",
            format!(
                "掛金納付月数が{}か月以上（前納を除く）の方が対象です。",
                rules.min_months.value
            ),
        ));
    }
    let table = cancellation.rates(rules.refund_basis.value);
    let band = table.value.band(months_paid);
    let mut rate = band.map_or(Rate::ZERO, |b| b.rate);
    if months_paid < cancellation.min_months.value {
        rate = Rate::ZERO;
    }
    if accumulation_cap.is_some_and(|cap| total_paid >= cap) && !rate.is_zero() {
        rate = rate.max(rules.rate_at_accumulation_cap.value);
    }
    let refund = rounding::apply_rate(total_paid, rate);
    let mut gross = rounding::apply_rate(refund, rules.share_of_refund.value);
    if legacy_holder && total_paid == rules.legacy_total_paid_yen.value && !rate.is_zero() {
        gross = rules.legacy_limit_yen.value;
    }
    let limit = rounding::floor_to_unit(
        rounding::sub(gross, outstanding).max(Yen::ZERO),
        rules.unit_yen.value,
    );
    if reasons.is_empty() && limit < rules.min_yen.value {
        reasons.push(Reason::new(
            "below_minimum",
            format!(
                "貸付限度額が最低貸付額（{}）に満たないため、お借入れいただけません。",
                rules.min_yen.value
            ),
        ));
    }
    let eligible = reasons.is_empty();
    TemporaryLoanResult {
        eligible,
        limit: if eligible { limit } else { Yen::ZERO },
        reasons,
        estimate: table.provisional || band.is_some_and(|b| b.provisional),
    }
}
