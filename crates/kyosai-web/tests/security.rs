#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Issue #15: the attacker's view of the HTTP surface. Each test failed on the code before the
//! fix it checks.

use kyosai_app::{App, Clock};
use kyosai_domain::UserId;
use kyosai_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

/// Item 6: API answers are never cached and never sniffed; the docs page has a CSP and cannot
/// be framed; over plain http no HSTS is sent.
#[tokio::test]
async fn api_answers_carry_security_headers() {
    let (store, _dir) = testing::sqlite().await.unwrap();
    let site = support::spawn(store, Clock::System).await;
    let http = reqwest::Client::new();
    for path in [
        "/api/v1/me",
        "/api/v1/banks?q=みずほ",
        "/api/v1/openapi.json",
    ] {
        let r = http.get(site.url(path)).send().await.unwrap();
        assert_eq!(
            r.headers()["cache-control"],
            "no-store",
            "{path}: {:?}",
            r.headers()
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(r.headers().get("strict-transport-security").is_none());
    }
    let r = http.get(site.url("/api/v1/docs/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
}

/// Item 6: HSTS once the public URL is https (TLS ends at the proxy in front of us).
#[tokio::test]
async fn hsts_when_the_public_url_is_https() {
    let (store, _dir) = testing::sqlite().await.unwrap();
    let app = App::new(store, Clock::System, "https://kyosai.example.jp").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = kyosai_web::router(app);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let r = reqwest::get(format!("{base}/login")).await.unwrap();
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=31536000"),
    );
}

const PASSWORD: &str = support::PASSWORD;
const SECRET: &str = support::TOTP_SECRET;

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// A member account with TOTP on (made directly, as an operator would).
async fn member_with_totp(app: &App, store: &kyosai_store::Store, email: &str) -> UserId {
    let id = app
        .create_account(kyosai_app::Role::Member, email, "", Some(PASSWORD))
        .await
        .unwrap();
    let mut tx = store.begin_write().await.unwrap();
    kyosai_store::users::set_totp_secret(tx.conn(), id, SECRET)
        .await
        .unwrap();
    kyosai_store::users::enable_totp(tx.conn(), id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn count_where(store: &kyosai_store::Store, sql: &str) -> i64 {
    let mut c = store.read().await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *c)
        .await
        .unwrap();
    kyosai_store::Row::try_get(&row, "n").unwrap()
}

fn app_at(app: &App, t: jiff::Timestamp) -> App {
    let mut a = app.clone();
    a.clock = Clock::Fixed(t);
    a
}

/// Item 1: wrong second-factor codes count against the account, whatever address they come
/// from: after three, even the right code waits (429 in the JSON envelope with Retry-After).
/// Before the fix the right code still worked after five wrong ones.
#[tokio::test]
async fn wrong_codes_throttle_the_account() {
    for (store, _dir) in testing::all().await.unwrap() {
        let now = at("2026-11-28T01:00:00Z");
        let site = support::spawn_with(
            store.clone(),
            Clock::Fixed(now),
            kyosai_web::RateLimits {
                auth_burst: 10_000,
                ..Default::default()
            },
        )
        .await;
        member_with_totp(&site.app, &store, "guess@example.jp").await;
        let http = reqwest::Client::new();
        let login = |code: String| {
            http.post(site.url("/api/v1/auth/login"))
                .json(&json!({ "email": "guess@example.jp", "password": PASSWORD, "totp_code": code }))
                .send()
        };
        let right = kyosai_app::auth::totp_code(SECRET, "guess@example.jp", now).unwrap();
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..3 {
            let r = login(wrong.to_string()).await.unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        let r = login(right.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.headers().get("retry-after").is_some());
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "too_many_attempts", "{body}");
        assert!(body["fields"].is_array());
        // Each failure is in the audit log.
        assert_eq!(
            count_where(
                &store,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.login_failed'"
            )
            .await,
            3
        );
    }
}

/// Item 1: ten failures lock the account for a while and mail its owner; the right password
/// is refused during the lock and accepted after it.
#[tokio::test]
async fn ten_failures_lock_the_account_and_mail_the_owner() {
    for (store, _dir) in testing::all().await.unwrap() {
        let t0 = at("2026-11-28T01:00:00Z");
        let app = App::new(store.clone(), Clock::Fixed(t0), "http://localhost").unwrap();
        member_with_totp(&app, &store, "lock@example.jp").await;
        // Ten wrong passwords, each after the growing delay has passed.
        let mut t = t0;
        for _ in 0..kyosai_app::login_guard::LOCK_AFTER {
            t += jiff::SignedDuration::from_secs(kyosai_app::login_guard::MAX_DELAY_SECONDS);
            let e = app_at(&app, t)
                .check_credentials("lock@example.jp", "wrong password 99")
                .await
                .unwrap_err();
            assert!(matches!(e, kyosai_app::AppError::Invalid(_)), "{e:?}");
        }
        t += jiff::SignedDuration::from_mins(1);
        let e = app_at(&app, t)
            .check_credentials("lock@example.jp", PASSWORD)
            .await
            .unwrap_err();
        assert!(
            matches!(e, kyosai_app::AppError::TooManyAttempts { .. }),
            "{e:?}"
        );
        assert_eq!(
            count_where(
                &store,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%lock@example.jp%' AND payload LIKE '%ログインを一時的に停止%'"
            )
            .await,
            1
        );
        t += jiff::SignedDuration::from_mins(kyosai_app::login_guard::LOCK_MINUTES);
        app_at(&app, t)
            .check_credentials("lock@example.jp", PASSWORD)
            .await
            .unwrap();
    }
}

/// Item 1: a half-logged-in session lives minutes, and five wrong codes end it (the password
/// must be given again), even when the account's delay has passed between them.
#[tokio::test]
async fn a_half_logged_in_session_is_short_and_limited() {
    for (store, _dir) in testing::all().await.unwrap() {
        let t0 = at("2026-11-28T01:00:00Z");
        let app = App::new(store.clone(), Clock::Fixed(t0), "http://localhost").unwrap();
        let id = member_with_totp(&app, &store, "half@example.jp").await;
        let cookie = app.create_session(id, false).await.unwrap();
        let late =
            t0 + jiff::SignedDuration::from_mins(kyosai_app::login_guard::HALF_SESSION_MINUTES + 1);
        assert!(app_at(&app, late).session(&cookie).await.unwrap().is_none());
        let cookie = app.create_session(id, false).await.unwrap();
        let mut t = t0;
        for i in 1..=kyosai_app::login_guard::SESSION_TOTP_TRIES {
            t += jiff::SignedDuration::from_secs(60);
            let right = kyosai_app::auth::totp_code(SECRET, "half@example.jp", t).unwrap();
            let wrong = if right == "000000" {
                "111111"
            } else {
                "000000"
            };
            let e = app_at(&app, t)
                .login_second_factor(id, wrong, Some(&cookie))
                .await
                .unwrap_err();
            if i < kyosai_app::login_guard::SESSION_TOTP_TRIES {
                assert!(matches!(e, kyosai_app::AppError::Invalid(_)), "{e:?}");
            } else {
                assert!(matches!(e, kyosai_app::AppError::Unauthenticated), "{e:?}");
            }
        }
        assert!(app_at(&app, t).session(&cookie).await.unwrap().is_none());
    }
}

/// Item 1: the address limiter answers in the JSON envelope (it was plain text), and keys on the
/// proxy's header only when configured.
#[tokio::test]
async fn the_address_limit_answers_json_and_trusts_only_a_configured_proxy_header() {
    let limits = kyosai_web::RateLimits {
        auth_burst: 2,
        auth_period: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    let login = json!({ "email": "nobody@example.jp", "password": "whatever 12345", "totp_code": "000000" });
    let http = reqwest::Client::new();
    // Not configured: a client cannot pick its own bucket with X-Forwarded-For.
    let (store, _dir) = testing::sqlite().await.unwrap();
    let site = support::spawn_with(store, Clock::System, limits).await;
    let mut last = None;
    for i in 0..3 {
        let r = http
            .post(site.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("10.0.0.{i}"))
            .json(&login)
            .send()
            .await
            .unwrap();
        last = Some(r);
    }
    let r = last.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_many_requests", "{body}");
    // The login page answers with a page, not JSON.
    let r = http
        .post(site.url("/login"))
        .form(&[("email", "nobody@example.jp"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("しばらくお待ちください"));

    // Configured: each client behind the proxy has its own bucket (the last address is the
    // one the proxy added).
    let (store, _dir2) = testing::sqlite().await.unwrap();
    let site = support::spawn_with(
        store,
        Clock::System,
        kyosai_web::RateLimits {
            trusted_proxy_header: Some(kyosai_web::rate_limit::ProxyHeader::XForwardedFor),
            ..limits
        },
    )
    .await;
    for i in 0..3 {
        let r = http
            .post(site.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("192.0.2.1, 10.0.0.{i}"))
            .json(&login)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "client {i}");
    }
}

/// Item 1: the limiter forgets addresses whose allowance has recovered.
#[tokio::test]
async fn the_limiter_is_pruned() {
    let config = kyosai_web::rate_limit::config(
        kyosai_web::rate_limit::ClientKey {
            trusted_proxy_header: None,
        },
        std::time::Duration::from_millis(1),
        1,
    );
    for i in 0..100u8 {
        let _ = config
            .limiter()
            .check_key(&std::net::IpAddr::from([10, 0, 0, i]));
    }
    assert_eq!(config.limiter().len(), 100);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(kyosai_web::rate_limit::prune(&config), 0);
}

/// Item 3: logins, failed logins, logouts and token issuance are in the audit log, and the
/// chain verifies with the store's key.
#[tokio::test]
async fn logins_logouts_and_tokens_are_audited() {
    for (store, _dir) in testing::all().await.unwrap() {
        let site = support::spawn(store.clone(), Clock::System).await;
        let (browser, actor) = site
            .login(kyosai_app::Role::Member, "audit@example.jp")
            .await;
        let r = browser.post(site.url("/logout")).send().await.unwrap();
        assert!(r.status().is_success() || r.status().is_redirection());
        let target = format!("user:{}", actor.user_id);
        let mut c = store.read().await.unwrap();
        let actions: Vec<String> = kyosai_store::audit::for_target(&mut c, &target)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        for a in ["user.logged_in", "user.logged_out"] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
        drop(c);
        site.app
            .issue_token(actor.user_id, "test", Some(1))
            .await
            .unwrap();
        let mut c = store.read().await.unwrap();
        assert!(
            kyosai_store::audit::for_target(&mut c, &target)
                .await
                .unwrap()
                .iter()
                .any(|r| r.action == "token.issued")
        );
        kyosai_store::audit::verify(&mut c, store.audit_key())
            .await
            .unwrap();
    }
}

/// Item 3: every staff view of a member's personal data is logged (who looked at whom, what,
/// when); the member reading their own data is not.
#[tokio::test]
async fn staff_views_of_personal_data_are_logged() {
    for (store, _dir) in testing::all().await.unwrap() {
        let site = support::spawn(store.clone(), Clock::System).await;
        let member = site
            .app
            .create_account(
                kyosai_app::Role::Member,
                "seen@example.jp",
                "",
                Some(PASSWORD),
            )
            .await
            .unwrap();
        let member_actor = kyosai_app::Actor {
            user_id: member,
            role: kyosai_app::Role::Member,
        };
        let done = site
            .app
            .submit_enrollment(
                &member_actor,
                member,
                &kyosai_app::dev::demo::sample_form("small_enterprise"),
            )
            .await
            .unwrap();
        let number = done.contract.unwrap().number;
        let staff = site
            .app
            .create_account(
                kyosai_app::Role::Staff,
                "look@kyosai.example.jp",
                "職員",
                None,
            )
            .await
            .unwrap();
        let staff_token = site.app.issue_token(staff, "test", Some(1)).await.unwrap();
        let member_token = site.app.issue_token(member, "test", Some(1)).await.unwrap();
        let http = reqwest::Client::new();
        let views = "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'personal_data.viewed'";
        for path in [
            format!("/api/v1/contracts/{number}"),
            format!("/api/v1/contracts/{number}/details"),
        ] {
            let r = http
                .get(site.url(&path))
                .bearer_auth(&member_token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
        assert_eq!(count_where(&store, views).await, 0);
        for path in [
            format!("/api/v1/contracts/{number}"),
            format!("/api/v1/contracts/{number}/details"),
            format!("/api/v1/contracts/{number}/billing"),
        ] {
            let r = http
                .get(site.url(&path))
                .bearer_auth(&staff_token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
        let mut c = store.read().await.unwrap();
        let rows: Vec<_> = kyosai_store::audit::for_target(&mut c, &format!("user:{member}"))
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "personal_data.viewed")
            .collect();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.actor == format!("user:{staff}")));
        assert!(rows[0].after.as_deref().unwrap().contains(&number));
    }
}

/// Item 4: staff and service accounts cannot enroll themselves; a service reads members' data
/// only with the scope for it; every token expires; staff who manage tokens list them (never
/// the secret), reviewers cannot; API logout ends the token; a revoked token is refused.
#[tokio::test]
async fn roles_scopes_and_tokens() {
    for (store, _dir) in testing::all().await.unwrap() {
        let site = support::spawn(store.clone(), Clock::System).await;
        let http = reqwest::Client::new();
        let get = |path: String, token: String| {
            let http = http.clone();
            let url = site.url(&path);
            async move {
                let r = http.get(url).bearer_auth(token).send().await.unwrap();
                r.status()
            }
        };
        let staff = site
            .app
            .create_account(
                kyosai_app::Role::Staff,
                "boss@kyosai.example.jp",
                "職員",
                None,
            )
            .await
            .unwrap();
        let service = site
            .app
            .create_account(
                kyosai_app::Role::Service,
                "feed@service.kyosai.invalid",
                "feed",
                None,
            )
            .await
            .unwrap();
        let staff_token = site.app.issue_token(staff, "t", None).await.unwrap();
        let service_token = site.app.issue_token(service, "t", None).await.unwrap();
        assert_eq!(
            count_where(
                &store,
                "SELECT COUNT(*) AS n FROM api_tokens WHERE expires_at IS NULL"
            )
            .await,
            0,
            "every token expires"
        );
        for token in [&staff_token, &service_token] {
            let r = http
                .post(site.url("/api/v1/enrollments"))
                .bearer_auth(token)
                .json(&kyosai_app::dev::demo::sample_form("small_enterprise"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
        }
        assert_eq!(
            count_where(&store, "SELECT COUNT(*) AS n FROM contracts").await,
            0
        );

        let member = site
            .app
            .create_account(
                kyosai_app::Role::Member,
                "own@example.jp",
                "",
                Some(PASSWORD),
            )
            .await
            .unwrap();
        let number = site
            .app
            .submit_enrollment(
                &kyosai_app::Actor {
                    user_id: member,
                    role: kyosai_app::Role::Member,
                },
                member,
                &kyosai_app::dev::demo::sample_form("small_enterprise"),
            )
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let billing = format!("/api/v1/contracts/{number}/billing");
        assert_eq!(
            get(billing.clone(), service_token.clone()).await,
            StatusCode::FORBIDDEN
        );
        site.app
            .set_service_scopes(
                "test",
                service,
                &[kyosai_app::capability::Scope::BillingRead],
            )
            .await
            .unwrap();
        assert_eq!(
            get(billing.clone(), service_token.clone()).await,
            StatusCode::OK
        );
        assert_eq!(
            get(format!("/api/v1/contracts/{number}"), service_token.clone()).await,
            StatusCode::FORBIDDEN,
            "billing:read does not read the contract"
        );

        // Token listing: approvers yes, reviewers no; no secrets in it.
        let r = http
            .get(site.url("/api/v1/staff/tokens"))
            .bearer_auth(&staff_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        let list: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 2);
        assert!(!text.contains(&staff_token) && !text.contains(&service_token));
        site.app
            .set_staff_power("test", staff, kyosai_app::review::StaffPower::Reviewer)
            .await
            .unwrap();
        assert_eq!(
            get("/api/v1/staff/tokens".into(), staff_token.clone()).await,
            StatusCode::FORBIDDEN
        );

        // Revocation (the CLI's) and API logout.
        let id = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["user_id"] == service.get())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(site.app.revoke_token("cli", &id).await.unwrap());
        assert_eq!(
            get("/api/v1/me".into(), service_token.clone()).await,
            StatusCode::UNAUTHORIZED
        );
        let r = http
            .post(site.url("/api/v1/auth/logout"))
            .bearer_auth(&staff_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            get("/api/v1/me".into(), staff_token.clone()).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// The link token in the newest mail to `to`.
async fn mailed_token(store: &kyosai_store::Store, to: &str) -> Option<String> {
    let mut c = store.read().await.unwrap();
    let rows = sqlx::query("SELECT payload FROM outbox ORDER BY id DESC")
        .fetch_all(&mut *c)
        .await
        .unwrap();
    rows.iter().find_map(|row| {
        let payload: String = kyosai_store::Row::try_get(row, "payload").unwrap();
        let mail: Value = serde_json::from_str(&payload).unwrap();
        (mail["to"] == to).then(|| {
            mail["body"]
                .as_str()
                .unwrap()
                .split("token=")
                .nth(1)
                .map(|t| t.split_whitespace().next().unwrap().to_string())
        })?
    })
}

/// Item 5: the password policy over the API; sign-up does not tell whether an address is
/// registered (its owner is mailed); an unverified sign-up does not hold the address.
#[tokio::test]
async fn sign_up_reveals_nothing_and_cannot_be_squatted() {
    for (store, _dir) in testing::all().await.unwrap() {
        let site = support::spawn_with(
            store.clone(),
            Clock::System,
            kyosai_web::RateLimits {
                auth_burst: 10_000,
                ..Default::default()
            },
        )
        .await;
        let http = reqwest::Client::new();
        let signup = |email: &str, password: &str| {
            http.post(site.url("/api/v1/auth/signup"))
                .json(&json!({ "email": email, "password": password }))
                .send()
        };
        for weak in [
            "password12",
            "password1234",
            "P@ssw0rd2026!",
            "owner.taro2026",
        ] {
            let r = signup("owner.taro@example.jp", weak).await.unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        }
        // A squatter signs up first with the owner's address and never verifies.
        let r = signup("owner.taro@example.jp", "squatter pass 2026")
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let squatter_link = mailed_token(&store, "owner.taro@example.jp").await.unwrap();
        // The owner signs up: same answer; the owner's link verifies with the owner's password.
        let r = signup("owner.taro@example.jp", "owner pass phrase 2026")
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let first_answer = r.text().await.unwrap();
        let owner_link = mailed_token(&store, "owner.taro@example.jp").await.unwrap();
        assert_ne!(owner_link, squatter_link);
        assert!(site.app.verify_email(&squatter_link).await.is_err());
        site.app.verify_email(&owner_link).await.unwrap();
        site.app
            .check_credentials("owner.taro@example.jp", "owner pass phrase 2026")
            .await
            .unwrap();
        assert!(
            site.app
                .check_credentials("owner.taro@example.jp", "squatter pass 2026")
                .await
                .is_err()
        );
        // Registered now: the same answer again, no new account, and the owner is told.
        let users = count_where(&store, "SELECT COUNT(*) AS n FROM users").await;
        let r = signup("owner.taro@example.jp", "someone else 2026 x")
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.text().await.unwrap(), first_answer);
        assert_eq!(
            count_where(&store, "SELECT COUNT(*) AS n FROM users").await,
            users
        );
        assert_eq!(
            count_where(
                &store,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%新規登録がありました%'"
            )
            .await,
            1
        );
    }
}

/// Item 5: password reset by mail (once), recovery codes (once each), and the staff-assisted
/// second-factor reset (two staff users, audited, the member mailed).
#[tokio::test]
async fn members_get_back_in_without_the_phone_line() {
    for (store, _dir) in testing::all().await.unwrap() {
        let t0 = at("2026-11-28T01:00:00Z");
        let app = App::new(store.clone(), Clock::Fixed(t0), "http://localhost").unwrap();
        let id = member_with_totp(&app, &store, "lost@example.jp").await;
        let member = kyosai_app::Actor {
            user_id: id,
            role: kyosai_app::Role::Member,
        };
        // Reset by mail; an unknown address gets the same (silent) treatment.
        app.request_password_reset("nobody@example.jp")
            .await
            .unwrap();
        assert!(mailed_token(&store, "nobody@example.jp").await.is_none());
        app.request_password_reset("lost@example.jp").await.unwrap();
        let token = mailed_token(&store, "lost@example.jp").await.unwrap();
        assert!(app.reset_password(&token, "short").await.is_err());
        app.reset_password(&token, "a brand new phrase 7")
            .await
            .unwrap();
        assert!(
            app.reset_password(&token, "another new phrase 8")
                .await
                .is_err()
        );
        app.check_credentials("lost@example.jp", "a brand new phrase 7")
            .await
            .unwrap();

        // Recovery codes: each works once, in place of the TOTP code.
        let codes = app.new_recovery_codes(&member).await.unwrap();
        assert_eq!(codes.len(), kyosai_app::account_recovery::RECOVERY_CODES);
        assert_eq!(
            count_where(
                &store,
                &format!(
                    "SELECT COUNT(*) AS n FROM recovery_codes WHERE code_hash = '{}'",
                    codes[0]
                )
            )
            .await,
            0,
            "only hashes are stored"
        );
        app.login_second_factor(id, &codes[0].to_uppercase(), None)
            .await
            .unwrap();
        assert!(app.login_second_factor(id, &codes[0], None).await.is_err());

        // Staff-assisted reset: recorded by one, confirmed by another approver.
        let a = app
            .create_account(kyosai_app::Role::Staff, "a@kyosai.example.jp", "A", None)
            .await
            .unwrap();
        let b = app
            .create_account(kyosai_app::Role::Staff, "b@kyosai.example.jp", "B", None)
            .await
            .unwrap();
        let staff = |user_id| kyosai_app::Actor {
            user_id,
            role: kyosai_app::Role::Staff,
        };
        let mut checklist = kyosai_app::account_recovery::IdentityChecklist {
            identity_document: true,
            called_back_registered_phone: true,
            contract_details_confirmed: false,
        };
        assert!(
            app.request_second_factor_reset(&staff(a), "lost@example.jp", &checklist)
                .await
                .is_err()
        );
        checklist.contract_details_confirmed = true;
        let reset = app
            .request_second_factor_reset(&staff(a), "lost@example.jp", &checklist)
            .await
            .unwrap();
        let e = app
            .confirm_second_factor_reset(&staff(a), reset)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                kyosai_app::AppError::Conflict {
                    code: "same_staff",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            app.confirm_second_factor_reset(&member, reset)
                .await
                .is_err()
        );
        app.confirm_second_factor_reset(&staff(b), reset)
            .await
            .unwrap();
        let p = app.user_by_email("lost@example.jp").await.unwrap().unwrap();
        assert!(!p.totp_enabled);
        assert_eq!(
            count_where(
                &store,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%二段階認証をリセットしました%'"
            )
            .await,
            1
        );
        let mut c = store.read().await.unwrap();
        let actions: Vec<String> = kyosai_store::audit::for_target(&mut c, &format!("user:{id}"))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        for want in [
            "user.password_reset",
            "user.recovery_codes_issued",
            "user.recovery_code_used",
            "user.second_factor_reset_requested",
            "user.second_factor_reset",
        ] {
            assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
        }
    }
}
