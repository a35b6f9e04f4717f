//! The member's debit account change (issue #4), end to end through billing: a failed code-3
//! result, the change, the next month's file on the new account with the failed month re-billed,
//! the cut-off day, bad input, other members and repeated submits. Every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::path::Path;

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_zengin::debit::{Expectation, NewCode, ResultCode, parse_file};

mod support;

use support::{apps, count, month, no_progress, on, out_dir};

fn opts() -> RunOptions {
    RunOptions {
        chunk_size: 40,
        owner: "test".into(),
        lease_seconds: 60,
        ..RunOptions::default()
    }
}

/// The small-enterprise request file of a run directory.
fn request_file(dir: &Path) -> (String, Vec<u8>) {
    let e = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.file_name().to_string_lossy().contains("small_enterprise"))
        .unwrap();
    (
        e.file_name().to_string_lossy().into_owned(),
        std::fs::read(e.path()).unwrap(),
    )
}

/// A member with a 小規模 contract (30,000 yen a month from November 2026, みずほ 001 1234567);
/// `birth_date` tells people apart (the same person elsewhere would go to review).
async fn member_with_contract(app: &App, email: &str, birth_date: &str) -> (Actor, String) {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    let member = Actor {
        user_id: id,
        role: Role::Member,
    };
    let r = app
        .submit_enrollment(
            &member,
            id,
            &kyosai_app::enrollment::EnrollmentForm {
                birth_date: Some(birth_date.into()),
                ..sample_form("small_enterprise")
            },
        )
        .await
        .unwrap();
    (member, r.contract.unwrap().number)
}

/// 三井住友 神保町, current account 7654321.
fn new_account() -> MandateForm {
    MandateForm {
        bank_code: Some("0009".into()),
        branch_code: Some("001".into()),
        account_type: Some("current".into()),
        account_number: Some("7654321".into()),
        account_holder_kana: Some("やまだ　たろう".into()),
    }
}

/// (status, bank) of each mandate of the contract, oldest first.
async fn mandates(app: &App, number: &str) -> Vec<(String, String)> {
    let mut conn = app.store_for_tests().read().await.unwrap();
    let c = kyosai_store::contracts::by_number(&mut conn, number)
        .await
        .unwrap()
        .unwrap();
    kyosai_store::contracts::mandates_for(&mut conn, c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.status.as_str().to_string(), m.bank_code))
        .collect()
}

#[tokio::test]
async fn after_a_code_3_failure_the_new_account_is_billed_next_month_with_the_arrears() {
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "m@example.jp", "1971-04-01").await;
        // November: billed on the old account, the depositor stopped the debit (code 3).
        let nov_out = out_dir("nov");
        app.billing_run(month("2026-11"), None, &nov_out, &opts(), &no_progress)
            .await
            .unwrap();
        let (name, bytes) = request_file(&nov_out);
        let result =
            simulate_bank(&bytes, 1.0, &[(ResultCode::StoppedByDepositor, 1.0)], 1).unwrap();
        app.import_result_file(&name, &result, "test")
            .await
            .unwrap();
        assert_eq!(mandates(&app, &number).await[0].0, "unusable");
        let b = app.contract_billing(&member, &number).await.unwrap();
        assert!(!b.mandate_usable);
        assert!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%/portal/contracts/{number}/account%'"
                )
            )
            .await
                == 1,
            "the failure mail links to the account page"
        );
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM notices WHERE member_id = {} AND body LIKE '%/portal/contracts/{number}/account%'",
                    member.user_id
                )
            )
            .await,
            1,
            "the failure mail is in the member's portal inbox too"
        );

        // 20 November (after the debit date, before December's cut-off on the 11th).
        let later = on(&app, "2026-11-20T03:00:00Z");
        let mails_before = count(&app, "SELECT COUNT(*) AS n FROM outbox").await;
        let done = later
            .change_mandate(&member, &number, &new_account())
            .await
            .unwrap();
        assert!(done.changed);
        assert_eq!(done.plan.effective_month, month("2026-12"));
        assert_eq!(done.plan.first_debit_date.to_string(), "2026-12-18");
        assert_eq!(done.plan.account.holder_kana, "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(done.plan.account.bank_name, "三井住友");
        assert_eq!(
            mandates(&app, &number).await,
            vec![
                ("unusable".to_string(), "0001".to_string()),
                ("active".to_string(), "0009".to_string())
            ]
        );
        // The application is recorded like an enrollment, completed at once.
        let app_row = count(
            &app,
            "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'mandate_change' \
             AND status = 'completed' AND channel = 'online' AND completed_at IS NOT NULL \
             AND contract_id IS NOT NULL AND checks LIKE '%bank_branch_exists%'",
        )
        .await;
        assert_eq!(app_row, 1);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'mandate.changed'"
            )
            .await,
            1
        );
        // One confirmation mail, in Japanese, with the date the new account is used from.
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM outbox").await,
            mails_before + 1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%引落口座の変更を受け付けました%' \
                 AND payload LIKE '%2026年12月18日%'"
            )
            .await,
            1
        );
        let b = later.contract_billing(&member, &number).await.unwrap();
        assert!(b.mandate_usable, "the red panel goes away");
        assert_eq!(b.new_account_from.as_deref(), Some("2026-12-18"));
        assert!(
            !b.months[0]
                .explanation
                .contains("新しい口座をご登録ください"),
            "{}",
            b.months[0].explanation
        );

        // December's file (made on the cut-off day) debits the new account, November again too.
        let dec = on(&app, "2026-12-11T00:10:00Z");
        let dec_out = out_dir("dec");
        dec.billing_run(month("2026-12"), None, &dec_out, &opts(), &no_progress)
            .await
            .unwrap();
        let (_, bytes) = request_file(&dec_out);
        let f = parse_file(&bytes, Expectation::Request).unwrap();
        assert_eq!(f.records().len(), 1);
        let r = &f.records()[0];
        assert_eq!(r.bank_code.as_str(), "0009");
        assert_eq!(r.branch_code.as_str(), "001");
        assert_eq!(r.account_number.as_str(), "7654321");
        assert_eq!(r.holder_name.to_string().trim_end(), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(r.amount, 60_000, "December's premium and November's again");
        assert_eq!(
            r.new_code,
            NewCode::Changed,
            "the bank is told the account changed"
        );
        let snapshot = count(
            &app,
            "SELECT COUNT(*) AS n FROM bill_lines WHERE month = '2026-12' AND bank_code = '0009' \
             AND account_number = '7654321' AND arrears_months = 1",
        )
        .await;
        assert_eq!(snapshot, 1);
        // The old account is not used again.
        let jan = on(&app, "2027-01-12T00:10:00Z");
        let jan_out = out_dir("jan");
        jan.billing_run(month("2027-01"), None, &jan_out, &opts(), &no_progress)
            .await
            .unwrap();
        let (_, bytes) = request_file(&jan_out);
        let f = parse_file(&bytes, Expectation::Request).unwrap();
        assert_eq!(
            f.records()[0].new_code,
            NewCode::Other,
            "only the first time"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM bill_lines WHERE month > '2026-11' AND bank_code = '0001'"
            )
            .await,
            0
        );
        let mut conn = app.store_for_tests().read().await.unwrap();
        assert!(
            kyosai_store::audit::verify(&mut conn, app.store_for_tests().audit_key())
                .await
                .unwrap()
                .rows
                > 0
        );
    }
}

#[tokio::test]
async fn a_change_on_the_cut_off_day_applies_from_the_next_month() {
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "c@example.jp", "1972-04-01").await;
        // 11 November 2026 is November's cut-off (debit Wed 18th minus 5 business days).
        let cutoff = on(&app, "2026-11-11T01:00:00Z");
        let plan = cutoff
            .preview_mandate_change(&member, &number, &new_account())
            .await
            .unwrap();
        assert_eq!(plan.effective_month, month("2026-12"));
        let done = cutoff
            .change_mandate(&member, &number, &new_account())
            .await
            .unwrap();
        assert_eq!(done.plan.first_debit_date.to_string(), "2026-12-18");
        // November's run that day, after the change, still debits the previous account.
        let nov_out = out_dir("cut-nov");
        cutoff
            .billing_run(month("2026-11"), None, &nov_out, &opts(), &no_progress)
            .await
            .unwrap();
        let (_, bytes) = request_file(&nov_out);
        let f = parse_file(&bytes, Expectation::Request).unwrap();
        assert_eq!(f.records()[0].bank_code.as_str(), "0001");
        // December's uses the new one.
        let dec = on(&app, "2026-12-11T00:10:00Z");
        let dec_out = out_dir("cut-dec");
        dec.billing_run(month("2026-12"), None, &dec_out, &opts(), &no_progress)
            .await
            .unwrap();
        let (_, bytes) = request_file(&dec_out);
        let f = parse_file(&bytes, Expectation::Request).unwrap();
        assert_eq!(f.records()[0].bank_code.as_str(), "0009");
        assert_eq!(f.records()[0].amount, 30_000);
        // The day before the cut-off, the change applies to the same month.
        let (member2, number2) = member_with_contract(&app, "d@example.jp", "1973-04-01").await;
        let plan = on(&app, "2026-11-10T01:00:00Z")
            .preview_mandate_change(&member2, &number2, &new_account())
            .await
            .unwrap();
        assert_eq!(plan.effective_month, month("2026-11"));
    }
}

#[tokio::test]
async fn bad_input_gives_field_messages_and_stores_nothing() {
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "b@example.jp", "1974-04-01").await;
        let tables = ["mandates", "applications", "audit_log", "outbox"];
        let mut before = Vec::new();
        for t in tables {
            before.push(count(&app, &format!("SELECT COUNT(*) AS n FROM {t}")).await);
        }
        let cases: Vec<(&str, MandateForm)> = vec![
            (
                "bank_code",
                MandateForm {
                    bank_code: Some("9998".into()),
                    ..new_account()
                },
            ),
            (
                "branch_code",
                MandateForm {
                    branch_code: Some("998".into()),
                    ..new_account()
                },
            ),
            (
                "account_type",
                MandateForm {
                    account_type: Some("savings".into()),
                    ..new_account()
                },
            ),
            (
                "account_number",
                MandateForm {
                    account_number: Some("12345678".into()),
                    ..new_account()
                },
            ),
            (
                "account_holder_kana",
                MandateForm {
                    account_holder_kana: Some("山田太郎".into()),
                    ..new_account()
                },
            ),
            ("bank_code", MandateForm::default()),
        ];
        for (field, form) in cases {
            match app.change_mandate(&member, &number, &form).await {
                Err(AppError::Invalid(errors)) => {
                    let e = errors.iter().find(|e| e.field == field).unwrap();
                    assert!(
                        e.message
                            .chars()
                            .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
                        "Japanese message: {}",
                        e.message
                    );
                }
                other => panic!("{field}: {other:?}"),
            }
        }
        for (t, n) in tables.iter().zip(before) {
            assert_eq!(
                count(&app, &format!("SELECT COUNT(*) AS n FROM {t}")).await,
                n,
                "{t}"
            );
        }
    }
}

#[tokio::test]
async fn only_the_member_or_staff_may_change_and_a_repeat_changes_nothing() {
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "o@example.jp", "1975-04-01").await;
        let (other, _) = member_with_contract(&app, "p@example.jp", "1976-04-01").await;
        assert!(matches!(
            app.change_mandate(&other, &number, &new_account()).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.change_mandate(&other, "0000000", &new_account()).await,
            Err(AppError::NotFound)
        ));
        let first = app
            .change_mandate(&member, &number, &new_account())
            .await
            .unwrap();
        assert!(first.changed);
        let mails = count(&app, "SELECT COUNT(*) AS n FROM outbox").await;
        // The same post again (double submit): no second mandate, application or mail.
        let again = app
            .change_mandate(&member, &number, &new_account())
            .await
            .unwrap();
        assert!(!again.changed);
        assert_eq!(again.application_id, first.application_id);
        assert_eq!(mandates(&app, &number).await.len(), 2);
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM outbox").await, mails);
        // Staff may enter a paper form for the member; recorded with their id and the channel.
        let staff_id = app
            .create_account(
                Role::Staff,
                "staff@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let staff = Actor {
            user_id: staff_id,
            role: Role::Staff,
        };
        let back = MandateForm {
            bank_code: Some("0001".into()),
            branch_code: Some("001".into()),
            account_type: Some("ordinary".into()),
            account_number: Some("1234567".into()),
            account_holder_kana: Some("ヤマダ タロウ".into()),
        };
        assert!(
            app.change_mandate(&staff, &number, &back)
                .await
                .unwrap()
                .changed
        );
        assert_eq!(
            mandates(&app, &number).await,
            vec![
                ("replaced".to_string(), "0001".to_string()),
                ("replaced".to_string(), "0009".to_string()),
                ("active".to_string(), "0001".to_string()),
            ]
        );
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'mandate.changed' AND actor = 'user:{staff_id}'"
                )
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'mandate_change' AND channel = 'paper'"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn a_change_after_the_next_cut_off_is_shown_from_the_month_after() {
    for (app, _d) in apps().await {
        let (member, number) = member_with_contract(&app, "l@example.jp", "1977-04-01").await;
        let nov_out = out_dir("late-nov");
        app.billing_run(month("2026-11"), None, &nov_out, &opts(), &no_progress)
            .await
            .unwrap();
        let (name, bytes) = request_file(&nov_out);
        let result = simulate_bank(&bytes, 1.0, &[(ResultCode::NoMandate, 1.0)], 1).unwrap();
        app.import_result_file(&name, &result, "test")
            .await
            .unwrap();
        // Registered on 14 December, after December's cut-off (the 11th): January's debit.
        let late = on(&app, "2026-12-14T01:00:00Z");
        let done = late
            .change_mandate(&member, &number, &new_account())
            .await
            .unwrap();
        assert_eq!(done.plan.effective_month, month("2027-01"));
        assert_eq!(done.plan.first_debit_date.to_string(), "2027-01-18");
        let b = late.contract_billing(&member, &number).await.unwrap();
        assert!(b.mandate_usable);
        assert_eq!(b.new_account_from.as_deref(), Some("2027-01-18"));
        let next = b.next_debit.unwrap();
        assert_eq!(next.month, month("2027-01"), "December cannot be debited");
        assert_eq!(
            next.amount_yen, 90_000,
            "January, with November and December as arrears"
        );
        // December's run (late, after the change) has no usable account for the contract: the
        // line is made but withheld from the file and failed at once (code 4), so December is
        // unpaid rather than forgotten, and staff see the exception.
        let dec_out = out_dir("late-dec");
        let dec = late
            .billing_run(month("2026-12"), None, &dec_out, &opts(), &no_progress)
            .await
            .unwrap();
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM bill_lines WHERE month = '2026-12' AND withheld = 1"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM billing_ledger l JOIN bill_lines b ON b.id = l.bill_line_id \
                 WHERE b.month = '2026-12' AND l.kind = 'failed' AND l.result_code = 4 \
                 AND l.reason = 'no_usable_mandate'"
            )
            .await,
            1
        );
        let se_dec = dec
            .iter()
            .find(|r| r.program == kyosai_domain::Program::SmallEnterprise)
            .unwrap();
        assert!(
            se_dec.files.iter().all(|f| parse_file(
                &std::fs::read(&f.path).unwrap(),
                Expectation::Request
            )
            .unwrap()
            .records()
            .is_empty()),
            "nothing for the contract in December's file"
        );
        assert_eq!(se_dec.exceptions.len(), 1);
        let b = late.contract_billing(&member, &number).await.unwrap();
        assert_eq!(b.unpaid_months, vec![month("2026-11"), month("2026-12")]);
        let jan_out = out_dir("late-jan");
        on(&app, "2027-01-12T00:10:00Z")
            .billing_run(month("2027-01"), None, &jan_out, &opts(), &no_progress)
            .await
            .unwrap();
        let (_, bytes) = request_file(&jan_out);
        let f = parse_file(&bytes, Expectation::Request).unwrap();
        assert_eq!(f.records()[0].bank_code.as_str(), "0009");
        assert_eq!(
            f.records()[0].amount,
            next.amount_yen,
            "as the member was shown"
        );
    }
}
