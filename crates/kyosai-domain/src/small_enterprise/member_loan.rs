//! 契約者貸付 (member loans) of 小規模企業共済 (REFERENCE §4).
//!
//! The limit is a share (70–90%, by months paid; the table is provisional) of the premiums paid,
//! rounded down to the loan unit, less what is already outstanding, within the combined cap of
//! 20,000,000 yen. A member needs 12 months paid and a limit of at least 100,000 yen. Each kind of
//! loan has its own amount range, terms and rate where they are known.

use jiff::civil::Date;

use crate::calendar::YearMonth;
use crate::error::Reason;
use crate::loan::{self, Instalment};
use crate::money::Yen;
use crate::rate::Rate;
use crate::rounding;
use crate::rules::small_enterprise::{MemberLoanKind, MemberLoanKindRules, MemberLoanRules};

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

/// The terms of one kind of loan and whether they are provisional: the rule set's, or for the
/// 特例災害時貸付け those of the special measure in force for the member (`measure`).
pub struct KindTerms<'a> {
    pub kind: MemberLoanKind,
    pub rules: &'a MemberLoanKindRules,
    pub provisional: bool,
}

impl<'a> KindTerms<'a> {
    /// A kind of the rule set (None when the rule set has no entry for it).
    pub fn of(rules: &'a MemberLoanRules, kind: MemberLoanKind) -> Option<KindTerms<'a>> {
        rules.kinds.get(&kind).map(|k| KindTerms {
            kind,
            rules: &k.value,
            provisional: k.provisional,
        })
    }
}

/// The reason a kind cannot be requested at all: the rule set does not know it, or (the
/// 特例災害時貸付け) no special measure offers it to the member.
pub fn kind_unknown(kind: MemberLoanKind) -> Reason {
    match kind {
        MemberLoanKind::DisasterSpecial => Reason::new(
            "kind_unknown",
            "特例災害時貸付けは、災害の特例措置の対象となる方がお申し込みいただけます。",
        ),
        _ => Reason::new(
            "kind_unknown",
            format!("{}の条件は登録されていません。", kind.name_ja()),
        ),
    }
}

/// Checks a proposed loan of `amount` against the kind's range, the unit and the member's limit;
/// returns its terms or the reasons it is refused.
pub fn terms(
    rules: &MemberLoanRules,
    k: &KindTerms<'_>,
    amount: Yen,
    limit: &MemberLoanLimit,
) -> Result<MemberLoanTerms, Vec<Reason>> {
    let kind = k.kind;
    let mut reasons = limit.reasons.clone();
    if let Some(min) = k.rules.min_yen
        && amount < min
    {
        reasons.push(Reason::new(
            "below_minimum",
            format!("{}は{}以上でお申し込みください。", kind.name_ja(), min),
        ));
    }
    if let Some(max) = k.rules.max_yen
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
        .rules
        .terms
        .iter()
        .find(|b| b.up_to_yen.is_none_or(|up| amount <= up))
        .map(|b| b.months.clone())
        .unwrap_or_default();
    Ok(MemberLoanTerms {
        kind,
        amount,
        term_months,
        rate: k.rules.rate,
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

/// How a member loan is repaid: its instalments, the interest paid in advance out of the
/// transfer, and what is transferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLoanSchedule {
    pub instalments: Vec<Instalment>,
    /// The first period's interest, deducted from the transfer when interest is paid in advance.
    pub interest_in_advance: Yen,
    /// The amount less the interest in advance.
    pub transfer: Yen,
}

/// The repayment of `amount` over `term_months` at `rate` from `disbursement` (REFERENCE §4.2):
/// a term up to `single_repayment_max_months` is repaid in one payment at maturity; a longer one
/// every `instalment_interval_months` in equal principal (the yen that do not divide go with the
/// first instalment, so the schedule sums to the amount), the first one interval after the
/// `grace_months` (据置期間, part of the term: the 特例災害時貸付け's year). Interest accrues per day on the balance
/// of each period (floor to the yen per period, [`loan::day_count_interest`]); when the rules say
/// it is paid in advance, the first period's comes out of the transfer and each instalment carries
/// the next period's on the balance left after it (the last carries none); otherwise each
/// instalment carries its own period's.
pub fn schedule(
    rules: &MemberLoanRules,
    amount: Yen,
    term_months: u32,
    rate: Rate,
    disbursement: Date,
    grace_months: u32,
) -> MemberLoanSchedule {
    let days = rules.interest_days_in_year.value;
    let interval = rules.instalment_interval_months.value.max(1);
    let grace = grace_months.min(term_months.saturating_sub(1));
    let count = if term_months <= rules.single_repayment_max_months.value {
        1
    } else {
        (term_months - grace).div_ceil(interval).max(1)
    };
    let due = |k: u32| {
        if count == 1 {
            loan::months_after(disbursement, term_months)
        } else {
            loan::months_after(disbursement, grace + interval * k)
        }
    };
    let each = Yen::new(amount.get() / i64::from(count));
    let first = rounding::sub(amount, rounding::mul(each, i64::from(count - 1)));
    // Balance during each period and the period's interest.
    let mut balances = Vec::with_capacity(count as usize);
    let mut balance = amount;
    for k in 1..=count {
        balances.push(balance);
        balance = rounding::sub(balance, if k == 1 { first } else { each });
    }
    let period_interest = |k: u32| {
        let from = if k == 1 { disbursement } else { due(k - 1) };
        loan::day_count_interest(balances[(k - 1) as usize], rate, from, due(k), days)
    };
    let advance = rules.interest_in_advance.value;
    let instalments = (1..=count)
        .map(|k| Instalment {
            seq: k,
            due_date: due(k),
            principal_yen: if k == 1 { first } else { each },
            interest_yen: match (advance, k < count) {
                (true, true) => period_interest(k + 1),
                (true, false) => Yen::ZERO,
                (false, _) => period_interest(k),
            },
        })
        .collect();
    let interest_in_advance = if advance {
        period_interest(1)
    } else {
        Yen::ZERO
    };
    MemberLoanSchedule {
        instalments,
        interest_in_advance,
        transfer: rounding::sub(amount, interest_in_advance),
    }
}

/// The last month whose premiums the member loan limit in force on `today` counts (REFERENCE
/// §4.1: the limit is recalculated twice a year, from April and from October): the month before
/// the latest recalculation month (`limit_recalculation_months`) at or before today.
pub fn limit_basis_month(rules: &MemberLoanRules, today: Date) -> YearMonth {
    let now = YearMonth::of(today);
    (0..12)
        .map(|back| now.plus(-back))
        .find(|m| rules.limit_recalculation_months.value.contains(&m.month()))
        .unwrap_or(now)
        .plus(-1)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::program::Program;
    use crate::rules::RuleBook;

    fn rules() -> MemberLoanRules {
        RuleBook::embedded()
            .expect("rules load")
            .in_force(Program::SmallEnterprise, date(2027, 1, 1))
            .and_then(|s| s.small_enterprise.clone())
            .expect("small_enterprise rules")
            .member_loan
    }

    #[test]
    fn a_short_loan_is_repaid_at_maturity_with_its_interest_in_advance() {
        let r = rules();
        let s = schedule(
            &r,
            Yen::new(1_000_000),
            12,
            Rate::new(15, 1000).expect("rate"),
            date(2027, 1, 15),
            0,
        );
        assert_eq!(s.instalments.len(), 1);
        assert_eq!(s.instalments[0].due_date, date(2028, 1, 15));
        assert_eq!(s.instalments[0].principal_yen, Yen::new(1_000_000));
        assert_eq!(s.instalments[0].interest_yen, Yen::ZERO);
        // 1,000,000 × 1.5% × 365/365.
        assert_eq!(s.interest_in_advance, Yen::new(15_000));
        assert_eq!(s.transfer, Yen::new(985_000));
    }

    #[test]
    fn a_disaster_loan_is_repaid_every_six_months_after_its_grace_year() {
        // 特例災害時貸付け of 5,000,000 yen over 4 years with the grace year: six instalments
        // (833,335 with the odd yen first, then 833,333) from the 18th month, interest-free.
        let r = rules();
        let s = schedule(
            &r,
            Yen::new(5_000_000),
            48,
            Rate::ZERO,
            date(2027, 1, 15),
            12,
        );
        let due: Vec<Date> = s.instalments.iter().map(|i| i.due_date).collect();
        assert_eq!(
            due,
            vec![
                date(2028, 7, 15),
                date(2029, 1, 15),
                date(2029, 7, 15),
                date(2030, 1, 15),
                date(2030, 7, 15),
                date(2031, 1, 15),
            ]
        );
        let principal: Vec<i64> = s
            .instalments
            .iter()
            .map(|i| i.principal_yen.get())
            .collect();
        assert_eq!(
            principal,
            vec![833_335, 833_333, 833_333, 833_333, 833_333, 833_333]
        );
        assert!(s.instalments.iter().all(|i| i.interest_yen == Yen::ZERO));
        assert_eq!(s.interest_in_advance, Yen::ZERO);
        assert_eq!(s.transfer, Yen::new(5_000_000));
    }

    #[test]
    fn a_longer_loan_is_repaid_every_six_months_with_the_next_periods_interest() {
        let r = rules();
        let s = schedule(
            &r,
            Yen::new(3_000_000),
            24,
            Rate::new(15, 1000).expect("rate"),
            date(2027, 1, 15),
            0,
        );
        let due: Vec<Date> = s.instalments.iter().map(|i| i.due_date).collect();
        assert_eq!(
            due,
            vec![
                date(2027, 7, 15),
                date(2028, 1, 15),
                date(2028, 7, 15),
                date(2029, 1, 15)
            ]
        );
        assert!(
            s.instalments
                .iter()
                .all(|i| i.principal_yen == Yen::new(750_000))
        );
        // In advance: 3,000,000 × 1.5% × 181/365 = 22,315.06…
        assert_eq!(s.interest_in_advance, Yen::new(22_315));
        // Then each instalment carries the next period on the balance left after it:
        // 2,250,000 × 184 days, 1,500,000 × 182 days (29 Feb 2028), 750,000 × 184 days.
        let interest: Vec<i64> = s.instalments.iter().map(|i| i.interest_yen.get()).collect();
        assert_eq!(interest, vec![17_013, 11_219, 5_671, 0]);
        assert_eq!(s.transfer, Yen::new(3_000_000 - 22_315));
    }

    #[test]
    fn the_limit_counts_premiums_up_to_the_month_before_april_or_october() {
        let r = rules();
        let m = |y, mo| YearMonth::new(y, mo).expect("month");
        assert_eq!(limit_basis_month(&r, date(2027, 4, 1)), m(2027, 3));
        assert_eq!(limit_basis_month(&r, date(2027, 9, 30)), m(2027, 3));
        assert_eq!(limit_basis_month(&r, date(2027, 10, 1)), m(2027, 9));
        assert_eq!(limit_basis_month(&r, date(2028, 2, 29)), m(2027, 9));
    }
}
