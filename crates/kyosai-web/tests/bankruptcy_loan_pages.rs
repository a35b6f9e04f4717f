//! The 共済金貸付 request through the portal pages (issue #12 item 1): a future 倒産日 is a field
//! error storing nothing; the confirmation shows the limit the app computes; submitting without
//! the evidence is refused next to the file field; with it the request waits for staff; another
//! member's contract and a 小規模 contract are not offered it. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::bankruptcy_loan::BankruptcyLoanForm;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;

mod support;

use support::{count, on};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

#[tokio::test]
async fn members_ask_for_a_bankruptcy_loan_through_the_pages() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-11-24T01:00:00Z".parse().unwrap())).await;
        let (client, member) = site.login(Role::Member, "a@example.jp").await;
        let (other, _) = site.login(Role::Member, "b@example.jp").await;
        let enrolled = on(&site.app, "2026-11-02T01:00:00Z");
        let number = enrolled
            .submit_enrollment(&member, member.user_id, &sample_form("safety_net"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let small = enrolled
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2027-10").await;
        let page = format!("/portal/contracts/{number}/bankruptcy-loan");

        let (_, billing) = site
            .get(&client, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert!(billing.contains(&page), "{billing}");
        let (s, body) = site.get(&client, &page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("法的整理"), "{body}");

        let stored = "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'bankruptcy_loan'";
        let request = |date: &'static str| {
            vec![
                ("event", "legal_proceedings"),
                ("bankruptcy_date", date),
                ("partner_name", "株式会社倒産商事"),
                ("loss_yen", "3000000"),
                ("monthly_transactions_yen", "10000000"),
            ]
        };
        let mut future = request("2027-12-31");
        future.push(("action", "confirm"));
        let (s, _, body) = site.post_multipart(&client, &page, &future, None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("将来の日付"), "{body}");
        assert_eq!(count(&site, stored).await, 0);

        // The confirmation shows the app's limit.
        let preview = site
            .app
            .bankruptcy_loan_preview(
                &member,
                &number,
                &BankruptcyLoanForm {
                    event: Some("legal_proceedings".into()),
                    bankruptcy_date: Some("2027-11-10".into()),
                    partner_name: Some("株式会社倒産商事".into()),
                    loss_yen: Some("3000000".into()),
                    monthly_transactions_yen: Some("10000000".into()),
                    evidence: Vec::new(),
                },
            )
            .await
            .unwrap();
        let limit = kyosai_domain::Yen::new(preview.limit_yen).to_string();
        let mut confirm = request("2027-11-10");
        confirm.push(("action", "confirm"));
        let (s, _, body) = site.post_multipart(&client, &page, &confirm, None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        // The share taken from the premium rights is the rule set's, as the app answers it.
        let share = preview.premium_reduction_share;
        assert!(
            body.contains(&format!("貸付額の{}分の{}", share.den(), share.num())),
            "{body}"
        );
        assert!(
            body.contains(&limit) && body.contains("この内容で申し込む"),
            "{body}"
        );
        assert_eq!(count(&site, stored).await, 0);

        // Without the evidence: refused at the file field; with it: waiting for staff.
        let mut submit = request("2027-11-10");
        submit.push(("action", "submit"));
        let (s, _, body) = site.post_multipart(&client, &page, &submit, None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("f-evidence_file-error"), "{body}");
        assert_eq!(count(&site, stored).await, 0);
        let (s, _, body) = site
            .post_multipart(
                &client,
                &page,
                &submit,
                Some(("evidence_file", "hasan.pdf", PDF)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("審査中") && body.contains(&limit), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'bankruptcy_loan' AND status = 'in_review'").await,
            1
        );

        // Staff: one proposes the amount on the review screen, another approves it.
        let id = count(
            &site,
            "SELECT id AS n FROM applications WHERE procedure = 'bankruptcy_loan'",
        )
        .await;
        let review = format!("/staff/applications/{id}");
        let (maker, _) = site.login(Role::Staff, "maker@kyosai.example.jp").await;
        let (checker, _) = site.login(Role::Staff, "checker@kyosai.example.jp").await;
        let (s, body) = site.get(&maker, &review).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            body.contains("貸付額の起案") && body.contains("まだ起案されていません"),
            "{body}"
        );
        let propose = format!("{review}/bankruptcy-proposal");
        let (s, _, body) = site
            .post(&maker, &propose, &[("amount_yen", "1234567"), ("note", "")])
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("単位"), "{body}");
        let (s, url, body) = site
            .post(
                &maker,
                &propose,
                &[("amount_yen", "2500000"), ("note", "元帳で確認")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(url.ends_with("done=proposed"), "{url}");
        assert!(body.contains("起案済み：2,500,000円"), "{body}");
        let version = body
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string();
        let approve = format!("{review}/approve");
        let (s, _, _) = site
            .post(
                &maker,
                &approve,
                &[("version", &version), ("reason", "書類確認")],
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "the maker cannot approve");
        let (s, _, body) = site
            .post(
                &checker,
                &approve,
                &[("version", &version), ("reason", "書類確認")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            count(
                &site,
                "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM loans WHERE kind = 'bankruptcy'"
            )
            .await,
            2_500_000
        );

        // Not offered for 小規模; another member's contract is not found.
        let (s, _) = site
            .get(
                &client,
                &format!("/portal/contracts/{small}/bankruptcy-loan"),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = site.get(&other, &page).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
