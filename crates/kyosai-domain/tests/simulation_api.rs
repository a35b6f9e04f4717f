//! The simulation API contract of issue #3: JSON field names and values, and input validation
//! with field-level codes and Japanese messages.

#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns in integration tests"
)]

use jiff::civil::{Date, date};
use kyosai_domain::calendar::BusinessCalendar;
use kyosai_domain::rules::RuleBook;
use kyosai_domain::simulation::*;
use serde_json::{Value, json};

const TODAY: Date = date(2026, 11, 26);

fn book() -> RuleBook {
    RuleBook::embedded().unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn sorted(k: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = k.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn codes(e: &kyosai_domain::Invalid) -> Vec<(String, &'static str)> {
    e.0.iter().map(|f| (f.field.clone(), f.code)).collect()
}

#[test]
fn benefit_contract() {
    let req: BenefitRequest = serde_json::from_value(json!({
        "reason": "A",
        "history": [{"monthly_premium_yen": 10000, "months": 60}, {"monthly_premium_yen": 20000, "months": 60}],
        "fiscal_year": 2022
    }))
    .unwrap();
    let res =
        serde_json::to_value(small_enterprise_benefit(&req, &book(), TODAY).unwrap()).unwrap();
    assert_eq!(
        keys(&res),
        sorted(&[
            "amount_yen",
            "base_yen",
            "bonus_yen",
            "total_paid_yen",
            "months_paid",
            "tranches",
            "estimate",
            "rule_set"
        ])
    );
    assert_eq!(
        keys(&res["tranches"][0]),
        sorted(&["units", "months_paid", "amount_yen"])
    );
    assert_eq!(
        res["tranches"][0],
        json!({"units": 20, "months_paid": 120, "amount_yen": 1_290_600})
    );
    assert_eq!(
        res["tranches"][1],
        json!({"units": 20, "months_paid": 60, "amount_yen": 621_400})
    );
    assert_eq!(res["base_yen"], json!(1_912_000));
    assert_eq!(res["total_paid_yen"], json!(1_800_000));
    assert_eq!(res["months_paid"], json!(120));
    assert_eq!(res["bonus_yen"], json!(1_912_000 * 504 / 100_000));
    assert_eq!(res["rule_set"], json!("small_enterprise/2016-04-01"));
    assert_eq!(res["estimate"], json!(false));
    for reason in [
        "B",
        "quasi",
        "voluntary_cancellation",
        "cancellation_by_organization",
    ] {
        let req: BenefitRequest = serde_json::from_value(json!({
            "reason": reason, "history": [{"monthly_premium_yen": 10000, "months": 24}]
        }))
        .unwrap();
        assert!(
            small_enterprise_benefit(&req, &book(), TODAY).is_ok(),
            "{reason}"
        );
    }
    assert!(
        serde_json::from_value::<BenefitRequest>(json!({"reason": "C", "history": []})).is_err()
    );
}

#[test]
fn benefit_validation() {
    let req: BenefitRequest = serde_json::from_value(json!({
        "reason": "A",
        "history": [{"monthly_premium_yen": 10250, "months": 0}, {"monthly_premium_yen": 80000, "months": 12}],
        "fiscal_year": 1900
    }))
    .unwrap();
    let err = small_enterprise_benefit(&req, &book(), TODAY).unwrap_err();
    assert_eq!(
        codes(&err),
        vec![
            ("history[0].monthly_premium_yen".into(), "not_a_step"),
            ("history[0].months".into(), "out_of_range"),
            ("history[1].monthly_premium_yen".into(), "out_of_range"),
            ("fiscal_year".into(), "out_of_range"),
        ]
    );
    assert_eq!(err.0[0].message, "掛金月額は500円単位で入力してください。");
    let empty: BenefitRequest =
        serde_json::from_value(json!({"reason": "A", "history": []})).unwrap();
    assert_eq!(
        codes(&small_enterprise_benefit(&empty, &book(), TODAY).unwrap_err()),
        vec![("history".into(), "required")]
    );
}

#[test]
fn payout_options_contract() {
    let req: PayoutOptionsRequest = serde_json::from_value(json!({
        "reason": "A", "age_at_event": 62, "net_amount_yen": 3300000, "death": false
    }))
    .unwrap();
    let res = serde_json::to_value(small_enterprise_payout_options(&req, &book(), TODAY).unwrap())
        .unwrap();
    assert_eq!(
        res,
        json!({
            "lump_sum": true, "instalments": true, "combined": true,
            "instalment_years": [10, 15], "instalment_months": [1, 3, 5, 7, 9, 11],
            "estimate": false, "rule_set": "small_enterprise/2016-04-01"
        })
    );
    let bad: PayoutOptionsRequest = serde_json::from_value(json!({
        "reason": "quasi", "age_at_event": -1, "net_amount_yen": -5
    }))
    .unwrap();
    assert_eq!(
        codes(&small_enterprise_payout_options(&bad, &book(), TODAY).unwrap_err()),
        vec![
            ("age_at_event".into(), "out_of_range"),
            ("net_amount_yen".into(), "out_of_range")
        ]
    );
}

#[test]
fn safety_net_refund_contract() {
    let req: SafetyNetRefundRequest = serde_json::from_value(json!({
        "cancellation": "voluntary", "months_paid": 24, "total_paid_yen": 1200000, "bankruptcy_loans_received_yen": 1000000
    }))
    .unwrap();
    let res = serde_json::to_value(safety_net_cancellation_refund(&req, &book(), TODAY).unwrap())
        .unwrap();
    // (1,200,000 − 100,000) × 85%.
    assert_eq!(
        res,
        json!({"amount_yen": 935000, "rate_percent": 85, "base_yen": 1100000, "estimate": false, "rule_set": "safety_net/2017-11-01"})
    );
    for c in ["deemed", "by_organization"] {
        assert!(
            serde_json::from_value::<SafetyNetRefundRequest>(
                json!({"cancellation": c, "months_paid": 1, "total_paid_yen": 5000})
            )
            .is_ok()
        );
    }
    let bad = SafetyNetRefundRequest {
        cancellation: kyosai_domain::safety_net::Cancellation::Voluntary,
        months_paid: 10,
        total_paid_yen: 10_000,
        bankruptcy_loans_received_yen: 0,
    };
    let err = safety_net_cancellation_refund(&bad, &book(), TODAY).unwrap_err();
    assert_eq!(codes(&err), vec![("total_paid_yen".into(), "inconsistent")]);
}

fn loan_json(request_date: &str) -> Value {
    json!({
        "months_since_joining": 36, "months_paid": 36, "monthly_premium_yen": 100000,
        "total_paid_yen": 3600000, "loss_yen": 20000000, "outstanding_loans_yen": 0,
        "monthly_transactions_yen": 30000000, "bankruptcy_date": "2026-09-15", "request_date": request_date
    })
}

#[test]
fn bankruptcy_loan_contract() {
    let req: BankruptcyLoanRequest = serde_json::from_value(loan_json("2026-11-20")).unwrap();
    let res =
        serde_json::to_value(safety_net_bankruptcy_loan(&req, &book(), TODAY).unwrap()).unwrap();
    assert_eq!(
        res,
        json!({
            "eligible": true, "limit_yen": 20000000, "reasons": [], "repayment_years": 5,
            "grace_months": 6, "premium_reduction_yen": 2000000, "estimate": true,
            "rule_set": "safety_net/2017-11-01"
        })
    );
    let late: BankruptcyLoanRequest = serde_json::from_value(loan_json("2027-03-16")).unwrap();
    let res =
        serde_json::to_value(safety_net_bankruptcy_loan(&late, &book(), TODAY).unwrap()).unwrap();
    assert_eq!(res["eligible"], json!(false));
    assert_eq!(res["limit_yen"], json!(0));
    assert_eq!(res["repayment_years"], Value::Null);
    assert_eq!(res["reasons"][0]["code"], json!("request_window"));
    assert!(
        res["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("6か月以内")
    );
    let early: BankruptcyLoanRequest = serde_json::from_value(loan_json("2026-09-14")).unwrap();
    assert_eq!(
        codes(&safety_net_bankruptcy_loan(&early, &book(), TODAY).unwrap_err()),
        vec![("request_date".into(), "before_bankruptcy")]
    );
    assert!(serde_json::from_value::<BankruptcyLoanRequest>(loan_json("2026/11/20")).is_err());
}

#[test]
fn temporary_loan_contract() {
    let req: TemporaryLoanRequest = serde_json::from_value(json!({
        "months_paid": 24, "total_paid_yen": 1200000, "outstanding_loans_yen": 100000
    }))
    .unwrap();
    let res =
        serde_json::to_value(safety_net_temporary_loan(&req, &book(), TODAY).unwrap()).unwrap();
    // 1,200,000 × 80% × 95% = 912,000 − 100,000 = 812,000 → 800,000.
    assert_eq!(
        res,
        json!({"eligible": true, "limit_yen": 800000, "reasons": [], "estimate": false, "rule_set": "safety_net/2017-11-01"})
    );
    let short = TemporaryLoanRequest {
        months_paid: 11,
        total_paid_yen: 2_200_000,
        outstanding_loans_yen: 0,
        legacy_holder: false,
    };
    let res = safety_net_temporary_loan(&short, &book(), TODAY).unwrap();
    assert!(!res.eligible);
    assert_eq!(res.reasons[0].code, "months_paid");
    let small = TemporaryLoanRequest {
        months_paid: 12,
        total_paid_yen: 60_000,
        outstanding_loans_yen: 0,
        legacy_holder: false,
    };
    let res = safety_net_temporary_loan(&small, &book(), TODAY).unwrap();
    assert_eq!(
        (res.eligible, res.reasons[0].code),
        (false, "below_minimum")
    );
}

#[test]
fn prepayment_contract() {
    let req: PrepaymentDiscountRequest =
        serde_json::from_value(json!({"monthly_premium_yen": 80000, "months_ahead": 11})).unwrap();
    let res = serde_json::to_value(safety_net_prepayment_discount(&req, &book(), TODAY).unwrap())
        .unwrap();
    assert_eq!(
        res,
        json!({"discount_yen": 4752, "estimate": false, "rule_set": "safety_net/2017-11-01"})
    );
    let over = PrepaymentDiscountRequest {
        monthly_premium_yen: 200_000,
        months_ahead: 41,
    };
    assert_eq!(
        codes(&safety_net_prepayment_discount(&over, &book(), TODAY).unwrap_err()),
        vec![("months_ahead".into(), "above_cap")]
    );
    let zero = PrepaymentDiscountRequest {
        monthly_premium_yen: 80_000,
        months_ahead: 0,
    };
    assert_eq!(
        codes(&safety_net_prepayment_discount(&zero, &book(), TODAY).unwrap_err()),
        vec![("months_ahead".into(), "out_of_range")]
    );
}

#[test]
fn debit_date_contract() {
    let cal = BusinessCalendar::new([date(2027, 1, 1), date(2027, 1, 11)]);
    let q = DebitDateQuery {
        program: "safety_net".into(),
        month: "2027-03".into(),
    };
    let res = serde_json::to_value(debit_date(&q, &book(), &cal, TODAY).unwrap()).unwrap();
    assert_eq!(res, json!({"date": "2027-03-29"}), "27th is a Saturday");
    let bad = DebitDateQuery {
        program: "pension".into(),
        month: "2027-3".into(),
    };
    assert_eq!(
        codes(&debit_date(&bad, &book(), &cal, TODAY).unwrap_err()),
        vec![("program".into(), "unknown"), ("month".into(), "format")]
    );
    let far = DebitDateQuery {
        program: "small_enterprise".into(),
        month: "2040-01".into(),
    };
    assert_eq!(
        codes(&debit_date(&far, &book(), &cal, TODAY).unwrap_err()),
        vec![("month".into(), "out_of_range")]
    );
    // Before the first rule-set version (倒産防止: 2011-10, when the caps were raised,
    // REFERENCE §2.1) the date is refused, never answered with today's rules.
    let old = DebitDateQuery {
        program: "safety_net".into(),
        month: "2011-09".into(),
    };
    let err = debit_date(&old, &book(), &cal, TODAY).unwrap_err();
    assert_eq!(codes(&err), vec![("month".into(), "before_rule_sets")]);
    assert!(
        err.0[0].message.contains("2011年10月1日"),
        "{}",
        err.0[0].message
    );
    let first = DebitDateQuery {
        program: "safety_net".into(),
        month: "2011-10".into(),
    };
    assert!(debit_date(&first, &book(), &cal, TODAY).is_ok());
}

#[test]
fn unknown_fields_are_refused() {
    assert!(
        serde_json::from_value::<TemporaryLoanRequest>(json!({
            "months_paid": 24, "total_paid_yen": 1200000, "outstanding_loan_yen": 0
        }))
        .is_err()
    );
}

/// Extensions of the contract: `legacy_holder` (optional, default false) and the
/// `deemed_cancellation` reason.
#[test]
fn contract_extensions() {
    let req: TemporaryLoanRequest = serde_json::from_value(json!({
        "months_paid": 64, "total_paid_yen": 3200000, "outstanding_loans_yen": 0, "legacy_holder": true
    }))
    .unwrap();
    let res = safety_net_temporary_loan(&req, &book(), TODAY).unwrap();
    assert_eq!(res.limit_yen, 3_000_000);

    let req: BenefitRequest = serde_json::from_value(json!({
        "reason": "deemed_cancellation", "history": [{"monthly_premium_yen": 10000, "months": 30}]
    }))
    .unwrap();
    let res = small_enterprise_benefit(&req, &book(), TODAY).unwrap();
    assert_eq!(res.amount_yen, 300_000);
    assert_eq!(res.bonus_yen, 0);
    assert!(!res.estimate);
}
