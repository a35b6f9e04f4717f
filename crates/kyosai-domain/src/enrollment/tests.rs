//! Table tests: one row per rule of REFERENCE §1 and §2.1.

use super::*;
use crate::procedure::Decision;
use crate::rules::RuleBook;
use jiff::civil::date;

const TODAY: Date = date(2026, 11, 26);

fn se() -> EnrollmentFacts {
    EnrollmentFacts {
        program: Program::SmallEnterprise,
        role: Some(ApplicantRole::SoleProprietor),
        legal_form: LegalForm::Individual,
        industry: Industry::Construction,
        employees: 3,
        capital: None,
        business_started_on: date(2020, 4, 1),
        birth_date: date(1980, 5, 5),
        monthly_premium: Yen::new(10_000),
        frequency: PaymentFrequency::Monthly,
        declarations: Declarations {
            truthful: true,
            not_antisocial: true,
            eligible: true,
        },
        account_in_applicants_name: true,
    }
}

fn sn() -> EnrollmentFacts {
    EnrollmentFacts {
        program: Program::SafetyNet,
        role: None,
        legal_form: LegalForm::Company,
        industry: Industry::Manufacturing,
        employees: 50,
        capital: Some(Yen::new(10_000_000)),
        monthly_premium: Yen::new(50_000),
        ..se()
    }
}

fn run(f: &EnrollmentFacts, ctx: EnrollmentContext) -> Assessment {
    let book = RuleBook::embedded().unwrap();
    assess(f, book.in_force(f.program, TODAY).unwrap(), &ctx)
}

fn ctx() -> EnrollmentContext {
    EnrollmentContext {
        today: TODAY,
        ..Default::default()
    }
}

/// The decision and, for rejections, the fields named.
fn outcome(f: EnrollmentFacts) -> (Decision, Vec<String>) {
    let a = run(&f, ctx());
    (
        a.decision(),
        a.field_errors().into_iter().map(|e| e.field).collect(),
    )
}

#[test]
fn valid_applications_are_approved() {
    assert_eq!(outcome(se()).0, Decision::Approve);
    assert_eq!(outcome(sn()).0, Decision::Approve);
}

#[test]
fn small_enterprise_premium_bounds_and_steps() {
    // (premium, approved?) — REFERENCE §10 #1: 1,000 ≤ x ≤ 70,000, x mod 500 = 0.
    for (yen, ok) in [
        (500, false),
        (999, false),
        (1_000, true),
        (1_500, true),
        (1_250, false),
        (69_500, true),
        (70_000, true),
        (70_500, false),
        (0, false),
        (-1_000, false),
    ] {
        let f = EnrollmentFacts {
            monthly_premium: Yen::new(yen),
            ..se()
        };
        let (d, fields) = outcome(f);
        assert_eq!(d == Decision::Approve, ok, "{yen}");
        if !ok {
            assert_eq!(fields, ["monthly_premium_yen"], "{yen}");
        }
    }
}

#[test]
fn safety_net_premium_bounds_and_steps() {
    // REFERENCE §10 #2: 5,000 ≤ x ≤ 200,000, x mod 5,000 = 0.
    for (yen, ok) in [
        (4_500, false),
        (5_000, true),
        (7_500, false),
        (10_000, true),
        (200_000, true),
        (205_000, false),
    ] {
        let f = EnrollmentFacts {
            monthly_premium: Yen::new(yen),
            ..sn()
        };
        assert_eq!(outcome(f).0 == Decision::Approve, ok, "{yen}");
    }
}

#[test]
fn payment_frequency_only_monthly_for_safety_net() {
    for freq in [
        PaymentFrequency::Monthly,
        PaymentFrequency::SemiAnnual,
        PaymentFrequency::Annual,
    ] {
        assert_eq!(
            outcome(EnrollmentFacts {
                frequency: freq,
                ..se()
            })
            .0,
            Decision::Approve
        );
    }
    let (d, fields) = outcome(EnrollmentFacts {
        frequency: PaymentFrequency::Annual,
        ..sn()
    });
    assert_eq!(
        (d, fields),
        (Decision::Reject, vec!["payment_frequency".to_string()])
    );
}

#[test]
fn small_enterprise_employee_limits_by_industry() {
    // REFERENCE §1.1: 20 for construction, manufacturing, transport, lodging, entertainment, real
    // estate, agriculture; 5 for commerce and services.
    for (industry, limit) in [
        (Industry::Construction, 20),
        (Industry::Manufacturing, 20),
        (Industry::Transport, 20),
        (Industry::Lodging, 20),
        (Industry::Entertainment, 20),
        (Industry::RealEstate, 20),
        (Industry::Agriculture, 20),
        (Industry::Wholesale, 5),
        (Industry::Retail, 5),
        (Industry::Services, 5),
    ] {
        let at = EnrollmentFacts {
            industry,
            employees: limit,
            ..se()
        };
        assert_eq!(outcome(at).0, Decision::Approve, "{industry:?} at {limit}");
        let over = EnrollmentFacts {
            industry,
            employees: limit + 1,
            ..se()
        };
        assert_eq!(
            outcome(over),
            (Decision::Reject, vec!["employees".into()]),
            "{industry:?}"
        );
    }
}

#[test]
fn small_enterprise_limits_by_legal_form() {
    let officer = |legal_form, industry, employees| EnrollmentFacts {
        role: Some(ApplicantRole::CompanyOfficer),
        legal_form,
        industry,
        employees,
        capital: Some(Yen::new(1_000_000)),
        ..se()
    };
    // 士業法人: 5 even in an industry allowing 20; 企業組合/協業組合/農事組合法人: 20 even in commerce.
    assert_eq!(
        outcome(officer(
            LegalForm::ProfessionalCorporation,
            Industry::Other,
            5
        ))
        .0,
        Decision::Approve
    );
    assert_eq!(
        outcome(officer(
            LegalForm::ProfessionalCorporation,
            Industry::Other,
            6
        ))
        .0,
        Decision::Reject
    );
    assert_eq!(
        outcome(officer(LegalForm::EnterpriseUnion, Industry::Retail, 20)).0,
        Decision::Approve
    );
    assert_eq!(
        outcome(officer(LegalForm::CooperativeUnion, Industry::Retail, 21)).0,
        Decision::Reject
    );
    assert_eq!(
        outcome(officer(
            LegalForm::AgriculturalCorporation,
            Industry::Agriculture,
            20
        ))
        .0,
        Decision::Approve
    );
    // Non-profit bodies are excluded; 事業協同組合 is not a 小規模 form.
    assert_eq!(
        outcome(officer(LegalForm::NonProfit, Industry::Services, 1)),
        (Decision::Reject, vec!["legal_form".into()])
    );
    assert_eq!(
        outcome(officer(LegalForm::BusinessCooperative, Industry::Other, 1)).0,
        Decision::Reject
    );
    // No capital limit for 小規模: a large capital does not matter.
    let rich = EnrollmentFacts {
        capital: Some(Yen::new(10_000_000_000)),
        ..officer(LegalForm::Company, Industry::Construction, 20)
    };
    assert_eq!(outcome(rich).0, Decision::Approve);
}

#[test]
fn role_must_match_legal_form() {
    let officer_of_individual = EnrollmentFacts {
        role: Some(ApplicantRole::CompanyOfficer),
        ..se()
    };
    assert_eq!(
        outcome(officer_of_individual),
        (Decision::Reject, vec!["legal_form".into()])
    );
    let proprietor_of_company = EnrollmentFacts {
        legal_form: LegalForm::Company,
        ..se()
    };
    assert_eq!(outcome(proprietor_of_company).0, Decision::Reject);
    let no_role = EnrollmentFacts { role: None, ..se() };
    assert_eq!(outcome(no_role), (Decision::Reject, vec!["role".into()]));
}

#[test]
fn co_managers_go_to_review() {
    let f = EnrollmentFacts {
        role: Some(ApplicantRole::CoManager),
        ..se()
    };
    let a = run(&f, ctx());
    assert_eq!(a.decision(), Decision::Review);
    assert_eq!(a.review_reasons()[0].code, "co_manager_evidence");
}

#[test]
fn a_third_co_manager_of_one_proprietor_is_refused() {
    // REFERENCE §1.1 #6: at most two 共同経営者 per 個人事業主 (rule data).
    let f = EnrollmentFacts {
        role: Some(ApplicantRole::CoManager),
        ..se()
    };
    let second = run(
        &f,
        EnrollmentContext {
            co_managers_of_proprietor: 1,
            ..ctx()
        },
    );
    assert_eq!(second.decision(), Decision::Review);
    let third = run(
        &f,
        EnrollmentContext {
            co_managers_of_proprietor: 2,
            ..ctx()
        },
    );
    assert_eq!(third.decision(), Decision::Reject);
    let failed: Vec<_> = third
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].code, "co_manager_limit");
    assert_eq!(failed[0].field.as_deref(), Some("business_name"));
    assert!(
        failed[0].message.contains("2人まで"),
        "{}",
        failed[0].message
    );
}

#[test]
fn safety_net_capital_or_employees() {
    // REFERENCE §1.2: either limit suffices.
    let case = |industry, capital: i64, employees| EnrollmentFacts {
        industry,
        capital: Some(Yen::new(capital)),
        employees,
        ..sn()
    };
    for (industry, cap, emp) in [
        (Industry::Manufacturing, 300_000_000, 300),
        (Industry::Wholesale, 100_000_000, 100),
        (Industry::Services, 50_000_000, 100),
        (Industry::Retail, 50_000_000, 50),
        (Industry::RubberProducts, 300_000_000, 900),
        (Industry::Software, 300_000_000, 300),
        (Industry::Lodging, 50_000_000, 200),
    ] {
        assert_eq!(
            outcome(case(industry, cap, emp)).0,
            Decision::Approve,
            "{industry:?} at both limits"
        );
        assert_eq!(
            outcome(case(industry, cap + 1, emp)).0,
            Decision::Approve,
            "{industry:?} employees ok"
        );
        assert_eq!(
            outcome(case(industry, cap, emp + 1)).0,
            Decision::Approve,
            "{industry:?} capital ok"
        );
        assert_eq!(
            outcome(case(industry, cap + 1, emp + 1)),
            (Decision::Reject, vec!["employees".into()]),
            "{industry:?} over both"
        );
    }
    // An individual has no capital: only the employee limit counts.
    let individual = EnrollmentFacts {
        legal_form: LegalForm::Individual,
        capital: None,
        industry: Industry::Retail,
        employees: 51,
        ..sn()
    };
    assert_eq!(outcome(individual).0, Decision::Reject);
}

#[test]
fn safety_net_excluded_forms() {
    for form in [
        LegalForm::NonProfit,
        LegalForm::AgriculturalCorporation,
        LegalForm::ProfessionalCorporation,
    ] {
        let f = EnrollmentFacts {
            legal_form: form,
            ..sn()
        };
        assert_eq!(
            outcome(f),
            (Decision::Reject, vec!["legal_form".into()]),
            "{form:?}"
        );
    }
    let coop = EnrollmentFacts {
        legal_form: LegalForm::BusinessCooperative,
        ..sn()
    };
    assert_eq!(outcome(coop).0, Decision::Approve);
}

#[test]
fn safety_net_needs_one_year_of_business() {
    let exactly = EnrollmentFacts {
        business_started_on: date(2025, 11, 26),
        ..sn()
    };
    assert_eq!(outcome(exactly).0, Decision::Approve);
    let short = EnrollmentFacts {
        business_started_on: date(2025, 11, 27),
        ..sn()
    };
    assert_eq!(
        outcome(short),
        (Decision::Reject, vec!["business_started_on".into()])
    );
    // 小規模 has no such rule: a business started yesterday may join.
    let new = EnrollmentFacts {
        business_started_on: date(2026, 11, 25),
        ..se()
    };
    assert_eq!(outcome(new).0, Decision::Approve);
}

#[test]
fn dates_in_the_future_are_refused() {
    let f = EnrollmentFacts {
        business_started_on: date(2026, 11, 27),
        ..se()
    };
    assert_eq!(
        outcome(f),
        (Decision::Reject, vec!["business_started_on".into()])
    );
    let b = EnrollmentFacts {
        birth_date: date(2026, 11, 27),
        ..se()
    };
    assert_eq!(outcome(b), (Decision::Reject, vec!["birth_date".into()]));
    let old = EnrollmentFacts {
        birth_date: date(1900, 1, 1),
        ..se()
    };
    assert_eq!(outcome(old).0, Decision::Reject);
}

#[test]
fn minors_go_to_review() {
    let minor = EnrollmentFacts {
        birth_date: date(2008, 11, 27),
        ..se()
    };
    assert_eq!(outcome(minor).0, Decision::Review);
    let adult = EnrollmentFacts {
        birth_date: date(2008, 11, 26),
        ..se()
    };
    assert_eq!(outcome(adult).0, Decision::Approve);
}

#[test]
fn declarations_are_required() {
    let f = EnrollmentFacts {
        declarations: Declarations {
            truthful: true,
            not_antisocial: false,
            eligible: false,
        },
        ..se()
    };
    let (d, fields) = outcome(f);
    assert_eq!(d, Decision::Reject);
    assert_eq!(
        fields,
        ["declarations.not_antisocial", "declarations.eligible"]
    );
}

#[test]
fn one_contract_per_program_and_duplicates() {
    let a = run(
        &se(),
        EnrollmentContext {
            already_member: true,
            ..ctx()
        },
    );
    assert_eq!(a.decision(), Decision::Reject);
    let b = run(
        &se(),
        EnrollmentContext {
            possible_duplicate: true,
            ..ctx()
        },
    );
    assert_eq!(b.decision(), Decision::Review);
    assert_eq!(b.review_reasons()[0].code, "possible_duplicate");
}

#[test]
fn full_years_counts_birthdays() {
    assert_eq!(full_years(date(2000, 2, 29), date(2026, 2, 28)), 25);
    assert_eq!(full_years(date(2000, 2, 29), date(2026, 3, 1)), 26);
}

#[test]
fn an_account_in_another_name_goes_to_review() {
    let f = EnrollmentFacts {
        account_in_applicants_name: false,
        ..se()
    };
    let a = run(&f, ctx());
    assert_eq!(a.decision(), Decision::Review);
    assert!(
        a.review_reasons()
            .iter()
            .any(|c| c.code == "account_holder")
    );
    assert_eq!(run(&se(), ctx()).decision(), Decision::Approve);
}

/// The step checks are the submit's checks: what `assess` fails for a business fact, the
/// business step fails with the same field and message, and nothing else is needed for it.
#[test]
fn each_part_is_checked_by_the_rules_the_submit_runs() {
    let book = RuleBook::embedded().unwrap();
    let rules = book.in_force(Program::SafetyNet, TODAY).unwrap();
    let too_big = EnrollmentFacts {
        industry: Industry::Retail,
        employees: 120,
        capital: Some(Yen::new(100_000_000)),
        ..sn()
    };
    let failed = |checks: Vec<Check>| -> Vec<(Option<String>, String)> {
        checks
            .into_iter()
            .filter(|c| c.status == CheckStatus::Failed)
            .map(|c| (c.field, c.message))
            .collect()
    };
    let at_step = failed(check_business(&too_big.business(), rules, TODAY));
    assert_eq!(at_step.len(), 1);
    assert_eq!(at_step[0].0.as_deref(), Some("employees"));
    let at_submit = failed(run(&too_big, ctx()).checks);
    assert_eq!(at_submit, at_step);

    let future = EnrollmentFacts {
        business_started_on: date(2030, 1, 1),
        ..sn()
    };
    let at_step = failed(check_business(&future.business(), rules, TODAY));
    assert_eq!(at_step[0].0.as_deref(), Some("business_started_on"));

    // A birth year making the applicant a minor is for staff to look at, at step 1 already.
    let minor = check_applicant(date(2012, 4, 1), rules, TODAY);
    assert_eq!(minor.len(), 1);
    assert_eq!(minor[0].status, CheckStatus::NeedsReview);
    assert_eq!(
        failed(check_applicant(date(2030, 1, 1), rules, TODAY))[0]
            .0
            .as_deref(),
        Some("birth_date")
    );

    let off_step = failed(check_premium(
        Yen::new(7_000),
        PaymentFrequency::Monthly,
        rules,
    ));
    assert_eq!(off_step[0].0.as_deref(), Some("monthly_premium_yen"));
    let semi = failed(check_premium(
        Yen::new(10_000),
        PaymentFrequency::SemiAnnual,
        rules,
    ));
    assert_eq!(semi[0].0.as_deref(), Some("payment_frequency"));
}

#[test]
fn each_program_declares_eligibility_in_its_own_terms() {
    let book = RuleBook::embedded().unwrap();
    let se = eligibility_declaration(book.in_force(Program::SmallEnterprise, TODAY).unwrap());
    let sn = eligibility_declaration(book.in_force(Program::SafetyNet, TODAY).unwrap());
    assert!(se.contains("給与所得者の副業"));
    assert!(!sn.contains("副業"), "{sn}");
    assert!(sn.contains("引き続き1年以上事業を営んでいること"), "{sn}");
}
