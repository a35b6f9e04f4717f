//! The payment procedure pages of issue #10 over HTTP, on every backend available: form →
//! confirmation → done for the payment frequency (with the next debits), the 前納 application
//! (amount and discount), 掛止め refused with the rule's figures, resumption of a contract that
//! is not suspended, field errors in Japanese (nothing stored), other members refused and staff
//! acting on paper.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use reqwest::StatusCode;

mod support;

use support::{Site, count};

async fn spawn(store: kyosai_store::Store) -> Site {
    support::spawn(store, Clock::Fixed("2026-11-02T01:00:00Z".parse().unwrap())).await
}

async fn contract(site: &Site, member: &Actor, program: &str) -> String {
    let mut form = sample_form(program);
    form.birth_date = Some(format!("1970-01-{:02}", member.user_id % 28 + 1));
    site.app
        .submit_enrollment(member, member.user_id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number
}

#[tokio::test]
async fn frequency_change_through_the_pages() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (c, m) = site.login(Role::Member, "a@example.jp").await;
        let number = contract(&site, &m, "small_enterprise").await;
        let path = format!("/portal/contracts/{number}/frequency");
        let (s, body) = site.get(&c, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("毎月20日（12月は15日"), "{body}");
        assert!(body.contains("name=\"designated_month\""));
        let (billing_status, billing) = site
            .get(&c, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert_eq!(billing_status, StatusCode::OK);
        assert!(billing.contains(&path));

        // Semi-annual without a month: a field error in Japanese, nothing stored.
        let (s, _, body) = site
            .post(
                &c,
                &path,
                &[("frequency", "semi_annual"), ("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("指定納付月を入力してください"), "{body}");
        assert!(body.contains("aria-invalid=\"true\""));

        let form = [
            ("frequency", "semi_annual"),
            ("designated_month", "4"),
            ("action", "confirm"),
        ];
        let (s, _, body) = site.post(&c, &path, &form).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("2026年12月分から"), "{body}");
        assert!(body.contains("2027年4月19日（月）の引落し"), "{body}");
        assert!(body.contains("180,000円（6か月分）"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM frequency_changes").await,
            0
        );
        let (s, _, body) = site
            .post(
                &c,
                &path,
                &[
                    ("frequency", "semi_annual"),
                    ("designated_month", "4"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("払込区分の変更が完了しました"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM frequency_changes").await,
            1
        );

        // Another member gets the 404 page; staff act for the member on paper.
        let (other, _) = site.login(Role::Member, "b@example.jp").await;
        assert_eq!(site.get(&other, &path).await.0, StatusCode::NOT_FOUND);
        let (staff, _) = site.login(Role::Staff, "s@example.jp").await;
        let (s, _, body) = site
            .post(
                &staff,
                &path,
                &[
                    ("frequency", "annual"),
                    ("designated_month", "12"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'frequency_change' AND channel = 'paper'").await,
            1
        );
    }
}

#[tokio::test]
async fn prepayment_suspension_and_resumption_pages() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (c, m) = site.login(Role::Member, "c@example.jp").await;
        let number = contract(&site, &m, "safety_net").await;
        let base = format!("/portal/contracts/{number}");

        let (s, body) = site.get(&c, &format!("{base}/prepayment")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("毎月5日"), "{body}");
        let (s, _, body) = site
            .post(
                &c,
                &format!("{base}/prepayment"),
                &[("months", "１２か月"), ("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("2026年11月から2027年10月まで（12か月分）"),
            "{body}"
        );
        assert!(body.contains("600,000円"));
        assert!(body.contains("2,970円"));
        let (s, _, body) = site
            .post(
                &c,
                &format!("{base}/prepayment"),
                &[("months", "0"), ("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("1か月以上"));
        let (s, _, body) = site
            .post(
                &c,
                &format!("{base}/prepayment"),
                &[("months", "12"), ("action", "submit")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("前納のお申し出を受け付けました"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'prepayment' AND status = 'in_review'").await,
            1
        );
        // Staff see what was asked and what approving does.
        let id = count(
            &site,
            "SELECT MAX(id) AS n FROM applications WHERE procedure = 'prepayment'",
        )
        .await;
        let (staff, _) = site.login(Role::Staff, "s@example.jp").await;
        let (s, body) = site.get(&staff, &format!("/staff/applications/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("前納する月数"), "{body}");
        assert!(body.contains("12か月"), "{body}");
        assert!(
            body.contains("前納金の入金を確認してから承認してください"),
            "{body}"
        );

        let (c2, m2) = site.login(Role::Member, "d@example.jp").await;
        let n2 = contract(&site, &m2, "safety_net").await;
        let (s, body) = site
            .get(&c2, &format!("/portal/contracts/{n2}/suspension"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("掛金月額の40倍以上"), "{body}");
        let (s, _, body) = site
            .post(
                &c2,
                &format!("/portal/contracts/{n2}/suspension"),
                &[("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("2,000,000円"), "{body}");
        let (s, _, body) = site
            .post(
                &c2,
                &format!("/portal/contracts/{n2}/resumption"),
                &[("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("掛止めしていません"), "{body}");
        let (s, _, body) = site
            .post(
                &c2,
                &format!("/portal/contracts/{n2}/resumption"),
                &[("bank_code", "12"), ("action", "confirm")],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("error-summary"));
    }
}
