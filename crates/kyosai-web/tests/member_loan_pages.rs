//! The 契約者貸付 request through the portal pages and the API (issue #12 item 4): the limit in
//! force and each kind's amounts, rate and terms from the rule set; field errors (nothing
//! stored); the confirmation with the transfer less the interest in advance and the schedule,
//! equal to the app's quote; the done page (in review: the tables are provisional); the API's
//! answers. The 特例災害時貸付け of a disaster special measure for a member in its area: offered
//! on the measure's terms, its evidence attached on the confirmation step (refused without),
//! decided by staff into an interest-free loan repaid after its grace year. Every backend
//! available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::member_loan::MemberLoanForm;
use kyosai_app::{Clock, Role};
use kyosai_domain::ApplicationId;
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

        // The 特例災害時貸付け is offered only to a member a disaster special measure applies to.
        assert!(offer.disaster_loan.is_none());
        assert!(!body.contains("特例災害時貸付け"), "{body}");

        // Off the unit: the field says so, nothing stored.
        let apps = count(&site, "SELECT COUNT(*) AS n FROM applications").await;
        let (s, _, body) = site
            .post_multipart(
                &member_client,
                &page,
                &[
                    ("kind", "general"),
                    ("amount_yen", "210000"),
                    ("term_months", "12"),
                    ("action", "submit"),
                ],
                None,
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
        let (s, _, body) = site
            .post_multipart(&member_client, &page, &confirm, None)
            .await;
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
        let (s, _, body) = site
            .post_multipart(&member_client, &page, &submit, None)
            .await;
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

/// A PDF as a scanner makes one (the type is told by the first bytes).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

#[tokio::test]
async fn a_member_in_a_disaster_area_borrows_the_special_loan_with_evidence() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2028-04-10T01:00:00Z".parse().unwrap())).await;
        let (client, member) = site.login(Role::Member, "c@example.jp").await;
        let (tokyo_client, tokyo) = site.login(Role::Member, "d@example.jp").await;
        let mut form = kyosai_app::dev::demo::in_kanazawa(sample_form("small_enterprise"));
        form.birth_date = Some("1971-02-03".into());
        // 17 months × 70,000 yen by April 2028: a limit above the loan's 500,000-yen minimum.
        form.monthly_premium_yen = Some("70000".into());
        let enrolled = on(&site.app, "2026-11-02T01:00:00Z");
        let number = enrolled
            .submit_enrollment(&member, member.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let tokyo_number = enrolled
            .submit_enrollment(&tokyo, tokyo.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2028-03").await;
        let page = format!("/portal/contracts/{number}/member-loan");

        // The page offers the kind with the measure's figures; a member elsewhere has none.
        let offer = site.app.member_loan_offer(&member, &number).await.unwrap();
        let disaster = offer.disaster_loan.clone().unwrap();
        let (s, body) = site.get(&client, &page).await;
        assert_eq!(s, StatusCode::OK);
        for shown in [
            disaster.measure.as_str(),
            disaster.description.as_str(),
            disaster.evidence.as_str(),
            "value=\"disaster_special\"",
            "年0%",
            "据置期間12か月を含む",
        ] {
            assert!(body.contains(shown), "{shown}: {body}");
        }
        let (_, body) = site
            .get(
                &tokyo_client,
                &format!("/portal/contracts/{tokyo_number}/member-loan"),
            )
            .await;
        assert!(!body.contains("disaster_special"), "{body}");
        let e = site
            .app
            .request_member_loan(
                &tokyo,
                &tokyo_number,
                &MemberLoanForm {
                    kind: Some("disaster_special".into()),
                    amount_yen: Some("500000".into()),
                    term_months: Some("48".into()),
                    evidence: vec!["x".into()],
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(format!("{e:?}").contains("\"kind\""), "{e:?}");

        // The confirmation asks for the evidence; submitting without it is refused there.
        let fields = [
            ("kind", "disaster_special"),
            ("amount_yen", "500000"),
            ("term_months", "48"),
        ];
        let mut confirm = fields.to_vec();
        confirm.push(("action", "confirm"));
        let (s, _, body) = site.post_multipart(&client, &page, &confirm, None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(
            body.contains("f-evidence_file") && body.contains(&disaster.evidence),
            "{body}"
        );
        assert!(body.contains("0円"), "interest-free: {body}");
        let mut submit = fields.to_vec();
        submit.push(("action", "submit"));
        let (s, _, body) = site.post_multipart(&client, &page, &submit, None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("を添付してください"), "{body}");
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'member_loan'"
            )
            .await,
            0
        );
        // A file that is not a document is refused at the same field.
        let (s, _, body) = site
            .post_multipart(
                &client,
                &page,
                &submit,
                Some(("evidence_file", "a.exe", b"MZ\x90")),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("f-evidence_file-error"), "{body}");

        // With the certificate: in review, the file filed with the application.
        let (s, _, body) = site
            .post_multipart(
                &client,
                &page,
                &submit,
                Some(("evidence_file", "被災証明書.pdf", PDF)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("確認中"), "{body}");
        let id = ApplicationId::new(
            count(
                &site,
                "SELECT id AS n FROM applications WHERE procedure = 'member_loan' AND status = 'in_review'",
            )
            .await,
        );
        assert_eq!(
            count(
                &site,
                &format!("SELECT COUNT(*) AS n FROM evidence WHERE application_id = {id}")
            )
            .await,
            1
        );

        // Staff decide it: an interest-free loan, the whole amount transferred, repaid every
        // six months after the grace year.
        let staff = site
            .app
            .create_account(
                Role::Staff,
                "s@example.jp",
                "職員",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let staff = kyosai_app::Actor {
            user_id: staff,
            role: Role::Staff,
        };
        let version = site.app.application(&staff, id).await.unwrap().version;
        site.app
            .approve(&staff, id, version, "被災証明書を確認")
            .await
            .unwrap();
        let loan = site
            .app
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(loan.kind.name_ja(), "特例災害時貸付け");
        let due: Vec<_> = loan.schedule.iter().map(|(i, _)| i.due_date).collect();
        assert_eq!(due.len(), 6);
        assert_eq!(
            due[0],
            kyosai_domain::loan::months_after(loan.disbursement_date, 18)
        );
        assert_eq!(
            *due.last().unwrap(),
            kyosai_domain::loan::months_after(loan.disbursement_date, 48)
        );
        assert!(loan.schedule.iter().all(|(i, _)| i.interest_yen.get() == 0));
        assert_eq!(
            count(&site, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM payouts WHERE kind = 'loan_disbursement'").await,
            500_000
        );

        // The API: without evidence the field says so; with an uploaded file the request is
        // checked on its figures — the loan just made leaves 300,000 yen of the limit, under
        // the loan's 500,000-yen minimum, so the amount is refused and nothing is stored.
        let token = site
            .app
            .issue_token(member.user_id, "test", None)
            .await
            .unwrap();
        let api = reqwest::Client::new();
        let missing = api
            .post(site.url(&format!("/api/v1/contracts/{number}/member-loans")))
            .bearer_auth(&token)
            .json(&json!({"kind": "disaster_special", "amount_yen": 500000, "term_months": 48}))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: serde_json::Value = missing.json().await.unwrap();
        assert!(v.to_string().contains("\"evidence\""), "{v}");
        let boundary = "b0undary";
        let mut upload = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence_file\"; filename=\"r.pdf\"\r\n\r\n"
        )
        .into_bytes();
        upload.extend_from_slice(PDF);
        upload.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = api
            .post(site.url(&format!("/api/v1/contracts/{number}/member-loans/evidence")))
            .bearer_auth(&token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let up: serde_json::Value = r.json().await.unwrap();
        let r = api
            .post(site.url(&format!("/api/v1/contracts/{number}/member-loans")))
            .bearer_auth(&token)
            .json(&json!({"kind": "disaster_special", "amount_yen": 500000, "term_months": 48, "evidence": [up["token"]]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: serde_json::Value = r.json().await.unwrap();
        let text = v.to_string();
        assert!(
            text.contains("\"amount_yen\"") && !text.contains("\"evidence\""),
            "{v}"
        );
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'member_loan'"
            )
            .await,
            1
        );
    }
}
