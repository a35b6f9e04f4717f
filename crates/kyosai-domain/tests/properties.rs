//! Property tests: invariants that must hold for any input and any valid rule file.

use jiff::civil::{Date, date};
use kyosai_domain::money::Yen;
use kyosai_domain::program::Program;
use kyosai_domain::rate::Rate;
use kyosai_domain::rules::{RateBand, RateTable, RuleBook, SafetyNetRules, SmallEnterpriseRules};
use kyosai_domain::safety_net::{
    Cancellation, bankruptcy_loan, cancellation_refund, temporary_loan,
};
use kyosai_domain::small_enterprise::{self, ClaimReason, PremiumSegment, member_loan};
use proptest::prelude::*;

const TODAY: Date = date(2026, 11, 26);

fn book() -> RuleBook {
    RuleBook::embedded().expect("embedded rules")
}

fn se(b: &RuleBook) -> &SmallEnterpriseRules {
    b.in_force(Program::SmallEnterprise, TODAY)
        .and_then(|s| s.small_enterprise.as_ref())
        .expect("rules")
}

fn sn(b: &RuleBook) -> &SafetyNetRules {
    b.in_force(Program::SafetyNet, TODAY)
        .and_then(|s| s.safety_net.as_ref())
        .expect("rules")
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Claim(ClaimReason),
    Refund,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Claim(ClaimReason::A)),
        Just(Kind::Claim(ClaimReason::B)),
        Just(Kind::Claim(ClaimReason::Quasi)),
        Just(Kind::Refund),
    ]
}

fn compute(
    r: &SmallEnterpriseRules,
    k: Kind,
    h: &[PremiumSegment],
) -> small_enterprise::BenefitResult {
    match k {
        Kind::Claim(reason) => {
            small_enterprise::benefit(r, reason, h, None).expect("valid history")
        }
        Kind::Refund => small_enterprise::cancellation_refund(r, h).expect("valid history"),
    }
}

fn premium() -> impl Strategy<Value = i64> {
    (2i64..=140).prop_map(|u| u * 500)
}

fn history() -> impl Strategy<Value = Vec<PremiumSegment>> {
    prop::collection::vec((premium(), 1u32..=120), 1..8).prop_map(|v| {
        v.into_iter()
            .map(|(p, m)| PremiumSegment {
                monthly_premium: Yen::new(p),
                months: m,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// More months at the same premium never pay less.
    #[test]
    fn amounts_never_decrease_with_more_months(k in kind(), p in premium(), m in 0u32..900) {
        let b = book();
        let r = se(&b);
        let at = |months| compute(r, k, &[PremiumSegment { monthly_premium: Yen::new(p), months }]).amount;
        prop_assert!(at(m + 1) >= at(m), "{:?} {} yen: {} months {} > {} months {}", k, p, m, at(m), m + 1, at(m + 1));
    }

    /// 共済金 (A, B, 準共済金) is never below the premiums paid once it is payable.
    #[test]
    fn claims_are_at_least_premiums_paid(reason in prop_oneof![Just(ClaimReason::A), Just(ClaimReason::B), Just(ClaimReason::Quasi)], h in history()) {
        let b = book();
        let res = small_enterprise::benefit(se(&b), reason, &h, None).unwrap();
        if res.payable {
            prop_assert!(res.amount >= res.total_paid);
        } else {
            prop_assert_eq!(res.amount, Yen::ZERO);
        }
    }

    /// Splitting a segment into two at the same premium (or merging them back) changes nothing.
    #[test]
    fn splitting_a_history_changes_nothing(k in kind(), h in history(), at in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let b = book();
        let r = se(&b);
        let i = at.index(h.len());
        let seg = h[i];
        let first = cut.index(seg.months as usize + 1) as u32;
        let mut split = h.clone();
        split.splice(i..=i, [
            PremiumSegment { monthly_premium: seg.monthly_premium, months: first },
            PremiumSegment { monthly_premium: seg.monthly_premium, months: seg.months - first },
        ]);
        prop_assert_eq!(compute(r, k, &h), compute(r, k, &split));
    }

    /// Results are additive over tranches, and the tranches hold every unit-month paid.
    #[test]
    fn tranches_account_for_every_premium(k in kind(), h in history()) {
        let b = book();
        let res = compute(se(&b), k, &h);
        let sum = res.tranches.iter().map(|t| t.amount.get()).sum::<i64>();
        prop_assert_eq!(sum, res.base.get());
        let unit_months: i64 = res.tranches.iter().map(|t| i64::from(t.tranche.units) * i64::from(t.tranche.months_paid)).sum();
        prop_assert_eq!(unit_months * 500, res.total_paid.get());
    }

    /// 小規模 解約手当金 never exceeds 120% of premiums paid.
    #[test]
    fn small_enterprise_refund_within_cap(h in history()) {
        let b = book();
        let r = se(&b);
        let res = small_enterprise::cancellation_refund(r, &h).unwrap();
        prop_assert!(i128::from(res.amount.get()) * 100 <= i128::from(res.total_paid.get()) * 120);
    }

    /// 倒産防止 refund ≤ base ≤ premiums paid.
    #[test]
    fn safety_net_refund_within_cap(c in prop_oneof![Just(Cancellation::Voluntary), Just(Cancellation::Deemed), Just(Cancellation::ByOrganization)], months in 0u32..600, total in 0i64..=8_000_000, loans in 0i64..=80_000_000) {
        let b = book();
        let r = cancellation_refund::cancellation_refund(&sn(&b).cancellation, c, months, Yen::new(total), Yen::new(loans));
        prop_assert!(r.amount <= r.base);
        prop_assert!(r.base <= Yen::new(total));
        prop_assert!(r.base >= Yen::ZERO);
    }

    /// No bankruptcy loan above min(loss, 10 × premiums, the 80,000,000 cap − outstanding).
    #[test]
    fn bankruptcy_loan_within_caps(months in 0u32..300, total in 0i64..=8_000_000, loss in 0i64..200_000_000, outstanding in 0i64..=90_000_000, tx in 0i64..1_000_000_000, days in 0i64..400) {
        let b = book();
        let rules = &sn(&b).bankruptcy_loan;
        let bankruptcy = date(2026, 1, 1);
        let f = bankruptcy_loan::BankruptcyLoanFacts {
            months_since_joining: months,
            months_paid: months,
            monthly_premium: Yen::new(50_000),
            total_paid: Yen::new(total),
            loss: Yen::new(loss),
            outstanding: Yen::new(outstanding),
            monthly_transactions: Yen::new(tx),
            bankruptcy_date: bankruptcy,
            request_date: bankruptcy.checked_add(jiff::Span::new().days(days)).unwrap(),
        };
        let r = bankruptcy_loan::bankruptcy_loan(rules, &f);
        prop_assert!(r.limit.get() <= loss);
        prop_assert!(r.limit.get() <= total * 10);
        prop_assert!(r.limit.get() + outstanding <= 80_000_000 || r.limit == Yen::ZERO);
        prop_assert_eq!(r.limit.get() % 50_000, 0);
        prop_assert_eq!(r.eligible, r.reasons.is_empty());
    }

    /// No temporary loan above 95% of premiums paid less what is outstanding.
    #[test]
    fn temporary_loan_within_caps(months in 0u32..300, total in 0i64..=8_000_000, outstanding in 0i64..=10_000_000, legacy_holder in proptest::bool::ANY) {
        let b = book();
        let rules = sn(&b);
        let r = temporary_loan::temporary_loan(&rules.temporary_loan, &rules.cancellation, Some(Yen::new(8_000_000)), &temporary_loan::TemporaryLoanFacts { months_paid: months, total_paid: Yen::new(total), outstanding: Yen::new(outstanding), legacy_holder });
        prop_assert!(i128::from(r.limit.get()) * 100 <= i128::from(total) * 95);
        prop_assert!(r.limit.get() <= (total - outstanding).max(0));
        prop_assert_eq!(r.limit.get() % 50_000, 0);
        prop_assert!(!r.eligible || r.limit >= Yen::new(300_000));
    }

    /// No member loan limit above 90% of premiums paid, nor above the combined cap less outstanding.
    #[test]
    fn member_loan_within_caps(months in 0u32..600, total in 0i64..=50_000_000, outstanding in 0i64..=25_000_000) {
        let b = book();
        let ml = &se(&b).member_loan;
        let r = member_loan::limit(ml, months, Yen::new(total), Yen::new(outstanding), None);
        prop_assert!(i128::from(r.limit.get()) * 10 <= i128::from(total) * 9);
        prop_assert!(r.limit.get() + outstanding <= 20_000_000 || r.limit == Yen::ZERO);
        prop_assert_eq!(r.eligible, r.reasons.is_empty());
    }

    /// Any table that passes validation covers every month count exactly once.
    #[test]
    fn validated_rate_tables_cover_every_month(widths in prop::collection::vec(1u32..50, 0..12), drop in any::<Option<prop::sample::Index>>()) {
        let mut bands = Vec::new();
        let mut from = 0;
        for (i, w) in widths.iter().enumerate() {
            bands.push(RateBand { from, to: Some(from + w - 1), rate: Rate::percent(i as i64), provisional: false });
            from += w;
        }
        bands.push(RateBand { from, to: None, rate: Rate::percent(widths.len() as i64), provisional: false });
        if let Some(d) = drop && bands.len() > 1 {
            bands.remove(d.index(bands.len()));
        }
        let table = RateTable(bands);
        let mut problems = Vec::new();
        table.check("t", Rate::ONE, &mut problems);
        if problems.is_empty() {
            for m in 0..=(from + 100) {
                prop_assert!(table.band(m).is_some(), "month {} uncovered", m);
            }
        } else {
            // A refused table really has a gap or a closed end somewhere.
            prop_assert!((0..=(from + 100)).any(|m| table.band(m).is_none()));
        }
    }
}

/// Every rate table shipped (both programs, every version) covers every month count.
#[test]
fn shipped_rate_tables_cover_every_month_count() {
    let b = book();
    for set in b.all() {
        let mut tables: Vec<(&str, &RateTable)> = Vec::new();
        if let Some(s) = &set.small_enterprise {
            tables.push(("cancellation", &s.cancellation.rates.value));
            tables.push((
                "member_loan.limit_ratios",
                &s.member_loan.limit_ratios.value,
            ));
        }
        if let Some(s) = &set.safety_net {
            tables.push(("voluntary", &s.cancellation.voluntary.value));
            tables.push(("deemed", &s.cancellation.deemed.value));
            tables.push(("by_organization", &s.cancellation.by_organization.value));
        }
        assert!(!tables.is_empty(), "{}", set.id);
        for (name, t) in tables {
            for m in 0..=2_000 {
                assert!(t.band(m).is_some(), "{} {name}: {m} months", set.id);
            }
        }
    }
}
