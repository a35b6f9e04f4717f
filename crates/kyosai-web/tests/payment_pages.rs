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
    form.birth_date = Some(format!("1970-01-{:02}", member.user_id.get() % 28 + 1));
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

/// 掛金の納付期限の延長 through the pages and the API: a member in the Noto measure's area reads
/// the measure's words and its most months, a refused number is named at the field (nothing
/// stored), the confirmation shows the deferred and catch-up months, the done page and the mail;
/// a member elsewhere is told it is not for them; the API answers the same.
#[tokio::test]
async fn premium_deferral_through_the_pages_and_the_api() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site = spawn(store).await;
        let (c, m) = site.login(Role::Member, "n@example.jp").await;
        let form = kyosai_app::dev::demo::in_kanazawa(sample_form("small_enterprise"));
        let number = site
            .app
            .submit_enrollment(&m, m.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let page = format!("/portal/contracts/{number}/deferral");
        let (s, billing) = site
            .get(&c, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(billing.contains(&page), "linked from the billing page");
        let (s, body) = site.get(&c, &page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            body.contains("令和6年能登半島地震に係る特例措置の対象の方は")
                && body.contains("1〜6か月"),
            "{body}"
        );
        let stored = "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'premium_deferral'";
        let (s, _, body) = site
            .post(&c, &page, &[("months", "9"), ("action", "confirm")])
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("1〜6か月で入力してください"), "{body}");
        let (s, _, body) = site
            .post(&c, &page, &[("months", "３"), ("action", "confirm")])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let plan = site
            .app
            .preview_premium_deferral(
                &m,
                &number,
                &kyosai_app::premium_deferral::PremiumDeferralForm {
                    months: Some("3".into()),
                },
            )
            .await
            .unwrap();
        let ja = kyosai_app::ja_text::ja_month;
        for shown in [
            format!(
                "{}分から{}分まで",
                ja(plan.deferred_from),
                ja(plan.deferred_until)
            ),
            format!(
                "{}分から{}分まで、毎月の掛金とあわせて1回{}",
                ja(plan.catch_up_from),
                ja(plan.caught_up_by),
                plan.catch_up_debit_yen
            ),
        ] {
            assert!(body.contains(&shown), "{shown}: {body}");
        }
        assert_eq!(count(&site, stored).await, 0);
        let (s, _, body) = site
            .post(&c, &page, &[("months", "3"), ("action", "submit")])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("掛金の納付期限の延長を受け付けました"),
            "{body}"
        );
        assert_eq!(count(&site, stored).await, 1);
        // The portal lists it under its own name (it said 「…への加入」 for every procedure
        // but the account change before).
        let (_, portal) = site.get(&c, "/portal").await;
        assert!(
            portal.contains("小規模企業共済の掛金の納付期限の延長"),
            "{portal}"
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%納付期限の延長を受け付けました%'").await,
            1
        );

        // A member elsewhere: the page says who may use it; the API refuses with the code.
        let (tc, tm) = site.login(Role::Member, "t@example.jp").await;
        let tokyo = contract(&site, &tm, "small_enterprise").await;
        let (s, body) = site
            .get(&tc, &format!("/portal/contracts/{tokyo}/deferral"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            body.contains("災害の特例措置の対象の方がご利用いただけます"),
            "{body}"
        );
        let token = site
            .app
            .issue_token(tm.user_id, "test", None)
            .await
            .unwrap();
        let api = reqwest::Client::new();
        let r = api
            .post(site.url(&format!("/api/v1/contracts/{tokyo}/premium-deferral")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"months": 3}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "deferral_not_allowed", "{v}");
        // The member in the area, over the API: already deferred.
        let token = site.app.issue_token(m.user_id, "test", None).await.unwrap();
        let r = api
            .post(site.url(&format!("/api/v1/contracts/{number}/premium-deferral")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"months": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "already_deferred", "{v}");
    }
}
