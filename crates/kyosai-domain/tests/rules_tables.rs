//! Table tests for the rules of REFERENCE §2–§5 not already pinned by a published figure.

#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns in integration tests"
)]

use jiff::civil::{Date, date};
use kyosai_domain::money::Yen;
use kyosai_domain::prefecture::Prefecture;
use kyosai_domain::program::Program;
use kyosai_domain::rules::small_enterprise::BonusBasis;
use kyosai_domain::rules::{RuleBook, SafetyNetRules, SmallEnterpriseRules};
use kyosai_domain::safety_net::{Cancellation, cancellation_refund, temporary_loan};
use kyosai_domain::small_enterprise::{
    self, ClaimReason, MemberLoanKind, PremiumSegment, member_loan,
};
use kyosai_domain::special_measures::{Effect, MeasureQuery, SpecialMeasures};

const TODAY: Date = date(2026, 11, 26);

fn book() -> RuleBook {
    RuleBook::embedded().unwrap()
}
fn se(b: &RuleBook) -> &SmallEnterpriseRules {
    b.in_force(Program::SmallEnterprise, TODAY)
        .unwrap()
        .small_enterprise
        .as_ref()
        .unwrap()
}
fn sn(b: &RuleBook) -> &SafetyNetRules {
    b.in_force(Program::SafetyNet, TODAY)
        .unwrap()
        .safety_net
        .as_ref()
        .unwrap()
}
fn facts(
    months_paid: u32,
    total: i64,
    outstanding: i64,
    legacy_holder: bool,
) -> temporary_loan::TemporaryLoanFacts {
    temporary_loan::TemporaryLoanFacts {
        months_paid,
        total_paid: Yen::new(total),
        outstanding: Yen::new(outstanding),
        legacy_holder,
    }
}
fn h(segments: &[(i64, u32)]) -> Vec<PremiumSegment> {
    segments
        .iter()
        .map(|&(p, m)| PremiumSegment {
            monthly_premium: Yen::new(p),
            months: m,
        })
        .collect()
}

/// §3.2: each tranche on its own; an increase's units count their own months.
#[test]
fn tranches_are_valued_on_their_own() {
    let b = book();
    let r = se(&b);
    // 10,000 for 10 years then 20,000 for 5 years: the base 20 units at 180 months, the added
    // 20 units at 60 months (both published points).
    let res =
        small_enterprise::benefit(r, ClaimReason::A, &h(&[(10_000, 120), (20_000, 60)]), None)
            .unwrap();
    let amounts: Vec<i64> = res.tranches.iter().map(|t| t.amount.get()).collect();
    assert_eq!(amounts, vec![2_011_000, 621_400]);
    assert_eq!(res.amount, Yen::new(2_632_400));
    assert!(!res.estimate);
    // An added tranche under 36 months is worth its premiums.
    let res =
        small_enterprise::benefit(r, ClaimReason::B, &h(&[(10_000, 120), (12_000, 35)]), None)
            .unwrap();
    assert_eq!(res.tranches[1].amount, Yen::new(4 * 500 * 35));
    // A decrease: the stopped units keep 60 months; unconfirmed rule → estimate.
    let res = small_enterprise::benefit(r, ClaimReason::A, &h(&[(20_000, 60), (10_000, 60)]), None)
        .unwrap();
    let t: Vec<(u32, u32, bool, i64)> = res
        .tranches
        .iter()
        .map(|t| {
            (
                t.tranche.units,
                t.tranche.months_paid,
                t.tranche.active,
                t.amount.get(),
            )
        })
        .collect();
    assert_eq!(
        t,
        vec![(20, 120, true, 1_290_600), (20, 60, false, 621_400)]
    );
    assert!(res.estimate);
}

/// §3.2: no 付加共済金 under 36 months.
#[test]
fn bonus_needs_36_months() {
    let b = book();
    let r = se(&b);
    let at = |m| {
        small_enterprise::benefit(r, ClaimReason::A, &h(&[(10_000, m)]), Some(2022))
            .unwrap()
            .bonus
    };
    assert_eq!(at(35), Yen::ZERO);
    assert_eq!(at(36), Yen::new(360_000 * 504 / 100_000));
}

/// §3.2: whether the 付加共済金 counts 36 months per tranche is unconfirmed, so it is the rule
/// set's `bonus.basis`; with tranches on both sides of 36 months the answer says 概算.
#[test]
fn bonus_basis_is_a_rule_set_choice() {
    let b = book();
    let mut r = se(&b).clone();
    // 48 months at 10,000 then 12 more months with 5,000 on top: tranches of 60 and 12 months.
    let history = h(&[(10_000, 48), (15_000, 12)]);
    let contract = small_enterprise::benefit(&r, ClaimReason::A, &history, Some(2022)).unwrap();
    assert_eq!(r.bonus.basis.value, BonusBasis::Contract);
    assert_eq!(
        contract.bonus,
        Yen::new(contract.base.get() * 504 / 100_000)
    );
    assert!(
        contract.estimate,
        "an unconfirmed basis that matters is 概算"
    );
    r.bonus.basis.value = BonusBasis::PerTranche;
    let per = small_enterprise::benefit(&r, ClaimReason::A, &history, Some(2022)).unwrap();
    let long = per
        .tranches
        .iter()
        .find(|t| t.tranche.months_paid == 60)
        .unwrap();
    assert_eq!(per.bonus, Yen::new(long.amount.get() * 504 / 100_000));
    assert!(per.bonus < contract.bonus);
    // One tranche only: both bases agree and the basis makes no estimate.
    r.bonus.basis.provisional = true;
    let single =
        small_enterprise::benefit(&r, ClaimReason::A, &h(&[(10_000, 120)]), Some(2022)).unwrap();
    assert!(!single.estimate);
}

/// §3.2 (provisional): 準共済金 = premiums paid below 240 months, then rising.
#[test]
fn quasi_benefit_provisional_table() {
    let b = book();
    let r = se(&b);
    let q = |m| small_enterprise::benefit(r, ClaimReason::Quasi, &h(&[(10_000, m)]), None).unwrap();
    for m in [12, 35, 36, 120, 239, 240] {
        assert_eq!(q(m).amount, Yen::new(10_000 * i64::from(m)), "{m}");
    }
    assert_eq!(q(360).amount, Yen::new(3_780_000));
    assert!(q(300).amount > Yen::new(3_000_000));
    assert!(q(120).estimate);
    // A and B exceed 準共済金, and 準共済金 is at least the voluntary refund.
    for m in [60, 120, 240, 360, 480] {
        let a = small_enterprise::benefit(r, ClaimReason::A, &h(&[(10_000, m)]), None)
            .unwrap()
            .amount;
        let bb = small_enterprise::benefit(r, ClaimReason::B, &h(&[(10_000, m)]), None)
            .unwrap()
            .amount;
        let c = small_enterprise::cancellation_refund(r, &h(&[(10_000, m)]))
            .unwrap()
            .amount;
        assert!(
            a >= bb && bb >= q(m).amount && q(m).amount >= c,
            "{m}: {a} {bb} {} {c}",
            q(m).amount
        );
    }
}

/// §4.1: limit = premiums × ratio (provisional bands) in 5万 units, ≥ 10万, within 2,000万.
#[test]
fn member_loan_limits() {
    let b = book();
    let ml = &se(&b).member_loan;
    for (months, total, outstanding, eligible, limit) in [
        (11, 1_100_000, 0, false, 0),
        (12, 120_000, 0, false, 0),          // 84,000 < 100,000
        (12, 150_000, 0, true, 100_000),     // 105,000 → 100,000
        (24, 1_200_000, 0, true, 800_000),   // 70% = 840,000 → 800,000
        (36, 1_200_000, 0, true, 950_000),   // 80% = 960,000 → 950,000
        (60, 1_200_000, 0, true, 1_050_000), // 90% = 1,080,000 → 1,050,000
        (240, 30_000_000, 0, true, 20_000_000),
        (240, 30_000_000, 15_000_000, true, 5_000_000),
        (240, 30_000_000, 20_000_000, false, 0),
        (60, 1_200_000, 1_000_000, true, 50_000),
    ] {
        let r = member_loan::limit(ml, months, Yen::new(total), Yen::new(outstanding), None);
        assert_eq!(
            (r.eligible, r.limit),
            (eligible, Yen::new(limit)),
            "{months} {total} {outstanding}"
        );
        assert!(r.estimate, "the ratio table is provisional");
    }
    let lim = member_loan::limit(ml, 240, Yen::new(30_000_000), Yen::ZERO, None);
    assert!(
        member_loan::terms(
            ml,
            &member_loan::KindTerms::of(ml, MemberLoanKind::General).unwrap(),
            Yen::new(1_025_000),
            &lim
        )
        .is_err(),
        "unit"
    );
    assert_eq!(
        member_loan::terms(
            ml,
            &member_loan::KindTerms::of(ml, MemberLoanKind::General).unwrap(),
            Yen::new(1_000_000),
            &lim
        )
        .unwrap()
        .term_months,
        vec![6, 12]
    );
    assert_eq!(
        member_loan::terms(
            ml,
            &member_loan::KindTerms::of(ml, MemberLoanKind::General).unwrap(),
            Yen::new(3_000_000),
            &lim
        )
        .unwrap()
        .term_months,
        vec![24]
    );
    let codes: Vec<&str> = member_loan::terms(
        ml,
        &member_loan::KindTerms::of(ml, MemberLoanKind::Emergency).unwrap(),
        Yen::new(10_050_000),
        &lim,
    )
    .unwrap_err()
    .iter()
    .map(|r| r.code)
    .collect();
    assert_eq!(codes, ["above_maximum"]);
    // Kinds whose terms are UNKNOWN still answer, with no terms and as an estimate.
    let w = member_loan::terms(
        ml,
        &member_loan::KindTerms::of(ml, MemberLoanKind::Welfare).unwrap(),
        Yen::new(1_000_000),
        &lim,
    )
    .unwrap();
    assert!(w.term_months.is_empty() && w.rate.is_none() && w.estimate);
}

/// §4.2 + 特例: the Noto measure raises the combined cap to 3,000万 for affected members.
#[test]
fn noto_measure_raises_the_member_loan_cap() {
    let b = book();
    let ml = &se(&b).member_loan;
    let measures = SpecialMeasures::embedded().unwrap();
    let no_flags: [String; 0] = [];
    let applicable = measures.applicable(&MeasureQuery {
        program: Some(Program::SmallEnterprise),
        prefecture: Prefecture::parse("石川県"),
        flags: &no_flags,
        date: date(2024, 2, 1),
    });
    let cap = applicable
        .iter()
        .flat_map(|m| m.effects_for(Program::SmallEnterprise))
        .find_map(|e| match e {
            Effect::InterestFreeDisasterLoan {
                combined_cap_yen, ..
            } => Some(*combined_cap_yen),
            _ => None,
        });
    assert_eq!(cap, Some(Yen::new(30_000_000)));
    let normal = member_loan::limit(ml, 240, Yen::new(40_000_000), Yen::new(15_000_000), None);
    let relief = member_loan::limit(ml, 240, Yen::new(40_000_000), Yen::new(15_000_000), cap);
    assert_eq!(normal.limit, Yen::new(5_000_000));
    assert_eq!(relief.limit, Yen::new(15_000_000));
}

/// §5.2: 一時貸付金 limit rows (機構解約 rate × 95%).
#[test]
fn temporary_loan_limit_rows() {
    let b = book();
    let r = sn(&b);
    let cap = Some(Yen::new(8_000_000));
    for (months, total, limit) in [
        (11, 1_100_000, 0),
        (12, 1_200_000, 850_000),   // × 75% × 95% = 855,000
        (24, 2_400_000, 1_800_000), // × 80% × 95% = 1,824,000
        (30, 3_000_000, 2_400_000), // × 85% × 95% = 2,422,500
        (36, 3_600_000, 3_050_000), // × 90% × 95% = 3,078,000
        (40, 4_000_000, 3_600_000), // × 95% × 95% = 3,610,000
        (40, 8_000_000, 7_600_000), // at the cap: × 100% × 95%
        (12, 420_000, 0),           // 299,250 < 300,000
    ] {
        let res = temporary_loan::temporary_loan(
            &r.temporary_loan,
            &r.cancellation,
            cap,
            &facts(months, total, 0, false),
        );
        assert_eq!(res.limit, Yen::new(limit), "{months} {total}");
        assert_eq!(res.eligible, limit > 0);
    }
}

/// §5.3: the refund base is premiums less 1/10 of loans received.
#[test]
fn safety_net_refund_nets_bankruptcy_loans() {
    let b = book();
    let c = &sn(&b).cancellation;
    for (cancel, months, total, loans, base, amount) in [
        (
            Cancellation::Voluntary,
            40,
            4_000_000,
            0,
            4_000_000,
            4_000_000,
        ),
        (
            Cancellation::Voluntary,
            40,
            4_000_000,
            10_000_000,
            3_000_000,
            3_000_000,
        ),
        (
            Cancellation::ByOrganization,
            40,
            4_000_000,
            10_000_000,
            3_000_000,
            2_850_000,
        ),
        (
            Cancellation::Deemed,
            36,
            3_600_000,
            5_000_000,
            3_100_000,
            3_100_000,
        ),
        (Cancellation::Voluntary, 11, 1_100_000, 0, 1_100_000, 0),
        (Cancellation::Voluntary, 12, 600_000, 10_000_000, 0, 0),
    ] {
        let r = cancellation_refund::cancellation_refund(
            c,
            cancel,
            months,
            Yen::new(total),
            Yen::new(loans),
        );
        assert_eq!(
            (r.base, r.amount),
            (Yen::new(base), Yen::new(amount)),
            "{cancel:?} {months}"
        );
    }
}

/// §5.2 legacy rule: a holder still at the old 320万 cap keeps a 300万 limit (less loans).
#[test]
fn temporary_loan_legacy_320_holders() {
    let b = book();
    let r = sn(&b);
    let cap = Some(Yen::new(8_000_000));
    for (months, total, outstanding, legacy, limit) in [
        (64, 3_200_000, 0, false, 2_850_000), // 3,200,000 × 95% × 95% = 2,888,000
        (64, 3_200_000, 0, true, 3_000_000),  // the legacy limit
        (64, 3_200_000, 120_000, true, 2_850_000), // 2,880,000 in 50,000-yen units
        (65, 3_250_000, 0, true, 2_900_000),  // no longer at 320万: 2,933,125
        (11, 3_200_000, 0, true, 0),          // still needs 12 months
    ] {
        let res = temporary_loan::temporary_loan(
            &r.temporary_loan,
            &r.cancellation,
            cap,
            &facts(months, total, outstanding, legacy),
        );
        assert_eq!(
            res.limit,
            Yen::new(limit),
            "{months} {total} {outstanding} {legacy}"
        );
        assert_eq!(res.eligible, limit > 0);
    }
}

/// §3.4, law §12(3)(2)/(4): deemed cancellation — premiums below 36 months, the stand-in table
/// (準共済金, provisional) from 36 months, nothing under 12 months.
#[test]
fn small_enterprise_deemed_cancellation_refund() {
    let b = book();
    let r = se(&b);
    let refund =
        |hist: &[(i64, u32)]| small_enterprise::deemed_cancellation_refund(r, &h(hist)).unwrap();
    let short = refund(&[(10_000, 11)]);
    assert!(!short.payable);
    assert_eq!(short.amount, Yen::ZERO);

    let premiums_only = refund(&[(10_000, 35)]);
    assert_eq!(premiums_only.amount, Yen::new(350_000));
    assert!(!premiums_only.estimate, "36-month rule is the law's own");

    let long = refund(&[(10_000, 120)]);
    let quasi =
        small_enterprise::benefit(r, ClaimReason::Quasi, &h(&[(10_000, 120)]), None).unwrap();
    assert_eq!(long.amount, quasi.base);
    assert_eq!(long.bonus, Yen::ZERO);
    assert!(long.estimate, "the 政令 amounts are a stand-in");

    // An increase opens a second tranche with its own months: 20 months at +5,000 → premiums.
    let mixed = refund(&[(10_000, 100), (15_000, 20)]);
    assert_eq!(mixed.tranches.len(), 2);
    assert_eq!(mixed.tranches[1].amount, Yen::new(100_000));
    assert_eq!(
        mixed.tranches[0].amount,
        refund(&[(10_000, 120)]).tranches[0].amount
    );

    // Compared with a voluntary cancellation: below 36 months it pays 100%, not 80%.
    let voluntary = small_enterprise::cancellation_refund(r, &h(&[(10_000, 35)])).unwrap();
    assert_eq!(voluntary.amount, Yen::new(280_000));
}

/// §5.4, #66: premiums within two years of a cancellation from 2024-10-01 are not deductible.
#[test]
fn safety_net_two_year_non_deductible_window() {
    use kyosai_domain::safety_net::tax::{non_deductible_until, premium_deductible};
    let b = book();
    let t = &sn(&b).tax;
    assert_eq!(
        non_deductible_until(t, date(2024, 10, 1)),
        Some(date(2026, 9, 30))
    );
    assert_eq!(non_deductible_until(t, date(2024, 9, 30)), None);
    for (cancelled, paid, deductible) in [
        (Some(date(2024, 10, 1)), date(2025, 6, 27), false), // #66: re-joined 2025-06
        (Some(date(2024, 10, 1)), date(2024, 10, 1), false),
        (Some(date(2024, 10, 1)), date(2026, 9, 30), false),
        (Some(date(2024, 10, 1)), date(2026, 10, 1), true),
        (Some(date(2024, 9, 30)), date(2025, 6, 27), true), // before the rule
        (Some(date(2025, 3, 15)), date(2025, 1, 27), true), // paid before the cancellation
        (Some(date(2025, 3, 15)), date(2027, 3, 14), false),
        (Some(date(2025, 3, 15)), date(2027, 3, 15), true),
        (None, date(2025, 6, 27), true),
    ] {
        assert_eq!(
            premium_deductible(t, cancelled, paid),
            deductible,
            "{cancelled:?} {paid}"
        );
    }
}
