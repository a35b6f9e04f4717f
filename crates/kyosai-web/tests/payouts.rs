//! Payouts over HTTP on every backend available (issue #11): `GET …/payouts` lists a contract's
//! payouts with their status for its member and staff only; a payout the bank returned is held,
//! shown with its reason in the portal, and the member's new account (API or page) schedules it
//! again; staff see runs, download files that match their recorded hash, and the held payouts.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::payouts::PayoutRunOptions;
use kyosai_app::{Actor, Clock, Role};
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::{ContractId, PayoutId, Yen};
use kyosai_store::payouts::{self, NewPayout, PayeeAccount};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, count, on};

async fn enroll(site: &Site, member: &Actor) -> (String, ContractId) {
    let number = site
        .app
        .submit_enrollment(member, member.user_id, &sample_form("small_enterprise"))
        .await
        .unwrap()
        .contract
        .unwrap()
        .number;
    let id = ContractId::new(
        count(
            site,
            &format!("SELECT id AS n FROM contracts WHERE number = '{number}'"),
        )
        .await,
    );
    (number, id)
}

async fn schedule(site: &Site, contract_id: ContractId, due: &str, yen: i64) -> PayoutId {
    let mut tx = site.store.begin_write().await.unwrap();
    let id = payouts::schedule(
        tx.conn(),
        &NewPayout {
            contract_id,
            application_id: None,
            kind: PayoutKind::CancellationRefund,
            due_date: due.parse().unwrap(),
            amount: Yen::new(yen),
            account: &PayeeAccount {
                bank_code: "0001".into(),
                branch_code: "001".into(),
                account_type: "ordinary".into(),
                account_number: "1234567".into(),
                holder_kana: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
            },
            source: "cancellation_refund:99",
            seq: 1,
        },
        "2026-11-02T10:00:00+09:00",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn api(
    site: &Site,
    token: Option<&str>,
    path: &str,
    put: Option<Value>,
) -> (StatusCode, Value) {
    let c = reqwest::Client::new();
    let url = format!("{}{path}", site.base);
    let mut r = match &put {
        Some(b) => c.put(url).json(b),
        None => c.get(url),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn members_see_their_payouts_and_give_an_account_for_a_returned_one() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2026-11-11T01:00:00Z".parse().unwrap())).await;
        let (browser, a) = site.login(Role::Member, "a@example.jp").await;
        let (_, b) = site.login(Role::Member, "b@example.jp").await;
        let (staff_browser, _) = site.login(Role::Staff, "staff@kyosai.example.jp").await;
        let (number, contract) = enroll(&site, &a).await;
        let p = schedule(&site, contract, "2026-11-12", 250_000).await;
        let token_a = site.app.issue_token(a.user_id, "test", None).await.unwrap();
        let token_b = site.app.issue_token(b.user_id, "test", None).await.unwrap();
        let list = format!("/api/v1/contracts/{number}/payouts");

        let (s, v) = api(&site, Some(&token_a), &list, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v[0]["date"], "2026-11-12");
        assert_eq!(v[0]["yen"], 250_000);
        assert_eq!(v[0]["kind"], "cancellation_refund");
        assert_eq!(v[0]["status"], "scheduled");
        assert_eq!(v[0]["application_id"], Value::Null);
        let (s, v) = api(&site, Some(&token_b), &list, None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let (s, _) = api(&site, None, &list, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // Paid on the 12th, then returned by the bank.
        let out = std::env::temp_dir().join(format!(
            "kyosai-web-payouts-{}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond()
        ));
        let run = site
            .app
            .payout_run(
                "2026-11-12".parse().unwrap(),
                &out,
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        let delivered = std::fs::read(&run.files[0].path).unwrap();
        let later = on(&site.app, "2026-11-13T01:00:00Z");
        later
            .import_payout_returns("return.dat", &delivered, "test")
            .await
            .unwrap();
        let (_, v) = api(&site, Some(&token_a), &list, None).await;
        assert_eq!(v[0]["status"], "held");

        // The portal says why and offers the form; staff see it among the exceptions.
        let (s, page) = site
            .get(&browser, &format!("/portal/contracts/{number}/payouts"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("入金できなかった"), "{page}");
        assert!(page.contains(&format!("/payouts/{p}/account")), "{page}");
        let (s, page) = site.get(&staff_browser, "/staff/payouts").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains(&number) && page.contains("250,000円"),
            "{page}"
        );
        let name = run.files[0].path.file_name().unwrap().to_string_lossy();
        let r = staff_browser
            .get(site.url(&format!("/staff/payouts/runs/1/files/{name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().to_vec(), delivered);
        let (s, _) = site.get(&browser, "/staff/payouts").await;
        assert_ne!(s, StatusCode::OK, "members do not see the staff screen");

        // A bad account over the API: field errors, nothing changes.
        let account = format!("/api/v1/contracts/{number}/payouts/{p}/account");
        let (s, v) = api(
            &site,
            Some(&token_a),
            &account,
            Some(
                json!({"bank_code": "0001", "branch_code": "001", "account_type": "ordinary",
                "account_number": "12345678", "account_holder_kana": "ヤマダ タロウ"}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["fields"][0]["field"], "account_number");
        let (s, _) = api(
            &site,
            Some(&token_b),
            &account,
            Some(
                json!({"bank_code": "0001", "branch_code": "001", "account_type": "ordinary",
                "account_number": "7654321", "account_holder_kana": "ヤマダ タロウ"}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // The member's own new account through the page: scheduled for the next business day.
        let (s, _, page) = site
            .post(
                &browser,
                &format!("/portal/contracts/{number}/payouts/{p}/account"),
                &[
                    ("bank_code", "0001"),
                    ("branch_code", "001"),
                    ("account_type", "ordinary"),
                    ("account_number", "7654321"),
                    ("account_holder_kana", "ヤマダ タロウ"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(page.contains("お振込み先の口座を登録しました"), "{page}");
        let (_, v) = api(&site, Some(&token_a), &list, None).await;
        assert_eq!(
            (&v[0]["status"], &v[0]["date"]),
            (&json!("scheduled"), &json!("2026-11-12"))
        );
        // Done again over the API: the payout is no longer held.
        let (s, v) = api(
            &site,
            Some(&token_a),
            &account,
            Some(
                json!({"bank_code": "0001", "branch_code": "001", "account_type": "ordinary",
                "account_number": "7654321", "account_holder_kana": "ヤマダ タロウ"}),
            ),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("payout_not_held"))
        );
    }
}
