#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Issue #15: the attacker's view of the HTTP surface. Each test failed on the code before the
//! fix it checks.

use kyosai_app::{App, Clock};
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
async fn member_with_totp(app: &App, store: &kyosai_store::Store, email: &str) -> i64 {
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
