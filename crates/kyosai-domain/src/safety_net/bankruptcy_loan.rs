//! 共済金貸付: the interest-free loan after a trading partner's bankruptcy (REFERENCE §5.1).
//!
//! Eligible with 6+ months since joining AND 6+ months paid, a request within 6 months of the
//! 倒産日, and a loss that is not "small" (below min(500,000, 20% of monthly transactions); for a
//! 5,000-yen premium with 6–10 months since joining the 500,000 is replaced by 5,000 × months
//! paid × 10). The limit is min(loss, 掛金総額 × 10), within 80,000,000 yen outstanding, in
//! 50,000-yen units. Repayment years depend on the amount (each with a 6-month grace period), and
//! 1/10 of the loan is deducted from 掛金総額.

use jiff::Span;
use jiff::civil::Date;

use crate::error::Reason;
use crate::money::Yen;
use crate::rounding;
use crate::rules::safety_net::BankruptcyLoanRules;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankruptcyLoanFacts {
    pub months_since_joining: u32,
    pub months_paid: u32,
    pub monthly_premium: Yen,
    /// 掛金総額 (after any earlier 1/10 reductions).
    pub total_paid: Yen,
    /// 回収困難となった売掛金債権等の額.
    pub loss: Yen,
    /// 共済金 loans outstanding now.
    pub outstanding: Yen,
    /// The holder's monthly total transactions (月間総取引額).
    pub monthly_transactions: Yen,
    pub bankruptcy_date: Date,
    pub request_date: Date,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankruptcyLoanResult {
    pub eligible: bool,
    /// 0 when not eligible.
    pub limit: Yen,
    pub reasons: Vec<Reason>,
    pub repayment_years: Option<u32>,
    pub grace_months: Option<u32>,
    /// Deducted from 掛金総額 if the whole limit is borrowed.
    pub premium_reduction: Yen,
    pub estimate: bool,
}

/// The small-loss bar: a loss below it gets no loan.
pub fn small_loss_bar(rules: &BankruptcyLoanRules, f: &BankruptcyLoanFacts) -> Yen {
    let s = &rules.small_loss_special.value;
    let floor = if f.monthly_premium == s.monthly_premium_yen
        && (s.months_since_joining_from..=s.months_since_joining_to)
            .contains(&f.months_since_joining)
    {
        rounding::mul(
            rounding::mul(s.monthly_premium_yen, i64::from(f.months_paid)),
            s.multiple,
        )
    } else {
        rules.small_loss_floor_yen.value
    };
    let share = rounding::apply_rate(
        f.monthly_transactions,
        rules.small_loss_share_of_transactions.value,
    );
    floor.min(share)
}

pub fn bankruptcy_loan(
    rules: &BankruptcyLoanRules,
    f: &BankruptcyLoanFacts,
) -> BankruptcyLoanResult {
    let mut reasons = Vec::new();
    if f.months_since_joining < rules.min_months_since_joining.value {
        reasons.push(Reason::new(
            "months_since_joining",
            format!(
                "加入後{}か月以上経過していることが必要です。",
                rules.min_months_since_joining.value
            ),
        ));
    }
    if f.months_paid < rules.min_months_paid.value {
        reasons.push(Reason::new(
            "months_paid",
            format!(
                "掛金を{}か月分以上納付していることが必要です。",
                rules.min_months_paid.value
            ),
        ));
    }
    let window = Span::new().months(i64::from(rules.request_window_months.value));
    let last_day = f.bankruptcy_date.checked_add(window).unwrap_or(Date::MAX);
    if f.request_date > last_day {
        reasons.push(Reason::new(
            "request_window",
            format!(
                "請求は取引先の倒産日から{}か月以内（{}まで）に行う必要があります。",
                rules.request_window_months.value, last_day
            ),
        ));
    }
    let bar = small_loss_bar(rules, f);
    if f.loss < bar {
        reasons.push(Reason::new(
            "small_loss",
            format!("被害額が{bar}未満のため、貸付けの対象になりません。"),
        ));
    }
    let cap = rules.outstanding_cap_yen.value;
    let by_premiums = rounding::mul(f.total_paid, rules.premium_multiple.value);
    let room = rounding::sub(cap, f.outstanding).max(Yen::ZERO);
    let limit = rounding::floor_to_unit(f.loss.min(by_premiums).min(room), rules.unit_yen.value);
    if room <= Yen::ZERO {
        reasons.push(Reason::new(
            "outstanding_cap",
            format!("共済金の貸付残高が上限（{cap}）に達しています。"),
        ));
    } else if reasons.is_empty() && limit <= Yen::ZERO {
        reasons.push(Reason::new(
            "limit_zero",
            format!(
                "貸付けできる額が{}に満たないため、貸付けの対象になりません。",
                rules.unit_yen.value
            ),
        ));
    }
    let eligible = reasons.is_empty();
    let limit = if eligible { limit } else { Yen::ZERO };
    BankruptcyLoanResult {
        eligible,
        limit,
        reasons,
        repayment_years: if eligible {
            rules.repayment_years_for(limit)
        } else {
            None
        },
        grace_months: eligible.then_some(rules.grace_months.value),
        premium_reduction: rounding::apply_rate(limit, rules.premium_reduction.value),
        estimate: eligible && (rules.repayment_years.provisional || rules.grace_months.provisional),
    }
}
