//! The payment procedures of issue #10 over the API, on every backend available:
//! `POST /api/v1/contracts/{number}/frequency-change`, `/prepayments`, `/suspension` and
//! `/resumption` — their 201/202 answers, field errors (nothing stored), 404 for other members,
//! 409 `procedure_pending` / `contract_not_active`-style conflicts, idempotent retries, and
//! their OpenAPI documentation.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::Site;

/// 2 November 2026, 10:00 in Japan: before the 5th and the 20th.
async fn spawn(store: kyosai_store::Store) -> Site {
    support::spawn(store, Clock::Fixed("2026-11-02T01:00:00Z".parse().unwrap())).await
}

trait PaymentSite {
    async fn member(&self, email: &str) -> (String, Actor);
    async fn contract(&self, member: &Actor, program: &str) -> String;
    async fn post_api(
        &self,
        token: &str,
        path: &str,
        body: Value,
        key: Option<&str>,
    ) -> (StatusCode, Value);
    async fn count(&self, sql: &str) -> i64;
}

impl PaymentSite for Site {
    async fn member(&self, email: &str) -> (String, Actor) {
        let id = self
            .app
            .create_account(Role::Member, email, "", Some("test passphrase 123"))
            .await
            .unwrap();
        let token = self.app.issue_token(id, "test", None).await.unwrap();
        (
            token,
            Actor {
                user_id: id,
                role: Role::Member,
            },
        )
    }

    async fn contract(&self, member: &Actor, program: &str) -> String {
        let mut form = sample_form(program);
        form.birth_date = Some(format!("1970-01-{:02}", member.user_id.get() % 28 + 1));
        self.app
            .submit_enrollment(member, member.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number
    }

    async fn post_api(
        &self,
        token: &str,
        path: &str,
        body: Value,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        let r = r.send().await.unwrap();
        (r.status(), r.json().await.unwrap())
    }

    async fn count(&self, sql: &str) -> i64 {
        let mut c = self.store.read().await.unwrap();
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut *c)
            .await
            .unwrap();
        kyosai_store::Row::try_get(&row, "n").unwrap()
    }
}

fn fields(v: &Value) -> Vec<&str> {
    v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn frequency_change_over_the_api() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (token, m) = site.member("a@example.jp").await;
        let (other, _) = site.member("b@example.jp").await;
        let number = site.contract(&m, "small_enterprise").await;
        let path = format!("/api/v1/contracts/{number}/frequency-change");
        let (s, v) = site
            .post_api(
                &other,
                &path,
                json!({"frequency": "annual", "designated_month": 4}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        for body in [
            json!({}),
            json!({"frequency": "annual"}),
            json!({"frequency": "annual", "designated_month": "13"}),
            json!({"frequency": "annual", "designated_month": "<script>"}),
            json!({"frequency": "monthly"}),
        ] {
            let (s, v) = site.post_api(&token, &path, body.clone(), None).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} {v}");
            assert_eq!(v["code"], "invalid_input");
            assert!(!fields(&v).is_empty());
        }
        assert_eq!(
            site.count(
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'frequency_change'"
            )
            .await,
            0
        );
        let body = json!({"frequency": "annual", "designated_month": "４"});
        let (s, v) = site.post_api(&token, &path, body.clone(), Some("k1")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "completed");
        assert_eq!(v["effective_month"], "2026-12");
        assert_eq!(v["designated_month"], 4);
        let debits = v["next_debits"].as_array().unwrap();
        let april = debits.iter().find(|d| d["month"] == "2027-04").unwrap();
        assert_eq!(april["amount_yen"], 360_000);
        assert_eq!(april["months_covered"], 12);
        // A retry with the same key answers the same; nothing new is stored.
        let (s, again) = site.post_api(&token, &path, body, Some("k1")).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(again, v);
        assert_eq!(
            site.count("SELECT COUNT(*) AS n FROM frequency_changes")
                .await,
            1
        );
    }
}

#[tokio::test]
async fn prepayment_suspension_and_resumption_over_the_api() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (token, m) = site.member("c@example.jp").await;
        let number = site.contract(&m, "safety_net").await;
        let base = format!("/api/v1/contracts/{number}");
        let (s, v) = site
            .post_api(
                &token,
                &format!("{base}/prepayments"),
                json!({"months": "0"}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(fields(&v), vec!["months"]);
        let (s, v) = site
            .post_api(
                &token,
                &format!("{base}/prepayments"),
                json!({"months": 6}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["status"], "in_review");
        assert_eq!(v["first_month"], "2026-11");
        assert_eq!(v["amount_yen"], 300_000);
        // 50,000 × 0.9/1000 × (0+1+2+3+4+5 = 15) = 675.
        assert_eq!(v["discount_yen"], 675);
        let (s, v) = site
            .post_api(&token, &format!("{base}/suspension"), json!({}), None)
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "procedure_pending");

        // A contract without enough paid: 掛止め refused; resumption of a running contract too.
        let (token2, m2) = site.member("d@example.jp").await;
        let n2 = site.contract(&m2, "safety_net").await;
        let (s, v) = site
            .post_api(
                &token2,
                &format!("/api/v1/contracts/{n2}/suspension"),
                json!({}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "suspension_not_allowed");
        let (s, v) = site
            .post_api(
                &token2,
                &format!("/api/v1/contracts/{n2}/resumption"),
                json!({}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "not_suspended");
        let (s, v) = site
            .post_api(
                &token2,
                &format!("/api/v1/contracts/{n2}/resumption"),
                json!({"bank_code": "0009", "branch_code": "x"}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(fields(&v).contains(&"branch_code"));

        // Paid enough (opening balance of 40 months): suspended from November, then resumed.
        {
            let mut tx = site.store.begin_write().await.unwrap();
            let c = kyosai_store::contracts::by_number(tx.conn(), &n2)
                .await
                .unwrap()
                .unwrap();
            kyosai_store::ledger::append_openings(
                tx.conn(),
                &[kyosai_store::ledger::Opening {
                    contract_id: c.id,
                    month: "2026-10".into(),
                    amount: 2_000_000,
                    months: 40,
                }],
                "2026-11-01T00:00:00Z",
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let (s, v) = site
            .post_api(
                &token2,
                &format!("/api/v1/contracts/{n2}/suspension"),
                json!({}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["effective_month"], "2026-11");
        assert_eq!(v["required_total_yen"], 2_000_000);
        let (s, v) = site
            .post_api(
                &token2,
                &format!("/api/v1/contracts/{n2}/resumption"),
                json!({}),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["resumed_from"], "2026-11");
        assert_eq!(v["new_account_required"], false);
    }
}

#[tokio::test]
async fn the_payment_operations_are_documented() {
    for (store, _dir) in kyosai_store::testing::all()
        .await
        .unwrap()
        .into_iter()
        .take(1)
    {
        let site = spawn(store).await;
        let doc: Value = reqwest::get(site.url("/api/v1/openapi.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for p in [
            "frequency-change",
            "prepayments",
            "suspension",
            "resumption",
        ] {
            assert!(
                doc["paths"][format!("/api/v1/contracts/{{number}}/{p}")]["post"].is_object(),
                "{p}"
            );
        }
    }
}
