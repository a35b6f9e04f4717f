//! Paper forms from the BPO contractor (issue #14 item 1): hostile batches are refused whole
//! with a report and store nothing; a good batch files several forms through the same procedures
//! as online (channel `paper`, the forwarding agency recorded); low-confidence and rule-refused
//! fields go to double entry, where two operators agree or a third decides, and nobody verifies
//! their own keying. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::collections::BTreeMap;

use base64::Engine;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::paper::{PaperFormStatus, PaperImportError};
use kyosai_app::{Actor, App, AppError, Role};
use serde_json::{Value, json};

mod support;

use support::{apps, count, on};

/// A 1×1 PNG (its magic bytes are what the import checks).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn field(value: &str, confidence: f64) -> Value {
    json!({"value": value, "confidence": confidence})
}

/// A form of `procedure` for `contract_number` with `fields` ({name: field(…)}).
fn form(id: &str, procedure: &str, contract_number: &str, fields: Value) -> Value {
    json!({
        "form_id": id,
        "procedure": procedure,
        "contract_number": contract_number,
        "agency_code": "SHOKO-13101",
        "image": {"base64": b64(PNG)},
        "fields": fields,
    })
}

fn batch(id: &str, forms: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "format": "kyosai-paper-batch/1",
        "batch_id": id,
        "forms": forms,
    }))
    .unwrap()
}

async fn user(app: &App, role: Role, email: &str) -> Actor {
    let id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id: id, role }
}

/// A member with a 小規模 contract of 30,000 yen (`birth_date` tells people apart).
async fn member_with_contract(app: &App, email: &str, birth_date: &str) -> String {
    let member = user(app, Role::Member, email).await;
    let r = app
        .submit_enrollment(
            &member,
            member.user_id,
            &kyosai_app::enrollment::EnrollmentForm {
                birth_date: Some(birth_date.into()),
                ..sample_form("small_enterprise")
            },
        )
        .await
        .unwrap();
    r.contract.unwrap().number
}

async fn with_agency(app: &App) {
    let mut c = app.store_for_tests().read().await.unwrap();
    kyosai_store::agencies::insert(
        &mut c,
        "SHOKO-13101",
        "千代田商工会議所",
        "2026-01-01T00:00:00Z",
    )
    .await
    .unwrap();
}

const TABLES: [&str; 6] = [
    "paper_batches",
    "paper_forms",
    "paper_verify_fields",
    "applications",
    "audit_log",
    "outbox",
];

async fn counts(app: &App) -> Vec<i64> {
    let mut v = Vec::new();
    for t in TABLES {
        v.push(count(app, &format!("SELECT COUNT(*) AS n FROM {t}")).await);
    }
    v
}

fn premium(value: &str, confidence: f64) -> Value {
    json!({"monthly_premium_yen": field(value, confidence)})
}

fn refused(r: Result<kyosai_app::paper::ImportedBatch, PaperImportError>) -> Vec<(String, String)> {
    match r {
        Err(PaperImportError::Refused(report)) => report
            .problems
            .into_iter()
            .map(|p| (p.place, p.message))
            .collect(),
        Ok(b) => panic!("imported: {b:?}"),
        Err(PaperImportError::App(e)) => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn hostile_batches_are_refused_with_a_report_and_store_nothing() {
    for (app, _d) in apps().await {
        with_agency(&app).await;
        let staff = user(&app, Role::Staff, "staff@example.jp").await;
        let number = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let good = || form("F1", "premium_change", &number, premium("40000", 0.99));
        let before = counts(&app).await;

        // Shift_JIS text: 「山田」 is 0x8E 0x52 0x93 0x63, not UTF-8.
        let mut sjis = b"{\"format\":\"kyosai-paper-batch/1\",\"batch_id\":\"".to_vec();
        sjis.extend_from_slice(b"\x8eR\x93c\"}");
        let p = refused(app.import_paper_batch(&staff, "sjis.json", &sjis).await);
        assert_eq!(p[0].0, "ファイル");
        assert!(p[0].1.contains("UTF-8"), "{p:?}");

        // Missing fields: no form id, no contract number, no fields, no image.
        let bare = json!({"procedure": "premium_change"});
        let p = refused(
            app.import_paper_batch(&staff, "bare.json", &batch("B-bare", vec![bare]))
                .await,
        );
        let places: Vec<&str> = p.iter().map(|(place, _)| place.as_str()).collect();
        for want in [
            "forms[0].form_id",
            "forms[0].contract_number",
            "forms[0].fields",
            "forms[0].image",
        ] {
            assert!(places.contains(&want), "{want} in {places:?}");
        }

        // A field without its confidence, and one the procedure's form does not have.
        let odd = form(
            "F1",
            "premium_change",
            &number,
            json!({"monthly_premium_yen": {"value": "40000"}, "shoe_size": field("27", 1.0)}),
        );
        let p = refused(
            app.import_paper_batch(&staff, "odd.json", &batch("B-odd", vec![odd]))
                .await,
        );
        assert!(
            p.iter()
                .any(|(pl, m)| pl == "forms[0].fields.monthly_premium_yen"
                    && m.contains("confidence"))
        );
        assert!(p.iter().any(|(pl, _)| pl == "forms[0].fields.shoe_size"));

        // Duplicate form ids.
        let p = refused(
            app.import_paper_batch(&staff, "dup.json", &batch("B-dup", vec![good(), good()]))
                .await,
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "forms[1].form_id");
        assert!(p[0].1.contains("重複"));

        // An "image" that is a PDF.
        let mut pdf = good();
        pdf["image"]["base64"] = json!(b64(b"%PDF-1.7\n..."));
        let p = refused(
            app.import_paper_batch(&staff, "pdf.json", &batch("B-pdf", vec![pdf]))
                .await,
        );
        assert_eq!(p[0].0, "forms[0].image");
        assert!(p[0].1.contains("画像ではありません"));

        // An agency code nobody registered.
        let mut stranger = good();
        stranger["agency_code"] = json!("NOBODY");
        let p = refused(
            app.import_paper_batch(&staff, "ag.json", &batch("B-ag", vec![stranger]))
                .await,
        );
        assert_eq!(p[0].0, "forms[0].agency_code");

        assert_eq!(counts(&app).await, before, "a refused batch stores nothing");

        // A batch imported twice: the second time is refused and changes nothing.
        let once = batch("B-once", vec![good()]);
        app.import_paper_batch(&staff, "once.json", &once)
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
        let after_first = counts(&app).await;
        let p = refused(app.import_paper_batch(&staff, "once.json", &once).await);
        assert!(p[0].1.contains("取り込み済み"), "{p:?}");
        assert_eq!(counts(&app).await, after_first);

        // Only staff import.
        let operator = user(&app, Role::DataEntry, "op@example.jp").await;
        assert!(matches!(
            app.import_paper_batch(&operator, "x.json", &batch("B-x", vec![good()]))
                .await,
            Err(PaperImportError::App(AppError::Forbidden(_)))
        ));
    }
}

#[tokio::test]
async fn a_batch_files_several_forms_through_the_online_procedures() {
    for (app, _d) in apps().await {
        with_agency(&app).await;
        let staff = user(&app, Role::Staff, "staff@example.jp").await;
        let a = member_with_contract(&app, "a@example.jp", "1971-04-01").await;
        let b = member_with_contract(&app, "b@example.jp", "1972-04-01").await;
        let c = member_with_contract(&app, "c@example.jp", "1973-04-01").await;
        let newcomer = user(&app, Role::Member, "new@example.jp").await;
        let online = count(&app, "SELECT COUNT(*) AS n FROM applications").await;

        let mut enrollment = serde_json::to_value(sample_form("safety_net")).unwrap();
        let fields: serde_json::Map<String, Value> = enrollment
            .as_object_mut()
            .unwrap()
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), field(s, 0.97))))
            .collect();
        let enroll = json!({
            "form_id": "F4",
            "procedure": "enrollment",
            "member_email": "new@example.jp",
            "agency_code": null,
            "image": {"base64": b64(b"\xFF\xD8\xFF\xE0 a jpeg")},
            "fields": fields,
        });
        let bytes = batch(
            "B-2026-11-02",
            vec![
                form("F1", "premium_change", &a, premium("40000", 0.99)),
                form(
                    "F2",
                    "mandate_change",
                    &b,
                    json!({
                        "bank_code": field("0009", 0.99),
                        "branch_code": field("001", 0.98),
                        "account_type": field("current", 0.99),
                        "account_number": field("7654321", 0.95),
                        "account_holder_kana": field("ヤマダ　タロウ", 0.93),
                    }),
                ),
                // Read with low confidence: waits for double entry.
                form("F3", "premium_change", &c, premium("45000", 0.42)),
                enroll,
            ],
        );
        let imported = app
            .import_paper_batch(&staff, "batch.json", &bytes)
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
        let status: Vec<(&str, PaperFormStatus, usize)> = imported
            .forms
            .iter()
            .map(|f| (f.form_id.as_str(), f.status, f.to_verify))
            .collect();
        assert_eq!(
            status,
            [
                ("F1", PaperFormStatus::Submitted, 0),
                ("F2", PaperFormStatus::Submitted, 0),
                ("F3", PaperFormStatus::Verifying, 1),
                ("F4", PaperFormStatus::Submitted, 0),
            ]
        );
        // Three applications, all on the paper channel; the agency is recorded where it forwarded.
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM applications").await,
            online + 3
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications a JOIN paper_forms f ON f.application_id = a.id \
                 WHERE a.channel = 'paper'"
            )
            .await,
            3
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications a JOIN agencies g ON g.id = a.agency_id \
                 WHERE g.code = 'SHOKO-13101'"
            )
            .await,
            2
        );
        // The same use cases as online: the premium change and the new account took effect.
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM premium_changes p JOIN contracts c ON c.id = p.contract_id \
                     WHERE c.number = '{a}' AND p.monthly_premium = 40000"
                )
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM contracts WHERE member_id = {}",
                    newcomer.user_id
                )
            )
            .await,
            1,
            "the paper enrollment made the newcomer's contract"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM mandates WHERE account_number = '7654321'"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn double_entry_needs_two_operators_and_a_third_decides_a_mismatch() {
    for (app, _d) in apps().await {
        with_agency(&app).await;
        let staff = user(&app, Role::Staff, "staff@example.jp").await;
        let op1 = user(&app, Role::DataEntry, "op1@example.jp").await;
        let op2 = user(&app, Role::DataEntry, "op2@example.jp").await;
        let op3 = user(&app, Role::DataEntry, "op3@example.jp").await;
        let number = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        let imported = app
            .import_paper_batch(
                &staff,
                "b.json",
                &batch(
                    "B-1",
                    vec![form(
                        "F1",
                        "premium_change",
                        &number,
                        premium("4O000", 0.31),
                    )],
                ),
            )
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
        let id = imported.forms[0].paper_form_id;
        let opened = "2026-11-02T00:58:00Z"; // two minutes before the app's clock
        let key = |v: &str| BTreeMap::from([("monthly_premium_yen".to_string(), v.to_string())]);

        let v = app
            .key_paper_form(&op1, id, &key("40000"), opened)
            .await
            .unwrap();
        assert_eq!(v.status, PaperFormStatus::Verifying);
        // Operator 1 may not verify their own keying, not even with the same value.
        let own = app.key_paper_form(&op1, id, &key("40000"), opened).await;
        assert!(
            matches!(
                own,
                Err(AppError::Conflict {
                    code: "own_keying",
                    ..
                })
            ),
            "{own:?}"
        );
        // Operator 2 reads it differently: a mismatch, still no application.
        let v = app
            .key_paper_form(&op2, id, &key("45000"), opened)
            .await
            .unwrap();
        assert_eq!(v.status, PaperFormStatus::Verifying);
        assert_eq!(v.pending().next().unwrap().next_round, Some(3));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE channel = 'paper'"
            )
            .await,
            0
        );
        // Neither of them may decide.
        for op in [&op1, &op2] {
            assert!(matches!(
                app.key_paper_form(op, id, &key("45000"), opened).await,
                Err(AppError::Conflict {
                    code: "own_keying",
                    ..
                })
            ));
        }
        // A member may not key at all.
        let member = user(&app, Role::Member, "x@example.jp").await;
        assert!(matches!(
            app.key_paper_form(&member, id, &key("40000"), opened).await,
            Err(AppError::Forbidden(_))
        ));
        // The third operator decides; the form goes through the premium change.
        let v = app
            .key_paper_form(&op3, id, &key("40000"), opened)
            .await
            .unwrap();
        assert_eq!(v.status, PaperFormStatus::Submitted, "{v:?}");
        assert!(v.application_id.is_some());
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE channel = 'paper' \
                 AND procedure = 'premium_change' AND payload LIKE '%40000%'"
            )
            .await,
            1
        );
        // Staff time: three screens of two minutes each, stored for the scorecard.
        assert_eq!(
            count(
                &app,
                "SELECT CAST(COALESCE(SUM(seconds), 0) AS BIGINT) AS n FROM data_entry_time \
                 WHERE procedure = 'premium_change' AND channel = 'paper'"
            )
            .await,
            360
        );
        assert_eq!(v.entry_seconds, 360);
        // Done: nobody keys it again.
        let late = user(&app, Role::DataEntry, "op4@example.jp").await;
        assert!(matches!(
            app.key_paper_form(&late, id, &key("1"), opened).await,
            Err(AppError::Conflict {
                code: "paper_form_done",
                ..
            })
        ));
    }
}

#[tokio::test]
async fn a_form_a_rule_refuses_goes_to_double_entry_and_proceeds_when_two_agree() {
    for (app, _d) in apps().await {
        with_agency(&app).await;
        let staff = user(&app, Role::Staff, "staff@example.jp").await;
        let op1 = user(&app, Role::DataEntry, "op1@example.jp").await;
        let op2 = user(&app, Role::Staff, "op2@example.jp").await;
        let number = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        // 12,345 yen is not a 500-yen step: the premium-change rule refuses it.
        let imported = app
            .import_paper_batch(
                &staff,
                "b.json",
                &batch(
                    "B-1",
                    vec![form(
                        "F1",
                        "premium_change",
                        &number,
                        premium("12345", 0.99),
                    )],
                ),
            )
            .await
            .map_err(|e| format!("{e:?}"))
            .unwrap();
        let f = &imported.forms[0];
        assert_eq!((f.status, f.to_verify), (PaperFormStatus::Verifying, 1));
        let view = app.paper_form(&op1, f.paper_form_id).await.unwrap();
        let pending: Vec<_> = view.pending().collect();
        assert_eq!(pending.len(), 1);
        assert!(pending[0].verify_reason.as_ref().unwrap().contains("規則"));
        let later = on(&app, "2026-11-02T01:05:00Z");
        let key = BTreeMap::from([("monthly_premium_yen".to_string(), "12500".to_string())]);
        later
            .key_paper_form(&op1, f.paper_form_id, &key, "2026-11-02T01:01:00Z")
            .await
            .unwrap();
        let v = later
            .key_paper_form(&op2, f.paper_form_id, &key, "2026-11-02T01:03:00Z")
            .await
            .unwrap();
        assert_eq!(v.status, PaperFormStatus::Submitted, "{v:?}");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE channel = 'paper' AND payload LIKE '%12500%'"
            )
            .await,
            1
        );
    }
}
