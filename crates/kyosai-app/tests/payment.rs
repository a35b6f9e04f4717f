//! Payment procedures of issue #10 on every backend: the 小規模 payment frequency with the
//! designated month (and billing using it), 前納 applications of both programs (the rule
//! checks, the staff approval that records the 前納 through the one existing path), and the
//! 倒産防止 掛止め and resumption end to end through billing, with the 2024 Noto special measure
//! for 小規模.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::payment_frequency::FrequencyForm;
use kyosai_app::prepayment_application::PrepaymentForm;
use kyosai_app::suspension::ResumptionForm;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::{ApplicationStatus, Yen};

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

async fn account(app: &App, role: Role, email: &str) -> Actor {
    let id = app
        .create_account(role, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    Actor { user_id: id, role }
}

/// A member's contract of `program` (小規模 30,000 yen, 倒産防止 50,000 yen a month, first
/// debited in November 2026) for a business in `prefecture`.
async fn contract(app: &App, email: &str, program: &str, prefecture: &str) -> (Actor, String) {
    let m = account(app, Role::Member, email).await;
    let mut form = match prefecture {
        "石川県" => kyosai_app::dev::demo::in_kanazawa(sample_form(program)),
        _ => sample_form(program),
    };
    form.prefecture = Some(prefecture.into());
    // Different people (the same person twice would go to review).
    form.birth_date = Some(format!(
        "1970-01-{:02}",
        (email.as_bytes()[0] - b'a') % 28 + 1
    ));
    let r = app.submit_enrollment(&m, m.user_id, &form).await.unwrap();
    (m, r.contract.unwrap().number)
}

/// Premiums paid before Kyosai kept the ledger (an opening balance).
async fn paid_before(app: &App, number: &str, yen: i64, months: i64) {
    let mut tx = app.store_for_tests().begin_write().await.unwrap();
    let c = kyosai_store::contracts::by_number(tx.conn(), number)
        .await
        .unwrap()
        .unwrap();
    kyosai_store::ledger::append_openings(
        tx.conn(),
        &[kyosai_store::ledger::Opening {
            contract_id: c.id,
            month: "2026-10".into(),
            amount: yen,
            months,
        }],
        "2026-11-01T00:00:00Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The total of the contract's bill lines of `m`.
async fn billed(app: &App, number: &str, m: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT CAST(COALESCE(SUM(b.amount), 0) AS BIGINT) AS n FROM bill_lines b \
             JOIN contracts c ON c.id = b.contract_id WHERE c.number = '{number}' AND b.month = '{m}'"
        ),
    )
    .await
}

async fn run(app: &App, m: &str) {
    app.billing_run(month(m), None, &out_dir(m), &opts(), &no_progress)
        .await
        .unwrap();
}

fn field_codes(e: AppError) -> Vec<(String, String)> {
    match e {
        AppError::Invalid(f) => f
            .into_iter()
            .map(|f| (f.field, f.code.to_string()))
            .collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn conflict(e: AppError) -> &'static str {
    match e {
        AppError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn semi_annual(designated: &str) -> FrequencyForm {
    FrequencyForm {
        frequency: Some("semi_annual".into()),
        designated_month: Some(designated.into()),
    }
}

/// Review fix (issue #10): semi-annual debits fall in the designated month the member chose,
/// not in the month of the first debit; the preview's debits are billing's own.
#[tokio::test]
async fn the_designated_month_decides_the_semi_annual_debits() {
    for (app, _d) in apps().await {
        let (m, number) = contract(&app, "f@example.jp", "small_enterprise", "東京都").await;
        // 2 November: before the 20th, so from December.
        let plan = app
            .preview_frequency_change(&m, &number, &semi_annual("4"))
            .await
            .unwrap();
        assert_eq!(plan.effective_month, month("2026-12"));
        let debits: Vec<(String, i64, i64)> = plan
            .next_debits
            .iter()
            .map(|d| (d.month.to_string(), d.amount_yen.get(), d.months_covered))
            .collect();
        assert_eq!(
            debits,
            vec![
                ("2026-11".into(), 30_000, 1),
                ("2026-12".into(), 30_000, 1),
                ("2027-01".into(), 30_000, 1),
                ("2027-02".into(), 30_000, 1),
                ("2027-03".into(), 30_000, 1),
                ("2027-04".into(), 180_000, 6),
            ]
        );
        assert_eq!(plan.next_debits[5].debit_date.to_string(), "2027-04-19");
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM frequency_changes").await,
            0
        );

        let done = app
            .change_frequency(&m, &number, &semi_annual("4"), None)
            .await
            .unwrap();
        let kyosai_app::procedure::Answer::New(done) = done else {
            panic!("replayed")
        };
        assert_eq!(done.status, ApplicationStatus::Completed);
        assert_eq!(done.plan.effective_month, month("2026-12"));
        // The same choice again is no change.
        let again = app
            .preview_frequency_change(&m, &number, &semi_annual("10"))
            .await
            .unwrap_err();
        assert_eq!(
            field_codes(again),
            vec![("frequency".into(), "unchanged".into())]
        );

        // Billing: monthly until March, six months in April, nothing in May.
        let april = on(&app, "2027-04-01T01:00:00Z");
        run(&april, "2027-03").await;
        run(&april, "2027-04").await;
        run(&april, "2027-05").await;
        assert_eq!(billed(&app, &number, "2027-03").await, 30_000);
        assert_eq!(billed(&app, &number, "2027-04").await, 180_000);
        assert_eq!(billed(&app, &number, "2027-05").await, 0);
    }
}

/// REFERENCE §2.5: after the 20th the change waits a month; 倒産防止 is monthly only; bad input
/// stores nothing; staff key in a paper form for the member.
#[tokio::test]
async fn frequency_cut_off_bad_input_and_paper() {
    for (app, _d) in apps().await {
        let (m, number) = contract(&app, "g@example.jp", "small_enterprise", "東京都").await;
        let late = on(&app, "2026-11-21T01:00:00Z");
        let annual = FrequencyForm {
            frequency: Some("annual".into()),
            designated_month: Some("１２".into()),
        };
        let plan = late
            .preview_frequency_change(&m, &number, &annual)
            .await
            .unwrap();
        assert_eq!(plan.effective_month, month("2027-01"));
        assert_eq!(plan.designated_month, Some(12));
        for (form, field) in [
            (FrequencyForm::default(), "frequency"),
            (
                FrequencyForm {
                    frequency: Some("weekly".into()),
                    designated_month: None,
                },
                "frequency",
            ),
            (semi_annual("13"), "designated_month"),
            (semi_annual("0"), "designated_month"),
            (semi_annual("😀"), "designated_month"),
            (
                FrequencyForm {
                    frequency: Some("annual".into()),
                    designated_month: None,
                },
                "designated_month",
            ),
        ] {
            let e = app
                .change_frequency(&m, &number, &form, None)
                .await
                .unwrap_err();
            assert_eq!(field_codes(e)[0].0, field, "{form:?}");
        }
        let (sm, sn) = contract(&app, "h@example.jp", "safety_net", "東京都").await;
        let e = app
            .change_frequency(&sm, &sn, &semi_annual("4"), None)
            .await
            .unwrap_err();
        assert_eq!(
            field_codes(e),
            vec![("frequency".into(), "not_allowed".into())]
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'frequency_change'"
            )
            .await,
            0
        );
        // Someone else's contract is not found; staff act on paper.
        let other = account(&app, Role::Member, "x@example.jp").await;
        assert!(matches!(
            app.change_frequency(&other, &number, &annual, None).await,
            Err(AppError::NotFound)
        ));
        let staff = account(&app, Role::Staff, "s@example.jp").await;
        app.change_frequency(&staff, &number, &annual, None)
            .await
            .unwrap();
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'frequency_change' AND channel = 'paper'").await,
            1
        );
    }
}

/// 前納 (REFERENCE §2.3): months, amount and discount shown; the application waits for the
/// money; a second maintenance application meanwhile is refused; approving records the 前納 and
/// billing skips the months.
#[tokio::test]
async fn a_prepayment_waits_for_the_money_and_approval_records_it() {
    for (app, _d) in apps().await {
        let (m, number) = contract(&app, "p@example.jp", "safety_net", "東京都").await;
        let twelve = PrepaymentForm {
            months: Some("12".into()),
        };
        let plan = app.preview_prepayment(&m, &number, &twelve).await.unwrap();
        // Received on 2 November (by the 5th): from November.
        assert_eq!(plan.first_month, month("2026-11"));
        assert_eq!(plan.last_month, month("2027-10"));
        assert_eq!(plan.amount_yen, Yen::new(600_000));
        // 50,000 × 0.9/1000 × (0 + 1 + … + 11 = 66) = 2,970.
        assert_eq!(plan.discount_yen, Yen::new(2_970));
        // On the 6th the 前納 starts a month later.
        let sixth = on(&app, "2026-11-06T01:00:00Z");
        assert_eq!(
            sixth
                .preview_prepayment(&m, &number, &twelve)
                .await
                .unwrap()
                .first_month,
            month("2026-12")
        );
        // The most months is rule data (120).
        let e = app
            .preview_prepayment(
                &m,
                &number,
                &PrepaymentForm {
                    months: Some("121".into()),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            field_codes(e),
            vec![("months".into(), "out_of_range".into())]
        );

        let kyosai_app::procedure::Answer::New(a) = app
            .apply_prepayment(&m, &number, &twelve, None)
            .await
            .unwrap()
        else {
            panic!("replayed")
        };
        assert_eq!(a.status, ApplicationStatus::InReview);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM prepayments").await,
            0
        );
        // Another maintenance procedure of the contract waits.
        let e = app
            .apply_prepayment(&m, &number, &twelve, None)
            .await
            .unwrap_err();
        assert_eq!(conflict(e), "procedure_pending");
        let e = app.suspend_premiums(&m, &number, None).await.unwrap_err();
        assert_eq!(conflict(e), "procedure_pending");

        let staff = account(&app, Role::Staff, "s@example.jp").await;
        let detail = app.application(&staff, a.application_id).await.unwrap();
        app.approve(&staff, detail.id, detail.version, "振込を確認")
            .await
            .unwrap();
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM prepayments WHERE first_month = '2026-11' AND last_month = '2027-10' AND amount = 600000").await,
            1
        );
        run(&app, "2026-11").await;
        assert_eq!(billed(&app, &number, "2026-11").await, 0);
    }
}

/// Review fix: nothing checked a 前納 against the 8,000,000-yen cap.
#[tokio::test]
async fn a_prepayment_beyond_the_accumulation_cap_is_refused() {
    for (app, _d) in apps().await {
        let (m, number) = contract(&app, "c@example.jp", "safety_net", "東京都").await;
        paid_before(&app, &number, 7_880_000, 158).await;
        let e = app
            .apply_prepayment(
                &m,
                &number,
                &PrepaymentForm {
                    months: Some("3".into()),
                },
                None,
            )
            .await
            .unwrap_err();
        match e {
            AppError::Invalid(f) => {
                assert_eq!(f[0].code, "accumulation_cap");
                assert!(f[0].message.contains("2か月まで"), "{}", f[0].message);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'prepayment'"
            )
            .await,
            0
        );
        app.preview_prepayment(
            &m,
            &number,
            &PrepaymentForm {
                months: Some("2".into()),
            },
        )
        .await
        .unwrap();
    }
}

/// 掛止め (REFERENCE §2.6) end to end: refused below 40 × the premium; allowed above; billing
/// skips the months; resuming bills again; after a year a new account is required.
#[tokio::test]
async fn suspension_stops_billing_and_resumption_restarts_it() {
    for (app, _d) in apps().await {
        let (m, number) = contract(&app, "s1@example.jp", "safety_net", "東京都").await;
        paid_before(&app, &number, 1_950_000, 39).await;
        let e = app.suspend_premiums(&m, &number, None).await.unwrap_err();
        assert_eq!(conflict(e), "suspension_not_allowed");
        paid_before(&app, &number, 50_000, 1).await;
        let plan = app.preview_suspension(&m, &number).await.unwrap();
        assert_eq!(plan.effective_month, month("2026-11"));
        assert_eq!(plan.required_total_yen, Some(Yen::new(2_000_000)));
        app.suspend_premiums(&m, &number, None).await.unwrap();
        let e = app.suspend_premiums(&m, &number, None).await.unwrap_err();
        assert_eq!(conflict(e), "already_suspended");

        // Resumed on 20 November (after November's cut-off): from December, and a late run of
        // November still skips it.
        let later = on(&app, "2026-11-20T01:00:00Z");
        let r = later
            .resume_premiums(&m, &number, &ResumptionForm::default(), None)
            .await
            .unwrap();
        let kyosai_app::procedure::Answer::New(r) = r else {
            panic!("replayed")
        };
        assert_eq!(r.plan.resumed_from, month("2026-12"));
        assert!(!r.plan.new_account_required);
        let e = later
            .resume_premiums(&m, &number, &ResumptionForm::default(), None)
            .await
            .unwrap_err();
        assert_eq!(conflict(e), "not_suspended");
        run(&later, "2026-11").await;
        assert_eq!(billed(&app, &number, "2026-11").await, 0);
        run(&later, "2026-12").await;
        assert_eq!(billed(&app, &number, "2026-12").await, 50_000);

        // Suspended from January 2027 and resumed a year later: a new account is required.
        let dec = on(&app, "2026-12-21T01:00:00Z");
        assert_eq!(
            dec.preview_suspension(&m, &number)
                .await
                .unwrap()
                .effective_month,
            month("2027-01")
        );
        dec.suspend_premiums(&m, &number, None).await.unwrap();
        let next_year = on(&app, "2028-01-04T01:00:00Z");
        let e = next_year
            .resume_premiums(&m, &number, &ResumptionForm::default(), None)
            .await
            .unwrap_err();
        let fields = field_codes(e);
        assert!(fields.iter().any(|(f, _)| f == "bank_code"), "{fields:?}");
        let account = ResumptionForm {
            account: MandateForm {
                bank_code: Some("0009".into()),
                branch_code: Some("001".into()),
                account_type: Some("ordinary".into()),
                account_number: Some("７６５４３２１".into()),
                account_holder_kana: Some("ヤマダ タロウ".into()),
            },
        };
        let kyosai_app::procedure::Answer::New(r) = next_year
            .resume_premiums(&m, &number, &account, None)
            .await
            .unwrap()
        else {
            panic!("replayed")
        };
        assert_eq!(r.status, ApplicationStatus::Completed);
        assert!(r.plan.new_account_required);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM mandates WHERE status = 'active' AND bank_code = '0009' AND effective_month = '2028-01'").await,
            1
        );
    }
}

/// 小規模 has no 掛止め, except under a special measure for the member's prefecture (2024 Noto:
/// 石川県 is in scope).
#[tokio::test]
async fn small_enterprise_suspension_only_under_the_noto_measure() {
    for (app, _d) in apps().await {
        let (tokyo, t) = contract(&app, "t@example.jp", "small_enterprise", "東京都").await;
        let e = app.suspend_premiums(&tokyo, &t, None).await.unwrap_err();
        assert_eq!(conflict(e), "suspension_not_allowed");
        let (noto, n) = contract(&app, "n@example.jp", "small_enterprise", "石川県").await;
        let plan = app.preview_suspension(&noto, &n).await.unwrap();
        assert_eq!(
            plan.special_measure.as_deref(),
            Some("令和6年能登半島地震に係る特例措置")
        );
        assert_eq!(plan.required_total_yen, None);
        app.suspend_premiums(&noto, &n, None).await.unwrap();
        run(&app, "2026-11").await;
        assert_eq!(billed(&app, &n, "2026-11").await, 0);
        assert_eq!(billed(&app, &t, "2026-11").await, 30_000);
    }
}

/// 掛金の納付期限の延長 (issue #10: the Noto measure's deferral for 小規模): only for a member
/// the measure applies to, within its months (a refusal names the field and stores nothing);
/// the deferred months are not debited, then each debit collects one of them with its own
/// month until all are paid, and the ledger ends with every month collected once.
#[tokio::test]
async fn deferred_premiums_are_collected_two_months_a_debit_after_the_deferral() {
    use kyosai_app::premium_deferral::PremiumDeferralForm;
    let form = |m: &str| PremiumDeferralForm {
        months: Some(m.into()),
    };
    for (app, _d) in apps().await {
        let (tokyo, t) = contract(&app, "t@example.jp", "small_enterprise", "東京都").await;
        let e = app.defer_premiums(&tokyo, &t, &form("3"), None).await;
        assert_eq!(conflict(e.unwrap_err()), "deferral_not_allowed");
        let (noto, n) = contract(&app, "n@example.jp", "small_enterprise", "石川県").await;
        for bad in ["7", "0", "", "三か月"] {
            let e = app.defer_premiums(&noto, &n, &form(bad), None).await;
            let fields = field_codes(e.unwrap_err());
            assert!(
                fields.iter().any(|(f, _)| f == "months"),
                "{bad}: {fields:?}"
            );
        }
        let stored = "SELECT COUNT(*) AS n FROM applications WHERE procedure = 'premium_deferral'";
        assert_eq!(count(&app, stored).await, 0);

        let plan = app
            .preview_premium_deferral(&noto, &n, &form("3"))
            .await
            .unwrap();
        let from = plan.deferred_from;
        assert_eq!(plan.deferred_until, from.plus(2));
        assert_eq!(plan.catch_up_from, from.plus(3));
        assert_eq!(plan.caught_up_by, from.plus(5));
        assert_eq!(plan.catch_up_debit_yen, Yen::new(60_000));
        let done = app
            .defer_premiums(&noto, &n, &form("3"), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
        assert_eq!(done.plan.deferred_from, from);
        // Another deferral waits until the catch-up is over.
        let e = app.defer_premiums(&noto, &n, &form("1"), None).await;
        assert_eq!(conflict(e.unwrap_err()), "already_deferred");
        assert_eq!(count(&app, stored).await, 1);

        let mut m = month("2026-11");
        while m <= plan.caught_up_by.plus(1) {
            support::cycle(&app, m, false).await;
            let expected = if m < from {
                30_000
            } else if m <= plan.deferred_until {
                0
            } else if m <= plan.caught_up_by {
                60_000
            } else {
                30_000
            };
            assert_eq!(billed(&app, &n, &m.to_string()).await, expected, "{m}");
            // The member elsewhere is billed as usual.
            assert_eq!(billed(&app, &t, &m.to_string()).await, 30_000, "{m}");
            m = m.plus(1);
        }
        let months = month("2026-11").months_until(m) as i64;
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT CAST(SUM(l.amount) AS BIGINT) AS n FROM billing_ledger l \
                     JOIN contracts c ON c.id = l.contract_id \
                     WHERE c.number = '{n}' AND l.kind = 'collected'"
                )
            )
            .await,
            30_000 * months
        );
    }
}
