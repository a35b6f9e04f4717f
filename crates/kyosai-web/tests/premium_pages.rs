//! Black-box tests of the premium change (issue #10) over HTTP, on every backend available: the
//! portal form → confirmation with the next debits → done, field errors storing nothing, staff
//! filing for a member, and `POST /api/v1/contracts/{number}/premium-changes` (201, 202, 200
//! unchanged, 422, 404, 409, Idempotency-Key) with its quote.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, count};

/// 2 November 2026, before November's cut-offs.
async fn spawn(store: kyosai_store::Store) -> Site {
    support::spawn(store, Clock::Fixed("2026-11-02T01:00:00Z".parse().unwrap())).await
}

async fn enroll(site: &Site, member: &Actor, program: &str, kana: &str) -> String {
    let mut form = sample_form(program);
    form.family_name_kana = Some(kana.into());
    form.account_holder_kana = Some(format!("{kana} タロウ"));
    site.app
        .submit_enrollment(member, member.user_id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number
}

const CHANGES: &str = "SELECT COUNT(*) AS n FROM premium_changes";

#[tokio::test]
async fn member_changes_the_premium_through_the_pages() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (c, member) = site.login(Role::Member, "a@example.jp").await;
        let number = enroll(&site, &member, "small_enterprise", "ヤマダ").await;
        let (s, body) = site.get(&c, "/portal").await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains(&format!("/portal/contracts/{number}/premium")));
        assert!(body.contains("掛金月額を変更する"));
        let path = format!("/portal/contracts/{number}/premium");
        let (s, body) = site.get(&c, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("30,000円"), "{body}");
        assert!(
            body.contains("1,000円から70,000円まで、500円単位"),
            "{body}"
        );
        // Bad amounts: field messages, nothing stored.
        for bad in ["30250", "😀", ""] {
            let (s, _, body) = site
                .post(
                    &c,
                    &path,
                    &[("monthly_premium_yen", bad), ("action", "confirm")],
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert!(body.contains("aria-invalid=\"true\""), "{body}");
        }
        let (s, _, body) = site
            .post(
                &c,
                &path,
                &[("monthly_premium_yen", "４５０００"), ("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("45,000円"));
        assert!(body.contains("2026年11月分から"), "{body}");
        assert!(body.contains("今後の引落しの予定"));
        assert_eq!(
            count(&site, CHANGES).await,
            0,
            "a confirmation stores nothing"
        );
        let (s, _, body) = site
            .post(
                &c,
                &path,
                &[("monthly_premium_yen", "45000"), ("action", "submit")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("掛金月額の変更が完了しました"), "{body}");
        assert_eq!(count(&site, CHANGES).await, 1);
        // Someone else's contract is not found.
        let (c2, _) = site.login(Role::Member, "b@example.jp").await;
        let (s, _) = site.get(&c2, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Staff file a paper form for the member from the contract view.
        let (cs, _) = site.login(Role::Staff, "staff@kyosai.jp").await;
        let (s, body) = site
            .get(&cs, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains(&path));
        let (s, _, body) = site
            .post(
                &cs,
                &path,
                &[("monthly_premium_yen", "20000"), ("action", "submit")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'premium_change' AND channel = 'paper'"
            )
            .await,
            1
        );
    }
}

async fn post_api(
    site: &Site,
    token: &str,
    path: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut r = reqwest::Client::new()
        .post(format!("{}{path}", site.base))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_api_changes_the_premium_exactly_as_documented() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (_, a) = site.login(Role::Member, "a@example.jp").await;
        let (_, b) = site.login(Role::Member, "b@example.jp").await;
        let number = enroll(&site, &a, "safety_net", "ヤマダ").await;
        let ta = site.app.issue_token(a.user_id, "test", None).await.unwrap();
        let tb = site.app.issue_token(b.user_id, "test", None).await.unwrap();
        let path = format!("/api/v1/contracts/{number}/premium-changes");
        let (s, v) = post_api(
            &site,
            &tb,
            &path,
            None,
            json!({"monthly_premium_yen": 60000}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        for (body, field) in [
            (json!({"monthly_premium_yen": 62500}), "monthly_premium_yen"),
            (json!({"monthly_premium_yen": "abc"}), "monthly_premium_yen"),
            (json!({"monthly_premium_yen": 20000}), "decrease_reason"),
            (
                json!({"monthly_premium_yen": 20000, "decrease_reason": "loan_cap_reached"}),
                "decrease_reason",
            ),
            (
                json!({"monthly_premium_yen": 60000, "decrease_reason": "hardship"}),
                "decrease_reason",
            ),
        ] {
            let (s, v) = post_api(&site, &ta, &path, None, body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} {v}");
            assert_eq!(v["code"], "invalid_input");
            assert_eq!(v["fields"][0]["field"], field, "{v}");
        }
        assert_eq!(count(&site, CHANGES).await, 0);
        let (s, q) = reqwest::Client::new()
            .get(format!(
                "{}{path}/quote?monthly_premium_yen=60000",
                site.base
            ))
            .bearer_auth(&ta)
            .send()
            .await
            .map(|r| (r.status(), r))
            .unwrap();
        assert_eq!(s, StatusCode::OK);
        let q: Value = q.json().await.unwrap();
        assert_eq!(q["effective_month"], "2026-11");
        assert_eq!(q["first_debit_amount_yen"], 60000);
        assert!(q["next_debits"].as_array().unwrap().len() >= 3);
        let body = json!({"monthly_premium_yen": "60000"});
        let (s, v) = post_api(&site, &ta, &path, Some("k-1"), body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "completed");
        assert_eq!(v["effective_month"], "2026-11");
        assert_eq!(v["monthly_premium_yen"], 60000);
        assert_eq!(v["first_debit_date"], "2026-11-27");
        assert_eq!(v["first_debit_amount_yen"], 60000);
        let id = v["application_id"].clone();
        let (s, v) = post_api(&site, &ta, &path, Some("k-1"), body).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(v["application_id"], id, "the first answer replayed");
        assert_eq!(count(&site, CHANGES).await, 1);
        let (s, v) = post_api(
            &site,
            &ta,
            &path,
            None,
            json!({"monthly_premium_yen": 60000}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "unchanged");
        let (s, v) = post_api(
            &site,
            &ta,
            &path,
            None,
            json!({"monthly_premium_yen": 30000, "decrease_reason": "business_shrunk"}),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["status"], "in_review");
        assert!(
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["status"] == "needs_review")
        );
        let (s, v) = post_api(
            &site,
            &ta,
            &path,
            None,
            json!({"monthly_premium_yen": 70000}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "procedure_pending");
        let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", site.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["paths"]["/api/v1/contracts/{number}/premium-changes"]["post"].is_object());
        assert!(
            doc["paths"]["/api/v1/contracts/{number}/premium-changes/quote"]["get"].is_object()
        );
    }
}
