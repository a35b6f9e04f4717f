//! Document numbers (issue #13): issuing the same certificate again for unchanged figures gives
//! the same number; a premium collected since gives a new number while the old one still
//! verifies as what it said then; the e-Tax XML is served to the member and staff only.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

mod support;

use std::sync::{Arc, OnceLock};

use kyosai_app::dev::demo::sample_form;
use kyosai_app::documents::{CertifiedFigures, VerifiedContent, VerifiedDocument};
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_docs::etax::SigningKey;
use support::{cycle, month, on};

/// One demo key per test binary (RSA key generation is slow without optimisation).
fn key() -> Arc<SigningKey> {
    static PEM: OnceLock<String> = OnceLock::new();
    let pem = PEM.get_or_init(|| SigningKey::generate_self_signed_pem("test").unwrap());
    Arc::new(SigningKey::from_pem(pem.as_bytes()).unwrap())
}

/// The figures a verified certificate carries.
fn certified(v: &VerifiedDocument) -> &CertifiedFigures {
    match &v.content {
        VerifiedContent::Certificate(c) => c,
        VerifiedContent::Letter { title, .. } => panic!("a certificate, not the letter {title}"),
    }
}

async fn actor(app: &App, role: Role, email: &str) -> Actor {
    let id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id: id, role }
}

#[tokio::test]
async fn same_figures_same_number_changed_figures_new_number_old_one_still_verifies() {
    for (app, _d) in support::apps().await {
        let app = app.with_signing_key(key());
        let early = on(&app, "2025-09-01T01:00:00Z");
        let member = actor(&early, Role::Member, "m@example.jp").await;
        let staff = actor(&early, Role::Staff, "s@example.jp").await;
        let other = actor(&early, Role::Member, "o@example.jp").await;
        let number = early
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        cycle(&app, month("2025-09"), false).await;
        cycle(&app, month("2025-10"), false).await;

        let nov = on(&app, "2025-11-05T01:00:00Z");
        let first = nov.issue_certificate(&member, &number, 2025).await.unwrap();
        assert!(first.xml_available);
        assert_eq!(first.certificate.paid_yen, 60_000);
        let again = on(&app, "2025-11-06T01:00:00Z")
            .issue_certificate(&member, &number, 2025)
            .await
            .unwrap();
        assert_eq!(again.document_number, first.document_number);
        assert_eq!(
            again.issued_on, first.issued_on,
            "the number's issue date stands"
        );
        // Staff asking for the same figures get the same number too.
        let by_staff = nov.issue_certificate(&staff, &number, 2025).await.unwrap();
        assert_eq!(by_staff.document_number, first.document_number);

        // November's premium is collected: the figures changed, so the number does.
        cycle(&app, month("2025-11"), false).await;
        let dec = on(&app, "2025-12-05T01:00:00Z");
        let second = dec.issue_certificate(&member, &number, 2025).await.unwrap();
        assert_eq!(second.certificate.paid_yen, 90_000);
        assert_ne!(second.document_number, first.document_number);

        // The old number still says what it said then; the new one what it says now.
        let old = dec
            .verify_document(&first.document_number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(certified(&old).paid_yen, 60_000);
        assert_eq!(old.contract_number, number);
        assert_eq!(certified(&old).year, 2025);
        assert_eq!(old.issued_on, jiff::civil::date(2025, 11, 5));
        let new = dec
            .verify_document(&second.document_number.to_lowercase())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(certified(&new).paid_yen, 90_000);

        // The XML of the old number, downloaded later, is the one issued (its hash is the one
        // /verify shows) and carries the old amount.
        let xml = dec
            .certificate_xml(&member, &first.document_number)
            .await
            .unwrap();
        assert_eq!(
            old.xml_sha256.as_deref(),
            Some(kyosai_store::sha256_hex(&xml).as_str())
        );
        let text = String::from_utf8(xml).unwrap();
        assert!(text.contains(">60000<"));
        assert!(text.contains(&first.document_number));
        assert!(
            dec.certificate_xml(&staff, &first.document_number)
                .await
                .is_ok()
        );
        // Anyone else: not found, as for an unknown number.
        assert!(matches!(
            dec.certificate_xml(&other, &first.document_number).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            dec.certificate_xml(&member, "KD-0000-0000-0000").await,
            Err(AppError::NotFound)
        ));
        assert!(
            dec.verify_document("KD-0000-0000-0000")
                .await
                .unwrap()
                .is_none()
        );
        assert!(dec.verify_document("not a number").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_certificate_with_stars_has_a_number_but_no_xml() {
    for (app, _d) in support::apps().await {
        let app = app.with_signing_key(key());
        let early = on(&app, "2025-09-01T01:00:00Z");
        let member = actor(&early, Role::Member, "m@example.jp").await;
        let number = early
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        cycle(&app, month("2025-09"), false).await;
        cycle(&app, month("2025-10"), true).await;
        let nov = on(&app, "2025-11-05T01:00:00Z");
        let issued = nov.issue_certificate(&member, &number, 2025).await.unwrap();
        assert_eq!(issued.certificate.deductible_yen, None);
        assert!(!issued.xml_available);
        assert!(matches!(
            nov.certificate_xml(&member, &issued.document_number).await,
            Err(AppError::NotFound)
        ));
        let shown = nov
            .verify_document(&issued.document_number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(certified(&shown).deductible_yen, None);
        assert_eq!(shown.xml_sha256, None);
    }
}

#[tokio::test]
async fn without_a_signing_key_no_xml_is_offered() {
    for (app, _d) in support::apps().await {
        let early = on(&app, "2025-09-01T01:00:00Z");
        let member = actor(&early, Role::Member, "m@example.jp").await;
        let number = early
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        cycle(&app, month("2025-09"), false).await;
        let issued = on(&app, "2025-11-05T01:00:00Z")
            .issue_certificate(&member, &number, 2025)
            .await
            .unwrap();
        assert!(!issued.xml_available);
        assert_eq!(app.signing_certificate_pem(), None);
    }
}
