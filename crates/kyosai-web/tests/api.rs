#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Black-box tests of /api/v1: the router on a real port over a fresh database (SQLite, and
//! PostgreSQL when configured), driven by an HTTP client.

use kyosai_app::{Clock, Role};
use kyosai_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::Site;

struct Server {
    site: Site,
    http: reqwest::Client,
    _dir: Option<testing::TempDir>,
}

impl std::ops::Deref for Server {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

async fn servers() -> Vec<Server> {
    servers_with(kyosai_web::RateLimits {
        auth_burst: 10_000,
        ..Default::default()
    })
    .await
}

async fn servers_with(limits: kyosai_web::RateLimits) -> Vec<Server> {
    let mut out = Vec::new();
    for (store, dir) in testing::all().await.unwrap() {
        out.push(Server {
            site: support::spawn_with(store, Clock::System, limits).await,
            http: reqwest::Client::new(),
            _dir: dir,
        });
    }
    out
}

impl Server {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut r = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn count(&self, table: &str) -> i64 {
        let mut c = self.store.read().await.unwrap();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(&mut *c)
        .await
        .unwrap();
        kyosai_store::Row::try_get(&row, "n").unwrap()
    }

    /// The verification token from the newest mail in the outbox.
    async fn verification_token(&self) -> String {
        let mut c = self.store.read().await.unwrap();
        let row = sqlx::query("SELECT payload FROM outbox ORDER BY id DESC LIMIT 1")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        let payload: String = kyosai_store::Row::try_get(&row, "payload").unwrap();
        let mail: Value = serde_json::from_str(&payload).unwrap();
        let body = mail["body"].as_str().unwrap();
        body.split("token=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }

    /// Sign-up, verification, TOTP set-up and login: returns a member token.
    async fn member_token(&self, email: &str) -> String {
        let pw = "secure password 1";
        let (s, _) = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": email, "password": pw }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let token = self.verification_token().await;
        let (s, _) = self
            .post("/api/v1/auth/verify", None, json!({ "token": token }))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, setup) = self
            .post(
                "/api/v1/auth/totp/setup",
                None,
                json!({ "email": email, "password": pw }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let secret = setup["secret"].as_str().unwrap();
        let now = jiff::Timestamp::now();
        let code = kyosai_app::auth::totp_code(secret, email, now).unwrap();
        let (s, _) = self
            .post(
                "/api/v1/auth/totp/confirm",
                None,
                json!({ "email": email, "password": pw, "totp_code": code }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        // The code used to confirm cannot log in again: use the next time step's code.
        let next =
            kyosai_app::auth::totp_code(secret, email, now + jiff::SignedDuration::from_secs(30))
                .unwrap();
        let (s, login) = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": pw, "totp_code": next }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{login}");
        login["token"].as_str().unwrap().to_string()
    }
}

fn form(program: &str) -> Value {
    serde_json::to_value(kyosai_app::dev::demo::sample_form(program)).unwrap()
}

fn assert_envelope(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["fields"].is_array(), "{body}");
}

#[tokio::test]
async fn signup_verification_totp_and_login() {
    for s in servers().await {
        let (st, body) = s
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": "not-an-email", "password": "secure password 1" }),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["fields"][0]["field"], "email");
        let (st, body) = s
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": "a@example.jp", "password": "short" }),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["fields"][0]["field"], "password");
        assert_eq!(s.count("users").await, 0, "nothing stored for bad input");

        let (st, _) = s
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": "a@example.jp", "password": "secure password 1" }),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        // Unverified accounts cannot log in; a wrong token is refused.
        let (st, body) = s
            .post(
                "/api/v1/auth/totp/setup",
                None,
                json!({ "email": "a@example.jp", "password": "secure password 1" }),
            )
            .await;
        assert_eq!(
            (st, body["fields"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unverified"))
        );
        let (st, _) = s
            .post("/api/v1/auth/verify", None, json!({ "token": "forged" }))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let token = s.verification_token().await;
        let (st, _) = s
            .post("/api/v1/auth/verify", None, json!({ "token": token }))
            .await;
        assert_eq!(st, StatusCode::OK);
        // Login needs TOTP set up first.
        let (st, body) = s.post("/api/v1/auth/login", None, json!({ "email": "a@example.jp", "password": "secure password 1", "totp_code": "000000" })).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        assert_envelope(&body, "totp_setup_required");
        // Wrong password: one message that does not reveal whether the account exists.
        let (_, wrong) = s.post("/api/v1/auth/login", None, json!({ "email": "a@example.jp", "password": "wrong password 1", "totp_code": "000000" })).await;
        let (_, nobody) = s.post("/api/v1/auth/login", None, json!({ "email": "zz@example.jp", "password": "wrong password 1", "totp_code": "000000" })).await;
        assert_eq!(wrong["fields"], nobody["fields"]);

        let t = s.member_token("b@example.jp").await;
        let (st, me) = s.get("/api/v1/me", Some(&t)).await;
        assert_eq!((st, me["role"].as_str()), (StatusCode::OK, Some("member")));
        let (st, body) = s.get("/api/v1/me", Some("ky_forged")).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        assert_envelope(&body, "unauthenticated");
    }
}

#[tokio::test]
async fn a_reused_totp_code_is_refused() {
    for s in servers().await {
        let email = "r@example.jp";
        let pw = "secure password 1";
        s.post(
            "/api/v1/auth/signup",
            None,
            json!({ "email": email, "password": pw }),
        )
        .await;
        let token = s.verification_token().await;
        s.post("/api/v1/auth/verify", None, json!({ "token": token }))
            .await;
        let (_, setup) = s
            .post(
                "/api/v1/auth/totp/setup",
                None,
                json!({ "email": email, "password": pw }),
            )
            .await;
        let code = kyosai_app::auth::totp_code(
            setup["secret"].as_str().unwrap(),
            email,
            jiff::Timestamp::now(),
        )
        .unwrap();
        let (st, _) = s
            .post(
                "/api/v1/auth/totp/confirm",
                None,
                json!({ "email": email, "password": pw, "totp_code": code }),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, body) = s
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": pw, "totp_code": code }),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["fields"][0]["field"], "totp_code");
        assert_eq!(s.count("api_tokens").await, 0);
    }
}

#[tokio::test]
async fn enrollment_over_the_api() {
    for s in servers().await {
        let t = s.member_token("m@example.jp").await;
        let before = (s.count("applications").await, s.count("contracts").await);

        // Hostile and malformed input: clear envelope, nothing stored.
        let resp = s
            .http
            .post(format!("{}/api/v1/enrollments", s.base))
            .bearer_auth(&t)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_envelope(&resp.json().await.unwrap(), "unsupported_media_type");
        let resp = s
            .http
            .post(format!("{}/api/v1/enrollments", s.base))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body("{\"program\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_envelope(&resp.json().await.unwrap(), "malformed_json");
        let huge = format!("{{\"family_name\": \"{}\"}}", "あ".repeat(100_000));
        let resp = s
            .http
            .post(format!("{}/api/v1/enrollments", s.base))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let mut bad = form("safety_net");
        bad["monthly_premium_yen"] = json!(7500);
        bad["employees"] = json!("-3");
        bad["bank_code"] = json!("9999");
        let (st, body) = s.post("/api/v1/enrollments", Some(&t), bad).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"employees") && fields.contains(&"bank_code"),
            "{body}"
        );
        let mut off_step = form("safety_net");
        off_step["monthly_premium_yen"] = json!(7500);
        let (st, body) = s.post("/api/v1/enrollments", Some(&t), off_step).await;
        assert_eq!(
            (st, body["fields"][0]["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("monthly_premium_yen")
            )
        );
        assert!(
            body["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("5,000円単位"),
            "{body}"
        );
        let (st, _) = s
            .post("/api/v1/enrollments", None, form("safety_net"))
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        assert_eq!(
            (s.count("applications").await, s.count("contracts").await),
            before
        );

        // A valid application completes at once; the same Idempotency-Key replays the answer.
        let send = |key: &'static str, body: Value| {
            s.http
                .post(format!("{}/api/v1/enrollments", s.base))
                .bearer_auth(&t)
                .header("idempotency-key", key)
                .json(&body)
                .send()
        };
        let first = send("k-1", form("safety_net")).await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        assert_eq!(first["status"], "completed");
        assert_eq!(first["contract"]["number"].as_str().unwrap().len(), 9);
        let again = send("k-1", form("safety_net")).await.unwrap();
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.json::<Value>().await.unwrap(), first);
        let other = send("k-1", form("small_enterprise")).await.unwrap();
        assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(s.count("contracts").await, 1);

        let (st, ov) = s.get("/api/v1/overview", Some(&t)).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(ov["contracts"][0]["number"], first["contract"]["number"]);
        assert!(ov["contracts"][0]["next_debit_date"].is_string());
        let app_id = first["application_id"].as_i64().unwrap();
        let (st, a) = s
            .get(&format!("/api/v1/applications/{app_id}"), Some(&t))
            .await;
        assert_eq!(
            (st, a["channel"].as_str()),
            (StatusCode::OK, Some("online"))
        );
        // Another member cannot see it.
        let t2 = s.member_token("other@example.jp").await;
        let (st, _) = s
            .get(&format!("/api/v1/applications/{app_id}"), Some(&t2))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn staff_review_over_the_api() {
    for s in servers().await {
        let t = s.member_token("c@example.jp").await;
        let mut f = form("small_enterprise");
        f["role"] = json!("co_manager");
        let (st, r) = s.post("/api/v1/enrollments", Some(&t), f).await;
        assert_eq!(
            (st, r["status"].as_str()),
            (StatusCode::ACCEPTED, Some("in_review"))
        );
        let (st, _) = s.get("/api/v1/staff/applications", Some(&t)).await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let staff = s
            .app
            .create_account(Role::Staff, "s@kyosai.jp", "", Some("staff password 1"))
            .await
            .unwrap();
        let st_token = s.app.issue_token(staff, "test", None).await.unwrap();
        let (st, q) = s.get("/api/v1/staff/applications", Some(&st_token)).await;
        assert_eq!(st, StatusCode::OK);
        let item = &q[0];
        assert!(
            item["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == "co_manager_evidence")
        );
        let id = item["id"].as_i64().unwrap();
        let version = item["version"].as_i64().unwrap();
        let (st, _) = s
            .post(
                &format!("/api/v1/staff/applications/{id}/approve"),
                Some(&st_token),
                json!({ "version": version, "reason": "書類確認済み" }),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, body) = s
            .post(
                &format!("/api/v1/staff/applications/{id}/reject"),
                Some(&st_token),
                json!({ "version": version + 1, "reason": "x" }),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert_envelope(&body, "not_in_review");
        let (_, ov) = s.get("/api/v1/overview", Some(&t)).await;
        assert_eq!(ov["applications"][0]["status"], "completed");
        assert_eq!(ov["contracts"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn simulations_health_and_openapi() {
    for s in servers().await {
        let (st, r) = s
            .post("/api/v1/simulations/small-enterprise/benefit", None, json!({ "reason": "A", "history": [{ "monthly_premium_yen": 10000, "months": 60 }] }))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["amount_yen"], 621_400);
        assert!(r["rule_set"].is_string() && r["estimate"].is_boolean());
        let (st, r) = s
            .post(
                "/api/v1/simulations/safety-net/prepayment-discount",
                None,
                json!({ "monthly_premium_yen": 80000, "months_ahead": 11 }),
            )
            .await;
        assert_eq!(
            (st, r["discount_yen"].as_i64()),
            (StatusCode::OK, Some(4_752))
        );
        let (st, r) = s.post("/api/v1/simulations/safety-net/cancellation-refund", None, json!({ "cancellation": "voluntary", "months_paid": 24, "total_paid_yen": 1_200_000, "bankruptcy_loans_received_yen": 0 })).await;
        assert_eq!(
            (st, r["amount_yen"].as_i64()),
            (StatusCode::OK, Some(1_020_000))
        );
        let (st, r) = s
            .post(
                "/api/v1/simulations/safety-net/temporary-loan",
                None,
                json!({ "months_paid": -1, "total_paid_yen": 0, "outstanding_loans_yen": 0 }),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        assert_eq!(r["fields"][0]["field"], "months_paid");
        let (st, r) = s
            .post(
                "/api/v1/simulations/small-enterprise/benefit",
                None,
                json!({ "reason": "Z", "history": [] }),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        let (st, r) = s
            .get(
                "/api/v1/calendar/debit-date?program=small_enterprise&month=2026-01",
                None,
            )
            .await;
        assert_eq!(
            (st, r["date"].as_str()),
            (StatusCode::OK, Some("2026-01-19"))
        );
        let (st, r) = s
            .get(
                "/api/v1/calendar/debit-date?program=safety_net&month=2011-09",
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        assert_eq!(r["fields"][0]["code"], "before_rule_sets", "{r}");
        let (st, r) = s
            .get("/api/v1/calendar/debit-date?program=x&month=2026-13", None)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r["fields"].as_array().unwrap().len(), 2);

        let resp = s
            .http
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let (st, doc) = s.get("/api/v1/openapi.json", None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v1/enrollments",
            "/api/v1/auth/login",
            "/api/v1/simulations/safety-net/bankruptcy-loan",
            "/api/v1/calendar/debit-date",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} documented");
        }
        let resp = s
            .http
            .get(format!("{}/api/v1/docs/", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let initializer = s
            .http
            .get(format!("{}/api/v1/docs/swagger-initializer.js", s.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            initializer.contains("/api/v1/openapi.json"),
            "the docs UI loads our document: {initializer}"
        );
    }
}

#[tokio::test]
async fn login_is_rate_limited() {
    let s = servers_with(kyosai_web::RateLimits::default())
        .await
        .remove(0);
    let mut limited = false;
    for _ in 0..30 {
        let (st, _) = s.post("/api/v1/auth/login", None, json!({ "email": "x@example.jp", "password": "whatever 123", "totp_code": "000000" })).await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(
        limited,
        "30 rapid logins from one address must be throttled"
    );
}

/// The portal inbox over the API (issue #10): the enrollment's mail is a notice with the mail's
/// reference, unread until read; another member can neither list nor read it.
/// `GET /api/v1/contracts/{number}`: the member's own contract, others 404, staff any.
#[tokio::test]
async fn notices_and_contract_standing() {
    for s in servers().await {
        let t = s.member_token("n@example.jp").await;
        let other = s.member_token("o@example.jp").await;
        let (st, r) = s
            .post("/api/v1/enrollments", Some(&t), form("small_enterprise"))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
        let number = r["contract"]["number"].as_str().unwrap().to_string();

        let (st, page) = s.get("/api/v1/notices", Some(&t)).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            (page["total"].as_i64(), page["unread"].as_i64()),
            (Some(1), Some(1))
        );
        let n = &page["notices"][0];
        assert!(n["read_at"].is_null());
        assert!(n["body"].as_str().unwrap().contains(&number), "{n}");
        // The reference is the one the mail's footer prints: M + the outbox id.
        let outbox_id = {
            let mut c = s.store.read().await.unwrap();
            let row = sqlx::query("SELECT MAX(id) AS n FROM outbox")
                .fetch_one(&mut *c)
                .await
                .unwrap();
            kyosai_store::Row::try_get::<i64, _>(&row, "n").unwrap()
        };
        assert_eq!(n["reference"], format!("M{outbox_id:08}"));
        let id = n["id"].as_i64().unwrap();

        let (st, theirs) = s.get("/api/v1/notices", Some(&other)).await;
        assert_eq!((st, theirs["total"].as_i64()), (StatusCode::OK, Some(0)));
        let (st, body) = s
            .post(
                &format!("/api/v1/notices/{id}/read"),
                Some(&other),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_envelope(&body, "not_found");

        let (st, read) = s
            .post(&format!("/api/v1/notices/{id}/read"), Some(&t), json!({}))
            .await;
        assert_eq!(st, StatusCode::OK);
        let first_read = read["read_at"].as_str().unwrap().to_string();
        let (_, again) = s
            .post(&format!("/api/v1/notices/{id}/read"), Some(&t), json!({}))
            .await;
        assert_eq!(again["read_at"], first_read, "the first reading time stays");
        let (_, page) = s.get("/api/v1/notices", Some(&t)).await;
        assert_eq!(page["unread"].as_i64(), Some(0));

        let path = format!("/api/v1/contracts/{number}");
        let (st, c) = s.get(&path, Some(&t)).await;
        assert_eq!(st, StatusCode::OK, "{c}");
        assert_eq!(c["number"], number.as_str());
        assert_eq!(c["program"], "small_enterprise");
        assert_eq!(c["status"], "active");
        assert_eq!(c["payment_frequency"], "monthly");
        assert_eq!(c["monthly_premium_yen"], 30000);
        assert_eq!(
            (c["months_paid"].as_i64(), c["total_paid_yen"].as_i64()),
            (Some(0), Some(0))
        );
        assert_eq!(c["scheduled_changes"], json!([]));
        assert_eq!(c["pending"], json!([]));
        let (st, body) = s.get(&path, Some(&other)).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert_envelope(&body, "not_found");
        let (st, _) = s.get("/api/v1/contracts/999999999", Some(&t)).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let staff = s
            .app
            .create_account(
                Role::Staff,
                "staff-n@kyosai.jp",
                "",
                Some("staff password 1"),
            )
            .await
            .unwrap();
        let staff_token = s.app.issue_token(staff, "test", None).await.unwrap();
        let (st, by_staff) = s.get(&path, Some(&staff_token)).await;
        assert_eq!((st, &by_staff), (StatusCode::OK, &c));
        let (st, _) = s.get(&path, None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn certificate_figures_over_the_api() {
    for s in servers().await {
        let t = s.member_token("c@example.jp").await;
        let other = s.member_token("d@example.jp").await;
        let mut numbers = Vec::new();
        for program in ["small_enterprise", "safety_net"] {
            let (st, r) = s.post("/api/v1/enrollments", Some(&t), form(program)).await;
            assert_eq!(st, StatusCode::CREATED, "{r}");
            numbers.push(r["contract"]["number"].as_str().unwrap().to_string());
        }
        let (small, safety) = (&numbers[0], &numbers[1]);
        // A 前納 of the first month received this month, recorded by staff.
        let staff_id = s
            .app
            .create_account(
                Role::Staff,
                "st@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let staff = kyosai_app::Actor {
            user_id: staff_id,
            role: Role::Staff,
        };
        let first = s
            .app
            .contract_billing(&staff, small)
            .await
            .unwrap()
            .next_debit
            .unwrap()
            .month;
        let today = kyosai_domain::YearMonth::of(s.app.clock.today());
        s.app
            .record_prepayment(&staff, small, today, first, 1)
            .await
            .unwrap();
        let year = today.year();
        let (st, c) = s
            .get(
                &format!("/api/v1/contracts/{small}/certificates/{year}"),
                Some(&t),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{c}");
        assert_eq!(c["contract_number"], small.as_str());
        assert_eq!(c["year"], year);
        assert_eq!(c["paid_yen"], 30_000);
        assert_eq!(c["months_paid_in_year"], 1);
        assert_eq!(c["prepayment_discount_yen"], 0);
        assert!(c["expected_by_december_yen"].is_i64(), "{c}");

        for (path, token) in [
            (
                format!("/api/v1/contracts/{safety}/certificates/{year}"),
                &t,
            ),
            (
                format!("/api/v1/contracts/{small}/certificates/{}", year - 1),
                &t,
            ),
            (
                format!("/api/v1/contracts/{small}/certificates/{year}"),
                &other,
            ),
        ] {
            let (st, body) = s.get(&path, Some(token)).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
            assert_envelope(&body, "not_found");
        }
    }
}
