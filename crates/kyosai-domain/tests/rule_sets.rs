//! Rule sets as data: an operator's override changes results from its date without a rebuild,
//! past versions stay usable, and an invalid file is refused with every problem named.

use jiff::civil::date;
use kyosai_domain::program::Program;
use kyosai_domain::rules::{RuleBook, RuleSet};
use kyosai_domain::simulation::*;

const SE: &str = include_str!("../../../rules/small_enterprise/2016-04-01.toml");
const SN: &str = include_str!("../../../rules/safety_net/2017-11-01.toml");

fn a_60_months() -> BenefitRequest {
    BenefitRequest {
        reason: BenefitReason::A,
        history: vec![HistoryEntry {
            monthly_premium_yen: 10_000,
            months: 60,
        }],
        fiscal_year: None,
    }
}

#[test]
fn an_override_changes_a_result_from_its_date_only() {
    let mut book = RuleBook::embedded().unwrap();
    // The official table arrives: 60 months is worth 31,100 per unit from 2027-04-01.
    let text = SE
        .replace("small_enterprise/2016-04-01", "small_enterprise/2027-04-01")
        .replace(
            "effective_from = \"2016-04-01\"",
            "effective_from = \"2027-04-01\"",
        )
        .replace(
            "{ months = 60, yen = 31070, published = true }",
            "{ months = 60, yen = 31100, published = true }",
        );
    book.add(RuleSet::from_toml(&text).unwrap()).unwrap();
    let before = small_enterprise_benefit(&a_60_months(), &book, date(2027, 3, 31)).unwrap();
    let after = small_enterprise_benefit(&a_60_months(), &book, date(2027, 4, 1)).unwrap();
    assert_eq!(
        (before.amount_yen, before.rule_set.as_str()),
        (621_400, "small_enterprise/2016-04-01")
    );
    assert_eq!(
        (after.amount_yen, after.rule_set.as_str()),
        (622_000, "small_enterprise/2027-04-01")
    );
    // The old version stays: a computation can be redone as of its date and by id.
    assert!(book.by_id("small_enterprise/2016-04-01").is_some());
}

#[test]
fn a_new_bonus_year_and_refund_rate_take_effect() {
    let mut book = RuleBook::embedded().unwrap();
    let text = SE
        .replace("small_enterprise/2016-04-01", "small_enterprise/2026-04-01")
        .replace("effective_from = \"2016-04-01\"", "effective_from = \"2026-04-01\"")
        .replace(
            "{ fiscal_year = 2022, rate = \"0.504%\" },",
            "{ fiscal_year = 2022, rate = \"0.504%\" },\n  { fiscal_year = 2026, rate = \"0.5%\" },",
        );
    book.add(RuleSet::from_toml(&text).unwrap()).unwrap();
    let mut req = a_60_months();
    req.fiscal_year = Some(2026);
    let r = small_enterprise_benefit(&req, &book, date(2026, 11, 26)).unwrap();
    assert_eq!(r.bonus_yen, 621_400 * 5 / 1000);
    assert!(!r.estimate);

    let sn = SN
        .replace("safety_net/2017-11-01", "safety_net/2027-01-01")
        .replace(
            "effective_from = \"2017-11-01\"",
            "effective_from = \"2027-01-01\"",
        )
        .replace(
            "{ from = 40, rate = \"95%\" }",
            "{ from = 40, rate = \"97%\" }",
        );
    book.add(RuleSet::from_toml(&sn).unwrap()).unwrap();
    let req = SafetyNetRefundRequest {
        cancellation: kyosai_domain::safety_net::Cancellation::ByOrganization,
        months_paid: 40,
        total_paid_yen: 2_000_000,
        bankruptcy_loans_received_yen: 0,
    };
    assert_eq!(
        safety_net_cancellation_refund(&req, &book, date(2026, 12, 31))
            .unwrap()
            .amount_yen,
        1_900_000
    );
    assert_eq!(
        safety_net_cancellation_refund(&req, &book, date(2027, 1, 1))
            .unwrap()
            .amount_yen,
        1_940_000
    );
}

#[test]
fn invalid_override_names_each_problem() {
    let text = SN
        // a gap in the voluntary table
        .replace("{ from = 24, to = 29, rate = \"85%\" },", "{ from = 25, to = 29, rate = \"85%\" },")
        // a rate that falls
        .replace("{ from = 40, rate = \"95%\" }", "{ from = 40, rate = \"50%\" }")
        // a missing source
        .replace(
            "premium_multiple = { value = 10, source = \"[SMRJ] http://www.smrj.go.jp/tkyosai/050950.html (REFERENCE §5.1)\" }",
            "premium_multiple = { value = 10, source = \"\" }",
        );
    let err = RuleSet::from_toml(&text).unwrap_err();
    let all = err.problems.join("\n");
    assert!(err.problems.len() >= 3, "{all}");
    assert!(all.contains("safety_net.cancellation.voluntary: gap or overlap between band 2 (to 23 months) and band 3 (from 25 months)"), "{all}");
    assert!(
        all.contains(
            "safety_net.cancellation.by_organization: rate falls from 90% to 50% at 40 months"
        ),
        "{all}"
    );
    assert!(
        all.contains("safety_net.bankruptcy_loan.premium_multiple: source is required"),
        "{all}"
    );
}

#[test]
fn syntax_errors_and_unknown_keys_point_at_the_line() {
    let typo = SN.replacen("share_of_refund", "share_of_refnud", 1);
    let err = RuleSet::from_toml(&typo).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert!(err.problems[0].starts_with("line "), "{err}");
    assert!(err.problems[0].contains("share_of_refnud"), "{err}");
    let bad_rate = SN.replacen("\"95%\"", "\"ninety-five\"", 1);
    let err = RuleSet::from_toml(&bad_rate).unwrap_err();
    assert!(err.problems[0].contains("invalid rate"), "{err}");
}

#[test]
fn a_rule_set_must_carry_its_programs_calculator_section() {
    let cut = SN.find("# ----").unwrap();
    let err = RuleSet::from_toml(&SN[..cut]).unwrap_err();
    assert!(
        err.problems
            .iter()
            .any(|p| p.contains("[safety_net] section")),
        "{err}"
    );
}

#[test]
fn per_unit_tables_that_would_pay_less_for_more_months_are_refused() {
    let text = SE.replace(
        "{ months = 120, yen = 64530, published = true }",
        "{ months = 120, yen = 60000, published = true }",
    );
    let err = RuleSet::from_toml(&text).unwrap_err();
    assert!(
        err.problems.iter().any(|p| p.contains(
            "per_unit_a: the multiplier of premiums paid falls between 60 and 120 months"
        )),
        "{err}"
    );
}

#[test]
fn provisional_flags_are_reported() {
    let book = RuleBook::embedded().unwrap();
    let se = book
        .in_force(Program::SmallEnterprise, date(2026, 1, 1))
        .unwrap();
    assert!(se.has_provisional());
    // Official values loaded: the flags go, and so does `estimate`.
    let official = SE
        .replace("small_enterprise/2016-04-01", "small_enterprise/2030-04-01")
        .replace(
            "effective_from = \"2016-04-01\"",
            "effective_from = \"2030-04-01\"",
        )
        .replace(
            "provisional = true\nvalue.rounding",
            "provisional = false\nvalue.rounding",
        );
    let mut book = book;
    book.add(RuleSet::from_toml(&official).unwrap()).unwrap();
    let mut req = a_60_months();
    req.history[0].months = 61;
    assert!(
        small_enterprise_benefit(&req, &book, date(2030, 3, 31))
            .unwrap()
            .estimate
    );
    assert!(
        !small_enterprise_benefit(&req, &book, date(2030, 4, 1))
            .unwrap()
            .estimate
    );
}
