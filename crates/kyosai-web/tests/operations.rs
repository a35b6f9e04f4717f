#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Operations (issue #16): `/metrics`, `/readyz`, request ids, and graceful degradation when the
//! database is unreachable. On every backend available.

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use reqwest::StatusCode;

mod support;

#[tokio::test]
async fn metrics_show_latency_by_route_procedures_outbox_and_pool() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = support::spawn(store, Clock::System).await;
        let c = reqwest::Client::new();
        for _ in 0..3 {
            assert_eq!(site.get(&c, "/calculators").await.0, StatusCode::OK);
        }
        assert_eq!(
            site.get(&c, "/portal/notices/42").await.0,
            StatusCode::OK,
            "redirected to the login page"
        );
        let id = site
            .app
            .create_account(
                Role::Member,
                "m@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let m = Actor {
            user_id: id,
            role: Role::Member,
        };
        site.app
            .submit_enrollment(&m, id, &sample_form("small_enterprise"))
            .await
            .unwrap();
        site.app
            .submit_enrollment(&m, id, &sample_form("small_enterprise"))
            .await
            .unwrap_err();

        let r = c.get(site.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = r.text().await.unwrap();
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
                .to_string()
        };
        assert_eq!(
            line(
                "kyosai_http_request_duration_seconds_count{method=\"GET\",route=\"/calculators\",status=\"200\"}"
            )
            .rsplit(' ')
            .next(),
            Some("3")
        );
        // The matched route, never the raw path (bounded labels).
        assert!(text.contains("route=\"/portal/notices/{id}\""), "{text}");
        assert!(!text.contains("/portal/notices/42"));
        assert!(text.contains("le=\"+Inf\""));
        assert!(text.contains("# TYPE kyosai_http_request_duration_seconds histogram"));
        // Nothing but this scrape is being answered, and scrapes and probes do not count (mail
        // PDFs wait while the gauge is above zero).
        assert_eq!(
            line("kyosai_http_requests_in_flight "),
            "kyosai_http_requests_in_flight 0"
        );
        assert_eq!(
            line(
                "kyosai_procedures_total{procedure=\"enrollment\",channel=\"online\",outcome=\"completed\"}"
            ),
            "kyosai_procedures_total{procedure=\"enrollment\",channel=\"online\",outcome=\"completed\"} 1"
        );
        assert!(text.contains(
            "kyosai_procedures_total{procedure=\"enrollment\",channel=\"online\",outcome=\"rejected\"} 1"
        ));
        // The enrollment's confirmation mail waits in the outbox (no delivery loop here).
        assert_eq!(line("kyosai_outbox_pending "), "kyosai_outbox_pending 1");
        assert!(line("kyosai_outbox_oldest_age_seconds ").len() > 33);
        assert_eq!(line("kyosai_database_up "), "kyosai_database_up 1");
        assert!(
            line("kyosai_db_pool_max ").ends_with(" 8")
                || line("kyosai_db_pool_max ").ends_with(" 16")
        );
        assert!(
            line("kyosai_db_pool_connections ")
                .rsplit(' ')
                .next()
                .unwrap()
                .parse::<u32>()
                .unwrap()
                >= 1
        );
    }
}

#[tokio::test]
async fn billing_run_progress_is_in_the_metrics() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2026-11-02T01:00:00Z".parse().unwrap())).await;
        let id = site
            .app
            .create_account(
                Role::Member,
                "b@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let m = Actor {
            user_id: id,
            role: Role::Member,
        };
        site.app
            .submit_enrollment(&m, id, &sample_form("small_enterprise"))
            .await
            .unwrap();
        let out = tempfile::tempdir().unwrap();
        site.app
            .billing_run(
                "2026-11".parse().unwrap(),
                Some(kyosai_domain::Program::SmallEnterprise),
                out.path(),
                &kyosai_app::billing::RunOptions::default(),
                &|_| {},
            )
            .await
            .unwrap();
        let text = reqwest::get(site.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(
                "kyosai_billing_run_lines{program=\"small_enterprise\",month=\"2026-11\",status=\"completed\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains(
            "kyosai_billing_run_files{program=\"small_enterprise\",month=\"2026-11\",status=\"completed\"} 1"
        ));
    }
}

#[tokio::test]
async fn readyz_checks_writes_and_migrations() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = support::spawn(store.clone(), Clock::System).await;
        let c = reqwest::Client::new();
        assert_eq!(
            site.get(&c, "/readyz").await,
            (StatusCode::OK, "ready".into())
        );
        assert_eq!(
            site.get(&c, "/healthz").await,
            (StatusCode::OK, "ok".into())
        );
        // A database migrated by a newer release: this binary must not take traffic.
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, 'from a newer release', TRUE, $2, 0)",
        )
        .bind(99_990_101_i64)
        .bind(vec![0_u8; 4])
        .execute(store.pool())
        .await
        .unwrap();
        let (status, body) = site.get(&c, "/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("99990101"), "{body}");
        // Alive all the same.
        assert_eq!(site.get(&c, "/healthz").await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_client_id_is_kept() {
    let (store, _dir) = kyosai_store::testing::sqlite().await.unwrap();
    let site = support::spawn(store, Clock::System).await;
    let c = reqwest::Client::new();
    let mut seen = Vec::new();
    for path in [
        "/calculators",
        "/readyz",
        "/no-such-page",
        "/api/v1/overview",
    ] {
        let r = c.get(site.url(path)).send().await.unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 36, "{path}: a UUID, got {id}");
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "a new id per request");
    let r = c
        .get(site.url("/calculators"))
        .header("x-request-id", "caller-trace-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "caller-trace-7");
}

#[tokio::test]
async fn with_the_database_gone_the_portal_says_so_and_calculators_keep_working() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = support::spawn(store.clone(), Clock::System).await;
        let staff = site
            .app
            .create_account(Role::Staff, "s@example.jp", "", Some("test passphrase 123"))
            .await
            .unwrap();
        let token = site.app.issue_token(staff, "test", None).await.unwrap();
        let c = reqwest::Client::new();
        store.close().await;

        // The first request that needs the database finds it gone: 503 in Japanese, with the
        // API's envelope and a retry time.
        let r = c
            .get(site.url("/api/v1/overview"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()["retry-after"], "30");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "service_unavailable");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("もう一度お試しください")
        );

        // Later requests are answered at once from the known state, pages in Japanese HTML.
        for path in ["/portal", "/login", "/staff"] {
            let r = c.get(site.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert_eq!(r.headers()["retry-after"], "30");
            let html = r.text().await.unwrap();
            assert!(html.contains("ただいまご利用いただけません"), "{html}");
            assert!(html.contains("href=\"/calculators\""));
        }

        // Calculators, the top page and the simulation API work from the rules in memory, also
        // for a browser that sends its session cookie.
        for path in [
            "/calculators",
            "/calculators/safety-net/cancellation-refund",
            "/",
        ] {
            let r = c
                .get(site.url(path))
                .header("cookie", "kyosai_session=abc")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
        let r = c
            .post(site.url("/api/v1/simulations/safety-net/cancellation-refund"))
            .json(&serde_json::json!({ "cancellation": "voluntary", "months_paid": 24, "total_paid_yen": 1_200_000, "bankruptcy_loans_received_yen": 0 }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

        // Metrics still answer, saying the database is down.
        let text = site.get(&c, "/metrics").await.1;
        assert!(text.contains("kyosai_database_up 0"), "{text}");
        assert_eq!(
            site.get(&c, "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
