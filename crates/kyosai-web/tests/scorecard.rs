#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! The scorecard over HTTP (issue #14): `GET /api/v1/staff/scorecard` for staff only, with its
//! error envelope; the staff page with its charts and tables; the CSV export. Every backend.

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use kyosai_store::testing;
use reqwest::StatusCode;
use serde_json::Value;

mod support;

/// 2 November 2026, 10:00 in Japan.
fn clock() -> Clock {
    Clock::Fixed("2026-11-02T01:00:00Z".parse().unwrap())
}

async fn api(site: &support::Site, path: &str, token: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .get(site.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn staff_read_the_scorecard_as_json_html_and_csv() {
    for (store, _dir) in testing::all().await.unwrap() {
        let site = support::spawn(store, clock()).await;
        let member = site
            .app
            .create_account(
                Role::Member,
                "m@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        site.app
            .submit_enrollment(
                &Actor {
                    user_id: member,
                    role: Role::Member,
                },
                member,
                &sample_form("small_enterprise"),
            )
            .await
            .unwrap();

        let member_token = site.app.issue_token(member, "test", None).await.unwrap();
        let (st, body) = api(
            &site,
            "/api/v1/staff/scorecard?from=2026-10&to=2026-11",
            &member_token,
        )
        .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");

        let staff = site
            .app
            .create_account(Role::Staff, "api@kyosai.jp", "", Some("staff password 1"))
            .await
            .unwrap();
        let token = site.app.issue_token(staff, "test", None).await.unwrap();
        let (st, body) = api(
            &site,
            "/api/v1/staff/scorecard?from=2026-10&to=2026-11",
            &token,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{body}");
        let rows = body["rows"].as_array().unwrap();
        let row = |procedure: &str, month: Value| {
            rows.iter()
                .find(|r| {
                    r["program"] == "small_enterprise"
                        && r["procedure"] == procedure
                        && r["month"] == month
                })
                .unwrap()
                .clone()
        };
        let cumulative = row("enrollment", Value::Null);
        assert_eq!(cumulative["group"], "enrollment");
        assert_eq!(
            (cumulative["online"].as_i64(), cumulative["total"].as_i64()),
            (Some(1), Some(1))
        );
        assert_eq!(cumulative["rate"].as_f64(), Some(1.0));
        assert_eq!(cumulative["target_rate"].as_f64(), Some(1.0));
        assert_eq!(cumulative["target_deadline"], "2025-12-31");
        let october = row("enrollment", Value::from("2026-10"));
        assert_eq!(
            (october["total"].as_i64(), &october["rate"]),
            (Some(0), &Value::Null)
        );
        assert!(rows.iter().any(|r| r["procedure"] == "premium_decrease"));

        let (st, body) = api(
            &site,
            "/api/v1/staff/scorecard?from=2026-1&to=2026-11",
            &token,
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "invalid_input");
        assert_eq!(body["fields"][0]["field"], "from");
        let (st, body) = api(&site, "/api/v1/staff/scorecard", &token).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // The page: a chart per program and group, with its text, and the tables.
        let (c, _) = site.login(Role::Staff, "page@kyosai.jp").await;
        let (st, html) = site
            .get(&c, "/staff/scorecard?from=2026-10&to=2026-11")
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(html.matches("<svg class=\"chart\" role=\"img\"").count(), 4);
        assert!(html.contains("小規模企業共済 加入関係のオンライン利用率（月別）"));
        assert!(html.contains("2026年11月：100.0%。"));
        assert!(html.contains("100.0%（1/1）"));
        assert!(html.contains("/staff/scorecard.csv?from=2026-10&"));
        let (st, html) = site
            .get(&c, "/staff/scorecard?from=2026-12&to=2026-11")
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("終了月は開始月以降にしてください。"));

        let r = c
            .get(site.url("/staff/scorecard.csv?from=2026-10&to=2026-11"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "text/csv; charset=utf-8"
        );
        let csv = r.text().await.unwrap();
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("\u{feff}\"program\",\"program_ja\"")
        );
        assert!(csv.contains(
            "\"small_enterprise\",\"小規模企業共済\",\"enrollment\",\"enrollment\",\"加入申込\",\"\",\"1\",\"1\",\"1.0000\",\"1.0000\",\"2025-12-31\""
        ));

        // The committee report: the same figures as one PDF.
        let (_, html) = site
            .get(&c, "/staff/scorecard?from=2026-10&to=2026-11")
            .await;
        assert!(
            html.contains("/staff/scorecard.pdf?from=2026-10&#38;to=2026-11"),
            "{html}"
        );
        let r = c
            .get(site.url("/staff/scorecard.pdf?from=2026-10&to=2026-11"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let pdf = r.bytes().await.unwrap();
        let text = support::pdf_text(&pdf);
        for wanted in [
            "オンライン利用率の実績（第三者委員会報告）",
            "小規模企業共済オンライン利用率",
            "加入申込",
            "処理期間（受付から完了まで）",
            "職員の作業時間",
        ] {
            assert!(text.contains(wanted), "{wanted} in {text}");
        }

        // The contact center logs a call; the scorecard counts it.
        let (st, html) = site.get(&c, "/staff/contact?q=000").await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("該当する契約はありません。"), "{html}");
        let (st, _, html) = site
            .post(
                &c,
                "/staff/contact/inquiries",
                &[("category", ""), ("outcome", "answered")],
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("問い合わせの内容を選んでください。"));
        let (st, url, html) = site
            .post(
                &c,
                "/staff/contact/inquiries",
                &[
                    ("category", "online_how_to"),
                    ("outcome", "guided_online"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(
            (st, url.as_str()),
            (StatusCode::OK, "/staff/contact?logged=1")
        );
        assert!(html.contains("問い合わせを記録しました。"));
        let (_, html) = site
            .get(&c, "/staff/scorecard?from=2026-10&to=2026-11")
            .await;
        assert!(
            html.contains("問い合わせ 1件／有効な契約の会員 1人"),
            "{html}"
        );

        // Members are refused the pages.
        let (mc, _) = site.login(Role::Member, "page-m@example.jp").await;
        let (st, _) = site.get(&mc, "/staff/contact").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = site.get(&mc, "/staff/scorecard").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}
