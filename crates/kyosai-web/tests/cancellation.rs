//! Black-box tests of the 任意解約 (issue #10 procedure 5) over HTTP, on every backend
//! available: `GET /api/v1/contracts/{number}/cancellation-quote` and `POST …/cancellation`
//! (figures, bad input, someone else's contract, `quote_changed`, Idempotency-Key, a double
//! submit), the portal pages (quote, confirmation checkbox, done, the contract page afterwards,
//! staff acting for a member) and the staff page recording a みなし解約.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use kyosai_zengin::debit::ResultCode;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, count, on};

/// A contract in `program` made on 2 November 2026 for `member`; `kana` tells people apart.
async fn enroll(site: &Site, member: &Actor, program: &str, kana: &str) -> String {
    let mut form = sample_form(program);
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
    let app = on(&site.app, "2026-11-02T01:00:00Z");
    let mut m: kyosai_domain::YearMonth = "2026-11".parse().unwrap();
    let last: kyosai_domain::YearMonth = "2027-10".parse().unwrap();
    while m <= last {
        let out = std::env::temp_dir().join(format!(
            "kyosai-web-cancel-{}-{m}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond()
        ));
        std::fs::create_dir_all(&out).unwrap();
        let runs = app
            .billing_run(m, None, &out, &RunOptions::default(), &|_| {})
            .await
            .unwrap();
        for f in runs.iter().flat_map(|r| r.files.iter()) {
            let bytes = std::fs::read(&f.path).unwrap();
            let result =
                simulate_bank(&bytes, 0.0, &[(ResultCode::InsufficientFunds, 1.0)], 1).unwrap();
            app.import_result_file(&format!("{}.result", f.name), &result, "test")
                .await
                .unwrap();
        }
        m = m.plus(1);
    }
}

async fn api(
    site: &Site,
    token: &str,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> (StatusCode, Value, bool) {
    let c = reqwest::Client::new();
    let url = format!("{}{path}", site.base);
    let mut r = match &body {
        Some(b) => c.post(url).json(b),
        None => c.get(url),
    }
    .bearer_auth(token);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.unwrap();
    let replayed = resp.headers().contains_key("idempotent-replayed");
    (
        resp.status(),
        resp.json().await.unwrap_or(Value::Null),
        replayed,
    )
}

#[tokio::test]
async fn the_api_quotes_and_cancels_at_the_quoted_amount() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        // Wednesday 24 November 2027 (the 23rd is a holiday).
        let site =
            support::spawn(store, Clock::Fixed("2027-11-24T01:00:00Z".parse().unwrap())).await;
        let (_, a) = site.login(Role::Member, "a@example.jp").await;
        let (_, b) = site.login(Role::Member, "b@example.jp").await;
        let number = enroll(&site, &a, "safety_net", "ヤマダ").await;
        twelve_months_collected(&site).await;
        let token_a = site.app.issue_token(a.user_id, "test", None).await.unwrap();
        let token_b = site.app.issue_token(b.user_id, "test", None).await.unwrap();
        let quote = format!("/api/v1/contracts/{number}/cancellation-quote");
        let cancel = format!("/api/v1/contracts/{number}/cancellation");

        let (s, v, _) = api(&site, &token_b, &quote, None, None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        // 倒産防止 §5.3: 12 months of 50,000 → 80% of 600,000, paid 7 business days later.
        let (s, v, _) = api(&site, &token_a, &quote, None, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "estimate",
                "loans_deducted_yen",
                "months_paid",
                "notices",
                "payment_date",
                "prepayment_discount_yen",
                "refund_yen",
                "total_paid_yen"
            ]
        );
        assert_eq!(
            (
                &v["refund_yen"],
                &v["months_paid"],
                &v["total_paid_yen"],
                &v["loans_deducted_yen"],
                &v["prepayment_discount_yen"],
                &v["estimate"],
                &v["payment_date"]
            ),
            (
                &json!(480_000),
                &json!(12),
                &json!(600_000),
                &json!(0),
                &json!(0),
                &json!(false),
                &json!("2027-12-03")
            )
        );
        assert!(
            v["notices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n.as_str().unwrap().contains("租税特別措置法第66条の11")),
            "{v}"
        );

        // Bad input and someone else's contract: nothing stored.
        for body in [
            json!({}),
            json!({"refund_yen": "abc"}),
            json!({"refund_yen": [1]}),
        ] {
            let (s, v, _) = api(&site, &token_a, &cancel, Some(body), None).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["code"], "invalid_input");
            assert_eq!(v["fields"][0]["field"], "refund_yen");
        }
        let (s, _, _) = api(
            &site,
            &token_b,
            &cancel,
            Some(json!({"refund_yen": 480_000})),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v, _) = api(
            &site,
            &token_a,
            &cancel,
            Some(json!({"refund_yen": 475_000})),
            None,
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("quote_changed"))
        );
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'cancellation'"
            )
            .await,
            0
        );

        // The quoted amount: 201, completed; a retry with the key replays; without it, 409.
        let body = json!({"refund_yen": 480_000});
        let (s, v, replayed) = api(&site, &token_a, &cancel, Some(body.clone()), Some("k-1")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert!(!replayed);
        assert_eq!(v["status"], "completed");
        assert_eq!(v["refund_yen"], 480_000);
        assert_eq!(v["contract_status"], "cancelled");
        assert_eq!(v["payment_date"], "2027-12-03");
        let id = v["application_id"].clone();
        let (s, v, replayed) = api(&site, &token_a, &cancel, Some(body.clone()), Some("k-1")).await;
        assert_eq!(
            (s, replayed, &v["application_id"]),
            (StatusCode::CREATED, true, &id)
        );
        let (s, v, _) = api(&site, &token_a, &cancel, Some(body), None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("contract_not_active"))
        );
        let (s, v, _) = api(&site, &token_a, &quote, None, None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("contract_not_active"))
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM cancellation_refunds WHERE kind = 'voluntary' AND status = 'payable' AND total_yen = 480000").await,
            1
        );

        // Both operations are in the OpenAPI document.
        let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", site.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["paths"]["/api/v1/contracts/{number}/cancellation-quote"]["get"].is_object());
        assert!(doc["paths"]["/api/v1/contracts/{number}/cancellation"]["post"].is_object());
    }
}

#[tokio::test]
async fn the_member_cancels_through_the_pages_and_staff_record_a_deemed_cancellation() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-11-24T01:00:00Z".parse().unwrap())).await;
        let (a, member_a) = site.login(Role::Member, "a@example.jp").await;
        let (b, member_b) = site.login(Role::Member, "b@example.jp").await;
        let (staff, _) = site.login(Role::Staff, "staff@kyosai.jp").await;
        let number = enroll(&site, &member_a, "small_enterprise", "ヤマダ").await;
        let other = enroll(&site, &member_b, "safety_net", "スズキ").await;
        twelve_months_collected(&site).await;
        let billing = format!("/portal/contracts/{number}/billing");
        let page = format!("/portal/contracts/{number}/cancel");

        // The contract page offers 「解約する」; the quote page shows the figures by the rules:
        // 小規模 §3.4, 12 months of 30,000 → 80% of 360,000.
        let (_, body) = site.get(&a, &billing).await;
        assert!(body.contains(&format!("href=\"{page}\"")), "{body}");
        let (s, body) = site.get(&a, &page).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        for text in [
            "288,000円",
            "360,000円",
            "12か月",
            "一時所得",
            "name=\"confirm\"",
        ] {
            assert!(body.contains(text), "{text}: {body}");
        }
        assert!(
            body.contains("name=\"refund_yen\" value=\"288000\""),
            "{body}"
        );
        // Someone else: the 404 page.
        let (s, _) = site.get(&b, &page).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Without the checkbox: a field error, nothing stored.
        let (s, _, body) = site.post(&a, &page, &[("refund_yen", "288000")]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("チェックを入れてください"), "{body}");
        // A stale amount: the new quote is shown again with the reason.
        let (s, _, body) = site
            .post(&a, &page, &[("refund_yen", "250000"), ("confirm", "on")])
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(body.contains("お支払い予定額が変わりました"), "{body}");
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'cancellation'"
            )
            .await,
            0
        );
        // Confirmed: done, and the contract page shows the refund as decided and payable.
        let (s, _, body) = site
            .post(&a, &page, &[("refund_yen", "288000"), ("confirm", "on")])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("解約のお手続きが完了しました"), "{body}");
        assert!(body.contains("288,000円"), "{body}");
        let (_, body) = site.get(&a, &billing).await;
        for text in ["決定済み・支払予定", "288,000円", "任意解約"] {
            assert!(body.contains(text), "{text}: {body}");
        }
        assert!(!body.contains(&format!("href=\"{page}\"")), "{body}");
        let (s, _) = site.get(&a, &page).await;
        assert_eq!(s, StatusCode::CONFLICT);

        // Staff record the 倒産防止 contract's deemed cancellation: rates shown, note required.
        let deemed = format!("/staff/contracts/{other}/deemed-cancellation");
        let (s, _) = site.get(&b, &deemed).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, body) = site.get(&staff, &deemed).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("納付12〜23か月：85%"), "{body}");
        assert!(body.contains("value=\"dissolution\""), "{body}");
        assert!(!body.contains("value=\"incorporation_officer\""), "{body}");
        let (s, _, body) = site
            .post(&staff, &deemed, &[("reason", "dissolution"), ("note", "")])
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body.contains("記録の理由（確認した書類・事実の日付など）を入力してください"),
            "{body}"
        );
        let (s, _, body) = site
            .post(
                &staff,
                &deemed,
                &[("reason", "dissolution"), ("note", "解散登記を確認")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        // 倒産防止 みなし解約 column: 12 months → 85% of 600,000.
        assert!(body.contains("みなし解約を記録しました"), "{body}");
        assert!(body.contains("510,000円"), "{body}");
        let (_, body) = site
            .get(&b, &format!("/portal/contracts/{other}/billing"))
            .await;
        assert!(body.contains("みなし解約"), "{body}");
        assert!(body.contains("510,000円"), "{body}");
    }
}

#[tokio::test]
async fn staff_acting_for_a_member_cancel_on_paper() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2026-11-20T01:00:00Z".parse().unwrap())).await;
        let (_, member) = site.login(Role::Member, "a@example.jp").await;
        let (staff, _) = site.login(Role::Staff, "staff@kyosai.jp").await;
        let number = enroll(&site, &member, "small_enterprise", "ヤマダ").await;
        let page = format!("/portal/contracts/{number}/cancel");
        // Nothing collected yet: nothing is refunded, and the page says why.
        let (s, body) = site.get(&staff, &page).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("12か月未満のため、解約手当金はありません"),
            "{body}"
        );
        let (s, _, body) = site
            .post(&staff, &page, &[("refund_yen", "0"), ("confirm", "on")])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'cancellation' AND channel = 'paper'").await,
            1
        );
    }
}
