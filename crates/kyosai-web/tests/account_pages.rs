//! Black-box tests of the debit account change (issue #4) over HTTP, on every backend available:
//! a code-3 failure, the member registering a new account through the pages (bank and branch
//! search, field errors, confirmation, done), the next month's file on the new account, other
//! members refused, and `PUT /api/v1/contracts/{number}/mandate` giving the same results.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::path::PathBuf;

use jiff::Timestamp;
use kyosai_app::billing::{Progress, RunOptions};
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use kyosai_domain::YearMonth;
use kyosai_zengin::debit::{Expectation, ResultCode, parse_file};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, on};

/// The site's day: 20 November 2026 (after November's debit, before December's cut-off).
fn today() -> Timestamp {
    "2026-11-20T01:00:00Z".parse().unwrap()
}

async fn spawn(store: kyosai_store::Store) -> Site {
    support::spawn(store, Clock::Fixed(today())).await
}

/// The same database on another day (billing runs and the enrollment happen earlier or later).
fn no_progress(_: Progress) {}

fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "kyosai-account-pages-{}-{tag}-{}",
        std::process::id(),
        Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn month(s: &str) -> YearMonth {
    s.parse().unwrap()
}

/// What only these tests need of the site.
trait AccountSite {
    async fn put_api(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value);
    async fn enroll(&self, member: &Actor, kana: &str) -> String;
    async fn count(&self, sql: &str) -> i64;
    async fn bill(&self, m: &str, at: &str) -> (String, Vec<u8>);
}

impl AccountSite for Site {
    async fn put_api(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let r = reqwest::Client::new()
            .put(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    /// A 小規模 contract made on 2 November (first debit 18 November), みずほ 001 1234567.
    async fn enroll(&self, member: &Actor, kana: &str) -> String {
        let mut form = sample_form("small_enterprise");
        form.family_name_kana = Some(kana.into());
        form.account_holder_kana = Some(format!("{kana} タロウ"));
        on(&self.app, "2026-11-02T01:00:00Z")
            .submit_enrollment(member, member.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number
    }

    async fn count(&self, sql: &str) -> i64 {
        let mut c = self.store.read().await.unwrap();
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut *c)
            .await
            .unwrap();
        kyosai_store::Row::try_get(&row, "n").unwrap()
    }

    /// Bills `month` on its cut-off day; returns the 小規模 request file.
    async fn bill(&self, m: &str, at: &str) -> (String, Vec<u8>) {
        let out = out_dir(m);
        let runs = on(&self.app, at)
            .billing_run(month(m), None, &out, &RunOptions::default(), &no_progress)
            .await
            .unwrap();
        let f = runs
            .iter()
            .flat_map(|r| r.files.clone())
            .find(|f| f.name.contains("small_enterprise"))
            .unwrap();
        (f.name.clone(), std::fs::read(&f.path).unwrap())
    }
}

/// The new account as the form posts it: 三井住友 神保町, 普通 7654321.
const NEW: [(&str, &str); 5] = [
    ("bank_code", "0009"),
    ("branch_code", "001"),
    ("account_type", "ordinary"),
    ("account_number", "7654321"),
    ("account_holder_kana", "ヤマダ タロウ"),
];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = NEW
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    v.extend_from_slice(extra);
    v
}

#[tokio::test]
async fn member_registers_a_new_account_after_a_code_3_failure_and_december_debits_it() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (a, member_a) = site.login(Role::Member, "a@example.jp").await;
        let (b, _) = site.login(Role::Member, "b@example.jp").await;
        let number = site.enroll(&member_a, "ヤマダ").await;
        let page = format!("/portal/contracts/{number}/account");

        // November: the depositor stopped the debit (code 3).
        let (name, bytes) = site.bill("2026-11", "2026-11-11T00:10:00Z").await;
        let result =
            simulate_bank(&bytes, 1.0, &[(ResultCode::StoppedByDepositor, 1.0)], 1).unwrap();
        site.app
            .import_result_file(&name, &result, "test")
            .await
            .unwrap();

        // The red panel and the portal link to the account page.
        let (_, billing) = site
            .get(&a, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert!(
            billing.contains("口座振替に使えなくなりました"),
            "{billing}"
        );
        assert!(billing.contains(&format!("href=\"{page}\"")), "{billing}");
        let (_, portal) = site.get(&a, "/portal").await;
        assert!(portal.contains(&format!("href=\"{page}\"")), "{portal}");

        // The form: current account (unusable) and from which debit a new one is used.
        let (s, body) = site.get(&a, &page).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("口座振替に使えなくなっています"), "{body}");
        assert!(body.contains("2026年12月18日"), "{body}");
        assert!(body.contains("name=\"account_holder_kana\""));

        // Bank search by name, pick, branch search, pick: no JavaScript needed.
        let (s, _, body) = site
            .post(
                &a,
                &page,
                &[("action", "bank_search"), ("bank_query", "三井住友")],
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("name=\"pick_bank\" value=\"0009\""), "{body}");
        let (_, _, body) = site.post(&a, &page, &[("pick_bank", "0009")]).await;
        assert!(body.contains("「三井住友銀行」を選びました"), "{body}");
        assert!(body.contains("value=\"0009\""), "{body}");
        let (_, _, body) = site
            .post(
                &a,
                &page,
                &[
                    ("bank_code", "0009"),
                    ("action", "branch_search"),
                    ("branch_query", "神保町"),
                ],
            )
            .await;
        assert!(
            body.contains("name=\"pick_branch\" value=\"001\""),
            "{body}"
        );

        // Field errors next to the fields; nothing stored.
        let mandates = "SELECT COUNT(*) AS n FROM mandates";
        let before = site.count(mandates).await;
        let (s, _, body) = site
            .post(
                &a,
                &page,
                &with(&[
                    ("action", "confirm"),
                    ("branch_code", "998"),
                    ("account_number", "12345678"),
                    ("account_holder_kana", "山田太郎"),
                ]),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("支店が見つかりません"), "{body}");
        assert!(body.contains("口座番号は7桁以内の数字で入力してください"));
        assert!(
            body.contains("id=\"f-account_holder_kana-error\""),
            "{body}"
        );
        assert!(body.contains("aria-invalid=\"true\""));
        let (s, _, body) = site
            .post(
                &a,
                &page,
                &with(&[("action", "confirm"), ("bank_code", "9998")]),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body.contains("金融機関コード（4桁）が見つかりません"),
            "{body}"
        );
        assert_eq!(site.count(mandates).await, before);

        // Confirmation: the holder as the bank receives it and the first debit date.
        let (s, _, body) = site.post(&a, &page, &with(&[("action", "confirm")])).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("ﾔﾏﾀﾞ ﾀﾛｳ"), "{body}");
        assert!(body.contains("三井住友銀行（0009）"));
        assert!(body.contains("神保町（001）"));
        assert!(body.contains("2026年12月18日"));
        assert!(body.contains("type=\"hidden\" name=\"account_number\" value=\"7654321\""));
        assert_eq!(site.count(mandates).await, before, "nothing stored yet");

        // Done; a double submit changes nothing.
        let (s, _, body) = site.post(&a, &page, &with(&[("action", "submit")])).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("引落口座の変更が完了しました"), "{body}");
        assert!(body.contains("2026年12月18日"));
        let (s, _, body) = site.post(&a, &page, &with(&[("action", "submit")])).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("すでにご登録いただいています"), "{body}");
        assert_eq!(site.count(mandates).await, before + 1);

        // Someone else's account is not registered on the rules: it waits for staff.
        let (s, _, body) = site
            .post(
                &a,
                &page,
                &with(&[
                    ("action", "submit"),
                    ("account_number", "1111111"),
                    ("account_holder_kana", "スズキ ハナコ"),
                ]),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("引落口座の変更を受け付けました（確認中）"),
            "{body}"
        );
        assert!(!body.contains("変更が完了しました"), "{body}");
        assert_eq!(site.count(mandates).await, before + 1, "no mandate yet");
        assert_eq!(
            site.count(
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%引落口座の変更を受け付けました%'"
            )
            .await,
            2,
            "the completed change and the one waiting for staff"
        );

        // The billing page: no red panel, the date the new account is used from.
        let (_, billing) = site
            .get(&a, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert!(
            !billing.contains("口座振替に使えなくなりました"),
            "{billing}"
        );
        assert!(
            billing.contains("新しくご登録の口座からの引落しは"),
            "{billing}"
        );
        let (_, portal) = site.get(&a, "/portal").await;
        assert!(portal.contains("引落口座の変更（受付番号"), "{portal}");

        // Another member: 404 for the page and the post; nothing changes.
        let (s, _) = site.get(&b, &page).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _, _) = site
            .post(
                &b,
                &page,
                &with(&[("action", "submit"), ("account_number", "1111111")]),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(site.count(mandates).await, before + 1);

        // December's file debits the new account, November's premium again with December's.
        let (_, bytes) = site.bill("2026-12", "2026-12-11T00:10:00Z").await;
        let f = parse_file(&bytes, Expectation::Request).unwrap();
        let r = &f.records()[0];
        assert_eq!(
            (
                r.bank_code.as_str(),
                r.branch_code.as_str(),
                r.account_number.as_str()
            ),
            ("0009", "001", "7654321")
        );
        assert_eq!(r.amount, 60_000);
    }
}

#[tokio::test]
async fn the_api_changes_the_account_with_the_same_rules() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (_, member_a) = site.login(Role::Member, "a@example.jp").await;
        let (_, member_b) = site.login(Role::Member, "b@example.jp").await;
        let number = site.enroll(&member_a, "ヤマダ").await;
        let token_a = site
            .app
            .issue_token(member_a.user_id, "test", None)
            .await
            .unwrap();
        let token_b = site
            .app
            .issue_token(member_b.user_id, "test", None)
            .await
            .unwrap();
        let path = format!("/api/v1/contracts/{number}/mandate");
        let body = json!({
            "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
            "account_number": 7654321, "account_holder_kana": "ヤマダ タロウ"
        });
        let (s, v) = site.put_api(&token_b, &path, body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(v["code"], "not_found");
        let (s, v) = site
            .put_api(
                &token_a,
                &path,
                json!({"bank_code": "0009", "branch_code": "998", "account_type": "savings",
                       "account_number": "12345678", "account_holder_kana": "山田"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "invalid_input");
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        for f in [
            "branch_code",
            "account_type",
            "account_number",
            "account_holder_kana",
        ] {
            assert!(fields.contains(&f), "{f}: {v}");
        }
        let (s, v) = site.put_api(&token_a, &path, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["changed"], true);
        assert_eq!(v["effective_month"], "2026-12");
        assert_eq!(v["first_debit_date"], "2026-12-18");
        assert_eq!(v["account"]["holder_kana"], "ﾔﾏﾀﾞ ﾀﾛｳ");
        let (s, v) = site.put_api(&token_a, &path, body).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["changed"], false, "PUT again stores nothing");
        assert_eq!(
            site.count("SELECT COUNT(*) AS n FROM mandates").await,
            2,
            "the enrollment's and the new one"
        );
        // The operation is in the OpenAPI document.
        let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", site.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["paths"]["/api/v1/contracts/{number}/mandate"]["put"].is_object());
    }
}
