//! 契約者貸付 (member loans) of 小規模企業共済 (REFERENCE §4).
//!
//! The limit is a share (70–90%, by months paid; the table is provisional) of the premiums paid,
//! rounded down to the loan unit, less what is already outstanding, within the combined cap of
//! 20,000,000 yen. A member needs 12 months paid and a limit of at least 100,000 yen. Each kind of
//! loan has its own amount range, terms and rate where they are known.

use crate::error::Reason;
use crate::money::Yen;
use crate::rate::Rate;
use crate::rounding;
use crate::rules::small_enterprise::{MemberLoanKind, MemberLoanRules};

/// The member's borrowing limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLoanLimit {
    pub eligible: bool,
    /// What can still be borrowed now (0 when not eligible).
    pub limit: Yen,
    /// Share of premiums paid used.
    pub ratio: Rate,
    pub reasons: Vec<Reason>,
    pub estimate: bool,
}

/// The limit after `months_paid` months (excluding 前納) and `total_paid`, with `outstanding`
/// member loans. `combined_cap` overrides the rule's cap (a special measure may raise it).
pub fn limit(
    rules: &MemberLoanRules,
    months_paid: u32,
    total_paid: Yen,
    outstanding: Yen,
    combined_cap: Option<Yen>,
) -> MemberLoanLimit {
    let band = rules.limit_ratios.value.band(months_paid);
    let ratio = band.map_or(Rate::ZERO, |b| b.rate);
    let estimate = rules.limit_ratios.provisional
        || band.is_some_and(|b| b.provisional)
        || rules.unit_yen.provisional;
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
    let gross = rounding::floor_to_unit(
        rounding::apply_rate(total_paid, ratio),
        rules.unit_yen.value,
    );
    if reasons.is_empty() && gross < rules.min_limit_yen.value {
        reasons.push(Reason::new(
            "limit_too_small",
            format!(
                "貸付限度額が{}未満のためお借入れいただけません。",
                rules.min_limit_yen.value
            ),
        ));
    }
    let cap = combined_cap.unwrap_or(rules.combined_cap_yen.value);
    let room = rounding::sub(cap, outstanding).max(Yen::ZERO);
    let available = rounding::floor_to_unit(
        rounding::sub(gross.min(cap), outstanding)
            .max(Yen::ZERO)
            .min(room),
        rules.unit_yen.value,
    );
    if reasons.is_empty() && available <= Yen::ZERO {
        reasons.push(Reason::new(
            "no_room",
            "お借入れ中の残高が限度額に達しています。",
        ));
    }
    let eligible = reasons.is_empty();
    MemberLoanLimit {
        eligible,
        limit: if eligible { available } else { Yen::ZERO },
        ratio,
        reasons,
        estimate,
    }
}

/// The terms of one proposed loan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLoanTerms {
    pub kind: MemberLoanKind,
    pub amount: Yen,
    /// Terms (months) to choose from; empty when not known.
    pub term_months: Vec<u32>,
    /// Annual rate; None when not known.
    pub rate: Option<Rate>,
    pub late_interest: Rate,
    pub estimate: bool,
}

/// Checks a proposed loan of `kind` and `amount` against the kind's range, the unit and the
/// member's limit; returns its terms or the reasons it is refused.
pub fn terms(
    rules: &MemberLoanRules,
    kind: MemberLoanKind,
    amount: Yen,
    limit: &MemberLoanLimit,
) -> Result<MemberLoanTerms, Vec<Reason>> {
    let mut reasons = limit.reasons.clone();
    let Some(k) = rules.kinds.get(&kind) else {
        return Err(vec![Reason::new(
            "kind_unknown",
            format!("{}の条件は登録されていません。", kind.name_ja()),
        )]);
    };
    if let Some(min) = k.value.min_yen
        && amount < min
    {
        reasons.push(Reason::new(
            "below_minimum",
            format!("{}は{}以上でお申し込みください。", kind.name_ja(), min),
        ));
    }
    if let Some(max) = k.value.max_yen
        && amount > max
    {
        reasons.push(Reason::new(
            "above_maximum",
            format!("{}は{}以内でお申し込みください。", kind.name_ja(), max),
        ));
    }
    if !amount.is_multiple_of(rules.unit_yen.value) {
        reasons.push(Reason::new(
            "not_a_unit",
            format!("{}単位でお申し込みください。", rules.unit_yen.value),
        ));
    }
    if limit.eligible && amount > limit.limit {
        reasons.push(Reason::new(
            "above_limit",
            format!("貸付限度額（{}）を超えています。", limit.limit),
        ));
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let term_months = k
        .value
        .terms
        .iter()
        .find(|b| b.up_to_yen.is_none_or(|up| amount <= up))
        .map(|b| b.months.clone())
        .unwrap_or_default();
    Ok(MemberLoanTerms {
        kind,
        amount,
        term_months,
        rate: k.value.rate,
        late_interest: rules.late_interest.value,
        estimate: k.provisional || limit.estimate,
    })
}

/// Whether a sales decline (year on year, over the last 3 or 6 months) qualifies for the
/// 緊急経営安定貸付け (≥ 5%). `decline` is the fall as a rate (e.g. 5% = sales at 95%).
pub fn emergency_qualifies(rules: &MemberLoanRules, decline: Rate) -> bool {
    rules
        .kinds
        .get(&MemberLoanKind::Emergency)
        .and_then(|k| k.value.min_sales_decline)
        .is_some_and(|min| decline >= min)
}

/// Whether a hospital stay qualifies for the 傷病災害時貸付け (≥ 5 days).
pub fn illness_qualifies(rules: &MemberLoanRules, days_in_hospital: u32) -> bool {
    rules
        .kinds
        .get(&MemberLoanKind::IllnessDisaster)
        .and_then(|k| k.value.min_hospital_days)
        .is_some_and(|min| days_in_hospital >= min)
}
