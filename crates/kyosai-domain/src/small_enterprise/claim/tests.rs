use jiff::civil::date;
use proptest::prelude::*;

use super::*;
use crate::Program;
use crate::rules::RuleBook;
use crate::small_enterprise::PremiumSegment;

fn rules() -> SmallEnterpriseRules {
    RuleBook::embedded()
        .unwrap()
        .in_force(Program::SmallEnterprise, date(2026, 11, 1))
        .unwrap()
        .small_enterprise
        .clone()
        .unwrap()
}

fn facts(event: ClaimEvent, role: ApplicantRole, age: u32, months: u32) -> ClaimFacts {
    ClaimFacts {
        event,
        role,
        age_at_event: age,
        months_paid: months,
    }
}

/// REFERENCE §3.1, row by row.
#[test]
fn kinds_follow_reference_3_1() {
    use ApplicantRole::{CoManager as C, CompanyOfficer as O, SoleProprietor as S};
    use BenefitKind::{A, B, Quasi, Refund};
    use ClaimEvent as E;
    let r = rules();
    for (event, role, age, kind) in [
        (E::BusinessClosed, S, 50, A),
        (E::Death, S, 50, A),
        (E::CompanyDissolved, O, 50, A),
        (E::BusinessClosed, C, 50, A),
        (E::Death, C, 50, A),
        (E::IllnessOrInjury, C, 50, A),
        (E::OldAge, S, 65, B),
        (E::IllnessOrInjury, O, 50, B),
        (E::Death, O, 50, B),
        (E::OfficerRetired, O, 65, B),
        (E::OldAge, O, 70, B),
        (E::OldAge, C, 65, B),
        (E::Incorporated, S, 50, Quasi),
        (E::OfficerRetired, O, 64, Quasi),
        (E::Incorporated, C, 50, Quasi),
        (E::IncorporatedAsOfficer, S, 50, Refund),
        (E::OfficerRetired, C, 50, Refund),
    ] {
        let d = determine(&r, &facts(event, role, age, 200)).unwrap();
        assert_eq!(d.kind, kind, "{event:?} {role:?} {age}");
        assert!(d.payable);
        assert!(d.explanation.contains(kind.name_ja()), "{}", d.explanation);
    }
}

#[test]
fn events_not_of_the_role_and_old_age_conditions_are_refused() {
    let r = rules();
    for (event, role) in [
        (ClaimEvent::CompanyDissolved, ApplicantRole::SoleProprietor),
        (ClaimEvent::BusinessClosed, ApplicantRole::CompanyOfficer),
        (ClaimEvent::Incorporated, ApplicantRole::CompanyOfficer),
        (ClaimEvent::Transferred, ApplicantRole::CompanyOfficer),
    ] {
        let e = determine(&r, &facts(event, role, 50, 100)).unwrap_err();
        assert_eq!(e.code, "event_not_for_role", "{event:?} {role:?}");
    }
    // 老齢給付: 65 and 180 months, both from the rules.
    let e = determine(
        &r,
        &facts(ClaimEvent::OldAge, ApplicantRole::SoleProprietor, 64, 400),
    )
    .unwrap_err();
    assert_eq!(e.code, "old_age_conditions");
    let e = determine(
        &r,
        &facts(ClaimEvent::OldAge, ApplicantRole::SoleProprietor, 70, 179),
    )
    .unwrap_err();
    assert_eq!(e.code, "old_age_conditions");
}

#[test]
fn below_the_minimum_months_nothing_is_payable_and_the_answer_says_so() {
    let r = rules();
    let d = determine(
        &r,
        &facts(
            ClaimEvent::BusinessClosed,
            ApplicantRole::SoleProprietor,
            50,
            5,
        ),
    )
    .unwrap();
    assert_eq!(d.kind, BenefitKind::A);
    assert!(!d.payable);
    assert!(d.explanation.contains("6か月以上"), "{}", d.explanation);
    // 準共済金 needs 12.
    let d = determine(
        &r,
        &facts(
            ClaimEvent::Incorporated,
            ApplicantRole::SoleProprietor,
            50,
            11,
        ),
    )
    .unwrap();
    assert!(!d.payable);
    let d = determine(
        &r,
        &facts(
            ClaimEvent::Incorporated,
            ApplicantRole::SoleProprietor,
            50,
            12,
        ),
    )
    .unwrap();
    assert!(d.payable);
}

#[test]
fn transfer_to_family_is_provisional_rule_data() {
    let r = rules();
    let d = determine(
        &r,
        &facts(
            ClaimEvent::Transferred,
            ApplicantRole::SoleProprietor,
            50,
            100,
        ),
    )
    .unwrap();
    assert_eq!(
        d.kind.reason(),
        Some(r.claim.transfer_to_family.value),
        "the rule set decides"
    );
    assert!(d.provisional);
}

fn history(premium: i64, months: u32) -> History {
    History {
        segments: vec![PremiumSegment {
            monthly_premium: Yen::new(premium),
            months,
        }],
        legacy_segments: 0,
        reconstructed: false,
    }
}

/// REFERENCE §3.3: 10,000 yen for 5 years gives 共済金A 621,400 and B 614,600 (before the
/// 付加共済金, which FY2022 adds at 0.504%, §3.2).
#[test]
fn amounts_come_from_the_calculators() {
    let r = rules();
    let fy2022: YearMonth = "2022-10".parse().unwrap();
    let a = gross_amount(&r, BenefitKind::A, &history(10_000, 60), fy2022).unwrap();
    assert_eq!(a.base, Yen::new(621_400));
    assert_eq!(a.bonus, Yen::new(621_400 * 504 / 100_000));
    assert_eq!(a.amount, Yen::new(621_400 + 3_131));
    let b = gross_amount(&r, BenefitKind::B, &history(10_000, 60), fy2022).unwrap();
    assert_eq!(b.base, Yen::new(614_600));
    // A refund has no 付加共済金: 60 months at 表1's 80%.
    let x = gross_amount(&r, BenefitKind::Refund, &history(10_000, 60), fy2022).unwrap();
    assert_eq!(x.amount, Yen::new(480_000));
    assert_eq!(x.bonus, Yen::ZERO);
    // A reconstructed history is always 概算.
    let mut h = history(10_000, 60);
    h.reconstructed = true;
    assert!(
        gross_amount(&r, BenefitKind::A, &h, fy2022)
            .unwrap()
            .estimate
    );
}

#[test]
fn deductions_take_loans_then_unpaid_premiums_never_below_zero() {
    let (d, net) = deductions(
        Yen::new(1_000_000),
        &Owed {
            loans: Yen::new(300_000),
            unpaid_premiums: Yen::new(20_000),
        },
    );
    assert_eq!(
        d,
        vec![
            Deduction {
                kind: DeductionKind::Loans,
                yen: Yen::new(300_000)
            },
            Deduction {
                kind: DeductionKind::UnpaidPremiums,
                yen: Yen::new(20_000)
            },
        ]
    );
    assert_eq!(net, Yen::new(680_000));
    let (d, net) = deductions(
        Yen::new(100_000),
        &Owed {
            loans: Yen::new(300_000),
            unpaid_premiums: Yen::new(20_000),
        },
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].yen, Yen::new(100_000));
    assert_eq!(net, Yen::ZERO);
    assert_eq!(
        deductions(Yen::new(5), &Owed::default()),
        (vec![], Yen::new(5))
    );
}

/// REFERENCE §3.5: instalments need A/B, no death, 60+, net ≥ 3,000,000; combined ≥ 3,300,000
/// with 300,000 / 3,000,000 parts; periods 10 or 15 years.
#[test]
fn payout_forms_follow_reference_3_5() {
    let r = rules();
    let ok = |kind, death, age, net: i64, choice| {
        check_choice(&r, kind, death, age, Yen::new(net), choice).map_err(|e| e.code)
    };
    let inst = PayoutChoice::Instalments { years: 10 };
    assert_eq!(ok(BenefitKind::A, false, 60, 3_000_000, inst), Ok(()));
    assert_eq!(
        ok(BenefitKind::A, false, 59, 3_000_000, inst),
        Err("payout_not_qualified")
    );
    assert_eq!(
        ok(BenefitKind::A, false, 60, 2_999_999, inst),
        Err("payout_not_qualified")
    );
    assert_eq!(
        ok(BenefitKind::A, true, 70, 9_000_000, inst),
        Err("payout_not_qualified")
    );
    assert_eq!(
        ok(BenefitKind::Quasi, false, 70, 9_000_000, inst),
        Err("payout_not_qualified")
    );
    assert_eq!(
        ok(BenefitKind::Refund, false, 70, 9_000_000, inst),
        Err("instalments_not_for_reason")
    );
    assert_eq!(
        ok(
            BenefitKind::B,
            false,
            60,
            3_000_000,
            PayoutChoice::Instalments { years: 12 }
        ),
        Err("instalment_years")
    );
    let comb = |lump: i64| PayoutChoice::Combined {
        years: 15,
        lump_sum: Yen::new(lump),
    };
    assert_eq!(
        ok(BenefitKind::B, false, 60, 3_300_000, comb(300_000)),
        Ok(())
    );
    assert_eq!(
        ok(BenefitKind::B, false, 60, 3_299_999, comb(299_999)),
        Err("payout_not_qualified")
    );
    assert_eq!(
        ok(BenefitKind::B, false, 60, 4_000_000, comb(1_000_001)),
        Err("combined_split")
    );
    assert_eq!(
        ok(BenefitKind::B, false, 60, 4_000_000, comb(299_999)),
        Err("combined_split")
    );
    assert_eq!(
        ok(BenefitKind::Quasi, true, 30, 1, PayoutChoice::LumpSum),
        Ok(())
    );
}

fn calendar() -> BusinessCalendar {
    BusinessCalendar::new([date(2027, 1, 1), date(2027, 1, 11)])
}

#[test]
fn a_schedule_pays_on_business_days_in_instalment_months() {
    let r = rules();
    let plan = plan_payouts(
        &r,
        &calendar(),
        date(2026, 11, 30),
        PayoutChoice::Combined {
            years: 10,
            lump_sum: Yen::new(1_000_000),
        },
        Yen::new(4_000_001),
    );
    assert_eq!(plan.len(), 1 + 60);
    assert!(!plan[0].instalment);
    assert_eq!(plan[0].yen, Yen::new(1_000_000));
    assert_eq!(
        plan[0].date,
        calendar().business_days_after(date(2026, 11, 30), r.claim.payment_business_days.value)
    );
    // The first instalment month after the lump sum is January 2027.
    assert_eq!(plan[1].date.month(), 1);
    assert_eq!(plan[1].date.year(), 2027);
    // 3,000,001 over 60: 50,000 each, the yen left over with the first.
    assert_eq!(plan[1].yen, Yen::new(50_001));
    assert_eq!(plan[2].yen, Yen::new(50_000));
    for p in &plan[1..] {
        assert!(p.instalment);
        assert!(
            r.payout.instalment_months.value.contains(&p.date.month()),
            "{}",
            p.date
        );
        assert!(calendar().is_business_day(p.date));
    }
    let total: i64 = plan.iter().map(|p| p.yen.get()).sum();
    assert_eq!(total, 4_000_001);
}

#[test]
fn tax_data_follows_reference_3_6() {
    let r = rules();
    let base = TaxFacts {
        kind: BenefitKind::A,
        death: false,
        instalment: false,
        age_at_event: 66,
        contract_start: date(2000, 4, 1),
        event_date: date(2026, 10, 1),
        payment: Yen::new(1_000_000),
    };
    let t = tax_data(&r, &base);
    assert_eq!(t.income_class, IncomeClass::Retirement);
    // 26 years and a half → 27 years: 40万 × 20 + 70万 × 7.
    assert_eq!(t.contract_years, 27);
    assert_eq!(
        t.retirement_deduction,
        Some(Yen::new(8_000_000 + 4_900_000))
    );
    let t = tax_data(
        &r,
        &TaxFacts {
            instalment: true,
            ..base
        },
    );
    assert_eq!(t.income_class, IncomeClass::PublicPension);
    assert_eq!(t.retirement_deduction, None);
    let t = tax_data(
        &r,
        &TaxFacts {
            death: true,
            ..base
        },
    );
    assert_eq!(t.income_class, IncomeClass::DeemedInheritance);
    let refund = TaxFacts {
        kind: BenefitKind::Refund,
        age_at_event: 64,
        ..base
    };
    assert_eq!(tax_data(&r, &refund).income_class, IncomeClass::Occasional);
    assert_eq!(
        tax_data(
            &r,
            &TaxFacts {
                age_at_event: 65,
                ..refund
            }
        )
        .income_class,
        IncomeClass::Retirement
    );
    // One year or less counts as one; the minimum deduction is 80万.
    assert_eq!(contract_years(date(2026, 1, 1), date(2026, 1, 1)), 1);
    assert_eq!(contract_years(date(2020, 1, 1), date(2026, 1, 1)), 6);
    assert_eq!(contract_years(date(2020, 1, 1), date(2026, 1, 2)), 7);
    assert_eq!(retirement_deduction(&r.claim, 1), Yen::new(800_000));
    // The withholding rates are provisional rule data.
    assert!(r.claim.withholding.provisional);
}

proptest! {
    /// An instalment schedule sums to the net amount; a combined payout respects both minimums.
    #[test]
    fn schedules_sum_to_the_net_amount(
        net in 3_300_000i64..200_000_000,
        lump in 0i64..200_000_000,
        fifteen in any::<bool>(),
        combined in any::<bool>(),
    ) {
        let r = rules();
        let years = if fifteen { 15 } else { 10 };
        let choice = if combined {
            PayoutChoice::Combined { years, lump_sum: Yen::new(lump) }
        } else {
            PayoutChoice::Instalments { years }
        };
        let ok = check_choice(&r, BenefitKind::A, false, 65, Yen::new(net), choice).is_ok();
        if combined {
            let p = &r.payout;
            prop_assert_eq!(
                ok,
                lump >= p.combined_min_lump_sum_yen.value.get()
                    && net - lump >= p.combined_min_instalment_yen.value.get()
            );
        } else {
            prop_assert!(ok);
        }
        if ok {
            let plan = plan_payouts(&r, &calendar(), date(2026, 11, 30), choice, Yen::new(net));
            let total: i64 = plan.iter().map(|p| p.yen.get()).sum();
            prop_assert_eq!(total, net);
            let instalments = plan.iter().filter(|p| p.instalment).count() as u32;
            prop_assert_eq!(instalments, instalment_count(&r.payout, years));
            if let PayoutChoice::Combined { lump_sum, .. } = choice {
                prop_assert!(lump_sum >= r.payout.combined_min_lump_sum_yen.value);
                let part: i64 = plan.iter().filter(|p| p.instalment).map(|p| p.yen.get()).sum();
                prop_assert!(part >= r.payout.combined_min_instalment_yen.value.get());
            }
            prop_assert!(plan.windows(2).all(|w| w[0].date < w[1].date));
        }
    }
}
