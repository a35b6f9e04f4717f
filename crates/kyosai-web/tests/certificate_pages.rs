//! The 控除証明書 as PDF from the portal (issue #13): the 小規模 contract page offers the years
//! with premiums collected, the link downloads the PDF of the certificate issued under its
//! document number, and another member's contract is not found. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Clock, Role};
use reqwest::StatusCode;

mod support;

use support::{count, on};

#[tokio::test]
async fn members_download_their_certificate_as_pdf() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-01-20T01:00:00Z".parse().unwrap())).await;
        let (client, member) = site.login(Role::Member, "a@example.jp").await;
        let (other, _) = site.login(Role::Member, "b@example.jp").await;
        let number = on(&site.app, "2026-11-02T01:00:00Z")
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2026-12").await;

        let link = format!("/portal/contracts/{number}/certificates/2026");
        let (s, page) = site
            .get(&client, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains(&link) && page.contains("2026年分の掛金控除証明書"),
            "{page}"
        );

        let r = client.get(site.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            disposition.starts_with("attachment; filename=\"KD-"),
            "{disposition}"
        );
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(
            count(
                &site,
                "SELECT COUNT(*) AS n FROM document_renderings WHERE format = 'pdf'"
            )
            .await,
            1
        );

        let (s, _) = site.get(&other, &link).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

/// The contract's documents page (issue #13 item 4): linked from the billing page, it lists the
/// letters sent (the enrollment's 共済契約締結証書) and the certificates issued, newest first, each
/// downloadable as its PDF; another member's contract and documents are not found.
#[tokio::test]
async fn the_documents_page_lists_letters_and_certificates() {
    for (store, _dir) in kyosai_store::testing::all().await.unwrap() {
        let site =
            support::spawn(store, Clock::Fixed("2027-01-20T01:00:00Z".parse().unwrap())).await;
        let (client, member) = site.login(Role::Member, "a@example.jp").await;
        let (other, _) = site.login(Role::Member, "b@example.jp").await;
        let number = on(&site.app, "2026-11-02T01:00:00Z")
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        support::months_collected(&site, "2026-11-02T01:00:00Z", "2026-11", "2026-12").await;
        let billing = format!("/portal/contracts/{number}/billing");
        let documents = format!("/portal/contracts/{number}/documents");
        let (_, page) = site.get(&client, &billing).await;
        assert!(page.contains(&documents), "{page}");
        // Downloading the certificate issues it: it joins the letter on the page.
        let (s, _) = site
            .get(
                &client,
                &format!("/portal/contracts/{number}/certificates/2026"),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        let (s, page) = site.get(&client, &documents).await;
        assert_eq!(s, StatusCode::OK);
        let certificate = page.find("2026年分 小規模企業共済掛金控除証明書").unwrap();
        let letter = page.find("共済契約締結証書").unwrap();
        assert!(certificate < letter, "newest first: {page}");
        let links: Vec<&str> = page
            .split("href=\"/portal/documents/")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        assert_eq!(links.len(), 2, "{page}");
        for link in &links {
            let r = client
                .get(site.url(&format!("/portal/documents/{link}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
            let (s, _) = site.get(&other, &format!("/portal/documents/{link}")).await;
            assert_eq!(s, StatusCode::NOT_FOUND);
        }
        let (s, _) = site.get(&other, &documents).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}
