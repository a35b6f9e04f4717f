//! The signed TEG850 XML checked by an independent implementation: Debian's `xmlsec1` verifies
//! every signature against the published certificate, and a tampered amount must fail.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use jiff::civil::date;
use kyosai_docs::etax::{self, SigningKey, Teg850};

/// One demo key for the whole test binary (RSA key generation is slow without optimisation).
fn demo_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        SigningKey::generate_self_signed_pem("Kyosai テスト署名鍵").expect("generate a demo key")
    })
}

fn certificate() -> Teg850 {
    Teg850 {
        year: 2026,
        contract_number: "123456789".into(),
        member_name: "山田 太郎 & <商店>".into(),
        member_address: "東京都港区虎ノ門3-5-1".into(),
        monthly_premium_yen: 30_000,
        months_paid: 10,
        paid_yen: 300_000,
        expected_by_december_yen: Some(60_000),
        prepayment_discount_yen: 0,
        deductible_yen: 360_000,
        issuer_name: "独立行政法人 中小企業基盤整備機構（中小機構）".into(),
        issued_on: date(2026, 3, 5),
        document_number: "KD-7Q4M-2XKP-9HVA".into(),
    }
}

/// `xmlsec1 --verify` of `xml` trusting only `cert_pem`; true when the signature verifies.
fn xmlsec_verifies(dir: &Path, xml: &[u8], cert_pem: &str) -> bool {
    let xml_path = dir.join("certificate.xml");
    let cert_path = dir.join("signer.pem");
    std::fs::write(&xml_path, xml).expect("write xml");
    std::fs::write(&cert_path, cert_pem).expect("write cert");
    let out = Command::new("xmlsec1")
        .arg("--verify")
        .arg("--id-attr:id")
        .arg("http://xml.e-tax.nta.go.jp/XSD/kyotsu:TEG850")
        .arg("--trusted-pem")
        .arg(&cert_path)
        .arg(&xml_path)
        .output()
        .expect("run xmlsec1 (Debian package xmlsec1)");
    if !out.status.success() {
        eprintln!("xmlsec1: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.status.success()
}

#[test]
fn a_generated_signature_verifies_with_xmlsec1_and_a_tampered_amount_does_not() {
    let key = SigningKey::from_pem(demo_pem().as_bytes()).expect("load the demo key");
    let xml = etax::render(&certificate(), &key).expect("render");
    let text = String::from_utf8(xml.clone()).expect("utf-8");
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(xmlsec_verifies(dir.path(), &xml, &key.certificate_pem()));

    let tampered = text.replacen("<WKE00060>360000<", "<WKE00060>960000<", 1);
    assert_ne!(tampered, text, "the deductible amount is in the file");
    assert!(!xmlsec_verifies(
        dir.path(),
        tampered.as_bytes(),
        &key.certificate_pem()
    ));
}

#[test]
fn the_xml_has_the_known_structure_of_the_nta_specification() {
    let key = SigningKey::from_pem(demo_pem().as_bytes()).expect("load the demo key");
    let text =
        String::from_utf8(etax::render(&certificate(), &key).expect("render")).expect("utf-8");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet type=\"text/xsl\" href=\"https://xml.e-tax.nta.go.jp/xsl/1.0/"));
    assert!(text.contains("<TEG850 xmlns=\"http://xml.e-tax.nta.go.jp/XSD/kyotsu\" xmlns:gen=\"http://xml.e-tax.nta.go.jp/XSD/general\" VR=\""));
    assert!(text.contains(" id=\"TEG850\" page=\"1\" sakuseiDay=\"2026-03-05\" sakuseiNM=\"独立行政法人 中小企業基盤整備機構（中小機構）\" softNM=\"Kyosai\">"));
    // Month and day not zero-padded.
    assert!(text.contains("<gen:yyyy>2026</gen:yyyy><gen:mm>3</gen:mm><gen:dd>5</gen:dd>"));
    assert!(text.contains("山田 太郎 &amp; &lt;商店&gt;"));
    assert!(text.contains("<dsig:Reference URI=\"#TEG850\">"));
    assert!(text.contains("http://www.w3.org/2000/09/xmldsig#enveloped-signature"));
    assert!(text.contains("<dsig:X509Certificate>"));
    assert!(text.trim_end().ends_with("</dsig:Signature></TEG850>"));
}

#[test]
fn a_past_year_without_expected_amount_leaves_the_element_out_and_still_verifies() {
    let key = SigningKey::from_pem(demo_pem().as_bytes()).expect("load the demo key");
    let mut c = certificate();
    c.year = 2025;
    c.expected_by_december_yen = None;
    let xml = etax::render(&c, &key).expect("render");
    assert!(!String::from_utf8_lossy(&xml).contains("WKE00040"));
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(xmlsec_verifies(dir.path(), &xml, &key.certificate_pem()));
}

#[test]
fn a_key_made_by_openssl_signs_too_in_pkcs8_and_pkcs1_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = dir.path().join("key.pem");
    let cert_path = dir.path().join("cert.pem");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=kyosai-test",
        ])
        .arg("-keyout")
        .arg(&key_path)
        .arg("-out")
        .arg(&cert_path)
        .output()
        .expect("run openssl")
        .status
        .success();
    assert!(ok);
    let cert_pem = std::fs::read_to_string(&cert_path).expect("cert");
    let pkcs8 = std::fs::read_to_string(&key_path).expect("key");
    let pkcs1 = Command::new("openssl")
        .args(["rsa", "-traditional", "-in"])
        .arg(&key_path)
        .output()
        .expect("run openssl rsa")
        .stdout;
    let pkcs1 = String::from_utf8(pkcs1).expect("pem");
    assert!(pkcs1.contains("BEGIN RSA PRIVATE KEY"));
    for key_pem in [pkcs8, pkcs1] {
        let combined = dir.path().join("combined.pem");
        std::fs::write(&combined, format!("{cert_pem}{key_pem}")).expect("write");
        let key = SigningKey::from_pem_file(&combined).expect("load an openssl key");
        let xml = etax::render(&certificate(), &key).expect("render");
        assert!(xmlsec_verifies(dir.path(), &xml, &cert_pem));
    }
}

#[test]
fn a_certificate_of_another_key_is_refused_at_load() {
    let other = SigningKey::generate_self_signed_pem("other").expect("generate");
    let key_block = demo_pem()
        .split_inclusive("-----END PRIVATE KEY-----\n")
        .next()
        .expect("key block");
    let cert_block = other
        .split_inclusive("-----END PRIVATE KEY-----\n")
        .nth(1)
        .expect("cert block");
    let err = SigningKey::from_pem(format!("{key_block}{cert_block}").as_bytes())
        .expect_err("a mismatched certificate");
    assert!(
        err.to_string()
            .contains("not the private key's certificate")
    );
}

#[test]
fn load_or_generate_keeps_one_key_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("signing.pem");
    let first = SigningKey::load_or_generate(&path, "demo").expect("first start");
    let second = SigningKey::load_or_generate(&path, "demo").expect("second start");
    assert_eq!(first.certificate_pem(), second.certificate_pem());
}
