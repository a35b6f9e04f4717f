//! The benefit claim through the portal pages (issue #11 item 1): the event step refuses a
//! future date with a field error and stores nothing; the preview shows what the app computes
//! (kind, net, payout forms); the claim with a PDF attached is decided at once with its payments;
//! a death claim by the bereaved waits for staff; another member's contract is not found.
//! Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::claims::ClaimForm;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, Clock, Role};
use reqwest::StatusCode;

mod support;

use support::{Site, count, on};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn contract(site: &Site, member: &Actor, kana: &str) -> String {
    let mut form = sample_form("small_enterprise");
    form.given_name_kana = Some(kana.into());
    form.account_holder_kana = Some(format!("ヤマダ {kana}"));
    on(&site.app, "2026-11-02T01:00:00Z")
        .submit_enrollment(member, member.user_id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number
}

#[tokio::test]
async fn members_claim_through_the_pages() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-11-24T01:00:00Z".parse().unwrap())).await;
        let (client, member) = site.login(Role::Member, "a@example.jp").await;
        let (other_client, other) = site.login(Role::Member, "b@example.jp").await;
        let number = contract(&site, &member, "タロウ").await;
        let bereaved_number = contract(&site, &other, "ジロウ").await;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2027-10").await;
        let page = format!("/portal/contracts/{number}/claim");

        // Offered from the contract page; the first step lists the events.
        let (_, billing) = site
            .get(&client, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert!(billing.contains(&page), "{billing}");
        let (s, body) = site.get(&client, &page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            body.contains("個人事業の廃業") && body.contains("契約者の死亡"),
            "{body}"
        );

        // A date in the future: the field says so, nothing is stored.
        let applications = count(&site, "SELECT COUNT(*) AS n FROM applications").await;
        let (s, _, body) = site
            .post_multipart(
                &client,
                &page,
                &[
                    ("event", "business_closed"),
                    ("event_date", "2027-12-31"),
                    ("action", "preview"),
                ],
                None,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body.contains("error-summary") && body.contains("f-event_date"),
            "{body}"
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications").await,
            applications
        );

        // The preview shows what the app computes.
        let event = [("event", "business_closed"), ("event_date", "2027-11-10")];
        let preview = site
            .app
            .claim_preview(
                &member,
                &number,
                &ClaimForm {
                    event: Some("business_closed".into()),
                    event_date: Some("2027-11-10".into()),
                    ..ClaimForm::default()
                },
            )
            .await
            .unwrap();
        let mut fields = event.to_vec();
        fields.push(("action", "preview"));
        let (s, _, body) = site.post_multipart(&client, &page, &fields, None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let net = kyosai_domain::Yen::new(preview.net_yen).to_string();
        assert!(body.contains(preview.benefit_kind.name_ja()), "{body}");
        assert!(body.contains(&net), "{net}: {body}");
        assert!(body.contains("一括でうけとる"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications").await,
            applications
        );

        // Claimed with the closure notice attached: decided, with its payment.
        let mut fields = event.to_vec();
        fields.extend([("payout", "lump_sum"), ("action", "submit")]);
        let (s, _, body) = site
            .post_multipart(
                &client,
                &page,
                &fields,
                Some(("evidence_file", "haigyo.pdf", PDF)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("支払いが決定しました"), "{body}");
        assert!(
            body.contains(&net) && body.contains("お振込みの予定"),
            "{body}"
        );
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'benefit_claim' AND status = 'completed'").await,
            1
        );
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM evidence WHERE application_id IS NOT NULL"
            )
            .await,
            1
        );

        // A death claim by the spouse, without documents: waits for staff.
        let bereaved_page = format!("/portal/contracts/{bereaved_number}/claim");
        let death = [
            ("event", "death"),
            ("event_date", "2027-11-01"),
            ("relation", "spouse"),
            ("claimant_name", "山田 花子"),
            ("claimant_kana", "ヤマダ ハナコ"),
            ("claimant_birth_date", "1978-05-05"),
            ("claimant_address", "東京都千代田区丸の内1-1-1"),
            ("bank_code", "0005"),
            ("branch_code", "001"),
            ("account_type", "ordinary"),
            ("account_number", "7654321"),
            ("account_holder_kana", "ヤマダ ハナコ"),
            ("payout", "lump_sum"),
            ("action", "submit"),
        ];
        let (s, _, body) = site
            .post_multipart(&other_client, &bereaved_page, &death, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("確認中"), "{body}");
        assert_eq!(
            count(&site, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'benefit_claim' AND status = 'in_review'").await,
            1
        );

        // Someone else's contract is not found.
        let (s, _) = site.get(&other_client, &page).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
