//! The mass issue of the 控除証明書 (issue #13 item 5): every 小規模 contract with premiums of
//! the year, in batch folders by postcode region, in mailing order in the index, under the
//! numbers the portal shows; a rerun after a crash renders only what is missing and writes the
//! same index.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

mod support;

use std::sync::Arc;

use kyosai_app::dev::demo::sample_form;
use kyosai_app::enrollment::EnrollmentForm;
use kyosai_app::mass_issue::IssueOptions;
use kyosai_app::{Actor, App, Role};
use kyosai_docs::etax::SigningKey;
use support::{cycle, month, on};

async fn member(app: &App, email: &str) -> Actor {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor {
        user_id: id,
        role: Role::Member,
    }
}

/// Enrolls a 小規模 member living at `postcode`; returns (member, contract number).
async fn enrolled(app: &App, email: &str, postcode: &str, birth: &str) -> (Actor, String) {
    let m = member(app, email).await;
    let form = EnrollmentForm {
        postcode: Some(postcode.into()),
        birth_date: Some(birth.into()),
        ..sample_form("small_enterprise")
    };
    let number = app
        .submit_enrollment(&m, m.user_id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number;
    (m, number)
}

#[tokio::test]
async fn every_certificate_in_postcode_batches_indexed_and_resumable() {
    let pem = SigningKey::generate_self_signed_pem("test").unwrap();
    for (app, _d) in support::apps().await {
        let app = app.with_signing_key(Arc::new(SigningKey::from_pem(pem.as_bytes()).unwrap()));
        let early = on(&app, "2025-09-01T01:00:00Z");
        // Osaka before Tokyo by contract number, Tokyo first by postcode.
        let (osaka_member, osaka) = enrolled(&early, "o@example.jp", "5300001", "1970-01-01").await;
        let (_, tokyo) = enrolled(&early, "t@example.jp", "1000001", "1971-02-02").await;
        let (_, chiyoda) = enrolled(&early, "c@example.jp", "1000005", "1972-03-03").await;
        cycle(&app, month("2025-09"), false).await;
        cycle(&app, month("2025-10"), false).await;
        // Enrolled later: nothing collected in 2025, so no certificate.
        let late = on(&app, "2025-12-20T01:00:00Z");
        let (_, _none) = enrolled(&late, "n@example.jp", "0600001", "1973-04-04").await;

        let run = on(&app, "2026-01-15T01:00:00Z");
        let out = tempfile::tempdir().unwrap();
        let options = IssueOptions {
            year: 2025,
            out: out.path().to_path_buf(),
            threads: 2,
        };
        let s = run
            .issue_certificates(&options, &|_, _, _| {})
            .await
            .unwrap();
        assert_eq!(
            (s.certificates, s.rendered, s.xml_files, s.batches),
            (3, 3, 3, 2)
        );
        let index = std::fs::read_to_string(&s.index).unwrap();
        let lines: Vec<Vec<&str>> = index
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        let order: Vec<&str> = lines.iter().map(|l| l[2]).collect();
        assert_eq!(order, [tokyo.as_str(), chiyoda.as_str(), osaka.as_str()]);
        assert_eq!(lines[0][0], "batch-10");
        assert_eq!(lines[2][0], "batch-53");
        for l in &lines {
            let pdf = std::fs::read(out.path().join(l[4])).unwrap();
            assert!(pdf.starts_with(b"%PDF"));
            assert_eq!(kyosai_store::sha256_hex(&pdf), l[5]);
            let xml = std::fs::read_to_string(out.path().join(l[6])).unwrap();
            assert!(xml.contains("<TEG850"), "{xml}");
            assert!(xml.contains(l[3]), "the XML carries its document number");
            assert_eq!(kyosai_store::sha256_hex(xml.as_bytes()), l[7]);
            // /verify shows the hashes of the files the member was mailed.
            let v = run.verify_document(l[3]).await.unwrap().unwrap();
            assert_eq!(v.pdf_sha256.as_deref(), Some(l[5]));
            assert_eq!(v.xml_sha256.as_deref(), Some(l[7]));
        }
        // The member's portal shows the number that was mailed.
        let portal = run
            .issue_certificate(&osaka_member, &osaka, 2025)
            .await
            .unwrap();
        assert_eq!(portal.document_number, lines[2][3]);

        // A crash: one PDF never finished (only its temporary file is there), one XML lost.
        let lost_pdf = out.path().join(lines[1][4]);
        std::fs::rename(&lost_pdf, lost_pdf.with_extension("part")).unwrap();
        std::fs::remove_file(out.path().join(lines[2][6])).unwrap();
        let again = run
            .issue_certificates(&options, &|_, _, _| {})
            .await
            .unwrap();
        assert_eq!((again.certificates, again.rendered), (3, 2));
        assert_eq!(std::fs::read_to_string(&again.index).unwrap(), index);
        assert!(lost_pdf.exists());
        assert!(!lost_pdf.with_extension("part").exists());
        let files = walk(out.path());
        assert_eq!(
            files.iter().filter(|f| f.ends_with(".pdf")).count(),
            3,
            "no duplicates: {files:?}"
        );
    }
}

/// Every file under `dir`, relative names.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path.to_string_lossy().into_owned());
        }
    }
    files
}

/// The March 掛金納付状況のお知らせ: one per active contract, issued as a document and mailed with
/// its PDF; 倒産防止's carries the loan limit (and its title says so); a rerun issues nothing.
#[tokio::test]
async fn march_payment_status_notices_once_per_active_contract() {
    for (app, _d) in support::apps().await {
        let early = on(&app, "2026-09-01T01:00:00Z");
        let (m, small) = enrolled(&early, "s@example.jp", "1000001", "1970-01-01").await;
        let safety = early
            .submit_enrollment(&m, m.user_id, &sample_form("safety_net"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        cycle(&app, month("2026-09"), false).await;
        cycle(&app, month("2026-10"), false).await;

        let march = on(&app, "2027-03-01T01:00:00Z");
        let run = march
            .issue_payment_status_notices(2027, &|_, _| {})
            .await
            .unwrap();
        assert_eq!((run.issued, run.already_issued), (2, 0));
        let again = march
            .issue_payment_status_notices(2027, &|_, _| {})
            .await
            .unwrap();
        assert_eq!((again.issued, again.already_issued), (0, 2));

        let mut conn = march.store_for_tests().read().await.unwrap();
        let mails: Vec<kyosai_app::mail::Mail> = kyosai_store::outbox::pending(&mut conn, 1000)
            .await
            .unwrap()
            .iter()
            .map(|i| serde_json::from_str(&i.payload).unwrap())
            .filter(|m: &kyosai_app::mail::Mail| {
                m.subject.contains("お知らせ") && m.subject.contains("納付状況")
            })
            .collect();
        drop(conn);
        assert_eq!(mails.len(), 2, "{mails:#?}");
        let safety_mail = mails.iter().find(|m| m.body.contains(&safety)).unwrap();
        assert_eq!(
            safety_mail.attachments[0].file_name,
            "掛金納付状況及び貸付限度額等のお知らせ.pdf"
        );
        assert!(
            safety_mail.body.contains("貸付限度額："),
            "{}",
            safety_mail.body
        );

        for number in [&small, &safety] {
            let docs = march.contract_documents(&m, number).await.unwrap();
            let notice = docs.iter().find(|d| d.kind == "payment_status").unwrap();
            let pdf = march
                .document_pdf(&m, &notice.document_number)
                .await
                .unwrap();
            assert!(pdf.starts_with(b"%PDF"));
            let v = march
                .verify_document(&notice.document_number)
                .await
                .unwrap()
                .unwrap();
            let kyosai_app::documents::VerifiedContent::Letter { lines, .. } = v.content else {
                panic!("a letter");
            };
            // Two months collected, by the real billing cycle.
            assert!(
                lines.iter().any(|(l, v)| l == "払込月数" && v == "2か月"),
                "{lines:?}"
            );
        }
    }
}
