//! 任意解約 (issue #10 procedure 5) and staff-recorded みなし解約, end to end through real billing
//! and bank results: quotes against the rules' published rates, the cancellation at the quoted
//! amount, `quote_changed`, double submits, a pending procedure, later procedures refused,
//! billing stopping, and deemed cancellations. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::cancellation::{CancellationForm, DeemedForm};
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::review::StaffPower;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::termination::DeemedReason;
use kyosai_domain::{ApplicationStatus, ContractStatus};
use kyosai_store::Row;
use kyosai_zengin::debit::ResultCode;

mod support;

use support::{apps, month, on, out_dir};

async fn staff(app: &App, email: &str) -> Actor {
    let id = app
        .create_account(Role::Staff, email, "職員", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor {
        user_id: id,
        role: Role::Staff,
    }
}

/// A member with a contract in `program` (小規模 30,000 yen, 倒産防止 50,000 yen a month from
/// November 2026); `person` tells applicants apart. Returns the member and the contract number.
async fn contract(app: &App, email: &str, program: &str, person: &str) -> (Actor, String) {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    let member = Actor {
        user_id: id,
        role: Role::Member,
    };
    let mut form = sample_form(program);
    form.given_name_kana = Some(person.to_string());
    form.account_holder_kana = Some(format!("ヤマダ {person}"));
    form.birth_date = Some("1980-02-02".into());
    let r = app.submit_enrollment(&member, id, &form).await.unwrap();
    (member, r.contract.unwrap().number)
}

/// Bills `month` for both programs; returns the request files (name, bytes).
async fn bill_only(app: &App, month: &str) -> Vec<(String, Vec<u8>)> {
    let out = out_dir(month);
    let opts = RunOptions {
        owner: "test".into(),
        ..RunOptions::default()
    };
    let runs = app
        .billing_run(support::month(month), None, &out, &opts, &|_| {})
        .await
        .unwrap();
    runs.iter()
        .flat_map(|r| r.files.iter())
        .map(|f| (f.name.clone(), std::fs::read(&f.path).unwrap()))
        .collect()
}

/// Answers every debit of the request files as collected.
async fn collect(app: &App, files: Vec<(String, Vec<u8>)>) {
    for (name, bytes) in files {
        let result =
            simulate_bank(&bytes, 0.0, &[(ResultCode::InsufficientFunds, 1.0)], 1).unwrap();
        app.import_result_file(&format!("{name}.result"), &result, "test")
            .await
            .unwrap();
    }
}

/// Bills `month` for both programs and answers every debit as collected.
async fn bill(app: &App, month: &str) {
    let files = bill_only(app, month).await;
    collect(app, files).await;
}

async fn one_i64(app: &App, sql: &str, bind: &str) -> i64 {
    let mut c = app.store_for_tests().read().await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(bind.to_string())
        .fetch_one(&mut *c)
        .await
        .unwrap();
    row.try_get("n").unwrap()
}

async fn one_text(app: &App, sql: &str, bind: &str) -> String {
    let mut c = app.store_for_tests().read().await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(bind.to_string())
        .fetch_one(&mut *c)
        .await
        .unwrap();
    row.try_get("t").unwrap()
}

fn code(e: &AppError) -> &str {
    match e {
        AppError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn field_codes(e: &AppError) -> Vec<(String, &'static str)> {
    match e {
        AppError::Invalid(f) => f.iter().map(|f| (f.field.clone(), f.code)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn amount(yen: i64) -> CancellationForm {
    CancellationForm {
        refund_yen: Some(yen.to_string()),
    }
}

#[tokio::test]
async fn fourteen_paid_months_are_quoted_and_cancelled_by_the_rules() {
    for (app, _d) in apps().await {
        let clerk = staff(&app, "clerk@example.jp").await;
        let (m_se, se) = contract(&app, "se@example.jp", "small_enterprise", "イチロウ").await;
        let (m_sn, sn) = contract(&app, "sn@example.jp", "safety_net", "ジロウ").await;
        let (_, se_deemed) = contract(&app, "sd@example.jp", "small_enterprise", "サブロウ").await;
        let (_, sn_deemed) = contract(&app, "nd@example.jp", "safety_net", "シロウ").await;
        // 14 months collected (Nov 2026 – Dec 2027). The first 小規模 contract prepays
        // December–October in November (前納: 1 + … + 11 = 66 months ahead).
        bill(&app, "2026-11").await;
        app.record_prepayment(&clerk, &se, month("2026-11"), month("2026-12"), 11)
            .await
            .unwrap();
        let mut m = month("2026-12");
        while m <= month("2027-11") {
            bill(&app, &m.to_string()).await;
            m = m.plus(1);
        }
        // Wednesday 12 January 2028, December's debits made but their results not back yet:
        // 13 months paid, 390,000 × 80% + 1,782; the notices say December is still debited.
        let later = on(&app, "2028-01-12T01:00:00Z");
        let december = bill_only(&app, "2027-12").await;
        let stale = later.cancellation_quote(&m_se, &se).await.unwrap();
        assert_eq!((stale.months_paid, stale.refund_yen), (13, 312_000 + 1_782));
        assert!(
            stale.notices.iter().any(|n| n
                .contains("2027年12月分の請求はすでに確定しているため、2027年12月20日に30,000円")),
            "{:?}",
            stale.notices
        );
        // The results arrive: the quote the member saw is stale and refused, nothing stored.
        collect(&app, december).await;
        let err = later
            .cancel_contract(&m_se, &se, &amount(stale.refund_yen), None)
            .await
            .unwrap_err();
        assert_eq!(code(&err), "quote_changed");

        // 小規模 §3.4: 14 months at 30,000 → 80% of 420,000; plus the 前納減額金 30,000 ×
        // 0.9/1000 × 66 = 1,782 (provisional rate: an estimate); paid 15 business days later.
        let q = later.cancellation_quote(&m_se, &se).await.unwrap();
        assert_eq!(
            (
                q.months_paid,
                q.total_paid_yen,
                q.loans_deducted_yen,
                q.prepayment_discount_yen,
                q.refund_yen
            ),
            (14, 420_000, 0, 1_782, 336_000 + 1_782)
        );
        assert!(q.estimate);
        assert_eq!(q.payment_date.to_string(), "2028-02-02");
        let text = q.notices.join("\n");
        assert!(text.contains("65歳未満の方は一時所得"), "{text}");
        assert!(text.contains("前納減額金1,782円"), "{text}");
        assert!(text.contains("2028年2月2日"), "{text}");
        assert!(!text.contains("租税特別措置法"), "{text}");

        // 倒産防止 §5.3 任意解約 column: 14 months → 80% of 700,000; the two-year tax rule.
        let q_sn = later.cancellation_quote(&m_sn, &sn).await.unwrap();
        assert_eq!(
            (q_sn.months_paid, q_sn.total_paid_yen, q_sn.refund_yen),
            (14, 700_000, 560_000)
        );
        assert!(!q_sn.estimate);
        assert_eq!(q_sn.payment_date.to_string(), "2028-01-21");
        let text = q_sn.notices.join("\n");
        assert!(text.contains("支給率は80%"), "{text}");
        assert!(text.contains("納付40か月以上で100%"), "{text}");
        assert!(
            text.contains("2年を経過する日（2030年1月11日）までに新たに加入")
                && text.contains("租税特別措置法第66条の11"),
            "{text}"
        );

        // An amount other than the quote is refused and stores nothing.
        let err = later
            .cancel_contract(&m_se, &se, &amount(336_000), None)
            .await
            .unwrap_err();
        assert_eq!(code(&err), "quote_changed");
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = $1",
                "cancellation"
            )
            .await,
            0
        );
        // Missing or garbage amounts: field errors.
        for bad in [None, Some("abc".to_string()), Some("-5".to_string())] {
            let err = later
                .cancel_contract(&m_se, &se, &CancellationForm { refund_yen: bad }, None)
                .await
                .unwrap_err();
            assert_eq!(field_codes(&err)[0].0, "refund_yen");
        }

        // The quoted amount completes at once (full-width digits as people type them).
        let done = later
            .cancel_contract(
                &m_se,
                &se,
                &CancellationForm {
                    refund_yen: Some("３３７，７８２".into()),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
        assert_eq!(done.refund_yen, 337_782);
        assert_eq!(done.contract_status, ContractStatus::Cancelled);
        assert_eq!(
            one_text(
                &later,
                "SELECT status || '/' || cancellation_kind || '/' || cancelled_on AS t FROM contracts WHERE number = $1",
                &se
            )
            .await,
            "cancelled/voluntary/2028-01-12"
        );
        assert_eq!(
            one_text(
                &later,
                "SELECT r.kind || '/' || r.status || '/' || CAST(r.refund_yen AS TEXT) || '/' || \
                 CAST(r.prepayment_discount_yen AS TEXT) || '/' || r.payment_date || '/' || \
                 CAST(r.application_id AS TEXT) AS t \
                 FROM cancellation_refunds r JOIN contracts c ON c.id = r.contract_id WHERE c.number = $1",
                &se
            )
            .await,
            format!(
                "voluntary/payable/336000/1782/2028-02-02/{}",
                done.application_id
            )
        );
        assert_eq!(
            one_i64(
                &later,
                "SELECT l.amount AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id \
                 WHERE c.number = $1 AND l.kind = 'refunded'",
                &se
            )
            .await,
            336_000
        );
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM prepayment_discounts d JOIN contracts c ON c.id = d.contract_id \
                 WHERE c.number = $1 AND d.status = 'paid_with_refund'",
                &se
            )
            .await,
            1
        );
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE $1",
                "%任意解約のお手続きが完了しました%337,782円%2028年2月2日%"
            )
            .await,
            1
        );
        assert_eq!(
            one_text(
                &later,
                "SELECT channel AS t FROM applications WHERE procedure = $1",
                "cancellation"
            )
            .await,
            "online"
        );
        // The contract page shows the refund as decided and payable.
        let b = later.contract_billing(&m_se, &se).await.unwrap();
        assert_eq!(b.contract_status, ContractStatus::Cancelled);
        let r = b.cancellation_refund.unwrap();
        assert_eq!(
            (
                r.amount_yen,
                r.status_ja.as_str(),
                r.payment_date.as_deref()
            ),
            (337_782, "決定済み・支払予定", Some("2028-02-02"))
        );
        assert!(b.next_debit.is_none());
        // The refund is a payout on its payment date into the debit account; the run of that
        // date pays it and the contract page says so.
        let payouts = later.contract_payouts(&m_se, &se).await.unwrap();
        assert_eq!(payouts.len(), 1);
        let p = &payouts[0];
        assert_eq!(
            (
                p.yen,
                p.date.to_string(),
                p.status.as_str(),
                p.application_id
            ),
            (
                337_782,
                "2028-02-02".into(),
                "scheduled",
                Some(done.application_id)
            )
        );
        assert_eq!(p.kind_ja, "解約手当金");
        assert!(
            matches!(
                later.contract_payouts(&m_sn, &se).await.unwrap_err(),
                AppError::NotFound
            ),
            "another member sees nothing"
        );
        let run = later
            .payout_run(
                "2028-02-02".parse().unwrap(),
                &out_dir("refund-run"),
                "test",
                &Default::default(),
            )
            .await
            .unwrap();
        assert_eq!((run.paid_count, run.paid_yen), (1, 337_782));
        let paid = later.contract_payouts(&m_se, &se).await.unwrap();
        assert_eq!(paid[0].status_ja, "お支払い済み");
        let r = later
            .contract_billing(&m_se, &se)
            .await
            .unwrap()
            .cancellation_refund
            .unwrap();
        assert_eq!(r.status_ja, "お支払い済み");

        // A double submit finds the contract cancelled; so do the quote and later procedures.
        let again = later
            .cancel_contract(&m_se, &se, &amount(337_782), None)
            .await
            .unwrap_err();
        assert_eq!(code(&again), "contract_not_active");
        let err = later.cancellation_quote(&m_se, &se).await.unwrap_err();
        assert_eq!(code(&err), "contract_not_active");
        let err = later
            .change_mandate(
                &m_se,
                &se,
                &MandateForm {
                    bank_code: Some("0009".into()),
                    branch_code: Some("001".into()),
                    account_type: Some("ordinary".into()),
                    account_number: Some("7654321".into()),
                    account_holder_kana: Some("ヤマダ イチロウ".into()),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(code(&err), "contract_not_active");
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM cancellation_refunds r JOIN contracts c ON c.id = r.contract_id WHERE c.number = $1",
                &se
            )
            .await,
            1
        );

        // Staff act for the 倒産防止 member (a paper form): channel paper.
        let done_sn = later
            .cancel_contract(&clerk, &sn, &amount(560_000), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done_sn.refund_yen, 560_000);
        assert_eq!(
            one_text(
                &later,
                "SELECT a.channel AS t FROM applications a JOIN contracts c ON c.id = a.contract_id \
                 WHERE c.number = $1 AND a.procedure = 'cancellation'",
                &sn
            )
            .await,
            "paper"
        );

        // Deemed cancellations by staff, with their rates: 倒産防止 みなし解約 column, 14
        // months → 85% of 700,000; 小規模 法人成り → 表1 (80%), the §12(3)(2) cases →
        // premiums paid below 36 months.
        let member = Actor {
            user_id: m_sn.user_id,
            role: Role::Member,
        };
        let form = |reason: &str, note: &str| DeemedForm {
            reason: Some(reason.into()),
            note: Some(note.into()),
        };
        assert!(matches!(
            later
                .record_deemed_cancellation(&member, &sn_deemed, &form("dissolution", "登記簿"))
                .await,
            Err(AppError::Forbidden(_))
        ));
        let reviewer = staff(&later, "reviewer@example.jp").await;
        later
            .set_staff_power("test", reviewer.user_id, StaffPower::Reviewer)
            .await
            .unwrap();
        assert!(matches!(
            later
                .record_deemed_cancellation(&reviewer, &sn_deemed, &form("dissolution", "登記簿"))
                .await,
            Err(AppError::Forbidden(_))
        ));
        let err = later
            .record_deemed_cancellation(&clerk, &se_deemed, &form("death", "死亡届"))
            .await
            .unwrap_err();
        assert_eq!(
            field_codes(&err),
            [("reason".to_string(), "not_a_cancellation")]
        );
        let err = later
            .record_deemed_cancellation(&clerk, &sn_deemed, &form("dissolution", "  "))
            .await
            .unwrap_err();
        assert_eq!(field_codes(&err), [("note".to_string(), "required")]);
        let err = later
            .record_deemed_cancellation(&clerk, &sn_deemed, &form("incorporation_officer", "x"))
            .await
            .unwrap_err();
        assert_eq!(
            field_codes(&err),
            [("reason".to_string(), "invalid_choice")]
        );
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM contracts WHERE number = $1 AND status = 'active'",
                &sn_deemed
            )
            .await,
            1
        );
        let d = later
            .record_deemed_cancellation(
                &clerk,
                &sn_deemed,
                &form("dissolution", "解散登記の登記事項証明書（2028年1月5日）"),
            )
            .await
            .unwrap();
        assert_eq!(d.reason, DeemedReason::Dissolution);
        assert_eq!((d.refund_yen, d.rate.as_deref()), (595_000, Some("85%")));
        assert_eq!(
            one_text(
                &later,
                "SELECT c.cancellation_kind || '/' || r.deemed_reason || '/' || r.note AS t \
                 FROM cancellation_refunds r JOIN contracts c ON c.id = r.contract_id WHERE c.number = $1",
                &sn_deemed
            )
            .await,
            "deemed/dissolution/解散登記の登記事項証明書（2028年1月5日）"
        );
        let d = later
            .record_deemed_cancellation(&clerk, &se_deemed, &form("quasi_benefit_case", "届出"))
            .await
            .unwrap();
        assert_eq!(d.refund_yen, 420_000);
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE $1",
                "%みなし解約のお知らせ%595,000円%"
            )
            .await,
            1
        );
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1",
                "contract.cancelled"
            )
            .await,
            4
        );
        let mut conn = later.store_for_tests().read().await.unwrap();
        kyosai_store::audit::verify(&mut conn, later.store_for_tests().audit_key())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn billing_stops_by_the_cut_off_and_a_made_line_stays() {
    for (app, _d) in apps().await {
        let (m_a, a) = contract(&app, "a@example.jp", "small_enterprise", "イチロウ").await;
        let (m_b, b) = contract(&app, "b@example.jp", "small_enterprise", "ジロウ").await;
        // B cancels before November's file is made: nothing paid yet, so nothing is refunded.
        let q = app.cancellation_quote(&m_b, &b).await.unwrap();
        assert_eq!((q.months_paid, q.refund_yen), (0, 0));
        assert!(q.notices.iter().any(|n| n.contains("12か月未満")));
        assert!(
            q.notices
                .iter()
                .any(|n| n.contains("2026年11月以降の掛金の請求はありません"))
        );
        app.cancel_contract(&m_b, &b, &amount(0), None)
            .await
            .unwrap();
        // November's file is made (its cut-off passed for A); A cancels afterwards.
        let out = out_dir("nov");
        let opts = RunOptions {
            owner: "test".into(),
            ..RunOptions::default()
        };
        app.billing_run(month("2026-11"), None, &out, &opts, &|_| {})
            .await
            .unwrap();
        let q = app.cancellation_quote(&m_a, &a).await.unwrap();
        assert!(
            q.notices
                .iter()
                .any(|n| n.contains("2026年11月分の請求はすでに確定しているため")),
            "{:?}",
            q.notices
        );
        app.cancel_contract(&m_a, &a, &amount(q.refund_yen), None)
            .await
            .unwrap();
        // December is billed for nobody; A's November line stays, B never had one.
        app.billing_run(month("2026-12"), None, &out_dir("dec"), &opts, &|_| {})
            .await
            .unwrap();
        let lines_sql = "SELECT COUNT(*) AS n FROM bill_lines l JOIN contracts c ON c.id = l.contract_id WHERE c.number = $1";
        assert_eq!(one_i64(&app, lines_sql, &a).await, 1);
        assert_eq!(one_i64(&app, lines_sql, &b).await, 0);
        assert_eq!(
            one_text(
                &app,
                "SELECT l.month AS t FROM bill_lines l JOIN contracts c ON c.id = l.contract_id WHERE c.number = $1",
                &a
            )
            .await,
            "2026-11"
        );
    }
}

#[tokio::test]
async fn a_pending_procedure_others_and_an_idempotent_retry() {
    for (app, _d) in apps().await {
        let (m_a, a) = contract(&app, "a@example.jp", "safety_net", "イチロウ").await;
        let (m_b, _) = contract(&app, "b@example.jp", "safety_net", "ジロウ").await;
        // Someone else's contract does not exist for them.
        assert!(matches!(
            app.cancellation_quote(&m_b, &a).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.cancel_contract(&m_b, &a, &amount(0), None).await,
            Err(AppError::NotFound)
        ));
        // An account change for another holder waits for staff: the cancellation must wait.
        let pending = app
            .change_mandate(
                &m_a,
                &a,
                &MandateForm {
                    bank_code: Some("0009".into()),
                    branch_code: Some("001".into()),
                    account_type: Some("ordinary".into()),
                    account_number: Some("7654321".into()),
                    account_holder_kana: Some("スズキ ハナコ".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(pending.status, Some(ApplicationStatus::InReview));
        let err = app
            .cancel_contract(&m_a, &a, &amount(0), None)
            .await
            .unwrap_err();
        assert_eq!(code(&err), "procedure_pending");
        let clerk = staff(&app, "clerk@example.jp").await;
        let id = pending.application_id.unwrap();
        let version = one_i64(
            &app,
            "SELECT version AS n FROM applications WHERE id = CAST($1 AS BIGINT)",
            &id.to_string(),
        )
        .await;
        app.reject(&clerk, id, version, "名義が確認できません")
            .await
            .unwrap();
        // Now it goes through; a retry with the same key gets the first answer, stores nothing.
        let key = kyosai_app::procedure::IdempotencyKey::new("k-1", &format!("{a}\n0")).unwrap();
        let first = app
            .cancel_contract(&m_a, &a, &amount(0), Some(&key))
            .await
            .unwrap()
            .fresh()
            .unwrap();
        match app
            .cancel_contract(&m_a, &a, &amount(0), Some(&key))
            .await
            .unwrap()
        {
            kyosai_app::procedure::Answer::Replayed { status, body } => {
                assert_eq!(status, 201);
                assert!(body.contains(&format!("\"application_id\":{}", first.application_id)));
            }
            kyosai_app::procedure::Answer::New(_) => panic!("expected a replay"),
        }
        assert_eq!(
            one_i64(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = $1",
                "cancellation"
            )
            .await,
            1
        );
    }
}
