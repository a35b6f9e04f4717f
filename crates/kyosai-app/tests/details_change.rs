//! The registered details change (届出事項変更, issue #10 procedure 4) and evidence uploads:
//! each kind of field, nothing changed, a change leaving the 倒産防止 size limits, names with and
//! without evidence, a corporation's name through staff review, refused uploads, and who may
//! download a document. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::details_change::DetailsForm;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::enrollment::EnrollmentForm;
use kyosai_app::evidence::EvidenceConfig;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::ApplicationStatus;

mod support;

use support::{apps, count, out_dir};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Every backend, with evidence stored in a fresh folder.
async fn details_apps() -> Vec<(App, Option<kyosai_store::testing::TempDir>)> {
    apps()
        .await
        .into_iter()
        .map(|(app, dir)| {
            let app = app.with_evidence(EvidenceConfig {
                dir: Some(out_dir("evidence")),
                max_bytes: 1024 * 1024,
            });
            (app, dir)
        })
        .collect()
}

async fn actor(app: &App, role: Role, email: &str) -> Actor {
    let user_id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id, role }
}

/// A member with a contract enrolled from `form`; returns the member and the contract number.
async fn member_with(app: &App, email: &str, form: EnrollmentForm) -> (Actor, String) {
    let member = actor(app, Role::Member, email).await;
    let r = app
        .submit_enrollment(&member, member.user_id, &form)
        .await
        .unwrap();
    (member, r.contract.unwrap().number)
}

/// A 倒産防止 contract of a company (construction: 3億円 or 300 people, REFERENCE §1.2).
fn company_form() -> EnrollmentForm {
    EnrollmentForm {
        legal_form: Some("company".into()),
        business_name: Some("株式会社山田工務店".into()),
        capital_yen: Some("10000000".into()),
        corporate_number: Some("7000012050002".into()),
        representative_name: Some("山田 一郎".into()),
        representative_kana: Some("ヤマダ イチロウ".into()),
        ..sample_form("safety_net")
    }
}

fn field_codes(e: AppError) -> Vec<(String, String)> {
    match e {
        AppError::Invalid(errors) => errors
            .into_iter()
            .map(|e| (e.field, e.code.to_string()))
            .collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn applications_of(app: &App, procedure: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) AS n FROM applications WHERE procedure = '{procedure}'"),
    )
    .await
}

#[tokio::test]
async fn address_phone_and_email_change_at_once_with_full_width_digits_normalised() {
    for (app, _dir) in details_apps().await {
        let (member, number) =
            member_with(&app, "a@example.jp", sample_form("small_enterprise")).await;
        let before = app.registered_details(&member, &number).await.unwrap();
        assert_eq!(before.postcode, "1000001", "read from the enrollment");
        assert_eq!(before.email, "a@example.jp");
        let form = DetailsForm {
            postcode: Some("１５０－０００２".into()),
            prefecture: Some("東京都".into()),
            city: Some("渋谷区".into()),
            address_line: Some("渋谷2-1".into()),
            phone: Some("０９０－１２３４－５６７８".into()),
            email: Some("new@example.jp".into()),
            // Unchanged values sent along (a prefilled page) do not count.
            business_name: Some("山田工務店".into()),
            ..DetailsForm::default()
        };
        let preview = app
            .preview_details_change(&member, &number, &form)
            .await
            .unwrap();
        assert!(preview.review_reasons.is_empty());
        let fields: Vec<&str> = preview.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["postcode", "city", "address_line", "phone", "email"]
        );
        assert_eq!(preview.changes[0].before, "100-0001");
        assert_eq!(preview.changes[0].after, "150-0002");
        assert_eq!(applications_of(&app, "details_change").await, 0);

        let done = app.change_details(&member, &number, &form).await.unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
        assert_eq!(done.changes.len(), 5);
        let after = app.registered_details(&member, &number).await.unwrap();
        assert_eq!(after.postcode, "1500002");
        assert_eq!(after.phone, "09012345678");
        assert_eq!(after.email, "new@example.jp");
        assert_eq!(after.holder_name, "山田 太郎");
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM contract_details").await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'details.changed'"
            )
            .await,
            1
        );
        // The same values again: nothing changes, nothing is stored.
        match app.change_details(&member, &number, &form).await {
            Err(AppError::Unprocessable { code, .. }) => assert_eq!(code, "no_change"),
            other => panic!("{other:?}"),
        }
        assert_eq!(applications_of(&app, "details_change").await, 1);
    }
}

#[tokio::test]
async fn bad_values_are_refused_per_field_and_store_nothing() {
    for (app, _dir) in details_apps().await {
        let (member, number) =
            member_with(&app, "b@example.jp", sample_form("small_enterprise")).await;
        let cases: Vec<(DetailsForm, Vec<(&str, &str)>)> = vec![
            (
                DetailsForm {
                    postcode: Some("1500002".into()),
                    prefecture: Some("大阪府".into()),
                    ..DetailsForm::default()
                },
                vec![("prefecture", "rule")],
            ),
            (
                DetailsForm {
                    postcode: Some("0000000".into()),
                    ..DetailsForm::default()
                },
                vec![("postcode", "unknown")],
            ),
            (
                DetailsForm {
                    phone: Some("12-34".into()),
                    email: Some("no-at-sign".into()),
                    city: Some(String::new()),
                    ..DetailsForm::default()
                },
                vec![
                    ("city", "required"),
                    ("phone", "format"),
                    ("email", "format"),
                ],
            ),
            (
                DetailsForm {
                    business_name: Some("山田工務店🏠".into()),
                    ..DetailsForm::default()
                },
                vec![("business_name", "character")],
            ),
            (
                DetailsForm {
                    employees: Some("30".into()),
                    ..DetailsForm::default()
                },
                vec![("employees", "rule")],
            ),
            (
                DetailsForm {
                    representative: Some("山田 花子".into()),
                    ..DetailsForm::default()
                },
                vec![("representative", "rule")],
            ),
            (
                DetailsForm {
                    holder_name: Some("鈴木 太郎".into()),
                    ..DetailsForm::default()
                },
                vec![("evidence", "rule")],
            ),
            (
                DetailsForm {
                    holder_name: Some("鈴木 太郎".into()),
                    evidence: Some("f".repeat(48)),
                    ..DetailsForm::default()
                },
                vec![("evidence", "rule")],
            ),
        ];
        for (form, expected) in cases {
            let e = app
                .change_details(&member, &number, &form)
                .await
                .unwrap_err();
            let codes = field_codes(e);
            let got: Vec<(&str, &str)> = codes
                .iter()
                .map(|(f, c)| (f.as_str(), c.as_str()))
                .collect();
            assert_eq!(got, expected, "{form:?}");
        }
        assert_eq!(applications_of(&app, "details_change").await, 0);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM contract_details").await,
            0
        );
    }
}

#[tokio::test]
async fn a_persons_name_change_with_evidence_completes_and_the_contract_follows() {
    for (app, _dir) in details_apps().await {
        let (member, number) =
            member_with(&app, "c@example.jp", sample_form("small_enterprise")).await;
        let e = app
            .upload_evidence(&member, &number, "戸籍抄本.pdf", PDF)
            .await
            .unwrap();
        assert_eq!(e.content_type, "application/pdf");
        assert_eq!(e.file_name, "戸籍抄本.pdf");
        let form = DetailsForm {
            holder_name: Some("鈴木　太郎".into()),
            evidence: Some(e.token.clone()),
            ..DetailsForm::default()
        };
        let done = app.change_details(&member, &number, &form).await.unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
        assert_eq!(done.evidence.unwrap().token, e.token);
        assert_eq!(done.changes[0].after, "鈴木 太郎");
        let overview = app.overview(&member, member.user_id).await.unwrap();
        let json = serde_json::to_string(&overview).unwrap();
        assert!(json.contains("鈴木 太郎"), "{json}");
        // The document is filed: it cannot be used for another application.
        let again = DetailsForm {
            holder_name: Some("佐藤 太郎".into()),
            evidence: Some(e.token),
            ..DetailsForm::default()
        };
        let codes = field_codes(
            app.change_details(&member, &number, &again)
                .await
                .unwrap_err(),
        );
        assert_eq!(codes, [("evidence".to_string(), "rule".to_string())]);
    }
}

#[tokio::test]
async fn a_corporations_name_change_waits_for_staff_who_download_the_evidence_and_approve() {
    for (app, _dir) in details_apps().await {
        let (member, number) = member_with(&app, "d@example.jp", company_form()).await;
        let other = actor(&app, Role::Member, "other@example.jp").await;
        let staff = actor(&app, Role::Staff, "staff@example.jp").await;
        let e = app
            .upload_evidence(&member, &number, "../../etc/登記事項証明書.PDF", PDF)
            .await
            .unwrap();
        assert_eq!(e.file_name, "登記事項証明書.PDF");
        let form = DetailsForm {
            business_name: Some("株式会社ヤマダ建設".into()),
            evidence: Some(e.token.clone()),
            ..DetailsForm::default()
        };
        let filed = app.change_details(&member, &number, &form).await.unwrap();
        assert_eq!(filed.status, ApplicationStatus::InReview);
        assert!(filed.checks.iter().any(|c| c.code == "corporate_name"));
        // Nothing changed yet; a second change waits for the first.
        let now = app.registered_details(&member, &number).await.unwrap();
        assert_eq!(now.business_name, "株式会社山田工務店");
        let phone = DetailsForm {
            phone: Some("0312345679".into()),
            ..DetailsForm::default()
        };
        match app.change_details(&member, &number, &phone).await {
            Err(AppError::Conflict { code, .. }) => assert_eq!(code, "procedure_pending"),
            other => panic!("{other:?}"),
        }
        // Staff and the member may download the document; another member gets NotFound.
        let d = app.evidence_download(&staff, &e.token).await.unwrap();
        assert_eq!(d.bytes, PDF);
        assert_eq!(d.evidence.sha256, kyosai_store::sha256_hex(PDF));
        assert!(app.evidence_download(&member, &e.token).await.is_ok());
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'evidence.downloaded'"
            )
            .await,
            2
        );
        assert!(matches!(
            app.evidence_download(&other, &e.token).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.evidence_download(&staff, "../kyosai.db").await,
            Err(AppError::NotFound)
        ));
        let listed = app
            .application_evidence(&staff, filed.application_id)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        let fields = app
            .details_change_fields(&staff, filed.application_id)
            .await
            .unwrap();
        assert_eq!(fields[0].before, "株式会社山田工務店");
        assert_eq!(fields[0].after, "株式会社ヤマダ建設");

        let a = app.application(&staff, filed.application_id).await.unwrap();
        app.approve(&staff, a.id, a.version, "登記事項証明書で確認しました")
            .await
            .unwrap();
        let now = app.registered_details(&member, &number).await.unwrap();
        assert_eq!(now.business_name, "株式会社ヤマダ建設");
        let fields = app
            .details_change_fields(&staff, filed.application_id)
            .await
            .unwrap();
        assert_eq!(
            fields.len(),
            1,
            "the completed change still shows old → new"
        );
        // The contract row follows (mails, searches, staff screens).
        let found = app.overview(&member, member.user_id).await.unwrap();
        assert!(
            serde_json::to_string(&found)
                .unwrap()
                .contains("株式会社ヤマダ建設")
        );
        // Now the phone change goes through.
        let done = app.change_details(&member, &number, &phone).await.unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
    }
}

#[tokio::test]
async fn capital_and_employees_within_the_limits_complete_and_outside_go_to_staff() {
    for (app, _dir) in details_apps().await {
        let (member, number) = member_with(&app, "e@example.jp", company_form()).await;
        // 400 people, but capital 10,000,000 ≤ 3億円: still eligible (either limit suffices).
        let within = DetailsForm {
            employees: Some("４００".into()),
            representative: Some("山田 花子".into()),
            ..DetailsForm::default()
        };
        let done = app.change_details(&member, &number, &within).await.unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
        let outside = DetailsForm {
            capital_yen: Some("400,000,000".into()),
            ..DetailsForm::default()
        };
        let preview = app
            .preview_details_change(&member, &number, &outside)
            .await
            .unwrap();
        assert_eq!(preview.review_reasons.len(), 1);
        assert!(preview.review_reasons[0].contains("加入資格"));
        let filed = app
            .change_details(&member, &number, &outside)
            .await
            .unwrap();
        assert_eq!(filed.status, ApplicationStatus::InReview);
        let size = filed.checks.iter().find(|c| c.code == "size").unwrap();
        assert!(size.message.contains("300人"), "{}", size.message);
        let d = app.registered_details(&member, &number).await.unwrap();
        assert_eq!((d.capital_yen, d.employees), (Some(10_000_000), 400));
    }
}

#[tokio::test]
async fn refused_uploads_store_nothing() {
    for (app, _dir) in details_apps().await {
        let (member, number) =
            member_with(&app, "f@example.jp", sample_form("small_enterprise")).await;
        let stranger = actor(&app, Role::Member, "g@example.jp").await;
        let upload = |bytes: Vec<u8>, name: &'static str, who: Actor| {
            let app = app.clone();
            let number = number.clone();
            async move { app.upload_evidence(&who, &number, name, &bytes).await }
        };
        let refused = |r: Result<_, AppError>| field_codes(r.unwrap_err())[0].1.clone();
        // A Windows program named like a PDF, an HTML page named like a PNG.
        assert_eq!(
            refused(upload(b"MZ\x90\x00\x03".to_vec(), "scan.pdf", member.clone()).await),
            "file_type"
        );
        assert_eq!(
            refused(upload(b"<html><script>".to_vec(), "a.png", member.clone()).await),
            "file_type"
        );
        assert_eq!(
            refused(upload(Vec::new(), "empty.pdf", member.clone()).await),
            "empty"
        );
        let mut big = PDF.to_vec();
        big.resize(1024 * 1024 + 1, b' ');
        assert_eq!(
            refused(upload(big, "big.pdf", member.clone()).await),
            "too_large"
        );
        assert!(matches!(
            upload(PDF.to_vec(), "x.pdf", stranger).await,
            Err(AppError::NotFound)
        ));
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM evidence").await, 0);
        // Hostile names are kept only as harmless metadata.
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        let e = upload(png, "\0..\\..\\evil\u{202E}gnp.exe", member.clone())
            .await
            .unwrap();
        assert_eq!(e.file_name, "evilgnp.exe.png");
        assert_eq!(e.content_type, "image/png");
        assert_eq!(e.token.len(), 48);
    }
}
