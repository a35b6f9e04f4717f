//! The registered details change through the pages and the API (issue #10 procedure 4): the
//! prefilled form, confirmation old → new and done page; a name change refused without
//! evidence and with a file of the wrong type; the API with JSON and multipart; downloads only
//! for staff and the owning member, always as an attachment. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::dev::demo::sample_form;
use kyosai_app::enrollment::EnrollmentForm;
use kyosai_app::{Actor, Clock, Role};
use kyosai_store::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::{Site, read};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const BOUNDARY: &str = "kyosai-test-boundary-7f3a";

/// A multipart/form-data body with text fields and an optional file (name, bytes).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence_file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

async fn sites() -> Vec<(Site, Option<testing::TempDir>)> {
    let mut out = Vec::new();
    for (store, dir) in testing::all().await.unwrap() {
        out.push((support::spawn(store, Clock::System).await, dir));
    }
    out
}

async fn enroll(site: &Site, member: &Actor, form: EnrollmentForm) -> String {
    site.app
        .submit_enrollment(member, member.user_id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number
}

async fn post_multipart(
    site: &Site,
    c: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (StatusCode, String, String) {
    read(
        c.post(site.url(path))
            .header("content-type", content_type())
            .body(multipart(fields, file))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The prefilled values of the small-enterprise sample contract.
fn prefilled<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("holder_name", "山田 太郎"),
        ("business_name", "山田工務店"),
        ("postcode", "1000001"),
        ("prefecture", "東京都"),
        ("city", "千代田区"),
        ("address_line", "千代田1-1"),
        ("business_address", ""),
        ("phone", "0312345678"),
        ("email", "p@example.jp"),
    ];
    for (k, val) in changes {
        if let Some(slot) = v.iter_mut().find(|(n, _)| n == k) {
            slot.1 = val;
        } else {
            v.push((k, val));
        }
    }
    v
}

#[tokio::test]
async fn the_member_changes_the_phone_through_form_confirmation_and_done() {
    for (site, _dir) in sites().await {
        let (c, member) = site.login(Role::Member, "p@example.jp").await;
        let number = enroll(&site, &member, sample_form("small_enterprise")).await;
        let (_, contract) = site
            .get(&c, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert!(contract.contains(&format!("/portal/contracts/{number}/details")));
        let path = format!("/portal/contracts/{number}/details");
        let (s, form) = site.get(&c, &path).await;
        assert_eq!(s, StatusCode::OK, "{form}");
        assert!(form.contains("enctype=\"multipart/form-data\""));
        assert!(form.contains("value=\"山田工務店\""), "prefilled");
        assert!(form.contains("value=\"1000001\""));
        assert!(form.contains("住所を検索"));

        // Nothing changed: the form again with the notice.
        let (s, _, body) =
            post_multipart(&site, &c, &path, &prefilled(&[("action", "confirm")]), None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("変更はありません"), "{body}");

        // The postcode look-up fills the address from a full-width postcode.
        let (s, _, body) = post_multipart(
            &site,
            &c,
            &path,
            &prefilled(&[("postcode", "１５０－０００２"), ("action", "postcode")]),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("value=\"渋谷区\""), "{body}");

        let (s, _, body) = post_multipart(
            &site,
            &c,
            &path,
            &prefilled(&[
                ("phone", "０９０－１１１１－２２２２"),
                ("action", "confirm"),
            ]),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("変更内容の確認"));
        assert!(body.contains("0312345678"));
        assert!(body.contains("09011112222"));
        assert_eq!(
            site.app
                .registered_details(&member, &number)
                .await
                .unwrap()
                .phone,
            "0312345678",
            "the confirmation stores nothing"
        );
        let (s, _, body) = post_multipart(
            &site,
            &c,
            &path,
            &prefilled(&[("phone", "09011112222"), ("action", "submit")]),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("登録内容の変更が完了しました"), "{body}");
        assert_eq!(
            site.app
                .registered_details(&member, &number)
                .await
                .unwrap()
                .phone,
            "09011112222"
        );
    }
}

#[tokio::test]
async fn a_name_change_needs_a_pdf_jpeg_or_png_and_then_completes() {
    for (site, _dir) in sites().await {
        let (c, member) = site.login(Role::Member, "p@example.jp").await;
        let number = enroll(&site, &member, sample_form("small_enterprise")).await;
        let path = format!("/portal/contracts/{number}/details");
        let fields = prefilled(&[("holder_name", "鈴木 太郎"), ("action", "confirm")]);
        let (s, _, body) = post_multipart(&site, &c, &path, &fields, None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("書類（戸籍抄本"), "{body}");
        assert!(
            body.contains("href=\"#f-evidence_file\""),
            "error summary links the field"
        );
        let (s, _, body) = post_multipart(
            &site,
            &c,
            &path,
            &fields,
            Some(("scan.pdf", b"GIF89a not a pdf")),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("PDF・JPEG・PNGのファイルだけです"), "{body}");
        let mut big = PDF.to_vec();
        big.resize(1024 * 1024 + 10, b' ');
        let (s, _, body) = post_multipart(&site, &c, &path, &fields, Some(("big.pdf", &big))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("1MB以下"), "{body}");

        let (s, _, body) = post_multipart(
            &site,
            &c,
            &path,
            &fields,
            Some(("../../etc/戸籍抄本.pdf", PDF)),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("戸籍抄本.pdf"));
        assert!(!body.contains("../"));
        // The token travels in a hidden field to the submit.
        let token = body
            .split("name=\"evidence\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let mut submit = prefilled(&[("holder_name", "鈴木 太郎"), ("action", "submit")]);
        submit.push(("evidence", &token));
        let (s, _, body) = post_multipart(&site, &c, &path, &submit, None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("登録内容の変更が完了しました"), "{body}");
        // The member may download their document: an attachment, never inline.
        let r = c
            .get(site.url(&format!("/evidence/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let h = r.headers();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let disposition = h["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
        assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);
        // Another member gets the 404 page.
        let (other, _) = site.login(Role::Member, "q@example.jp").await;
        let (s, _) = site.get(&other, &format!("/evidence/{token}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_api_takes_json_and_multipart_and_staff_download_the_evidence() {
    for (site, _dir) in sites().await {
        let http = reqwest::Client::new();
        let (_, member) = site.login(Role::Member, "p@example.jp").await;
        let (staff_browser, staff) = site.login(Role::Staff, "s@example.jp").await;
        let number = enroll(
            &site,
            &member,
            EnrollmentForm {
                legal_form: Some("company".into()),
                business_name: Some("株式会社山田工務店".into()),
                capital_yen: Some("10000000".into()),
                corporate_number: Some("7000012050002".into()),
                representative_name: Some("山田 一郎".into()),
                representative_kana: Some("ヤマダ イチロウ".into()),
                ..sample_form("safety_net")
            },
        )
        .await;
        let token = site
            .app
            .issue_token(member.user_id, "t", None)
            .await
            .unwrap();
        let staff_token = site
            .app
            .issue_token(staff.user_id, "t", None)
            .await
            .unwrap();
        let other = site
            .app
            .create_account(
                Role::Member,
                "o@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let other_token = site.app.issue_token(other, "t", None).await.unwrap();
        let url = site.url(&format!("/api/v1/contracts/{number}/details-changes"));

        let r = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"email": "new@example.jp", "employees": 12}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "completed");
        assert_eq!(v["changes"][0]["field"], "email");

        let r = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"email": "new@example.jp"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "no_change");

        let r = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"phone": "０３－９９９９－８８８８", "holder_name": "😀"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "invalid_input");
        assert_eq!(v["fields"][0]["field"], "holder_name");

        let r = http
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", content_type())
            .body(multipart(
                &[("business_name", "株式会社ヤマダ建設")],
                Some(("登記事項証明書.pdf", PDF)),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "in_review");
        let evidence = v["evidence"]["token"].as_str().unwrap().to_string();
        let application = v["application_id"].as_i64().unwrap();

        // While it waits, another change is refused.
        let r = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"phone": "0399998888"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "procedure_pending");

        let download = |t: String| {
            let http = http.clone();
            let url = site.url(&format!("/api/v1/evidence/{evidence}"));
            async move { http.get(url).bearer_auth(t).send().await.unwrap() }
        };
        let r = download(other_token).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = download(staff_token).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);

        // The staff page shows old → new and the download link.
        let (s, page) = site
            .get(
                &staff_browser,
                &format!("/staff/applications/{application}"),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("株式会社山田工務店 → 株式会社ヤマダ建設"),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/evidence/{evidence}\"")));
        assert!(page.contains("登記事項証明書.pdf"));
    }
}

#[tokio::test]
async fn staff_file_a_paper_change_for_a_member() {
    for (site, _dir) in sites().await {
        let (_, member) = site.login(Role::Member, "p@example.jp").await;
        let (staff, _) = site.login(Role::Staff, "s@example.jp").await;
        let number = enroll(&site, &member, sample_form("small_enterprise")).await;
        let path = format!("/portal/contracts/{number}/details");
        let (_, billing) = site
            .get(&staff, &format!("/portal/contracts/{number}/billing"))
            .await;
        assert!(billing.contains(&format!("href=\"{path}\"")), "{billing}");
        let (s, body) = site.get(&staff, &path).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, _, body) = post_multipart(
            &site,
            &staff,
            &path,
            &[("address_line", "千代田1-2"), ("action", "submit")],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("登録内容の変更が完了しました"), "{body}");
        let ov = site.app.overview(&member, member.user_id).await.unwrap();
        let apps = serde_json::to_value(&ov).unwrap()["applications"].clone();
        let change = apps
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["procedure"] == "details_change")
            .unwrap()
            .clone();
        assert_eq!(change["channel"], "paper");
    }
}
