//! 機構解約 candidates with maker-checker confirmation, and 前納減額金, on every backend
//! available (SQLite always, PostgreSQL when KYOSAI_TEST_POSTGRES_URL is set).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::UserId;
use kyosai_store::Row;
use kyosai_zengin::debit::ResultCode;

mod support;

use support::{apps, out_dir};

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

/// A member with a contract in `program`; `person` varies the applicant so a second member is
/// not a possible duplicate. Returns the contract number.
async fn contract(app: &App, email: &str, program: &str, person: &str) -> String {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    let member = Actor {
        user_id: id,
        role: Role::Member,
    };
    let mut form = sample_form(program);
    if !person.is_empty() {
        form.given_name_kana = Some(person.to_string());
        form.account_holder_kana = Some(format!("ヤマダ {person}"));
        form.birth_date = Some("1980-02-02".into());
    }
    let r = app.submit_enrollment(&member, id, &form).await.unwrap();
    r.contract.unwrap().number
}

/// Bills `month` for both programs and answers every debit as collected or failed.
async fn bill(app: &App, month: &str, collected: bool) {
    let out = out_dir(month);
    let opts = RunOptions {
        owner: "test".into(),
        ..RunOptions::default()
    };
    let runs = app
        .billing_run(support::month(month), None, &out, &opts, &|_| {})
        .await
        .unwrap();
    let mix = [(ResultCode::InsufficientFunds, 1.0)];
    for f in runs.iter().flat_map(|r| r.files.iter()) {
        let bytes = std::fs::read(&f.path).unwrap();
        let result = simulate_bank(&bytes, if collected { 0.0 } else { 1.0 }, &mix, 1).unwrap();
        app.import_result_file(&format!("{}.result", f.name), &result, "test")
            .await
            .unwrap();
    }
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

fn code(e: &AppError) -> &str {
    match e {
        AppError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn twelve_unpaid_months_lead_to_cancellation_by_the_organization() {
    for (app, _d) in apps().await {
        let maker = staff(&app, "maker@example.jp").await;
        let checker = staff(&app, "checker@example.jp").await;
        let se = contract(&app, "a@example.jp", "small_enterprise", "").await;
        let sn = contract(&app, "a2@example.jp", "safety_net", "ハナコ").await;
        let paid_later = contract(&app, "b@example.jp", "small_enterprise", "ジロウ").await;
        // 14 months paid (Nov 2026 – Dec 2027), then 12 months of failed debits. 小規模: after
        // November's debit, a 前納 of December–October paid in November (1 + … + 11 = 66).
        bill(&app, "2026-11", true).await;
        app.record_prepayment(
            &maker,
            &se,
            support::month("2026-11"),
            support::month("2026-12"),
            11,
        )
        .await
        .unwrap();
        let mut m = support::month("2026-12");
        while m <= support::month("2028-12") {
            bill(&app, &m.to_string(), m <= support::month("2027-12")).await;
            m = m.plus(1);
        }
        // December's results make 12 months unpaid: January's run (early December) no longer
        // debits the arrears but sends each member a 納付書 with a 契約解除予告 (REFERENCE §2.7);
        // January's own premium is still debited (its result never arrives in this test).
        let run_day = support::on(&app, "2028-12-06T01:00:00Z");
        run_day
            .billing_run(
                support::month("2029-01"),
                None,
                &out_dir("2029-01-slips"),
                &RunOptions {
                    owner: "test".into(),
                    ..RunOptions::default()
                },
                &|_| {},
            )
            .await
            .unwrap();
        assert_eq!(
            one_i64(
                &app,
                "SELECT COUNT(*) AS n FROM bill_lines WHERE month = $1 AND arrears_months = 0",
                "2029-01",
            )
            .await,
            3,
            "January's premium only, no arrears"
        );
        let slip_of = |number: String| {
            let app = app.clone();
            async move {
                let mut c = app.store_for_tests().read().await.unwrap();
                let id = kyosai_store::contracts::by_number(&mut c, &number)
                    .await
                    .unwrap()
                    .unwrap()
                    .id;
                kyosai_store::payment_slips::open_for_contract(&mut c, id)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let slip_se = slip_of(se.clone()).await;
        assert_eq!(
            (slip_se.amount, slip_se.deadline.as_str()),
            (360_000, "2029-01-05")
        );
        assert_eq!(
            one_i64(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE $1",
                "%納付書の送付と契約解除予告%",
            )
            .await,
            3
        );
        // Until the deadline has passed, nobody is a candidate.
        let on_deadline = support::on(&app, "2029-01-05T01:00:00Z");
        assert!(
            on_deadline
                .prepare_termination_candidates(&maker, None)
                .await
                .unwrap()
                .is_empty()
        );

        let later = support::on(&app, "2029-01-10T01:00:00Z");
        let v = later.contract_billing(&maker, &se).await.unwrap();
        assert_eq!(v.unpaid_months.len(), 12);
        assert_eq!(v.payment_slips.len(), 1);
        assert_eq!(v.payment_slips[0].status, "open");

        // The maker prepares the list: all three contracts, with unpaid months and yen.
        let list = later
            .prepare_termination_candidates(&maker, None)
            .await
            .unwrap();
        assert_eq!(list.len(), 3);
        let find = |l: &[kyosai_app::termination::CandidateView], n: &str| {
            l.iter().find(|c| c.contract_number == n).unwrap().clone()
        };
        let c_se = find(&list, &se);
        assert_eq!((c_se.unpaid_months, c_se.unpaid_yen), (12, 360_000));
        assert_eq!(c_se.prepared_by, maker.user_id);
        assert_eq!(find(&list, &sn).unpaid_yen, 600_000);
        // Idempotent: preparing again lists nobody twice.
        let again = later
            .prepare_termination_candidates(&checker, None)
            .await
            .unwrap();
        assert_eq!(again.len(), 3);
        assert!(again.iter().all(|c| c.prepared_by == maker.user_id));

        // The maker cannot confirm their own candidate; a member cannot either.
        let err = later
            .confirm_termination(&maker, c_se.id)
            .await
            .unwrap_err();
        assert_eq!(code(&err), "maker_checker");
        let member = Actor {
            user_id: UserId::new(999),
            role: Role::Member,
        };
        assert!(matches!(
            later.confirm_termination(&member, c_se.id).await,
            Err(AppError::Forbidden(_))
        ));

        // Another staff user confirms: 小規模 §3.4, 14 months at 30,000 → 80% of 420,000,
        // plus the 前納減額金 30,000 × 0.9/1000 × 66 = 1,782 (rounded down), paid with it.
        let done = later.confirm_termination(&checker, c_se.id).await.unwrap();
        assert_eq!(done.months_paid, 14);
        assert_eq!(done.total_paid_yen, 420_000);
        assert_eq!(done.refund_yen, 420_000 * 80 / 100);
        assert_eq!(done.prepayment_discount_yen, 30_000 * 66 * 9 / 10_000);
        assert_eq!(done.total_yen, 336_000 + 1_782);
        assert_eq!(done.cancelled_on, "2029-01-10");
        assert_eq!(done.rule_set, "small_enterprise/2016-04-01");
        assert!(
            done.estimate,
            "the 小規模 前納減額金 rate is provisional (REFERENCE §2.3)"
        );
        // Confirmed once only.
        let err = later
            .confirm_termination(&checker, c_se.id)
            .await
            .unwrap_err();
        assert_eq!(code(&err), "not_prepared");

        // A withdrawn candidate still in arrears is listed again by the next preparation, with
        // its new preparer, who then cannot confirm it.
        let c_sn = find(&list, &sn);
        later.withdraw_termination(&checker, c_sn.id).await.unwrap();
        let reopened = later
            .prepare_termination_candidates(&checker, None)
            .await
            .unwrap();
        let c_sn = find(&reopened, &sn);
        assert_eq!(
            (c_sn.status.as_str(), c_sn.prepared_by),
            ("prepared", checker.user_id)
        );
        let err = later
            .confirm_termination(&checker, c_sn.id)
            .await
            .unwrap_err();
        assert_eq!(code(&err), "maker_checker");

        // 倒産防止 §5.3 機構解約 column: 14 months → 75% of 700,000.
        let done_sn = later.confirm_termination(&maker, c_sn.id).await.unwrap();
        assert_eq!(done_sn.refund_yen, 700_000 * 75 / 100);
        assert_eq!(done_sn.prepayment_discount_yen, 0);
        assert!(!done_sn.estimate);

        // Contract cancelled by the Organization, refund stored and posted, member mailed.
        for (number, refund) in [(&se, 336_000), (&sn, 525_000)] {
            assert_eq!(
                one_i64(
                    &later,
                    "SELECT COUNT(*) AS n FROM contracts WHERE number = $1 AND status = 'cancelled' \
                     AND cancellation_kind = 'by_organization' AND cancelled_on = '2029-01-10'",
                    number,
                )
                .await,
                1
            );
            assert_eq!(
                one_i64(
                    &later,
                    "SELECT l.amount AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id \
                     WHERE c.number = $1 AND l.kind = 'refunded'",
                    number,
                )
                .await,
                refund
            );
            assert_eq!(
                one_i64(
                    &later,
                    "SELECT r.refund_yen AS n FROM cancellation_refunds r JOIN contracts c ON c.id = r.contract_id \
                     WHERE c.number = $1",
                    number,
                )
                .await,
                refund
            );
        }
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE $1",
                "%共済契約解除通知書%337,782円%",
            )
            .await,
            1
        );
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1",
                "contract.cancelled",
            )
            .await,
            2
        );
        let mut conn = later.store_for_tests().read().await.unwrap();
        kyosai_store::audit::verify(&mut conn, later.store_for_tests().audit_key())
            .await
            .unwrap();
        drop(conn);

        // The member's overview shows the contract cancelled, with no next debit.
        let member = {
            let mut conn = later.store_for_tests().read().await.unwrap();
            kyosai_store::users::by_email(&mut conn, "a@example.jp")
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let member = Actor {
            user_id: member,
            role: Role::Member,
        };
        let ov = later.overview(&member, member.user_id).await.unwrap();
        assert_eq!(
            ov.contracts[0].status,
            kyosai_domain::ContractStatus::Cancelled
        );
        assert_eq!(ov.contracts[0].next_debit_date, None);

        // A later month bills neither cancelled contract: the run walks only active contracts.
        let runs = later
            .billing_run(
                support::month("2029-03"),
                None,
                &out_dir("after-cancel"),
                &RunOptions {
                    owner: "test".into(),
                    ..RunOptions::default()
                },
                &|_| {},
            )
            .await
            .unwrap();
        let walked: i64 = runs
            .iter()
            .map(|r| r.lines + r.skipped.values().sum::<i64>())
            .sum();
        assert_eq!(walked, 1, "only the third member's contract is walked");
        for number in [&se, &sn] {
            assert_eq!(
                one_i64(
                    &later,
                    "SELECT COUNT(*) AS n FROM bill_lines b JOIN contracts c ON c.id = b.contract_id \
                     WHERE c.number = $1 AND b.month = '2029-03'",
                    number,
                )
                .await,
                0
            );
        }

        // The member's billing view says why nothing more is debited, with the refund.
        let view = later.contract_billing(&member, &se).await.unwrap();
        assert!(view.next_debit.is_none());
        let why = view.no_debit_reason.unwrap();
        assert!(
            why.contains("2029年1月10日") && why.contains("機構解約"),
            "{why}"
        );
        assert!(why.contains("337,782円（概算）"), "{why}");

        // The third member pays the 納付書 after the list was prepared: the payment file posts
        // its 12 months as collected. A file with a wrong amount is refused whole first.
        let slip = slip_of(paid_later.clone()).await;
        let wrong = format!(
            "reference,amount,paid_on\n{},{},2029-01-08\n",
            slip.reference,
            slip.amount - 1
        );
        match later
            .import_payment_file("pay-wrong.csv", wrong.as_bytes(), "test")
            .await
        {
            Err(kyosai_app::billing::ImportError::Refused(r)) => {
                assert_eq!(
                    (r.problems[0].record, r.problems[0].code.as_str()),
                    (2, "amount")
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Every problem is reported with its line; nothing is posted.
        let bad = format!(
            "reference,amount,paid_on\nNOPE-01,1000,2029-01-08\n{},{},2029-02-01\n",
            slip.reference, slip.amount
        );
        match later
            .import_payment_file("pay-bad.csv", bad.as_bytes(), "test")
            .await
        {
            Err(kyosai_app::billing::ImportError::Refused(r)) => {
                let got: Vec<(usize, &str)> = r
                    .problems
                    .iter()
                    .map(|p| (p.record, p.code.as_str()))
                    .collect();
                assert_eq!(got, vec![(2, "unmatched"), (3, "paid_on")], "{r}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(slip_of(paid_later.clone()).await.status, "open");
        let file = format!(
            "reference,amount,paid_on\n{},{},2029-01-08\n",
            slip.reference, slip.amount
        );
        let done = later
            .import_payment_file("pay.csv", file.as_bytes(), "test")
            .await
            .unwrap();
        assert_eq!(done.slips_paid, vec![slip.reference.clone()]);
        assert!(matches!(
            later
                .import_payment_file("pay-again.csv", file.as_bytes(), "test")
                .await,
            Err(kyosai_app::billing::ImportError::Refused(_))
        ));
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id \
                 WHERE c.number = $1 AND l.kind = 'collected' AND l.bill_line_id IS NULL",
                &paid_later,
            )
            .await,
            12
        );
        let v = later.contract_billing(&maker, &paid_later).await.unwrap();
        assert!(v.unpaid_months.is_empty(), "{:?}", v.unpaid_months);
        assert_eq!(v.payment_slips[0].status, "paid");
        let c_paid = find(&list, &paid_later);
        let err = later
            .confirm_termination(&checker, c_paid.id)
            .await
            .unwrap_err();
        assert_eq!(code(&err), "no_longer_in_arrears");
        assert_eq!(
            one_i64(
                &later,
                "SELECT COUNT(*) AS n FROM contracts WHERE number = $1 AND status = 'active'",
                &paid_later,
            )
            .await,
            1,
            "a refused confirmation changes nothing"
        );
        later.withdraw_termination(&maker, c_paid.id).await.unwrap();
        let all = later.termination_candidates(&maker).await.unwrap();
        assert_eq!(
            find(&all, &paid_later).status,
            kyosai_domain::termination::CandidateStatus::Withdrawn
        );
        assert_eq!(find(&all, &se).refund_total_yen, Some(337_782));
        assert!(
            later
                .prepare_termination_candidates(&maker, None)
                .await
                .unwrap()
                .is_empty()
        );

        // 措法66条の11 (REFERENCE §5.4): the 倒産防止 member joins again two weeks later; premiums
        // paid until 2031-01-09 are flagged as not deductible on the statement.
        let again = support::on(&app, "2029-01-25T01:00:00Z");
        let sn_member = {
            let mut conn = again.store_for_tests().read().await.unwrap();
            kyosai_store::users::by_email(&mut conn, "a2@example.jp")
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let sn_member = Actor {
            user_id: sn_member,
            role: Role::Member,
        };
        let mut form = sample_form("safety_net");
        form.given_name_kana = Some("ハナコ".into());
        form.account_holder_kana = Some("ヤマダ ハナコ".into());
        form.birth_date = Some("1980-02-02".into());
        let rejoined = again
            .submit_enrollment(&sn_member, sn_member.user_id, &form)
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        bill(&again, "2029-02", true).await;
        let view = again.contract_billing(&sn_member, &rejoined).await.unwrap();
        assert_eq!(view.months.len(), 1);
        assert!(!view.months[0].deductible, "{:?}", view.months[0]);
        let note = view.tax_notice.unwrap();
        assert!(
            note.contains("2029年1月10日") && note.contains("2031年1月9日"),
            "{note}"
        );
    }
}

#[tokio::test]
async fn prepayment_discount_is_carried_under_5000_and_paid_in_june() {
    for (app, _d) in apps().await {
        let s = staff(&app, "staff@example.jp").await;
        let a = contract(&app, "a@example.jp", "small_enterprise", "").await;
        let b = contract(&app, "b@example.jp", "safety_net", "ジロウ").await;
        // A 前納 may start only right after what is billed: November is not billed yet.
        let err = app
            .record_prepayment(
                &s,
                &a,
                support::month("2026-11"),
                support::month("2026-12"),
                11,
            )
            .await
            .unwrap_err();
        assert_eq!(code(&err), "unbilled_months_before");
        bill(&app, "2026-11", true).await;
        let err = app
            .record_prepayment(
                &s,
                &a,
                support::month("2026-11"),
                support::month("2026-11"),
                12,
            )
            .await
            .unwrap_err();
        assert_eq!(code(&err), "already_covered");
        // A (小規模 30,000): 11 months ahead → 66 → 1,782: carried forward.
        app.record_prepayment(
            &s,
            &a,
            support::month("2026-11"),
            support::month("2026-12"),
            11,
        )
        .await
        .unwrap();
        // B (倒産防止 50,000): 1+…+12 = 78 → 3,510, and 9+10+11+12 = 42 → 1,890: 5,400.
        app.record_prepayment(
            &s,
            &b,
            support::month("2026-11"),
            support::month("2026-12"),
            12,
        )
        .await
        .unwrap();
        app.record_prepayment(
            &s,
            &b,
            support::month("2027-03"),
            support::month("2027-12"),
            4,
        )
        .await
        .unwrap();

        // Not before the end of March.
        let march = support::on(&app, "2027-03-20T01:00:00Z");
        let err = march
            .compute_prepayment_discounts(2026, "test")
            .await
            .unwrap_err();
        assert_eq!(code(&err), "fiscal_year_not_ended");

        let april = support::on(&app, "2027-04-01T01:00:00Z");
        let y = april
            .compute_prepayment_discounts(2026, "test")
            .await
            .unwrap();
        assert_eq!(y.computed, 2);
        assert_eq!((y.payable_count, y.payable_yen), (1, 5_400));
        assert_eq!((y.carried_count, y.carried_yen), (1, 1_782));
        // Idempotent.
        let again = april
            .compute_prepayment_discounts(2026, "test")
            .await
            .unwrap();
        assert_eq!((again.computed, again.already), (0, 2));

        // June: B is paid by a Zengin 総合振込 file; A stays carried forward.
        let err = april
            .pay_prepayment_discounts(2026, &out_dir("early"), "test")
            .await
            .unwrap_err();
        assert_eq!(code(&err), "payout_not_due");
        let june = support::on(&app, "2027-06-01T01:00:00Z");
        let out = out_dir("june");
        let p = june
            .pay_prepayment_discounts(2026, &out, "test")
            .await
            .unwrap();
        assert_eq!((p.scheduled_count, p.scheduled_yen), (1, 5_400));
        assert_eq!((p.run.paid_count, p.run.paid_yen), (1, 5_400));
        assert_eq!(p.transfer_date, "2027-06-01");
        assert_eq!(p.run.files.len(), 1);
        let bytes = std::fs::read(&p.run.files[0].path).unwrap();
        assert_eq!(bytes.len(), 4 * 122, "header, one payee, trailer, end");
        assert_eq!(&bytes[0..4], b"1210");
        assert_eq!(&bytes[122 + 80..122 + 90], b"0000005400");
        assert_eq!(
            one_i64(
                &june,
                "SELECT COUNT(*) AS n FROM prepayment_discounts WHERE status = $1 AND paid_on = '2027-06-01'",
                "paid"
            )
            .await,
            1
        );
        // Paying again pays nobody twice (the day's file is only written again).
        let twice = june
            .pay_prepayment_discounts(2026, &out_dir("june2"), "test")
            .await
            .unwrap();
        assert_eq!((twice.scheduled_count, twice.run.paid_count), (0, 0));
        assert_eq!(
            std::fs::read(&twice.run.files[0].path).unwrap(),
            bytes,
            "the same bytes"
        );

        // A is billed again from November 2027 (B's 前納 run to March 2028).
        let mut m = support::month("2026-12");
        while m <= support::month("2027-11") {
            bill(&app, &m.to_string(), true).await;
            m = m.plus(1);
        }
        // Next year A's carried 1,782 joins a 16-month 前納 (小規模: months 13–16 ahead count
        // as 12: 78 + 48 = 126 → 3,402): 5,184, now payable.
        app.record_prepayment(
            &s,
            &a,
            support::month("2027-11"),
            support::month("2027-12"),
            16,
        )
        .await
        .unwrap();
        let y27 = support::on(&app, "2028-04-01T01:00:00Z")
            .compute_prepayment_discounts(2027, "test")
            .await
            .unwrap();
        assert_eq!(y27.computed, 1);
        assert_eq!((y27.payable_count, y27.payable_yen), (1, 1_782 + 3_402));
        assert_eq!(
            one_i64(
                &app,
                "SELECT d.carried_in_yen AS n FROM prepayment_discounts d JOIN contracts c ON c.id = d.contract_id \
                 WHERE c.number = $1 AND d.fiscal_year = 2027",
                &a,
            )
            .await,
            1_782
        );
        // The 前納 money counts as collected premiums (with November 2026 and 2027 debited);
        // billing skipped the prepaid months.
        assert_eq!(
            one_i64(
                &app,
                "SELECT CAST(SUM(l.amount) AS BIGINT) AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id \
                 WHERE c.number = $1 AND l.kind = 'collected'",
                &a,
            )
            .await,
            30_000 * (1 + 11 + 1 + 16)
        );
        assert_eq!(
            one_i64(
                &app,
                "SELECT COUNT(*) AS n FROM contracts WHERE number = $1 AND prepaid_until = '2029-03'",
                &a,
            )
            .await,
            1
        );
    }
}
