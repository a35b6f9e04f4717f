//! 掛金月額の増額・減額 (issue #10): completed at once, waiting for staff, refused, unchanged,
//! conflicting with a pending procedure, on a contract no longer active, filed by staff on
//! paper, approved; and the late 倒産防止 increase billed with its difference. Every backend.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::premium_change::{PremiumChangeForm, PremiumChangeStatus};
use kyosai_app::{Actor, App, AppError, Role};

mod support;

use support::{apps, count, month, no_progress, on, out_dir};

/// A member with a contract of `program` (小規模 30,000 / 倒産防止 50,000 yen a month, first
/// debited November 2026).
async fn member_with(app: &App, email: &str, program: &str) -> (Actor, String) {
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
                // Tells people apart (the same person elsewhere would go to review).
                birth_date: Some(format!(
                    "19{:02}-04-01",
                    50 + email.bytes().map(u32::from).sum::<u32>() % 40
                )),
                ..sample_form(program)
            },
        )
        .await
        .unwrap();
    (member, r.contract.unwrap().number)
}

/// A staff user who may approve.
async fn staff(app: &App) -> Actor {
    Actor {
        user_id: app
            .create_account(Role::Staff, "s@kyosai.jp", "", Some("test passphrase 123"))
            .await
            .unwrap(),
        role: Role::Staff,
    }
}

fn form(yen: &str, reason: Option<&str>) -> PremiumChangeForm {
    PremiumChangeForm {
        monthly_premium_yen: Some(yen.into()),
        decrease_reason: reason.map(str::to_string),
    }
}

async fn changes(app: &App) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM premium_changes").await
}

fn field(e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(f) => f.iter().map(|f| f.field.clone()).collect(),
        other => panic!("not a field error: {other:?}"),
    }
}

#[tokio::test]
async fn an_increase_completes_at_once_and_the_quote_uses_the_billing_function() {
    for (app, _d) in apps().await {
        let (member, number) = member_with(&app, "a@example.jp", "small_enterprise").await;
        // Full-width digits are read like the enrollment form reads them.
        let quote = app
            .quote_premium_change(&member, &number, &form("４００００", None))
            .await
            .unwrap();
        // 2 November is before November's cut-off (the 11th): November is at the new amount.
        assert_eq!(quote.effective_month, month("2026-11"));
        assert_eq!(quote.first_debit_date.unwrap().to_string(), "2026-11-18");
        assert_eq!(quote.first_debit_amount_yen, Some(40_000));
        assert_eq!(quote.next_debits.len(), 6);
        assert!(quote.next_debits.iter().all(|d| d.amount_yen == 40_000));
        assert_eq!(changes(&app).await, 0, "a quote stores nothing");
        let r = app
            .change_premium(&member, &number, &form("40,000", None))
            .await
            .unwrap();
        assert_eq!(r.status, PremiumChangeStatus::Completed);
        assert_eq!(r.effective_month, month("2026-11"));
        assert_eq!(r.first_debit_amount_yen, Some(40_000));
        assert_eq!(changes(&app).await, 1);
        let id = r.application_id.unwrap();
        let a = app.application(&member, id).await.unwrap();
        assert_eq!(a.status, kyosai_domain::ApplicationStatus::Completed);
        assert_eq!(a.channel.as_str(), "online");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%掛金月額の変更が完了しました%'"
            )
            .await,
            1
        );
        // The billing page and the run price November at the new amount.
        let billing = app.contract_billing(&member, &number).await.unwrap();
        assert_eq!(billing.next_debit.unwrap().amount_yen, 40_000);
        // The same amount again: unchanged, nothing stored.
        let again = app
            .change_premium(&member, &number, &form("40000", None))
            .await
            .unwrap();
        assert_eq!(again.status, PremiumChangeStatus::Unchanged);
        assert_eq!(again.application_id, None);
        assert_eq!(changes(&app).await, 1);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'premium_change'"
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn bad_amounts_and_reasons_are_refused_and_store_nothing() {
    for (app, _d) in apps().await {
        let (member, se) = member_with(&app, "b@example.jp", "small_enterprise").await;
        for bad in ["30250", "500", "75000", "abc", "🍣", ""] {
            let e = app
                .change_premium(&member, &se, &form(bad, None))
                .await
                .unwrap_err();
            assert_eq!(field(&e), ["monthly_premium_yen"], "{bad}");
        }
        // No reason on an increase, none for a 小規模 decrease since 2016-04, no unknown reason.
        for (yen, reason) in [
            ("40000", "hardship"),
            ("20000", "hardship"),
            ("20000", "bored"),
        ] {
            let e = app
                .change_premium(&member, &se, &form(yen, Some(reason)))
                .await
                .unwrap_err();
            assert_eq!(field(&e), ["decrease_reason"], "{yen} {reason}");
        }
        let (m2, sn) = member_with(&app, "b2@example.jp", "safety_net").await;
        // A 倒産防止 decrease needs a reason; the loan-cap ground is checked from the ledger.
        for reason in [None, Some("loan_cap_reached")] {
            let e = app
                .change_premium(&m2, &sn, &form("20000", reason))
                .await
                .unwrap_err();
            assert_eq!(field(&e), ["decrease_reason"]);
        }
        assert_eq!(changes(&app).await, 0);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'premium_change'"
            )
            .await,
            0
        );
    }
}

#[tokio::test]
async fn a_stated_decrease_waits_blocks_other_procedures_and_approval_completes_it() {
    for (app, _d) in apps().await {
        let (member, number) = member_with(&app, "c@example.jp", "safety_net").await;
        let r = app
            .change_premium(&member, &number, &form("20000", Some("hardship")))
            .await
            .unwrap();
        assert_eq!(r.status, PremiumChangeStatus::InReview);
        assert!(
            r.checks
                .iter()
                .any(|c| c.code == "decrease_reason"
                    && c.field.as_deref() == Some("decrease_reason"))
        );
        assert_eq!(changes(&app).await, 0);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%確認中%'"
            )
            .await,
            1
        );
        // Another change of the same contract waits for the first to be decided: the quote
        // says so before the member confirms, and the submit is refused.
        assert!(matches!(
            app.quote_premium_change(&member, &number, &form("60000", None))
                .await,
            Err(AppError::Conflict {
                code: "procedure_pending",
                ..
            })
        ));
        assert!(matches!(
            app.change_premium(&member, &number, &form("60000", None))
                .await,
            Err(AppError::Conflict {
                code: "procedure_pending",
                ..
            })
        ));
        let staff = staff(&app).await;
        let a = app
            .application(&staff, r.application_id.unwrap())
            .await
            .unwrap();
        app.approve(&staff, a.id, a.version, "事業の状況を電話で確認しました")
            .await
            .unwrap();
        assert_eq!(changes(&app).await, 1);
        let billing = app.contract_billing(&member, &number).await.unwrap();
        assert_eq!(billing.next_debit.unwrap().amount_yen, 20_000);
        // Decided: the member may change again.
        app.change_premium(&member, &number, &form("30000", None))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn staff_file_a_paper_form_and_a_cancelled_contract_cannot_change() {
    for (app, _d) in apps().await {
        let (member, number) = member_with(&app, "d@example.jp", "small_enterprise").await;
        let staff = staff(&app).await;
        let r = app
            .change_premium(&staff, &number, &form("10000", None))
            .await
            .unwrap();
        assert_eq!(r.status, PremiumChangeStatus::Completed);
        let a = app
            .application(&member, r.application_id.unwrap())
            .await
            .unwrap();
        assert_eq!(a.channel.as_str(), "paper");
        // Another member's contract does not exist for them.
        let (other, _) = member_with(&app, "e@example.jp", "small_enterprise").await;
        assert!(matches!(
            app.change_premium(&other, &number, &form("20000", None))
                .await,
            Err(AppError::NotFound)
        ));
        let mut c = app.store_for_tests().begin_write().await.unwrap();
        sqlx::query("UPDATE contracts SET status = 'cancelled' WHERE number = $1")
            .bind(&number)
            .execute(c.conn())
            .await
            .unwrap();
        c.commit().await.unwrap();
        assert!(matches!(
            app.change_premium(&member, &number, &form("20000", None))
                .await,
            Err(AppError::Conflict {
                code: "contract_not_active",
                ..
            })
        ));
    }
}

#[tokio::test]
async fn a_late_safety_net_increase_bills_the_difference_with_the_next_debit() {
    for (app, _d) in apps().await {
        let (member, number) = member_with(&app, "f@example.jp", "safety_net").await;
        // 10 November is after the 5th: November stays at 50,000, December is 80,000 plus
        // November's 30,000 difference.
        let late = on(&app, "2026-11-10T01:00:00Z");
        let r = late
            .change_premium(&member, &number, &form("80000", None))
            .await
            .unwrap();
        assert_eq!(r.status, PremiumChangeStatus::Completed);
        assert_eq!(r.effective_month, month("2026-12"));
        assert_eq!(r.first_debit_amount_yen, Some(110_000));
        let opts = RunOptions {
            chunk_size: 40,
            owner: "test".into(),
            lease_seconds: 60,
            ..RunOptions::default()
        };
        late.billing_run(
            month("2026-11"),
            None,
            &out_dir("pc-nov"),
            &opts,
            &no_progress,
        )
        .await
        .unwrap();
        let dec = on(&app, "2026-12-14T01:00:00Z");
        dec.billing_run(
            month("2026-12"),
            None,
            &out_dir("pc-dec"),
            &opts,
            &no_progress,
        )
        .await
        .unwrap();
        let billing = dec.contract_billing(&member, &number).await.unwrap();
        let amounts: Vec<i64> = billing.months.iter().map(|m| m.amount_yen).collect();
        assert_eq!(amounts, [50_000, 110_000]);
        let december = &billing.months[1];
        assert!(
            december
                .items
                .iter()
                .any(|i| i.kind == kyosai_domain::billing::ItemKind::Difference
                    && i.month == month("2026-11"))
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM bill_lines WHERE month = '2026-12' AND amount = 110000 AND months_covered = 1"
            )
            .await,
            1
        );
    }
}

/// Review fix (issue #10): a late 倒産防止 decrease credits the excess of the month billed at the
/// old premium to the following months; a month the credit covers whole has no debit and still
/// counts as a month paid (a 0-yen `collected` entry), so 納付月数 keeps step with the calendar
/// while 掛金総額 stays what was collected.
#[tokio::test]
async fn months_covered_by_a_decrease_credit_count_as_paid() {
    for (app, _d) in apps().await {
        let (member, number) = member_with(&app, "g@example.jp", "safety_net").await;
        let staff = staff(&app).await;
        // November and December at 50,000; December's debit is made on the 10th.
        support::cycle(&app, month("2026-11"), false).await;
        support::cycle(&app, month("2026-12"), false).await;
        // 10 December, after the 5th: December stays at 50,000 and the 45,000 excess is
        // credited from January on at 5,000 a month.
        let late = on(&app, "2026-12-10T02:00:00Z");
        let r = late
            .change_premium(&member, &number, &form("5000", Some("hardship")))
            .await
            .unwrap();
        let a = late
            .application(&staff, r.application_id.unwrap())
            .await
            .unwrap();
        late.approve(&staff, a.id, a.version, "事業の状況を確認しました")
            .await
            .unwrap();
        let mut m = month("2027-01");
        let mut credited = 0;
        while m <= month("2027-12") {
            support::cycle(&app, m, false).await;
            let line = count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM bill_lines b JOIN contracts c ON c.id = b.contract_id \
                     WHERE c.number = '{number}' AND b.month = '{m}'"
                ),
            )
            .await;
            let credit_entry = count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id \
                     WHERE c.number = '{number}' AND l.month = '{m}' AND l.kind = 'collected' \
                     AND l.amount = 0 AND l.months = 1 AND l.reason = 'credit'"
                ),
            )
            .await;
            // Each month is either debited or covered by the credit, never both.
            assert_eq!(line + credit_entry, 1, "{m}");
            credited += credit_entry;
            m = m.plus(1);
        }
        assert!(credited >= 1, "the credit covered at least one whole month");
        let (months, yen) = {
            let sql = |what: &str| {
                format!(
                    "SELECT CAST(SUM(l.{what}) AS BIGINT) AS n FROM billing_ledger l \
                     JOIN contracts c ON c.id = l.contract_id \
                     WHERE c.number = '{number}' AND l.kind = 'collected'"
                )
            };
            (
                count(&app, &sql("months")).await,
                count(&app, &sql("amount")).await,
            )
        };
        // November 2026 – December 2027: 14 months paid.
        assert_eq!(months, 14);
        // The decrease applies from December (billed at 50,000, owed at 5,000): the yen
        // collected are what the 14 months owe, November at 50,000 and the 13 months from
        // December at 5,000 — December's excess paid the credited months.
        assert_eq!(yen, 50_000 + 13 * 5_000);
        assert_eq!(credited, 9, "45,000 of excess covers nine 5,000-yen months");
    }
}

/// Review fix (issue #10 leftover): a 小規模 半年払 payer changing the premium in the middle of a
/// period paid in advance: the change starts with the next period (quoted so), the period
/// already paid keeps its amount, and the next semi-annual debit is six months at the new one.
#[tokio::test]
async fn a_semi_annual_payer_changes_from_the_next_period() {
    for (app, _d) in apps().await {
        let id = app
            .create_account(
                Role::Member,
                "h@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let member = Actor {
            user_id: id,
            role: Role::Member,
        };
        let number = app
            .submit_enrollment(
                &member,
                id,
                &kyosai_app::enrollment::EnrollmentForm {
                    payment_frequency: Some("semi_annual".into()),
                    birth_date: Some("1966-04-01".into()),
                    ..sample_form("small_enterprise")
                },
            )
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        // November's debit covers November–April at 30,000.
        support::cycle(&app, month("2026-11"), false).await;
        let january = on(&app, "2027-01-05T01:00:00Z");
        let quote = january
            .quote_premium_change(&member, &number, &form("50000", None))
            .await
            .unwrap();
        assert_eq!(quote.effective_month, month("2027-05"));
        let r = january
            .change_premium(&member, &number, &form("50000", None))
            .await
            .unwrap();
        assert_eq!(r.status, PremiumChangeStatus::Completed);
        assert_eq!(r.effective_month, month("2027-05"));
        let mut m = month("2026-12");
        while m <= month("2027-05") {
            support::cycle(&app, m, false).await;
            m = m.plus(1);
        }
        let lines = |m: &str| {
            format!(
                "SELECT CAST(COALESCE(SUM(b.amount), 0) AS BIGINT) AS n FROM bill_lines b \
                 JOIN contracts c ON c.id = b.contract_id WHERE c.number = '{number}' AND b.month = '{m}'"
            )
        };
        // Nothing billed between the two semi-annual debits; May's covers May–October at the
        // new premium, with no difference for the months already paid.
        for m in ["2026-12", "2027-01", "2027-02", "2027-03", "2027-04"] {
            assert_eq!(count(&app, &lines(m)).await, 0, "{m}");
        }
        assert_eq!(count(&app, &lines("2026-11")).await, 6 * 30_000);
        assert_eq!(count(&app, &lines("2027-05")).await, 6 * 50_000);
    }
}

/// Review fix: the 倒産防止 loan-cap ground counts what is owed on the contract's loans (it
/// assumed none before loans existed), and a 小規模 decrease of a member in a disaster area
/// names the special measure among its checks.
#[tokio::test]
async fn the_loan_cap_ground_counts_loans_and_a_decrease_names_the_measure() {
    for (app, _d) in apps().await {
        // 158 months × 50,000 paid: 7,900,000 × 10 = 79,000,000, under the 80,000,000 ground.
        let (member, number) =
            support::contract_with_openings(&app, "safety_net", "l@example.jp", "ローン", 158)
                .await;
        let ground = form("20000", Some("loan_cap_reached"));
        let e = app
            .change_premium(&member, &number, &ground)
            .await
            .unwrap_err();
        assert_eq!(field(&e), ["decrease_reason"]);
        // A 一時貸付金 of 1,000,000 yen: owed + 10 × 掛金総額 now reach the ground.
        let loan = app
            .request_temporary_loan(
                &member,
                &number,
                &kyosai_app::loans::TemporaryLoanForm {
                    amount_yen: Some("1000000".into()),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        if loan.status == kyosai_domain::ApplicationStatus::InReview {
            let staff = staff(&app).await;
            let a = app.application(&staff, loan.application_id).await.unwrap();
            app.approve(&staff, a.id, a.version, "確認").await.unwrap();
        }
        let r = app.change_premium(&member, &number, &ground).await.unwrap();
        assert_eq!(r.status, PremiumChangeStatus::Completed);
        assert!(
            r.checks
                .iter()
                .any(|c| c.code == "decrease_reason" && c.message.contains("1,000,000円")),
            "{:?}",
            r.checks
        );

        // 小規模 in 石川県 (the 2024 Noto measure's area) and in 東京都.
        let id = app
            .create_account(
                Role::Member,
                "n@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let noto = Actor {
            user_id: id,
            role: Role::Member,
        };
        let n = app
            .submit_enrollment(
                &noto,
                id,
                &kyosai_app::enrollment::EnrollmentForm {
                    birth_date: Some("1967-04-01".into()),
                    ..kyosai_app::dev::demo::in_kanazawa(sample_form("small_enterprise"))
                },
            )
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let r = app
            .change_premium(&noto, &n, &form("10000", None))
            .await
            .unwrap();
        assert!(
            r.checks
                .iter()
                .any(|c| c.code == "special_measure" && c.message.contains("令和6年能登半島地震")),
            "{:?}",
            r.checks
        );
        let (tokyo, t) = member_with(&app, "t@example.jp", "small_enterprise").await;
        let r = app
            .change_premium(&tokyo, &t, &form("10000", None))
            .await
            .unwrap();
        assert!(!r.checks.iter().any(|c| c.code == "special_measure"));
    }
}
