//! 契約者貸付 (issue #12 item 4) end to end on every backend: refused requests store nothing and
//! say which field; the limit counts the premiums paid up to the last recalculation (April,
//! October); a request within it waits for staff (the tables are provisional), and approving it
//! makes the loan with its semi-annual schedule, the interest in advance taken from the transfer
//! and the decision mail; the billing cycle collects its instalments, a failed one again with
//! the 14.6% late charge; the loan book agrees.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::loans::{DebitResult, LoanStatus};
use kyosai_app::member_loan::MemberLoanForm;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::loan::late_charge;
use kyosai_domain::rules::RuleBook;
use kyosai_domain::{ApplicationStatus, Program, Rate, YearMonth, Yen};
use kyosai_zengin::debit::ResultCode;

mod support;

use support::{apps, contract_with_openings, count, month, no_progress, on, out_dir};

/// 5 April 2027: the limit recalculated in April counts the premiums paid up to March.
const APRIL: &str = "2027-04-05T01:00:00Z";

fn form(kind: &str, amount: i64, term: u32) -> MemberLoanForm {
    MemberLoanForm {
        kind: Some(kind.into()),
        amount_yen: Some(amount.to_string()),
        term_months: Some(term.to_string()),
        ..Default::default()
    }
}

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn staff(app: &App, email: &str) -> Actor {
    Actor {
        user_id: app
            .create_account(Role::Staff, email, "職員", Some("test passphrase 123"))
            .await
            .unwrap(),
        role: Role::Staff,
    }
}

async fn nothing_stored(app: &App) {
    assert_eq!(
        count(
            app,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM applications WHERE procedure = 'member_loan'"
        )
        .await,
        0
    );
    assert_eq!(
        count(app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loans").await,
        0
    );
}

#[tokio::test]
async fn refused_requests_store_nothing_and_name_the_field() {
    for (app, _dir) in apps().await {
        // 36 months × 50,000 paid: 80% (provisional band) of 1,800,000, in 50,000-yen units.
        let (member, number) =
            contract_with_openings(&app, "small_enterprise", "a@example.jp", "ヤマダ", 36).await;
        let (sn_member, sn_number) =
            contract_with_openings(&app, "safety_net", "b@example.jp", "スズキ", 36).await;
        let app = on(&app, APRIL);
        let limits = app.loan_limits(&member, &number).await.unwrap();
        assert_eq!(limits.member_loan_limit, Some(Yen::new(1_400_000)));
        for (f, field) in [
            (form("general", 1_010_000, 12), "amount_yen"),
            (form("general", 1_500_000, 24), "amount_yen"),
            (form("general", 50_000, 6), "amount_yen"),
            (form("general", 1_000_000, 24), "term_months"),
            (form("welfare", 1_000_000, 12), "kind"),
            (form("emergency", 1_000_000, 36), "sales_decline_percent"),
            (
                MemberLoanForm {
                    sales_decline_percent: Some("3".into()),
                    ..form("emergency", 1_000_000, 36)
                },
                "sales_decline_percent",
            ),
            (form("illness_disaster", 1_000_000, 36), "hospital_days"),
            (form("horse_racing", 1_000_000, 12), "kind"),
        ] {
            let e = app
                .request_member_loan(&member, &number, &f, None)
                .await
                .unwrap_err();
            assert!(fields(e).contains(&field.to_string()), "{f:?} → {field}");
        }
        // A 倒産防止 contract has no 契約者貸付.
        let e = app
            .request_member_loan(&sn_member, &sn_number, &form("general", 500_000, 12), None)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Conflict {
                    code: "not_available",
                    ..
                }
            ),
            "{e:?}"
        );
        nothing_stored(&app).await;
    }
}

#[tokio::test]
async fn the_limit_is_recalculated_in_april_and_october_only() {
    for (app, _dir) in apps().await {
        let (member, number) =
            contract_with_openings(&app, "small_enterprise", "a@example.jp", "ヤマダ", 36).await;
        // Before April the opening (October 2026) is past the September basis: nothing counts.
        let march = on(&app, "2027-03-20T01:00:00Z");
        assert_eq!(
            march
                .loan_limits(&member, &number)
                .await
                .unwrap()
                .member_loan_limit,
            Some(Yen::ZERO)
        );
        // April to September: the premiums up to March.
        for m in ["2027-04", "2027-05"] {
            support::cycle(&app, month(m), false).await;
        }
        let june = on(&app, "2027-06-10T01:00:00Z");
        let april = on(&app, APRIL);
        assert_eq!(
            june.loan_limits(&member, &number)
                .await
                .unwrap()
                .member_loan_limit,
            april
                .loan_limits(&member, &number)
                .await
                .unwrap()
                .member_loan_limit
        );
        // October: the months collected since count (38 months → still the 80% band).
        let october = on(&app, "2027-10-05T01:00:00Z");
        let paid = count(&app, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id WHERE c.program = 'small_enterprise' AND l.kind IN ('opening', 'collected')").await;
        assert!(paid > 1_800_000);
        assert_eq!(
            october
                .loan_limits(&member, &number)
                .await
                .unwrap()
                .member_loan_limit,
            Some(Yen::new(paid * 8 / 10 / 50_000 * 50_000))
        );
    }
}

/// Bills `m` for 小規模 on the 10th and imports the bank's answer on the 3rd of the next month;
/// the loan file's debits fail when `fail_loans`.
async fn cycle(app: &App, m: YearMonth, fail_loans: bool) {
    let out = out_dir(&format!("member-loans-{m}"));
    let summaries = on(app, &format!("{m}-10T00:00:00Z"))
        .billing_run(
            m,
            Some(Program::SmallEnterprise),
            &out,
            &RunOptions::default(),
            &no_progress,
        )
        .await
        .unwrap();
    let importer = on(app, &format!("{}-03T00:00:00Z", m.plus(1)));
    for file in summaries.iter().flat_map(|s| &s.files) {
        let request = std::fs::read(&file.path).unwrap();
        let rate = if fail_loans && file.name.ends_with("_loans.dat") {
            1.0
        } else {
            0.0
        };
        let result =
            simulate_bank(&request, rate, &[(ResultCode::InsufficientFunds, 1.0)], 1).unwrap();
        importer
            .import_result_file(&format!("{}.result", file.name), &result, "test")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_approved_loan_is_transferred_less_its_interest_and_repaid_every_six_months() {
    for (app, _dir) in apps().await {
        // 60 months × 50,000 = 3,000,000 paid: 90% → 2,700,000.
        let (member, number) =
            contract_with_openings(&app, "small_enterprise", "a@example.jp", "ヤマダ", 60).await;
        let preparer = staff(&app, "s@example.jp").await;
        let app = on(&app, APRIL);
        let done = app
            .request_member_loan(&member, &number, &form("general", 2_000_000, 24), None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        // The tables are provisional: staff confirm.
        assert_eq!(done.status, ApplicationStatus::InReview);
        assert_eq!(done.limit_yen, 2_700_000);
        assert_eq!(done.rate, "1.5%");
        assert!(done.schedule.is_none());
        let version = kyosai_store::applications::get(
            &mut app.store_for_tests().read().await.unwrap(),
            done.application_id,
        )
        .await
        .unwrap()
        .unwrap()
        .version;
        app.approve(&preparer, done.application_id, version, "書類を確認")
            .await
            .unwrap();
        let loan = app
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(loan.kind.name_ja(), "一般貸付け");
        assert_eq!(loan.schedule.len(), 4);
        let se = RuleBook::embedded()
            .unwrap()
            .in_force(Program::SmallEnterprise, jiff::civil::date(2027, 4, 5))
            .unwrap()
            .small_enterprise
            .clone()
            .unwrap();
        let expected = kyosai_domain::small_enterprise::member_loan::schedule(
            &se.member_loan,
            Yen::new(2_000_000),
            24,
            Rate::new(15, 1000).unwrap(),
            loan.disbursement_date,
            0,
        );
        let schedule: Vec<_> = loan.schedule.iter().map(|(i, _)| *i).collect();
        assert_eq!(schedule, expected.instalments);
        assert_eq!(
            count(&app, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM payouts WHERE kind = 'loan_disbursement'").await,
            expected.transfer.get()
        );
        assert!(expected.interest_in_advance > Yen::ZERO);
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE payload LIKE '%契約者貸付%貸付けが決定しました%'").await,
            1
        );
        // The limit falls by what is owed.
        let after = app.loan_limits(&member, &number).await.unwrap();
        assert_eq!(after.outstanding, Yen::new(2_000_000));
        assert_eq!(after.member_loan_limit, Some(Yen::new(700_000)));

        // The first instalment's debit fails, the next month's collects it with the late charge;
        // then each instalment is collected in its month.
        let due: Vec<YearMonth> = schedule.iter().map(|i| YearMonth::of(i.due_date)).collect();
        cycle(&app, due[0], true).await;
        cycle(&app, due[0].plus(1), false).await;
        for m in &due[1..] {
            cycle(&app, *m, false).await;
        }
        let as_of = on(&app, &format!("{}-05T01:00:00Z", due[3].plus(1)));
        let l = as_of
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(l.status, LoanStatus::Repaid);
        assert_eq!(l.debits.len(), 5);
        assert_eq!(l.debits[0].result, DebitResult::Failed);
        let late = late_charge(
            schedule[0].total(),
            se.member_loan.late_interest.value,
            l.debits[0].debit_date,
            l.debits[1].debit_date,
            se.member_loan.interest_days_in_year.value,
        );
        assert!(late > Yen::ZERO);
        assert_eq!(l.debits[1].late_charge, late);
        assert_eq!(
            l.debits[1].amount,
            kyosai_domain::rounding::add(schedule[0].total(), late)
        );
        let book = as_of.loan_book(&preparer).await.unwrap();
        let p = book
            .programs
            .iter()
            .find(|p| p.program == Program::SmallEnterprise)
            .unwrap();
        assert!(p.principal_agrees() && p.ledger_agrees(), "{p:?}");
        assert_eq!(p.total.lent, Yen::new(2_000_000));
    }
}
