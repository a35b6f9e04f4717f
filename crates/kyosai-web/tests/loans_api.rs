//! Black-box tests of the loan reads over HTTP on every backend available (issue #12):
//! `GET /api/v1/contracts/{number}/loan-limits` gives what the public simulations give for the
//! contract's own figures, before and after a loan; `GET …/loans` shows each loan with its
//! schedule, balance and status; someone else's contract is not found.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, count, on};

async fn enroll(site: &Site, member: &Actor, kana: &str) -> String {
    let mut form = sample_form("safety_net");
    form.family_name_kana = Some(kana.into());
    form.account_holder_kana = Some(format!("{kana} タロウ"));
    on(&site.app, "2026-11-02T01:00:00Z")
        .submit_enrollment(member, member.user_id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number
}

/// Bills November 2026 – October 2027 and collects every debit (12 months paid).
async fn twelve_months_collected(site: &Site) {
    support::months_collected(site, "2026-11-02T01:00:00Z", "2026-11", "2027-10").await;
}

async fn api(
    site: &Site,
    token: Option<&str>,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let c = reqwest::Client::new();
    let url = format!("{}{path}", site.base);
    let mut r = match &body {
        Some(b) => c.post(url).json(b),
        None => c.get(url),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

/// The simulations' answers for 12 months and 600,000 yen paid, `outstanding` owed.
async fn simulated(site: &Site, outstanding: i64) -> (i64, i64) {
    let (s, t) = api(
        site,
        None,
        "/api/v1/simulations/safety-net/temporary-loan",
        Some(json!({"months_paid": 12, "total_paid_yen": 600_000, "outstanding_loans_yen": outstanding})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let (s, b) = api(
        site,
        None,
        "/api/v1/simulations/safety-net/bankruptcy-loan",
        Some(json!({
            "months_since_joining": 12, "months_paid": 12, "monthly_premium_yen": 50_000,
            "total_paid_yen": 600_000, "loss_yen": 80_000_000, "outstanding_loans_yen": outstanding,
            "monthly_transactions_yen": 0, "bankruptcy_date": "2027-11-24", "request_date": "2027-11-24"
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    (
        t["limit_yen"].as_i64().unwrap(),
        b["limit_yen"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn loan_limits_equal_the_simulations_and_loans_show_their_schedule() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-11-24T01:00:00Z".parse().unwrap())).await;
        let (member_a, a) = site.login(Role::Member, "a@example.jp").await;
        let (_, b) = site.login(Role::Member, "b@example.jp").await;
        let number = enroll(&site, &a, "ヤマダ").await;
        twelve_months_collected(&site).await;
        let token_a = site.app.issue_token(a.user_id, "test", None).await.unwrap();
        let token_b = site.app.issue_token(b.user_id, "test", None).await.unwrap();
        let limits = format!("/api/v1/contracts/{number}/loan-limits");
        let list = format!("/api/v1/contracts/{number}/loans");

        for path in [&limits, &list] {
            let (s, v) = api(&site, Some(&token_b), path, None).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found"))
            );
            let (s, _) = api(&site, None, path, None).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }

        // 12 months of 50,000: 600,000 × 75% (機構解約) × 95% = 427,500 → 400,000; 10× = 6,000,000.
        let (s, v) = api(&site, Some(&token_a), &limits, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (temporary, bankruptcy) = simulated(&site, 0).await;
        assert_eq!((temporary, bankruptcy), (400_000, 6_000_000));
        assert_eq!(
            v,
            json!({
                "temporary_loan_limit_yen": temporary,
                "bankruptcy_loan_multiple_limit_yen": bankruptcy,
                "outstanding_yen": 0,
                "member_loan_limit_yen": null,
                "as_of": "2027-11-24",
            })
        );
        let (s, v) = api(&site, Some(&token_a), &list, None).await;
        assert_eq!((s, v), (StatusCode::OK, json!([])));

        // Bad requests: field errors, nothing stored.
        let request = format!("/api/v1/contracts/{number}/temporary-loans");
        for (body, code) in [
            (json!({}), "amount_yen"),
            (json!({"amount_yen": 250_000}), "amount_yen"),
            (json!({"amount_yen": 320_000}), "amount_yen"),
            (json!({"amount_yen": 450_000}), "amount_yen"),
        ] {
            let (s, v) = api(&site, Some(&token_a), &request, Some(body.clone())).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} {v}");
            assert_eq!(v["code"], "invalid_input");
            assert_eq!(v["fields"][0]["field"], code, "{v}");
        }
        let (s, _) = api(
            &site,
            Some(&token_b),
            &request,
            Some(json!({"amount_yen": 300_000})),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(
            count(&site, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loans").await,
            0
        );
        assert_eq!(
            count(&site, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM payouts").await,
            0
        );
        assert_eq!(
            count(&site, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM applications WHERE procedure = 'temporary_loan'").await,
            0
        );

        // 300,000 within the 400,000 limit: decided at once, sent 5 business days later
        // (Wednesday 1 December 2027), repaid a year later with 0.9% over 366 days (29 February
        // 2028): 300,000 × 0.9% × 366/365 = 2,707.
        let (s, v) = api(
            &site,
            Some(&token_a),
            &request,
            Some(json!({"amount_yen": "300,000"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            v,
            json!({
                "application_id": v["application_id"],
                "status": "completed",
                "amount_yen": 300_000,
                "disbursement_date": "2027-12-01",
                "maturity_date": "2028-12-01",
                "repayment_yen": 302_707,
            })
        );
        assert_eq!(
            count(&site, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM payouts WHERE kind = 'loan_disbursement' AND amount = 300000 AND due_date = '2027-12-01'").await,
            1
        );
        assert_eq!(
            count(&site, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE payload LIKE '%一時貸付金の貸付けが決定しました%' AND payload LIKE '%302,707%'").await,
            1
        );

        let (s, v) = api(&site, Some(&token_a), &limits, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (temporary, bankruptcy) = simulated(&site, 300_000).await;
        // 427,500 − 300,000 is under the 300,000 minimum: no second 一時貸付金.
        assert_eq!((temporary, bankruptcy), (0, 6_000_000));
        assert_eq!(v["temporary_loan_limit_yen"], json!(temporary));
        assert_eq!(v["bankruptcy_loan_multiple_limit_yen"], json!(bankruptcy));
        assert_eq!(v["outstanding_yen"], json!(300_000));

        let (s, v) = api(&site, Some(&token_a), &list, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v,
            json!([{
                "id": v[0]["id"],
                "kind": "temporary",
                "kind_ja": "一時貸付金",
                "amount_yen": 300_000,
                "disbursement_date": "2027-12-01",
                "maturity_date": "2028-12-01",
                "premium_reduction_yen": 0,
                "schedule": [{"seq": 1, "due_date": "2028-12-01", "principal_yen": 300_000, "interest_yen": 2_707, "paid_on": null}],
                "balance": {"principal_yen": 300_000, "interest_due_yen": 0, "late_charge_yen": 0, "total_yen": 300_000, "overdue_instalments": 0},
                "status": "in_grace",
                "status_ja": "据置期間中",
                "early_repayment_month": null,
                "debits": [],
            }])
        );

        // 繰上返済: December's run (the first whose debit date is after the transfer) debits
        // the principal and the interest for the 26 days borrowed (0.9%, floor).
        let id = v[0]["id"].as_i64().unwrap();
        let early = format!("/api/v1/contracts/{number}/loans/{id}/early-repayment");
        let (s, _) = api(&site, Some(&token_b), &early, Some(json!({}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "someone else's contract");
        let (s, v) = api(
            &site,
            Some(&token_a),
            &format!(
                "/api/v1/contracts/{number}/loans/{}/early-repayment",
                id + 1
            ),
            Some(json!({})),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["field"], "loan_id", "{v}");
        let (s, v) = api(&site, Some(&token_a), &early, Some(json!({}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["month"], "2027-12");
        assert_eq!(v["debit_date"], "2027-12-27");
        assert_eq!(v["principal_yen"], 300_000);
        assert_eq!(v["interest_yen"], 300_000 * 9 * 26 / (1000 * 365));
        assert_eq!(v["late_charge_yen"], 0);
        assert_eq!(v["amount_yen"], 300_000 + 300_000 * 9 * 26 / (1000 * 365));
        let (s, v) = api(&site, Some(&token_a), &early, Some(json!({}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "asked twice: {v}");
        let (_, v) = api(&site, Some(&token_a), &list, None).await;
        assert_eq!(v[0]["early_repayment_month"], "2027-12");

        // The member's loans page and the staff loan book.
        let (s, body) = site
            .get(&member_a, &format!("/portal/contracts/{number}/loans"))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("一時貸付金") && body.contains("2027年12月分"),
            "{body}"
        );
        assert!(body.contains("300,000円"), "{body}");
        let (s, _) = site.get(&member_a, "/staff/loans").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (staff_client, _) = site.login(Role::Staff, "s@example.jp").await;
        let (s, body) = site.get(&staff_client, "/staff/loans").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains(&number), "{body}");
        assert_eq!(body.matches(">一致<").count(), 2, "{body}");
        assert!(!body.contains("不一致"), "{body}");
        let (s, body) = site.get(&staff_client, &format!("/staff/loans/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("返済予定表（1回）"), "{body}");
    }
}
