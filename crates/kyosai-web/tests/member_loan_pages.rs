//! The 契約者貸付 request through the portal pages and the API (issue #12 item 4): the limit in
//! force and each kind's amounts, rate and terms from the rule set; field errors (nothing
//! stored); the confirmation with the transfer less the interest in advance and the schedule,
//! equal to the app's quote; the done page (in review: the tables are provisional); the API's
//! answers. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::member_loan::MemberLoanForm;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;
use serde_json::json;

mod support;

use support::{count, on};

#[tokio::test]
async fn a_member_asks_for_a_member_loan_through_the_pages_and_the_api() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        // April 2028: the limit counts the premiums collected up to March.
        let site =
            support::spawn(store, Clock::Fixed("2028-04-10T01:00:00Z".parse().unwrap())).await;
        let (member_client, member) = site.login(Role::Member, "a@example.jp").await;
        let (other_client, _) = site.login(Role::Member, "b@example.jp").await;
        let number = on(&site.app, "2026-11-02T01:00:00Z")
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2028-03").await;
        let page = format!("/portal/contracts/{number}/member-loan");
        let offer = site.app.member_loan_offer(&member, &number).await.unwrap();
        assert!(offer.limit.get() >= 200_000, "{offer:?}");

        let (s, body) = site.get(&member_client, &page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains(&offer.limit.to_string()), "{body}");
        assert!(
            body.contains("一般貸付け") && body.contains("年1.5%"),
            "{body}"
        );
        let (s, _) = site.get(&other_client, &page).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "someone else's contract");
        let (_, loans_page) = site
            .get(&member_client, &format!("/portal/contracts/{number}/loans"))
            .await;
        assert!(loans_page.contains(&page), "offered from the loans page");

        // Only a member the disaster special measure applies to (a business in 石川県) is told
        // of its 特例災害時貸付け, in the words of the measure's rule data.
        assert!(offer.disaster_loan.is_none());
        assert!(!body.contains("特例災害時貸付け"), "{body}");
        let (ishikawa_client, ishikawa) = site.login(Role::Member, "c@example.jp").await;
        let mut form = sample_form("small_enterprise");
        form.prefecture = Some("石川県".into());
        form.postcode = Some("9200001".into());
        form.city = Some("金沢市".into());
        form.address_line = Some("千木町1-1".into());
        form.birth_date = Some("1971-02-03".into());
        let ishikawa_number = on(&site.app, "2026-11-02T01:00:00Z")
            .submit_enrollment(&ishikawa, ishikawa.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let (measure, offered) = site
            .app
            .member_loan_offer(&ishikawa, &ishikawa_number)
            .await
            .unwrap()
            .disaster_loan
            .unwrap();
        let (s, body) = site
            .get(
                &ishikawa_client,
                &format!("/portal/contracts/{ishikawa_number}/member-loan"),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains(&measure) && body.contains(&offered), "{body}");
        assert!(offered.contains("特例災害時貸付け"), "{offered}");

        // Off the unit: the field says so, nothing stored.
        let apps = count(&site, "SELECT COUNT(*) AS n FROM applications").await;
        let (s, _, body) = site
            .post(
                &member_client,
                &page,
                &[
                    ("kind", "general"),
                    ("amount_yen", "210000"),
                    ("term_months", "12"),
                    ("action", "submit"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body.contains("error-summary") && body.contains("単位"),
            "{body}"
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications").await,
            apps
        );

        // The confirmation: the app's quote, nothing stored.
        let form = [
            ("kind", "general"),
            ("amount_yen", "200000"),
            ("term_months", "12"),
        ];
        let quote = site
            .app
            .quote_member_loan(
                &member,
                &number,
                &MemberLoanForm {
                    kind: Some("general".into()),
                    amount_yen: Some("200000".into()),
                    term_months: Some("12".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut confirm = form.to_vec();
        confirm.push(("action", "confirm"));
        let (s, _, body) = site.post(&member_client, &page, &confirm).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("この内容で申し込む"), "{body}");
        assert!(
            body.contains(&quote.schedule.transfer.to_string()),
            "{body}"
        );
        assert!(
            body.contains(&quote.schedule.interest_in_advance.to_string()),
            "{body}"
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications").await,
            apps
        );

        // Submitted: in review (provisional tables), with the quote repeated.
        let mut submit = form.to_vec();
        submit.push(("action", "submit"));
        let (s, _, body) = site.post(&member_client, &page, &submit).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("確認中"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'member_loan' AND status = 'in_review'").await,
            1
        );

        // Staff read the request in words on the review screen.
        let id = count(
            &site,
            "SELECT id AS n FROM applications WHERE procedure = 'member_loan'",
        )
        .await;
        let (staff_client, _) = site.login(Role::Staff, "s@example.jp").await;
        let (s, body) = site
            .get(&staff_client, &format!("/staff/applications/{id}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        for shown in [
            "貸付けの種類",
            "一般貸付け",
            "借入額",
            "200,000円",
            "返済期間",
            "12か月",
        ] {
            assert!(body.contains(shown), "{shown}: {body}");
        }

        // The API: a second request waits for the first; a 倒産防止 contract has none.
        let token = site
            .app
            .issue_token(member.user_id, "test", None)
            .await
            .unwrap();
        let r = reqwest::Client::new()
            .post(site.url(&format!("/api/v1/contracts/{number}/member-loans")))
            .bearer_auth(&token)
            .json(&json!({"kind": "general", "amount_yen": 100000, "term_months": 6}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "procedure_pending", "{v}");
    }
}
