#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! Certificates as documents over HTTP (issue #13): the certificate answer carries its document
//! number and XML link; the XML downloaded by its member is verified by `xmlsec1` (an
//! independent implementation) against the certificate the server publishes; anyone else gets
//! 404; `/verify/{number}` shows what the document says, or that it was not issued.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use kyosai_app::{Actor, App, Clock, Role};
use kyosai_docs::etax::SigningKey;
use kyosai_store::testing;
use reqwest::StatusCode;
use serde_json::Value;

mod support;

/// One key per test binary (RSA key generation is slow without optimisation).
fn key() -> Arc<SigningKey> {
    static PEM: OnceLock<String> = OnceLock::new();
    let pem = PEM.get_or_init(|| SigningKey::generate_self_signed_pem("test").unwrap());
    Arc::new(SigningKey::from_pem(pem.as_bytes()).unwrap())
}

/// 2 February 2026 in Japan: a 前納 received this month for the first debit month makes a
/// certificate of this year whose amount is fixed.
const NOW: &str = "2026-02-02T01:00:00Z";

struct Server {
    base: String,
    app: App,
    http: reqwest::Client,
    _dir: Option<testing::TempDir>,
}

async fn servers() -> Vec<Server> {
    let mut out = Vec::new();
    for (store, dir) in testing::all().await.unwrap() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = App::new(store, Clock::Fixed(NOW.parse().unwrap()), base.clone())
            .unwrap()
            .with_signing_key(key());
        let router = kyosai_web::router_with(app.clone(), kyosai_web::RateLimits::default());
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        out.push(Server {
            base,
            app,
            http: reqwest::Client::new(),
            _dir: dir,
        });
    }
    out
}

impl Server {
    async fn user(&self, role: Role, email: &str) -> (Actor, String) {
        let id = self
            .app
            .create_account(role, email, "", Some("test passphrase 123"))
            .await
            .unwrap();
        let token = self.app.issue_token(id, "test", None).await.unwrap();
        (Actor { user_id: id, role }, token)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }
}

/// `xmlsec1 --verify` trusting only `cert_pem`.
fn xmlsec_verifies(xml: &[u8], cert_pem: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let (xml_path, cert_path) = (dir.path().join("c.xml"), dir.path().join("c.pem"));
    std::fs::write(&xml_path, xml).unwrap();
    std::fs::write(&cert_path, cert_pem).unwrap();
    Command::new("xmlsec1")
        .arg("--verify")
        .arg("--id-attr:id")
        .arg("http://xml.e-tax.nta.go.jp/XSD/kyotsu:TEG850")
        .arg("--trusted-pem")
        .arg(&cert_path)
        .arg(&xml_path)
        .output()
        .expect("run xmlsec1")
        .status
        .success()
}

#[tokio::test]
async fn certificate_xml_verifies_with_the_published_certificate_and_verify_shows_the_figures() {
    for s in servers().await {
        let (member, t) = s.user(Role::Member, "m@example.jp").await;
        let (staff, _) = s.user(Role::Staff, "s@example.jp").await;
        let (_, other) = s.user(Role::Member, "o@example.jp").await;
        let number = s
            .app
            .submit_enrollment(
                &member,
                member.user_id,
                &kyosai_app::dev::demo::sample_form("small_enterprise"),
            )
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let first = s
            .app
            .contract_billing(&member, &number)
            .await
            .unwrap()
            .next_debit
            .unwrap()
            .month;
        let today = kyosai_domain::YearMonth::of(s.app.clock.today());
        s.app
            .record_prepayment(&staff, &number, today, first, 1)
            .await
            .unwrap();

        let path = format!("/api/v1/contracts/{number}/certificates/2026");
        let resp = s.get(&path, Some(&t)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let c: Value = resp.json().await.unwrap();
        assert_eq!(c["paid_yen"], 30_000, "{c}");
        let deductible = c["deductible_yen"].as_i64().expect("a fixed amount");
        let document_number = c["document_number"].as_str().unwrap().to_string();
        assert!(document_number.starts_with("KD-"), "{c}");
        let xml_url = c["xml_url"].as_str().unwrap().to_string();
        // Asking again with unchanged figures: the same number.
        let again: Value = s.get(&path, Some(&t)).await.json().await.unwrap();
        assert_eq!(again["document_number"], document_number.as_str());

        // The XML, checked against the certificate the server publishes (no login needed).
        let resp = s.get(&xml_url, Some(&t)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/xml");
        let xml = resp.bytes().await.unwrap();
        let text = String::from_utf8(xml.to_vec()).unwrap();
        assert!(text.contains("<TEG850 "), "root TEG850");
        assert!(text.contains("<dsig:Signature "), "enveloped signature");
        assert!(text.contains(&format!(">{deductible}<")));
        let resp = s.get("/api/v1/signing-certificate.pem", None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let pem = resp.text().await.unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(xmlsec_verifies(&xml, &pem));
        let tampered = text.replacen(&format!(">{deductible}<"), ">9999999<", 1);
        assert!(!xmlsec_verifies(tampered.as_bytes(), &pem));

        // Another member: 404, as for a number never issued; no token: 401.
        assert_eq!(
            s.get(&xml_url, Some(&other)).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.get("/api/v1/documents/KD-0000-0000-0000/xml", Some(&t))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.get(&xml_url, None).await.status(),
            StatusCode::UNAUTHORIZED
        );

        // The PDF: for the member, tagged A4 with the number and the figures; its hash is
        // kept for /verify; another member gets 404.
        let pdf_url = c["pdf_url"].as_str().unwrap().to_string();
        assert_eq!(pdf_url, format!("/api/v1/documents/{document_number}/pdf"));
        let resp = s.get(&pdf_url, Some(&t)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let pdf = resp.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = support::pdf_text(&pdf);
        assert!(text.contains(&document_number), "{text}");
        assert!(text.contains("30,000円"), "{text}");
        assert!(text.contains(&number), "{text}");
        assert_eq!(
            s.get(&pdf_url, Some(&other)).await.status(),
            StatusCode::NOT_FOUND
        );
        let pdf_sha = kyosai_store::sha256_hex(&pdf);

        // /verify: what the document says, without the member's name.
        let resp = s.get(&format!("/verify/{document_number}"), None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let page = resp.text().await.unwrap();
        assert!(page.contains(&document_number));
        assert!(page.contains("小規模企業共済掛金控除証明書"));
        assert!(page.contains("2026年分"));
        assert!(page.contains(&number));
        assert!(page.contains("30,000円"), "paid amount");
        assert!(page.contains(&kyosai_domain::Yen::new(deductible).to_string()));
        assert!(!page.contains("山田"), "no member name");
        let sha = kyosai_store::sha256_hex(&xml);
        assert!(page.contains(&sha), "the XML's hash as issued");
        assert!(
            page.contains(&pdf_sha),
            "the PDF's hash as first downloaded"
        );

        let resp = s.get("/verify/KD-0000-0000-0000", None).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains("この番号の書類は発行されていません")
        );
        let resp = s.get("/verify/%3Cscript%3E", None).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }
}

/// Letters (issue #13 item 4): the enrollment's 共済契約締結証書 is listed with its number,
/// downloads as the PDF, and `/verify` shows what it says without the member's name; another
/// member gets 404 for the list and the PDF.
#[tokio::test]
async fn letters_are_listed_downloaded_and_verified() {
    for s in servers().await {
        let (member, t) = s.user(Role::Member, "m@example.jp").await;
        let (_, other) = s.user(Role::Member, "o@example.jp").await;
        let number = s
            .app
            .submit_enrollment(
                &member,
                member.user_id,
                &kyosai_app::dev::demo::sample_form("small_enterprise"),
            )
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let path = format!("/api/v1/contracts/{number}/documents");
        let resp = s.get(&path, Some(&t)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let listed: serde_json::Value = resp.json().await.unwrap();
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0]["kind"], "contract_certificate");
        assert_eq!(listed[0]["title"], "共済契約締結証書");
        let doc = listed[0]["document_number"].as_str().unwrap();
        let pdf_url = listed[0]["pdf_url"].as_str().unwrap();
        assert_eq!(pdf_url, format!("/api/v1/documents/{doc}/pdf"));

        let resp = s.get(pdf_url, Some(&t)).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let text = support::pdf_text(&resp.bytes().await.unwrap());
        for wanted in ["共済契約締結証書", "山田太郎", number.as_str(), doc] {
            assert!(text.contains(wanted), "{wanted} in {text}");
        }

        let page = s.get(&format!("/verify/{doc}"), None).await;
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        for wanted in [
            "共済契約締結証書",
            number.as_str(),
            "掛金月額",
            "30,000円",
            "PDFのSHA-256",
        ] {
            assert!(page.contains(wanted), "{wanted} in {page}");
        }
        assert!(!page.contains("山田"), "no name on /verify: {page}");

        assert_eq!(
            s.get(&path, Some(&other)).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.get(pdf_url, Some(&other)).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}
