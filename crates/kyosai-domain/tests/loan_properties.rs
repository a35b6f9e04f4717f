//! Property tests of the loan schedules and balances (REFERENCE §5.1, §5.2): a schedule always
//! sums to the principal, no limit exceeds its cap, interest is exact over leap years.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use kyosai_domain::loan::{self, Instalment};
use kyosai_domain::money::Yen;
use kyosai_domain::program::Program;
use kyosai_domain::rate::Rate;
use kyosai_domain::rules::{RuleBook, SafetyNetRules};
use kyosai_domain::safety_net::bankruptcy_loan::{BankruptcyLoanFacts, bankruptcy_loan};
use proptest::prelude::*;

fn sn() -> SafetyNetRules {
    RuleBook::embedded()
        .expect("embedded rules")
        .in_force(Program::SafetyNet, date(2026, 11, 26))
        .and_then(|s| s.safety_net.clone())
        .expect("rules")
}

fn day() -> impl Strategy<Value = Date> {
    (0i64..4_000).prop_map(|d| date(2020, 1, 1).checked_add(d.days()).expect("date"))
}

fn total(s: &[Instalment]) -> i64 {
    s.iter().map(|i| i.principal_yen.get()).sum()
}

proptest! {
    #[test]
    fn bankruptcy_schedule_sums_to_principal(units in 1i64..=1_600, start in day(), due_day in 1i8..=31) {
        let r = sn();
        let amount = Yen::new(units * 50_000);
        let s = loan::bankruptcy_schedule(
            &r.bankruptcy_loan,
            amount,
            start,
            due_day,
            r.temporary_loan.interest_days_in_year.value,
        );
        prop_assert_eq!(total(&s), amount.get());
        let years = r.bankruptcy_loan.repayment_years_for(amount).expect("band");
        prop_assert_eq!(s.len() as u32, years * 12 - r.bankruptcy_loan.grace_months.value);
        // Equal instalments after the first, which carries the odd yen.
        prop_assert!(s.windows(2).skip(1).all(|w| w[0].principal_yen == w[1].principal_yen));
        prop_assert!(s[0].principal_yen >= s[s.len() - 1].principal_yen);
        // Due dates strictly increase and the first falls after the grace period.
        prop_assert!(s.windows(2).all(|w| w[0].due_date < w[1].due_date));
        prop_assert!(s[0].due_date > loan::months_after(start, r.bankruptcy_loan.grace_months.value));
        // Interest-free.
        prop_assert!(s.iter().all(|i| i.interest_yen == Yen::ZERO));
    }

    #[test]
    fn bankruptcy_limit_never_exceeds_its_caps(
        total_paid in 0i64..=8_000_000, loss in 0i64..=200_000_000, outstanding in 0i64..=90_000_000,
        transactions in 0i64..=100_000_000, months in 0u32..=200,
    ) {
        let r = sn();
        let f = BankruptcyLoanFacts {
            months_since_joining: months,
            months_paid: months,
            monthly_premium: Yen::new(50_000),
            total_paid: Yen::new(total_paid),
            loss: Yen::new(loss),
            outstanding: Yen::new(outstanding),
            monthly_transactions: Yen::new(transactions),
            bankruptcy_date: date(2026, 6, 1),
            request_date: date(2026, 7, 1),
        };
        let res = bankruptcy_loan(&r.bankruptcy_loan, &f);
        prop_assert!(res.limit.get() <= total_paid * 10);
        prop_assert!(res.limit.get() <= loss);
        prop_assert!(res.limit.get() + outstanding <= 80_000_000 || res.limit == Yen::ZERO);
        prop_assert!(res.limit.is_multiple_of(Yen::new(50_000)));
    }

    #[test]
    fn temporary_repayment_is_exact(units in 6i64..=152, start in day()) {
        let r = sn();
        let t = &r.temporary_loan;
        let amount = Yen::new(units * 50_000);
        let rep = loan::temporary_repayment(t, amount, start);
        let days = loan::days_between(start, rep.maturity_date);
        prop_assert!(days == 365 || days == 366);
        let exact = i128::from(amount.get()) * i128::from(t.interest_rate.value.num()) * i128::from(days);
        let den = i128::from(t.interest_rate.value.den()) * 365;
        prop_assert_eq!(i128::from(rep.interest.get()), exact / den);
        prop_assert_eq!(rep.repayment.get(), amount.get() + rep.interest.get());
        // Repaying early never costs more than at maturity.
        let mid = start.checked_add(100.days()).expect("date");
        prop_assert!(loan::temporary_early_repayment(t, amount, start, mid) <= rep.repayment);
    }

    #[test]
    fn balance_falls_by_what_is_paid(units in 1i64..=400, paid_count in 0u32..=60) {
        let r = sn();
        let amount = Yen::new(units * 50_000);
        let s = loan::bankruptcy_schedule(
            &r.bankruptcy_loan,
            amount,
            date(2026, 1, 10),
            27,
            r.temporary_loan.interest_days_in_year.value,
        );
        let open: Vec<loan::OpenInstalment> = s
            .iter()
            .filter(|i| i.seq > paid_count)
            .map(|i| loan::OpenInstalment { instalment: *i, first_collection: i.due_date })
            .collect();
        let b = loan::balance(&open, |_| false, date(2040, 1, 1), None, 365);
        let paid: i64 = s.iter().filter(|i| i.seq <= paid_count).map(|i| i.principal_yen.get()).sum();
        prop_assert_eq!(b.principal_yen.get() + paid, amount.get());
        prop_assert_eq!(b.total(), b.principal_yen);
    }
}

/// Debits a schedule month by month as billing does: each month's debit takes every open
/// instalment due by then; `fails[k]` makes the k-th debit fail (its instalments stay open and
/// carry the late charge from their first debit date). Returns (principal, late charge) collected
/// and the instalments collected, in order.
fn debit_through(s: &[Instalment], fails: &[bool], late: Option<Rate>) -> (i64, i64, Vec<u32>) {
    let mut open: Vec<loan::OpenInstalment> = s
        .iter()
        .map(|i| loan::OpenInstalment {
            instalment: *i,
            first_collection: i.due_date,
        })
        .collect();
    let first = kyosai_domain::YearMonth::of(s[0].due_date);
    let last = kyosai_domain::YearMonth::of(s[s.len() - 1].due_date);
    let (mut principal, mut late_total, mut seqs) = (0i64, 0i64, Vec::new());
    let mut k = 0usize;
    let mut month = first;
    while !open.is_empty() {
        let debit_date = month.day(27);
        if let Some(d) = loan::monthly_debit(&open, month, debit_date, late, 365) {
            let failed = month <= last.plus(12) && fails.get(k).copied().unwrap_or(false);
            k += 1;
            if !failed {
                principal += d.principal.get();
                late_total += d.late_charge.get();
                seqs.extend(&d.seqs);
                open.retain(|i| !d.seqs.contains(&i.instalment.seq));
            }
        }
        month = month.plus(1);
    }
    (principal, late_total, seqs)
}

proptest! {
    #[test]
    fn monthly_debits_repay_the_principal_once_whatever_fails(
        units in 1i64..=200,
        fails in proptest::collection::vec(any::<bool>(), 0..80),
    ) {
        let r = sn();
        let amount = Yen::new(units * 50_000);
        let s = loan::bankruptcy_schedule(&r.bankruptcy_loan, amount, date(2026, 6, 15), 27, 365);
        // No late charge without a rate (共済金貸付).
        let (principal, late, seqs) = debit_through(&s, &fails, None);
        prop_assert_eq!(principal, amount.get());
        prop_assert_eq!(late, 0);
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        prop_assert_eq!(sorted.len(), s.len(), "each instalment once");
        // With a rate, a failure costs a late charge; without failures, none.
        let (p2, late2, _) = debit_through(&s, &fails, Some(Rate::new(146, 1000).expect("rate")));
        prop_assert_eq!(p2, amount.get());
        if fails.iter().all(|f| !f) {
            prop_assert_eq!(late2, 0);
        }
        if fails.first() == Some(&true) {
            prop_assert!(late2 > 0, "the first debit failed: {late2}");
        }
    }

    #[test]
    fn an_early_debit_takes_every_open_instalment(units in 1i64..=200, paid in 0usize..54, at in 0i64..2_000) {
        let r = sn();
        let amount = Yen::new(units * 50_000);
        let s = loan::bankruptcy_schedule(&r.bankruptcy_loan, amount, date(2026, 6, 15), 27, 365);
        let paid = paid.min(s.len() - 1);
        let open: Vec<loan::OpenInstalment> = s[paid..]
            .iter()
            .map(|i| loan::OpenInstalment { instalment: *i, first_collection: i.due_date })
            .collect();
        let on = date(2026, 7, 1).checked_add(at.days()).expect("date");
        let d = loan::early_debit(&open, on, Yen::ZERO, None, 365).expect("open");
        prop_assert_eq!(d.principal.get(), total(&s[paid..]));
        prop_assert_eq!(d.seqs.len(), s.len() - paid);
        prop_assert_eq!(d.total(), d.principal, "interest-free, no late charge");
    }
}

#[test]
fn late_charge_over_a_leap_year_counts_366_days() {
    let rate = Rate::new(146, 1000).expect("rate");
    assert_eq!(
        loan::late_charge(
            Yen::new(365_000),
            rate,
            date(2027, 12, 31),
            date(2028, 12, 31),
            365
        ),
        Yen::new(53_436)
    );
}

proptest! {
    /// A 契約者貸付 schedule always sums to the amount, never charges interest on a repaid
    /// balance, and transfers the amount less the interest paid in advance.
    #[test]
    fn member_loan_schedule_sums_to_the_amount(units in 2i64..=400, term in prop::sample::select(vec![6u32, 12, 24, 36, 48, 60, 72]), grace in prop::sample::select(vec![0u32, 12]), start in day()) {
        let se = RuleBook::embedded()
            .expect("embedded rules")
            .in_force(Program::SmallEnterprise, date(2026, 11, 26))
            .and_then(|s| s.small_enterprise.clone())
            .expect("rules");
        // A grace period is part of a longer term (the 特例災害時貸付け: 12 of 48 or 72 months).
        prop_assume!(grace < term);
        let amount = Yen::new(units * 50_000);
        let s = kyosai_domain::small_enterprise::member_loan::schedule(
            &se.member_loan,
            amount,
            term,
            Rate::new(15, 1000).expect("rate"),
            start,
            grace,
        );
        prop_assert_eq!(total(&s.instalments), amount.get());
        // Nothing is repaid during the grace period; the last instalment ends the term.
        let first_due = kyosai_domain::loan::months_after(start, grace);
        prop_assert!(s.instalments.iter().all(|i| i.due_date > first_due || grace == 0));
        prop_assert_eq!(s.instalments.last().expect("one").due_date, kyosai_domain::loan::months_after(start, term));
        prop_assert_eq!(s.transfer.get() + s.interest_in_advance.get(), amount.get());
        prop_assert!(s.instalments.windows(2).all(|w| w[0].due_date < w[1].due_date));
        prop_assert_eq!(s.instalments.last().expect("one").interest_yen, Yen::ZERO);
        prop_assert!(s.interest_in_advance > Yen::ZERO);
    }
}
