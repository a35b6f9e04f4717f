//! 前納減額金 of both programs over a fiscal year (REFERENCE §2.3; issue #4).
//!
//! Each 前納 (one payment covering future months) earns `掛金月額 × rate × 前納月数の累計`,
//! where every prepaid month counts the months between the month it was paid and the month it
//! covers (小規模: at most 12), rounded down to the yen (円未満切捨て) — REFERENCE's "11 months
//! ahead → 66" example. The rate is the one in force when the 前納 was made (倒産防止 changed
//! from 5/1000 to 0.9/1000 on 2017-11-01).
//!
//! A fiscal year (April–March) is computed on its March-end position: the discounts of the 前納
//! paid in that year plus what was carried from earlier years. In June the total is paid when it
//! reaches the threshold (5,000 yen), otherwise it is carried to the next year. On cancellation
//! whatever has not been paid is paid with the 解約手当金.

use crate::calendar::YearMonth;
use crate::money::Yen;
use crate::rounding;
use crate::rules::RuleSet;
use crate::rules::small_enterprise::PrepaymentRules;

/// One 前納: the month the money was received and the months it covers (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepayment {
    pub paid_month: YearMonth,
    pub first_month: YearMonth,
    pub last_month: YearMonth,
    pub monthly_premium: Yen,
}

/// The prepayment rules of a rule set, whichever program it is for.
pub fn rules_of(set: &RuleSet) -> Option<&PrepaymentRules> {
    set.small_enterprise
        .as_ref()
        .map(|s| &s.prepayment)
        .or_else(|| set.safety_net.as_ref().map(|s| &s.prepayment))
}

/// 前納月数の累計 of a 前納: for each covered month, how many months ahead it was paid (a month
/// paid in its own month or earlier counts 0), capped by the rule (小規模: 12).
pub fn counted_months(rules: &PrepaymentRules, p: &Prepayment) -> i64 {
    let cap = rules
        .max_counted_months_ahead
        .as_ref()
        .map_or(i64::MAX, |c| i64::from(c.value));
    let n = p.first_month.months_until(p.last_month);
    (0..=n)
        .map(|k| {
            let ahead = i64::from(p.paid_month.months_until(p.first_month.plus(k)));
            ahead.clamp(0, cap)
        })
        .sum()
}

/// The discount one 前納 earns (rounded down to the yen), and whether the rate is provisional.
pub fn discount(rules: &PrepaymentRules, p: &Prepayment) -> (Yen, bool) {
    let amount = rounding::apply_rate(
        rounding::mul(p.monthly_premium, counted_months(rules, p)),
        rules.discount_rate.value,
    );
    let estimate = rules.discount_rate.provisional
        || rules
            .max_counted_months_ahead
            .as_ref()
            .is_some_and(|c| c.provisional);
    (amount, estimate)
}

/// A contract's discount at the end of a fiscal year and what June does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearEnd {
    /// Earned by the 前納 paid in the year.
    pub earned: Yen,
    /// Carried from earlier years.
    pub carried_in: Yen,
    pub accumulated: Yen,
    /// Paid in June (all of `accumulated`, or nothing).
    pub payout: Yen,
    /// Carried to the next year.
    pub carried_out: Yen,
}

/// The March-end position of a fiscal year: `earned` (sum of [`discount`] of the year's 前納)
/// plus `carried_in`, paid in June when it reaches the threshold of `rules` (the rule set in
/// force at March end), otherwise carried forward.
pub fn year_end(rules: &PrepaymentRules, earned: Yen, carried_in: Yen) -> YearEnd {
    let accumulated = rounding::add(earned, carried_in);
    let (payout, carried_out) = crate::safety_net::prepayment::june_payout(rules, accumulated);
    YearEnd {
        earned,
        carried_in,
        accumulated,
        payout,
        carried_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Program;
    use crate::rules::RuleBook;
    use jiff::civil::date;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn rules(program: Program, on: jiff::civil::Date) -> PrepaymentRules {
        rules_of(RuleBook::embedded().unwrap().in_force(program, on).unwrap())
            .unwrap()
            .clone()
    }

    fn ahead(paid: &str, first: &str, last: &str, premium: i64) -> Prepayment {
        Prepayment {
            paid_month: ym(paid),
            first_month: ym(first),
            last_month: ym(last),
            monthly_premium: Yen::new(premium),
        }
    }

    #[test]
    fn discount_table() {
        let sn = rules(Program::SafetyNet, date(2026, 4, 1));
        let sn_2017 = rules(Program::SafetyNet, date(2017, 10, 31));
        let se = rules(Program::SmallEnterprise, date(2026, 4, 1));
        // (rules, 前納, 累計, discount)
        let cases = [
            // REFERENCE §2.3 / §10 #58: 80,000 × 0.9/1000 × (1 + … + 11 = 66) = 4,752.
            (
                &sn,
                ahead("2026-04", "2026-05", "2027-03", 80_000),
                66,
                4_752,
            ),
            // The same before 2017-11-01 at 5/1000 (docs/rules.md): 26,400.
            (
                &sn_2017,
                ahead("2017-04", "2017-05", "2018-03", 80_000),
                66,
                26_400,
            ),
            // Including the month of payment: it is 0 months ahead.
            (
                &sn,
                ahead("2026-04", "2026-04", "2027-03", 80_000),
                66,
                4_752,
            ),
            // 倒産防止 has no 12-month cap: 14 months ahead sum to 105.
            (
                &sn,
                ahead("2026-04", "2026-05", "2027-06", 50_000),
                105,
                4_725,
            ),
            // 小規模: months 13 and 14 ahead count as 12 → 78 + 24 = 102.
            (
                &se,
                ahead("2026-04", "2026-05", "2027-06", 10_000),
                102,
                918,
            ),
            // Rounded down: 1,500 × 66 × 0.9/1000 = 89.1 → 89.
            (&se, ahead("2026-04", "2026-05", "2027-03", 1_500), 66, 89),
            // A month paid late (covering past months) earns nothing.
            (&se, ahead("2026-06", "2026-04", "2026-06", 10_000), 0, 0),
        ];
        for (i, (r, p, counted, yen)) in cases.iter().enumerate() {
            assert_eq!(counted_months(r, p), *counted, "case {i}: 累計");
            assert_eq!(discount(r, p).0, Yen::new(*yen), "case {i}: discount");
        }
        assert!(!discount(&sn, &cases[0].1).1, "倒産防止 rate is published");
        assert!(discount(&se, &cases[4].1).1, "小規模 rate is provisional");
    }

    #[test]
    fn june_pays_from_5000_and_carries_less() {
        let r = rules(Program::SafetyNet, date(2026, 4, 1));
        let y = year_end(&r, Yen::new(4_752), Yen::ZERO);
        assert_eq!((y.payout, y.carried_out), (Yen::ZERO, Yen::new(4_752)));
        let next = year_end(&r, Yen::new(300), y.carried_out);
        assert_eq!(next.accumulated, Yen::new(5_052));
        assert_eq!(
            (next.payout, next.carried_out),
            (Yen::new(5_052), Yen::ZERO)
        );
        let exact = year_end(&r, Yen::new(5_000), Yen::ZERO);
        assert_eq!(exact.payout, Yen::new(5_000));
    }

    #[test]
    fn fiscal_years_start_in_april() {
        assert_eq!(ym("2027-03").fiscal_year(), 2026);
        assert_eq!(ym("2026-04").fiscal_year(), 2026);
        assert_eq!(ym("2026-12").fiscal_year(), 2026);
    }
}
