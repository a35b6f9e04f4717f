//! Every published figure of REFERENCE §10 that the domain computes, as a test. The `#n` in each
//! test name is the row of that table. Rows about other crates (Zengin, NTA XML: #68–#72), tax
//! (#66) and statistics (#73) are tested elsewhere or are not computations; #9 is UNKNOWN.

#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns in integration tests"
)]

use jiff::civil::{Date, date};
use kyosai_domain::calendar::{BusinessCalendar, YearMonth};
use kyosai_domain::money::Yen;
use kyosai_domain::program::Program;
use kyosai_domain::rate::Rate;
use kyosai_domain::rules::{RuleBook, SafetyNetRules, SmallEnterpriseRules};
use kyosai_domain::safety_net::{
    self, Cancellation, accumulation, bankruptcy_loan, prepayment, suspension,
};
use kyosai_domain::simulation::*;
use kyosai_domain::small_enterprise::{
    self, ClaimReason, MemberLoanKind, PremiumSegment, arrears, member_loan, payout,
};

const TODAY: Date = date(2026, 11, 26);

fn book() -> RuleBook {
    RuleBook::embedded().expect("embedded rules")
}

fn se(book: &RuleBook) -> &SmallEnterpriseRules {
    book.in_force(Program::SmallEnterprise, TODAY)
        .and_then(|s| s.small_enterprise.as_ref())
        .expect("small_enterprise rules")
}

fn sn_at(book: &RuleBook, on: Date) -> &SafetyNetRules {
    book.in_force(Program::SafetyNet, on)
        .and_then(|s| s.safety_net.as_ref())
        .expect("safety_net rules")
}

fn flat(premium: i64, months: u32) -> Vec<PremiumSegment> {
    vec![PremiumSegment {
        monthly_premium: Yen::new(premium),
        months,
    }]
}

fn rate(s: &str) -> Rate {
    s.parse().unwrap()
}

fn benefit_req(reason: BenefitReason, premium: i64, months: i64) -> BenefitRequest {
    BenefitRequest {
        reason,
        history: vec![HistoryEntry {
            monthly_premium_yen: premium,
            months,
        }],
        fiscal_year: None,
    }
}

#[test]
fn n01_small_enterprise_premium_values() {
    let b = book();
    let ok = |p| small_enterprise_benefit(&benefit_req(BenefitReason::A, p, 12), &b, TODAY).is_ok();
    assert!(ok(1_000) && ok(1_500) && ok(70_000));
    for bad in [500, 999, 1_250, 70_500, 0, -1_000] {
        assert!(!ok(bad), "{bad}");
    }
}

#[test]
fn n02_safety_net_premium_values() {
    let b = book();
    let ok = |p| {
        safety_net_prepayment_discount(
            &PrepaymentDiscountRequest {
                monthly_premium_yen: p,
                months_ahead: 1,
            },
            &b,
            TODAY,
        )
        .is_ok()
    };
    assert!(ok(5_000) && ok(10_000) && ok(200_000));
    for bad in [0, 4_999, 7_500, 205_000] {
        assert!(!ok(bad), "{bad}");
    }
}

#[test]
fn n03_accumulation_cap_stops_billing() {
    let b = book();
    let cap = b
        .in_force(Program::SafetyNet, TODAY)
        .unwrap()
        .premium
        .accumulation_cap_yen
        .as_ref()
        .unwrap()
        .value;
    assert_eq!(cap, Yen::new(8_000_000));
    assert_eq!(
        accumulation::next_billable(cap, Yen::new(7_900_000), Yen::new(200_000)),
        Yen::new(100_000)
    );
    assert_eq!(
        accumulation::next_billable(cap, cap, Yen::new(200_000)),
        Yen::ZERO
    );
    assert!(accumulation::reached(cap, cap));
    assert_eq!(
        accumulation::months_to_cap(cap, Yen::ZERO, Yen::new(200_000)),
        40
    );
}

/// #4–#8: the SMRJ 10,000-yen example table, exactly, and not marked as an estimate.
#[test]
fn n04_to_n08_benefit_examples() {
    let b = book();
    for (years, paid, a, bb) in [
        (5, 600_000, 621_400, 614_600),
        (10, 1_200_000, 1_290_600, 1_260_800),
        (15, 1_800_000, 2_011_000, 1_940_400),
        (20, 2_400_000, 2_786_400, 2_658_800),
        (30, 3_600_000, 4_348_000, 4_211_800),
    ] {
        let months = years * 12;
        let ra =
            small_enterprise_benefit(&benefit_req(BenefitReason::A, 10_000, months), &b, TODAY)
                .unwrap();
        let rb =
            small_enterprise_benefit(&benefit_req(BenefitReason::B, 10_000, months), &b, TODAY)
                .unwrap();
        assert_eq!(ra.total_paid_yen, paid, "{years} years");
        assert_eq!(ra.amount_yen, a, "A {years} years");
        assert_eq!(rb.amount_yen, bb, "B {years} years");
        assert!(!ra.estimate && !rb.estimate, "published figures are exact");
        assert_eq!(ra.rule_set, "small_enterprise/2016-04-01");
    }
    // Between the published points the provisional table is an estimate.
    let r =
        small_enterprise_benefit(&benefit_req(BenefitReason::A, 10_000, 61), &b, TODAY).unwrap();
    assert!(r.estimate);
}

#[test]
fn n10_benefit_a_b_under_6_months_is_zero() {
    let b = book();
    let r = se(&b);
    for reason in [ClaimReason::A, ClaimReason::B] {
        assert_eq!(
            small_enterprise::benefit(r, reason, &flat(10_000, 5), None)
                .unwrap()
                .amount,
            Yen::ZERO
        );
        assert_eq!(
            small_enterprise::benefit(r, reason, &flat(10_000, 6), None)
                .unwrap()
                .amount,
            Yen::new(60_000),
            "6 months: premiums paid"
        );
    }
}

#[test]
fn n11_quasi_and_refund_under_12_months_is_zero() {
    let b = book();
    let r = se(&b);
    let q = |m| {
        small_enterprise::benefit(r, ClaimReason::Quasi, &flat(10_000, m), None)
            .unwrap()
            .amount
    };
    let c = |m| {
        small_enterprise::cancellation_refund(r, &flat(10_000, m))
            .unwrap()
            .amount
    };
    assert_eq!(q(11), Yen::ZERO);
    assert_eq!(c(11), Yen::ZERO);
    assert_eq!(q(12), Yen::new(120_000));
    assert_eq!(c(12), Yen::new(96_000));
}

#[test]
fn n12_to_n14_small_enterprise_refund_rates() {
    let b = book();
    let t = &se(&b).cancellation.rates.value;
    for (months, expected) in [
        (0, "0"),
        (11, "0"),
        (12, "80%"),
        (83, "80%"),
        (84, "80.5%"),
        (89, "80.5%"),
        (90, "81.25%"),
        (95, "81.25%"),
        (96, "82%"),
        (234, "99.25%"),
        (240, "100%"),
        (245, "100%"),
        (246, "100.25%"),
        (251, "100.25%"),
        (252, "100.5%"),
        (257, "100.5%"),
    ] {
        assert_eq!(t.rate(months), rate(expected), "{months} months");
        assert!(!t.band(months).unwrap().provisional, "{months} published");
    }
    // 10,000 yen for 84 months: 840,000 × 80.5%.
    let r = small_enterprise::cancellation_refund(se(&b), &flat(10_000, 84)).unwrap();
    assert_eq!(r.amount, Yen::new(676_200));
    assert!(!r.estimate);
    // Below 240 months a refund is always below the premiums paid.
    let r = small_enterprise::cancellation_refund(se(&b), &flat(10_000, 239)).unwrap();
    assert!(r.amount < r.total_paid);
}

#[test]
fn n18_refund_rate_is_capped_at_120_percent() {
    let b = book();
    let c = &se(&b).cancellation;
    assert_eq!(c.max_rate.value, rate("120%"));
    assert_eq!(c.rates.value.max_rate(), rate("120%"));
    assert!(
        c.rates.value.band(258).unwrap().provisional,
        "beyond the published table"
    );
    let r = small_enterprise::cancellation_refund(se(&b), &flat(10_000, 900)).unwrap();
    assert_eq!(r.amount, Yen::new(9_000_000 * 12 / 10));
    assert!(r.estimate);
}

#[test]
fn n19_n20_bonus_by_fiscal_year() {
    let b = book();
    let r = se(&b);
    let base = Yen::new(10_000_000);
    assert_eq!(
        small_enterprise::benefit::bonus(r, base, 2022),
        Some(Yen::new(50_400))
    );
    assert_eq!(
        small_enterprise::benefit::bonus(r, base, 2018),
        Some(Yen::new(3_600))
    );
    assert_eq!(
        small_enterprise::benefit::bonus(r, base, 2019),
        Some(Yen::ZERO)
    );
    assert_eq!(
        small_enterprise::benefit::bonus(r, base, 2021),
        Some(Yen::new(32_800))
    );
    assert_eq!(
        small_enterprise::benefit::bonus(r, base, 2025),
        None,
        "UNKNOWN"
    );
}

#[test]
fn n21_no_bonus_on_voluntary_cancellation() {
    let b = book();
    let mut req = benefit_req(BenefitReason::VoluntaryCancellation, 10_000, 240);
    req.fiscal_year = Some(2022);
    let r = small_enterprise_benefit(&req, &b, TODAY).unwrap();
    assert_eq!(r.bonus_yen, 0);
    assert_eq!(r.amount_yen, 2_400_000, "240 months: 100%");
    // The same contract's 共済金A in R4 does get the bonus: 2,786,400 × 0.504% = 14,043.456.
    req.reason = BenefitReason::A;
    let r = small_enterprise_benefit(&req, &b, TODAY).unwrap();
    assert_eq!(r.base_yen, 2_786_400);
    assert_eq!(r.bonus_yen, 14_043);
    assert_eq!(r.amount_yen, 2_786_400 + 14_043);
    // A fiscal year whose rate is unknown adds nothing and makes the result an estimate.
    req.fiscal_year = Some(2026);
    let r = small_enterprise_benefit(&req, &b, TODAY).unwrap();
    assert_eq!((r.bonus_yen, r.estimate), (0, true));
}

#[test]
fn n22_assumed_rate() {
    assert_eq!(se(&book()).benefit.assumed_rate.value, rate("1%"));
}

fn options(reason: ClaimReason, age: i64, net: i64, death: bool) -> PayoutOptionsResponse {
    small_enterprise_payout_options(
        &PayoutOptionsRequest {
            reason,
            age_at_event: age,
            net_amount_yen: net,
            death,
        },
        &book(),
        TODAY,
    )
    .unwrap()
}

#[test]
fn n23_to_n27_payout_forms() {
    // #23 age 59.
    let o = options(ClaimReason::A, 59, 5_000_000, false);
    assert!(o.lump_sum && !o.instalments && !o.combined);
    // #24 net 2,990,000.
    let o = options(ClaimReason::A, 60, 2_990_000, false);
    assert!(o.lump_sum && !o.instalments && !o.combined);
    assert!(o.instalment_years.is_empty());
    // #25 net 3,300,000 at 60: combined (300,000 + 3,000,000).
    let o = options(ClaimReason::B, 60, 3_300_000, false);
    assert!(o.lump_sum && o.instalments && o.combined);
    assert_eq!(o.instalment_years, vec![10, 15]);
    // #27 six payments a year in odd months.
    assert_eq!(o.instalment_months, vec![1, 3, 5, 7, 9, 11]);
    let b = book();
    let p = &se(&b).payout;
    assert!(payout::combined_split_ok(
        p,
        Yen::new(300_000),
        Yen::new(3_000_000)
    ));
    assert!(!payout::combined_split_ok(
        p,
        Yen::new(290_000),
        Yen::new(3_000_000)
    ));
    assert_eq!(payout::instalment_count(p, 10), 60);
    // #26 net 3,290,000: instalments only.
    let o = options(ClaimReason::A, 62, 3_290_000, false);
    assert!(o.instalments && !o.combined);
    // Not on death, not for 準共済金.
    let o = options(ClaimReason::A, 70, 10_000_000, true);
    assert!(o.lump_sum && !o.instalments && !o.combined);
    let o = options(ClaimReason::Quasi, 70, 10_000_000, false);
    assert!(!o.instalments && !o.combined);
}

fn cal() -> BusinessCalendar {
    // Real 2026 holidays around the dates below.
    BusinessCalendar::new([
        date(2026, 1, 1),
        date(2026, 1, 12),
        date(2026, 5, 3),
        date(2026, 5, 4),
        date(2026, 5, 5),
        date(2026, 5, 6),
        date(2026, 9, 21),
        date(2026, 9, 22),
        date(2026, 9, 23),
    ])
}

fn debit(program: &str, month: &str) -> Date {
    debit_date(
        &DebitDateQuery {
            program: program.into(),
            month: month.into(),
        },
        &book(),
        &cal(),
        TODAY,
    )
    .unwrap()
    .date
}

#[test]
fn n28_n64_debit_days() {
    // 2026-01-18 is a Sunday → Monday 19th; 2026-11-18 is a Wednesday.
    assert_eq!(debit("small_enterprise", "2026-01"), date(2026, 1, 19));
    assert_eq!(debit("small_enterprise", "2026-11"), date(2026, 11, 18));
    // 2026-09-27 is a Sunday → 28th; 2026-12-27 a Sunday → 28th; 2026-11-27 a Friday.
    assert_eq!(debit("safety_net", "2026-09"), date(2026, 9, 28));
    assert_eq!(debit("safety_net", "2026-12"), date(2026, 12, 28));
    assert_eq!(debit("safety_net", "2026-11"), date(2026, 11, 27));
}

#[test]
fn n29_n30_failed_debits_are_retried_in_even_months() {
    let b = book();
    let a = &se(&b).arrears;
    let ym = |s: &str| s.parse::<YearMonth>().unwrap();
    // #29: June fails → August (with August's premium).
    assert_eq!(arrears::next_attempt(a, ym("2026-06")), ym("2026-08"));
    // #30: June fails, retried in August and fails again → October; July → October; August → October.
    assert_eq!(arrears::next_attempt(a, ym("2026-08")), ym("2026-10"));
    assert_eq!(arrears::next_attempt(a, ym("2026-07")), ym("2026-10"));
    let unpaid = ["2026-06", "2026-07", "2026-08"];
    let october: Vec<_> = unpaid
        .iter()
        .map(|m| {
            let first = arrears::next_attempt(a, ym(m));
            if first == ym("2026-08") {
                arrears::next_attempt(a, first) // August's attempt failed as well
            } else {
                first
            }
        })
        .collect();
    assert!(october.iter().all(|m| *m == ym("2026-10")));
    assert_eq!(october.len() + 1, 4, "Jun + Jul + Aug + Oct");
    assert_eq!(arrears::next_attempt(a, ym("2026-11")), ym("2027-02"));
    assert!(!arrears::termination_reached(a, 11));
    assert!(arrears::termination_reached(a, 12));
}

#[test]
fn n31_to_n38_member_loans() {
    let b = book();
    let ml = &se(&b).member_loan;
    let general = &ml.kinds[&MemberLoanKind::General].value;
    assert_eq!(general.min_yen, Some(Yen::new(100_000)));
    assert_eq!(general.max_yen, Some(Yen::new(20_000_000)));
    assert_eq!(ml.combined_cap_yen.value, Yen::new(20_000_000));
    assert_eq!(general.rate, Some(rate("1.5%")));
    assert!(
        ml.kinds[&MemberLoanKind::General].provisional,
        "#33 uncertain"
    );
    for kind in [MemberLoanKind::Emergency, MemberLoanKind::IllnessDisaster] {
        let k = &ml.kinds[&kind];
        assert!(!k.provisional);
        assert_eq!(k.value.rate, Some(rate("0.9%")));
        assert_eq!(k.value.min_yen, Some(Yen::new(500_000)));
        assert_eq!(k.value.max_yen, Some(Yen::new(10_000_000)));
    }
    // #34 terms: ≤500万 → 36 months, ≥505万 → 60 months.
    let limit = member_loan::limit(ml, 240, Yen::new(20_000_000), Yen::ZERO, None);
    let terms = |amount| {
        member_loan::terms(
            ml,
            &member_loan::KindTerms::of(ml, MemberLoanKind::Emergency).unwrap(),
            Yen::new(amount),
            &limit,
        )
        .unwrap()
        .term_months
    };
    assert_eq!(terms(5_000_000), vec![36]);
    assert_eq!(terms(5_050_000), vec![60]);
    // #35, #36 triggers.
    assert!(member_loan::emergency_qualifies(ml, rate("5%")));
    assert!(!member_loan::emergency_qualifies(ml, rate("4.9%")));
    assert!(member_loan::illness_qualifies(ml, 5));
    assert!(!member_loan::illness_qualifies(ml, 4));
    // #37 late interest.
    assert_eq!(ml.late_interest.value, rate("14.6%"));
    // #38 the ratio stays within 70–90% from 12 months on.
    for m in 12..=600 {
        let r = ml.limit_ratios.value.rate(m);
        assert!(r >= rate("70%") && r <= rate("90%"), "{m}");
    }
}

#[test]
fn n39_to_n44_safety_net_refund_rates() {
    let b = book();
    for (months, v, d, o) in [
        (1, 0, 0, 0),
        (11, 0, 0, 0),
        (12, 80, 85, 75),
        (23, 80, 85, 75),
        (24, 85, 90, 80),
        (29, 85, 90, 80),
        (30, 90, 95, 85),
        (35, 90, 95, 85),
        (36, 95, 100, 90),
        (39, 95, 100, 90),
        (40, 100, 100, 95),
        (400, 100, 100, 95),
    ] {
        for (c, expected) in [
            (Cancellation::Voluntary, v),
            (Cancellation::Deemed, d),
            (Cancellation::ByOrganization, o),
        ] {
            let r = safety_net_cancellation_refund(
                &SafetyNetRefundRequest {
                    cancellation: c,
                    months_paid: months,
                    total_paid_yen: (months * 50_000).min(8_000_000),
                    bankruptcy_loans_received_yen: 0,
                },
                &b,
                TODAY,
            )
            .unwrap();
            assert_eq!(
                serde_json::to_value(&r).unwrap()["rate_percent"],
                serde_json::json!(expected),
                "{c:?} {months}"
            );
            assert_eq!(
                r.amount_yen,
                (months * 50_000).min(8_000_000) * expected / 100
            );
            assert!(!r.estimate);
        }
    }
}

#[test]
fn n47_n49_temporary_loan() {
    let b = book();
    let r = safety_net_temporary_loan(
        &TemporaryLoanRequest {
            months_paid: 40,
            total_paid_yen: 8_000_000,
            outstanding_loans_yen: 0,
            legacy_holder: false,
        },
        &b,
        TODAY,
    )
    .unwrap();
    assert!(r.eligible);
    assert_eq!(r.limit_yen, 7_600_000);
    let t = &sn_at(&b, TODAY).temporary_loan;
    assert_eq!(t.min_yen.value, Yen::new(300_000));
    assert_eq!(t.unit_yen.value, Yen::new(50_000));
    assert_eq!(t.term_months.value, 12);
}

#[test]
fn n51_temporary_loan_rate_is_provisional() {
    let b = book();
    assert!(sn_at(&b, TODAY).temporary_loan.interest_rate.provisional);
    assert!(
        b.in_force(Program::SafetyNet, TODAY)
            .unwrap()
            .has_provisional()
    );
}

#[test]
fn n53_outstanding_cap() {
    let b = book();
    let rules = &sn_at(&b, TODAY).bankruptcy_loan;
    assert_eq!(rules.outstanding_cap_yen.value, Yen::new(80_000_000));
    let f = loan_facts(8_000_000, 100_000_000, 79_000_000);
    let r = bankruptcy_loan::bankruptcy_loan(rules, &f);
    assert!(r.eligible);
    assert_eq!(r.limit, Yen::new(1_000_000));
    let r =
        bankruptcy_loan::bankruptcy_loan(rules, &loan_facts(8_000_000, 100_000_000, 80_000_000));
    assert!(!r.eligible);
    assert_eq!(r.reasons[0].code, "outstanding_cap");
}

fn loan_facts(total: i64, loss: i64, outstanding: i64) -> bankruptcy_loan::BankruptcyLoanFacts {
    bankruptcy_loan::BankruptcyLoanFacts {
        months_since_joining: 60,
        months_paid: 40,
        monthly_premium: Yen::new(200_000),
        total_paid: Yen::new(total),
        loss: Yen::new(loss),
        outstanding: Yen::new(outstanding),
        monthly_transactions: Yen::new(1_000_000_000),
        bankruptcy_date: date(2026, 10, 1),
        request_date: date(2026, 11, 1),
    }
}

#[test]
fn n55_repayment_years_by_amount() {
    let b = book();
    let rules = &sn_at(&b, TODAY).bankruptcy_loan;
    assert_eq!(rules.repayment_years_for(Yen::new(49_999_999)), Some(5));
    assert_eq!(rules.repayment_years_for(Yen::new(50_000_000)), Some(6));
    assert_eq!(rules.repayment_years_for(Yen::new(64_999_999)), Some(6));
    assert_eq!(rules.repayment_years_for(Yen::new(65_000_000)), Some(7));
    assert_eq!(rules.repayment_years_for(Yen::new(80_000_000)), Some(7));
    assert!(
        rules.repayment_years.provisional,
        "uncertain (3rd-party only)"
    );
    let r = bankruptcy_loan::bankruptcy_loan(rules, &loan_facts(8_000_000, 65_000_000, 0));
    assert_eq!(
        (r.limit, r.repayment_years, r.grace_months),
        (Yen::new(65_000_000), Some(7), Some(6))
    );
    assert_eq!(r.premium_reduction, Yen::new(6_500_000));
    assert!(r.estimate);
}

#[test]
fn n56_bankruptcy_loan_eligibility() {
    let b = book();
    let rules = &sn_at(&b, TODAY).bankruptcy_loan;
    let base = loan_facts(1_000_000, 2_000_000, 0);
    assert!(bankruptcy_loan::bankruptcy_loan(rules, &base).eligible);
    let codes = |f| -> Vec<&'static str> {
        bankruptcy_loan::bankruptcy_loan(rules, &f)
            .reasons
            .iter()
            .map(|r| r.code)
            .collect()
    };
    let mut f = base;
    f.months_since_joining = 5;
    f.months_paid = 5;
    assert_eq!(codes(f), ["months_since_joining", "months_paid"]);
    let mut f = base;
    f.months_paid = 5;
    assert_eq!(codes(f), ["months_paid"]);
    // Six months after 2026-10-01 is 2027-04-01: that day is still in time, the next is not.
    let mut f = base;
    f.request_date = date(2027, 4, 1);
    assert!(codes(f).is_empty());
    f.request_date = date(2027, 4, 2);
    assert_eq!(codes(f), ["request_window"]);
}

#[test]
fn n57_small_loss_bar() {
    let b = book();
    let rules = &sn_at(&b, TODAY).bankruptcy_loan;
    let mut f = loan_facts(1_000_000, 499_999, 0);
    // Large transactions: the bar is 500,000.
    assert_eq!(
        bankruptcy_loan::small_loss_bar(rules, &f),
        Yen::new(500_000)
    );
    assert_eq!(
        bankruptcy_loan::bankruptcy_loan(rules, &f).reasons[0].code,
        "small_loss"
    );
    f.loss = Yen::new(500_000);
    assert!(bankruptcy_loan::bankruptcy_loan(rules, &f).eligible);
    // Monthly transactions of 1,000,000: the bar is 20% = 200,000.
    f.monthly_transactions = Yen::new(1_000_000);
    f.loss = Yen::new(200_000);
    assert_eq!(
        bankruptcy_loan::small_loss_bar(rules, &f),
        Yen::new(200_000)
    );
    assert!(bankruptcy_loan::bankruptcy_loan(rules, &f).eligible);
    f.loss = Yen::new(199_999);
    assert!(!bankruptcy_loan::bankruptcy_loan(rules, &f).eligible);
    // The 5,000-yen special case: 7 months since joining, 7 paid → 5,000 × 7 × 10 = 350,000.
    let mut f = loan_facts(35_000, 350_000, 0);
    f.monthly_premium = Yen::new(5_000);
    f.months_since_joining = 7;
    f.months_paid = 7;
    assert_eq!(
        bankruptcy_loan::small_loss_bar(rules, &f),
        Yen::new(350_000)
    );
    let r = bankruptcy_loan::bankruptcy_loan(rules, &f);
    assert!(r.eligible);
    assert_eq!(r.limit, Yen::new(350_000), "min(loss, 10 × 35,000)");
    f.months_since_joining = 11; // outside 6–10: the 500,000 floor applies
    assert!(!bankruptcy_loan::bankruptcy_loan(rules, &f).eligible);
}

#[test]
fn n58_n59_prepayment_discount_as_of_its_date() {
    let b = book();
    let r = safety_net_prepayment_discount(
        &PrepaymentDiscountRequest {
            monthly_premium_yen: 80_000,
            months_ahead: 11,
        },
        &b,
        TODAY,
    )
    .unwrap();
    assert_eq!(r.discount_yen, 4_752);
    assert_eq!(r.rule_set, "safety_net/2017-11-01");
    assert!(!r.estimate);
    assert_eq!(
        prepayment::counted_months(&sn_at(&b, TODAY).prepayment, 11),
        66
    );
    // Before 2017-11-01 the 5/1000 rate was in force.
    let old = safety_net_prepayment_discount(
        &PrepaymentDiscountRequest {
            monthly_premium_yen: 80_000,
            months_ahead: 11,
        },
        &b,
        date(2017, 10, 31),
    )
    .unwrap();
    assert_eq!(old.discount_yen, 26_400);
    assert_eq!(old.rule_set, "safety_net/2011-10-01");
}

#[test]
fn n60_prepayment_discount_payout_in_june() {
    let b = book();
    let p = &sn_at(&b, TODAY).prepayment;
    assert_eq!(p.payout_month.value, 6);
    assert_eq!(
        prepayment::june_payout(p, Yen::new(4_999)),
        (Yen::ZERO, Yen::new(4_999))
    );
    assert_eq!(
        prepayment::june_payout(p, Yen::new(5_000)),
        (Yen::new(5_000), Yen::ZERO)
    );
    // 小規模: the same rule, from a third party, and a month ≥ 12 ahead counts as 12.
    let sp = &se(&b).prepayment;
    assert_eq!(prepayment::counted_months(sp, 13), 78 + 12);
    assert!(sp.discount_rate.provisional);
}

#[test]
fn n61_suspension_needs_40_times_the_premium() {
    let b = book();
    let s = &sn_at(&b, TODAY).suspension;
    assert!(suspension::allowed(
        s,
        Yen::new(2_000_000),
        Yen::new(50_000)
    ));
    assert!(!suspension::allowed(
        s,
        Yen::new(1_950_000),
        Yen::new(50_000)
    ));
    // Received by the 5th: stops the same month.
    assert_eq!(
        suspension::first_suspended_month(s, &cal(), date(2026, 11, 5)).to_string(),
        "2026-11"
    );
    assert_eq!(
        suspension::first_suspended_month(s, &cal(), date(2026, 11, 6)).to_string(),
        "2026-12"
    );
}

#[test]
fn n62_premium_change_cut_off_is_the_5th_or_next_business_day() {
    let b = book();
    let pc = &sn_at(&b, TODAY).premium_change;
    let t = |d, old, new| {
        safety_net::premium_change::timing(pc, &cal(), d, Yen::new(old), Yen::new(new))
    };
    // 2026-11-05 (Thu) in time; the 6th late.
    assert!(t(date(2026, 11, 5), 50_000, 100_000).in_time);
    let late = t(date(2026, 11, 6), 50_000, 100_000);
    assert!(!late.in_time);
    assert_eq!(late.debited_in_received_month, Yen::new(50_000));
    assert_eq!(late.added_next_month, Yen::new(50_000));
    let late_down = t(date(2026, 11, 6), 100_000, 50_000);
    assert_eq!(late_down.credit, Yen::new(50_000));
    assert_eq!(late_down.added_next_month, Yen::ZERO);
    // 2026-05-05 is a holiday (and the 6th a substitute holiday): the cut-off moves to the 7th.
    assert!(t(date(2026, 5, 7), 50_000, 100_000).in_time);
    assert!(!t(date(2026, 5, 8), 50_000, 100_000).in_time);
    // 2026-09-05 is a Saturday: Monday the 7th is still in time.
    assert!(t(date(2026, 9, 7), 50_000, 100_000).in_time);
    // The third ground for a decrease.
    assert!(safety_net::premium_change::decrease_allowed_by_threshold(
        pc,
        Yen::new(0),
        Yen::new(8_000_000)
    ));
    assert!(!safety_net::premium_change::decrease_allowed_by_threshold(
        pc,
        Yen::new(1_000_000),
        Yen::new(7_800_000)
    ));
}

#[test]
fn n63_frequency_change_cut_off() {
    let b = book();
    let fc = &se(&b).frequency_change;
    use small_enterprise::frequency_change::effective_month;
    assert_eq!(
        effective_month(fc, &cal(), date(2026, 11, 20)).to_string(),
        "2026-12"
    );
    assert_eq!(
        effective_month(fc, &cal(), date(2026, 11, 21)).to_string(),
        "2027-01"
    );
    // December: the 15th (a Tuesday in 2026).
    assert_eq!(
        effective_month(fc, &cal(), date(2026, 12, 15)).to_string(),
        "2027-01"
    );
    assert_eq!(
        effective_month(fc, &cal(), date(2026, 12, 16)).to_string(),
        "2027-02"
    );
    // 2026-09-20 is a Sunday: the preceding business day, Friday the 18th, is the cut-off.
    assert_eq!(
        effective_month(fc, &cal(), date(2026, 9, 18)).to_string(),
        "2026-10"
    );
    assert_eq!(
        effective_month(fc, &cal(), date(2026, 9, 19)).to_string(),
        "2026-11"
    );
}

#[test]
fn n65_safety_net_termination_after_12_unpaid_months() {
    assert_eq!(sn_at(&book(), TODAY).termination_unpaid_months.value, 12);
}
