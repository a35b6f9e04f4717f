//! Every letter as a document (issue #13 item 4): a procedure completed online issues its
//! letter (共済契約締結証書, 契約内容確認書, 解除通知書) under a document number in the same
//! transaction; the completion mail carries it as a PDF attachment when it is sent; the member
//! lists and downloads the same PDF from the contract's documents; `/verify` shows what the
//! letter says; nobody else reads it.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

mod support;

use base64::Engine;
use kyosai_app::cancellation::CancellationForm;
use kyosai_app::details_change::DetailsForm;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::documents::VerifiedContent;
use kyosai_app::mail::{Mail, Mailer, deliver_pending};
use kyosai_app::premium_change::PremiumChangeForm;
use kyosai_app::{Actor, App, AppError, Role};

async fn actor(app: &App, role: Role, email: &str) -> Actor {
    let user_id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id, role }
}

/// The newest mail in the outbox.
async fn last_mail(app: &App) -> Mail {
    let mut conn = app.store_for_tests().read().await.unwrap();
    let items = kyosai_store::outbox::pending(&mut conn, 10_000)
        .await
        .unwrap();
    serde_json::from_str(&items.last().unwrap().payload).unwrap()
}

/// The text of a PDF as `pdftotext` reads it, without white space (typst breaks lines where
/// the page needs).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) must be installed");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}

/// The one PDF attached to a sent `.eml` (base64 part after its `application/pdf` header).
fn attached_pdf(eml: &str) -> Vec<u8> {
    let part = eml
        .split("Content-Type: application/pdf")
        .nth(1)
        .expect("an application/pdf part");
    let body = part.split("\r\n\r\n").nth(1).unwrap();
    let encoded: String = body
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .unwrap()
}

#[tokio::test]
async fn each_procedure_issues_its_letter_mailed_as_a_pdf_and_kept_in_the_portal() {
    for (app, _d) in support::apps().await {
        let app = support::on(&app, "2026-04-01T01:00:00Z");
        let member = actor(&app, Role::Member, "m@example.jp").await;
        let other = actor(&app, Role::Member, "o@example.jp").await;
        let staff = actor(&app, Role::Staff, "s@example.jp").await;
        let number = app
            .submit_enrollment(&member, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let enrolled = last_mail(&app).await;
        assert_eq!(enrolled.attachments.len(), 1, "{enrolled:#?}");
        assert_eq!(enrolled.attachments[0].file_name, "共済契約締結証書.pdf");
        assert!(enrolled.body.contains("【添付書類】共済契約締結証書.pdf"));
        assert!(
            enrolled
                .body
                .contains(&format!("/portal/contracts/{number}/documents"))
        );

        let later = support::on(&app, "2026-04-02T01:00:00Z");
        later
            .change_premium(
                &member,
                &number,
                &PremiumChangeForm {
                    monthly_premium_yen: Some("40000".into()),
                    decrease_reason: None,
                },
            )
            .await
            .unwrap();
        let changed = last_mail(&later).await;
        assert_eq!(changed.attachments[0].file_name, "契約内容確認書.pdf");

        let moved = support::on(&app, "2026-04-03T01:00:00Z");
        moved
            .change_details(
                &member,
                &number,
                &DetailsForm {
                    postcode: Some("5300001".into()),
                    prefecture: Some("大阪府".into()),
                    city: Some("大阪市北区".into()),
                    address_line: Some("梅田1-1".into()),
                    ..DetailsForm::default()
                },
            )
            .await
            .unwrap();
        let address = last_mail(&moved).await;
        assert_eq!(address.attachments[0].file_name, "契約内容確認書.pdf");

        let end = support::on(&app, "2026-04-06T01:00:00Z");
        let q = end.cancellation_quote(&member, &number).await.unwrap();
        end.cancel_contract(
            &member,
            &number,
            &CancellationForm {
                refund_yen: Some(q.refund_yen.to_string()),
            },
            None,
        )
        .await
        .unwrap();
        let cancelled = last_mail(&end).await;
        assert_eq!(cancelled.attachments[0].file_name, "共済契約解除通知書.pdf");

        // The portal lists the four letters, newest first, to the member and staff only.
        let listed = end.contract_documents(&member, &number).await.unwrap();
        let titles: Vec<&str> = listed.iter().map(|d| d.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "共済契約解除通知書",
                "契約内容確認書",
                "契約内容確認書",
                "共済契約締結証書"
            ]
        );
        assert_eq!(listed[3].issued_on, jiff::civil::date(2026, 4, 1));
        assert_eq!(
            end.contract_documents(&staff, &number).await.unwrap().len(),
            4
        );
        assert!(matches!(
            end.contract_documents(&other, &number).await,
            Err(AppError::NotFound)
        ));

        // Each PDF says what happened, to whom, under its number.
        let certificate = pdf_text(
            &end.document_pdf(&member, &listed[3].document_number)
                .await
                .unwrap(),
        );
        for wanted in [
            "共済契約締結証書",
            "山田太郎",
            number.as_str(),
            "30,000円",
            listed[3].document_number.as_str(),
        ] {
            assert!(certificate.contains(wanted), "{wanted} in {certificate}");
        }
        let premium = pdf_text(
            &end.document_pdf(&member, &listed[2].document_number)
                .await
                .unwrap(),
        );
        for wanted in ["契約内容確認書", "掛金月額の変更", "30,000円", "40,000円"] {
            assert!(premium.contains(wanted), "{wanted} in {premium}");
        }
        // The certificate is made from the enrollment form within its transaction, the
        // change's letter from the store: both print the address and account as registered.
        let form = sample_form("small_enterprise");
        let registered = [
            "〒100-0001".to_string(),
            format!(
                "{}{}{}",
                form.prefecture.unwrap(),
                form.city.unwrap(),
                form.address_line.unwrap()
            ),
            "みずほ東京営業部***4567".to_string(),
        ];
        for wanted in &registered {
            assert!(certificate.contains(wanted), "{wanted} in {certificate}");
            assert!(premium.contains(wanted), "{wanted} in {premium}");
        }
        let details = pdf_text(
            &end.document_pdf(&member, &listed[1].document_number)
                .await
                .unwrap(),
        );
        for wanted in ["大阪府大阪市北区梅田1-1", "〒530-0001"] {
            assert!(details.contains(wanted), "{wanted} in {details}");
        }
        let notice = pdf_text(
            &end.document_pdf(&member, &listed[0].document_number)
                .await
                .unwrap(),
        );
        for wanted in ["共済契約解除通知書", "任意解約", number.as_str()] {
            assert!(notice.contains(wanted), "{wanted} in {notice}");
        }
        assert!(matches!(
            end.document_pdf(&other, &listed[0].document_number).await,
            Err(AppError::NotFound)
        ));

        // A third party holding the premium letter reads its lines, not the member's name.
        let verified = end
            .verify_document(&listed[2].document_number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(verified.contract_number, number);
        let VerifiedContent::Letter { title, lines } = &verified.content else {
            panic!("a letter: {verified:?}");
        };
        assert_eq!(title, "契約内容確認書");
        assert!(
            lines
                .iter()
                .any(|(label, value)| label == "掛金月額" && value == "30,000円 → 40,000円"),
            "{lines:?}"
        );
        assert!(!format!("{lines:?}").contains("山田"));
        assert!(verified.pdf_sha256.is_some());

        // Sent, the completion mail carries exactly the PDF the portal serves.
        let dir = tempfile::tempdir().unwrap();
        let sent = deliver_pending(&end, &Mailer::Folder(dir.path().to_path_buf()))
            .await
            .unwrap();
        assert!(sent >= 4);
        let emls: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        let enrollment_eml = emls
            .iter()
            .find(|e| {
                e.contains("multipart/mixed")
                    && pdf_text(&attached_pdf(e)).contains("共済契約締結証書")
            })
            .expect("the enrollment mail with its PDF");
        assert_eq!(
            attached_pdf(enrollment_eml),
            end.document_pdf(&member, &listed[3].document_number)
                .await
                .unwrap(),
            "the mailed PDF is the one the portal serves"
        );
    }
}

/// A paper form is answered on paper (issue #14 item 4): the letter completing it prints the
/// short address of the procedure's survey, the same code staff see; an online letter has none.
#[tokio::test]
async fn a_letter_answering_a_paper_form_prints_the_survey_address() {
    for (app, _d) in support::apps().await {
        let app = support::on(&app, "2026-04-01T01:00:00Z");
        let member = actor(&app, Role::Member, "p@example.jp").await;
        let online = actor(&app, Role::Member, "w@example.jp").await;
        let staff = actor(&app, Role::Staff, "s@example.jp").await;
        let paper = app
            .submit_enrollment(&staff, member.user_id, &sample_form("small_enterprise"))
            .await
            .unwrap();
        let number = paper.contract.unwrap().number;
        let code = app.survey_code(&staff, paper.application_id).await.unwrap();
        let letter = &app.contract_documents(&member, &number).await.unwrap()[0];
        let text = pdf_text(
            &app.document_pdf(&member, &letter.document_number)
                .await
                .unwrap(),
        );
        assert!(text.contains("アンケート"), "{text}");
        assert!(text.contains(&format!("http://test/s/{code}")), "{text}");

        let form = kyosai_app::enrollment::EnrollmentForm {
            birth_date: Some("1980-05-05".into()),
            ..sample_form("small_enterprise")
        };
        let web = app
            .submit_enrollment(&online, online.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let letter = &app.contract_documents(&online, &web).await.unwrap()[0];
        let text = pdf_text(
            &app.document_pdf(&online, &letter.document_number)
                .await
                .unwrap(),
        );
        assert!(!text.contains("アンケート"), "{text}");
    }
}
