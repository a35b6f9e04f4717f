//! 受取方法: lump sum, instalments, or both (REFERENCE §3.5).
//!
//! A lump sum is always possible. Instalments (分割) and the combination (併用) are open only to
//! 共済金A/B, not on death, at age 60 or over on the date of the event, and from a net amount of
//! 3,000,000 yen (分割) or 3,300,000 yen (併用: at least 300,000 as a lump sum and 3,000,000 in
//! instalments). Instalments run 10 or 15 years and are paid in odd months.

use serde::Serialize;

use crate::error::Reason;
use crate::money::Yen;
use crate::rules::small_enterprise::{ClaimReason, PayoutRules};

/// 一括 / 分割 / 併用.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutForm {
    LumpSum,
    Instalments,
    Combined,
}

/// The facts the choice depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayoutFacts {
    pub reason: ClaimReason,
    /// Age on the date of the 請求事由.
    pub age_at_event: u32,
    /// After unpaid loans, unpaid premiums, 後納割増金 and loan-related deductions.
    pub net_amount: Yen,
    pub death: bool,
}

/// Which forms are open, and on what terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutOptions {
    pub lump_sum: bool,
    pub instalments: bool,
    pub combined: bool,
    /// Periods to choose from when instalments or the combination are open (else empty).
    pub instalment_years: Vec<u32>,
    /// Months of the year instalments are paid in (else empty).
    pub instalment_months: Vec<i8>,
    /// Why instalments are not open, if they are not.
    pub reasons: Vec<Reason>,
}

pub fn payout_options(rules: &PayoutRules, f: &PayoutFacts) -> PayoutOptions {
    let mut reasons = Vec::new();
    let mut basic = true;
    if f.reason == ClaimReason::Quasi {
        basic = false;
        reasons.push(Reason::new(
            "instalments_not_for_reason",
            "準共済金は一括でのお受け取りのみです。",
        ));
    }
    if f.death {
        basic = false;
        reasons.push(Reason::new(
            "instalments_not_on_death",
            "死亡による請求は一括でのお受け取りのみです。",
        ));
    }
    if f.age_at_event < rules.instalment_min_age.value {
        basic = false;
        reasons.push(Reason::new(
            "instalments_age",
            format!(
                "分割・併用のお受け取りは、請求事由が生じた日に{}歳以上の方が対象です。",
                rules.instalment_min_age.value
            ),
        ));
    }
    let instalments = basic && f.net_amount >= rules.instalment_min_net_yen.value;
    let combined = basic && f.net_amount >= rules.combined_min_net_yen.value;
    if basic && !instalments {
        reasons.push(Reason::new(
            "instalments_amount",
            format!(
                "分割のお受け取りは、差引支給額が{}以上の場合に選べます。",
                rules.instalment_min_net_yen.value
            ),
        ));
    }
    if basic && !combined {
        reasons.push(Reason::new(
            "combined_amount",
            format!(
                "一括・分割併用のお受け取りは、差引支給額が{}以上の場合に選べます。",
                rules.combined_min_net_yen.value
            ),
        ));
    }
    let any = instalments || combined;
    PayoutOptions {
        lump_sum: true,
        instalments,
        combined,
        instalment_years: if any {
            rules.instalment_years.value.clone()
        } else {
            Vec::new()
        },
        instalment_months: if any {
            rules.instalment_months.value.clone()
        } else {
            Vec::new()
        },
        reasons,
    }
}

/// Whether a proposed split of a combined payout is allowed (lump-sum part ≥ 300,000 and
/// instalment part ≥ 3,000,000).
pub fn combined_split_ok(rules: &PayoutRules, lump_sum: Yen, instalments: Yen) -> bool {
    lump_sum >= rules.combined_min_lump_sum_yen.value
        && instalments >= rules.combined_min_instalment_yen.value
}

/// Number of instalment payments over a period (6 a year since H28-4).
pub fn instalment_count(rules: &PayoutRules, years: u32) -> u32 {
    years.saturating_mul(rules.instalment_months.value.len() as u32)
}
