//! Loan repayment through the billing cycle (issue #12 items 2 and 3) on every backend: a loan's
//! instalments are debited by the month's run in their own request file (customer numbers from
//! 10^19 on), a bank's answer repays them or leaves them overdue, an overdue 一時貸付金 is debited
//! again with its late charge and, past the rule set's months, recovered from the premiums; an
//! early repayment debits everything at once; a cancellation sets what is owed off against the
//! refund. A simulated year on a small book (disbursements, debits with failures, arrears) ends
//! with balances, payments, the premium ledger and the payouts agreeing to the yen.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::collections::BTreeMap;

use kyosai_app::billing::{RunOptions, RunSummary};
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::loan_early_repayment::EarlyRepaymentForm;
use kyosai_app::loans::{DebitResult, LoanStatus, TemporaryLoanForm};
use kyosai_app::{Actor, App, Role};
use kyosai_domain::loan::LoanKind;
use kyosai_domain::loan::late_charge;
use kyosai_domain::rules::RuleBook;
use kyosai_domain::{ApplicationStatus, BillingRunId, Program, YearMonth, Yen};
use kyosai_zengin::debit::ResultCode;

mod support;

use support::{apps, count, month, no_progress, on, out_dir, safety_net_contract as contract};

async fn temporary_loan(app: &App, member: &Actor, number: &str, amount: i64) {
    let done = app
        .request_temporary_loan(
            member,
            number,
            &TemporaryLoanForm {
                amount_yen: Some(amount.to_string()),
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    assert_eq!(done.status, ApplicationStatus::Completed);
}

/// How the bank answers a run's files: premiums always collected; each loan file by `loans`.
#[derive(Clone, Copy)]
enum Loans {
    Collect,
    Fail,
    /// This share fails (insufficient funds), picked by the seed.
    Some(f64, u64),
}

/// Bills `m` on the 10th and imports the bank's answers on the 3rd of the next month.
async fn cycle(app: &App, m: YearMonth, loans: Loans) -> Vec<RunSummary> {
    let out = out_dir(&format!("loans-{m}"));
    let summaries = on(app, &format!("{m}-10T00:00:00Z"))
        .billing_run(
            m,
            Some(Program::SafetyNet),
            &out,
            &RunOptions::default(),
            &no_progress,
        )
        .await
        .unwrap();
    let importer = on(app, &format!("{}-03T00:00:00Z", m.plus(1)));
    for file in summaries.iter().flat_map(|s| &s.files) {
        let request = std::fs::read(&file.path).unwrap();
        let (rate, seed) = match (file.name.ends_with("_loans.dat"), loans) {
            (false, _) | (true, Loans::Collect) => (0.0, 1),
            (true, Loans::Fail) => (1.0, 1),
            (true, Loans::Some(rate, seed)) => (rate, seed),
        };
        let result = simulate_bank(
            &request,
            rate,
            &[(ResultCode::InsufficientFunds, 1.0)],
            seed,
        )
        .unwrap();
        importer
            .import_result_file(&format!("{}.result", file.name), &result, "test")
            .await
            .unwrap();
    }
    summaries
}

fn loan_files(s: &[RunSummary]) -> Vec<String> {
    s.iter()
        .flat_map(|s| &s.files)
        .filter(|f| f.name.ends_with("_loans.dat"))
        .map(|f| f.name.clone())
        .collect()
}

fn temporary_rules() -> kyosai_domain::rules::safety_net::TemporaryLoanRules {
    RuleBook::embedded()
        .unwrap()
        .in_force(Program::SafetyNet, jiff::civil::date(2027, 11, 1))
        .unwrap()
        .safety_net
        .clone()
        .unwrap()
        .temporary_loan
}

/// (debit date, amount, principal, interest, late charge, result) of every debit of the
/// member's only loan.
async fn debits(
    app: &App,
    member: &Actor,
    number: &str,
) -> Vec<(jiff::civil::Date, i64, i64, i64, i64, String)> {
    let loans = app.contract_loans(member, number).await.unwrap();
    assert_eq!(loans.len(), 1);
    loans[0]
        .debits
        .iter()
        .map(|d| {
            (
                d.debit_date,
                d.amount.get(),
                d.principal.get(),
                d.interest.get(),
                d.late_charge.get(),
                d.result.as_str().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_temporary_loan_is_debited_at_maturity_and_again_with_its_late_charge() {
    for (app, _dir) in apps().await {
        let (member, number) = contract(&app, "t@example.jp", "タナカ", 24).await;
        temporary_loan(&app, &member, &number, 500_000).await;
        let loan = app
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        let (due, _) = loan.schedule[0];
        assert_eq!(YearMonth::of(due.due_date), month("2027-11"));
        let repayment = due.total().get();

        // Nothing is due before the maturity month: no loan file.
        let s = cycle(&app, month("2027-10"), Loans::Collect).await;
        assert!(loan_files(&s).is_empty());

        // The maturity month's debit fails.
        let s = cycle(&app, month("2027-11"), Loans::Fail).await;
        assert_eq!(loan_files(&s).len(), 1);
        let request = std::fs::read(
            &s[0]
                .files
                .iter()
                .find(|f| f.name.ends_with("_loans.dat"))
                .unwrap()
                .path,
        )
        .unwrap();
        let text = String::from_utf8_lossy(&request);
        // The data record's customer number (20 digits) starts with the loan range's 1.
        assert!(text.contains("1000000000000000000"), "loan customer number");
        let later = on(&app, "2027-12-05T01:00:00Z");
        let l = later
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(l.status, LoanStatus::InArrears);
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE payload LIKE '%貸付金の返済（口座振替）ができませんでした%'").await,
            1
        );

        // December's run debits it again with 14.6% a year from November's debit date.
        cycle(&app, month("2027-12"), Loans::Collect).await;
        let d = debits(&app, &member, &number).await;
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].5, "failed");
        assert_eq!((d[0].1, d[0].4), (repayment, 0));
        let t = temporary_rules();
        let expected = late_charge(
            Yen::new(repayment),
            t.late_interest.value,
            d[0].0,
            d[1].0,
            t.interest_days_in_year.value,
        );
        assert!(expected > Yen::ZERO);
        assert_eq!(d[1].4, expected.get());
        assert_eq!(d[1].1, repayment + expected.get());
        assert_eq!(d[1].5, "collected");
        let l = on(&app, "2028-01-05T01:00:00Z")
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(l.status, LoanStatus::Repaid);
        assert_eq!(l.balance.total(), Yen::ZERO);
        // Nothing more is debited.
        let s = cycle(&app, month("2028-01"), Loans::Collect).await;
        assert!(loan_files(&s).is_empty());
    }
}

#[tokio::test]
async fn an_unpaid_temporary_loan_is_recovered_from_the_premiums_after_five_months() {
    for (app, _dir) in apps().await {
        let (member, number) = contract(&app, "r@example.jp", "サトウ", 24).await;
        temporary_loan(&app, &member, &number, 500_000).await;
        let before = app.loan_limits(&member, &number).await.unwrap();
        assert!(before.outstanding > Yen::ZERO);
        let paid_before = count(&app, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM billing_ledger WHERE kind IN ('opening', 'collected', 'loan_reduction')").await;
        // Maturity in November 2027; every debit fails until March 2028.
        for m in ["2027-11", "2027-12", "2028-01", "2028-02", "2028-03"] {
            let s = cycle(&app, month(m), Loans::Fail).await;
            assert_eq!(loan_files(&s).len(), 1, "{m}");
        }
        // April's debit date is more than 5 months after maturity: recovered, not debited.
        let s = cycle(&app, month("2028-04"), Loans::Collect).await;
        assert!(loan_files(&s).is_empty());
        let l = on(&app, "2028-05-05T01:00:00Z")
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(l.status, LoanStatus::Repaid);
        let recovered = count(&app, "SELECT CAST(SUM(principal + interest + late_charge) AS BIGINT) AS n FROM loan_payments WHERE kind = 'recovered'").await;
        let t = temporary_rules();
        let (due, _) = l.schedule[0];
        let first = l.debits[0].debit_date;
        let april = app
            .billing_run_detail(&staff(&app).await, run_id(&app, "2028-04").await)
            .await
            .unwrap()
            .run
            .debit_date;
        let late = late_charge(
            due.total(),
            t.late_interest.value,
            first,
            april,
            t.interest_days_in_year.value,
        );
        assert_eq!(recovered, due.total().get() + late.get());
        assert_eq!(
            count(&app, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM billing_ledger WHERE kind = 'loan_reduction'").await,
            -recovered
        );
        // The 掛金総額 fell by what was recovered (the premiums collected meanwhile added).
        let collected_since = count(&app, "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM billing_ledger WHERE kind = 'collected'").await;
        let paid_after = count(&app, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM billing_ledger WHERE kind IN ('opening', 'collected', 'loan_reduction')").await;
        assert_eq!(paid_after, paid_before + collected_since - recovered);
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE payload LIKE '%掛金からの回収%'").await,
            1
        );
    }
}

/// A 共済金貸付 of `amount` requested with evidence, proposed and approved by two staff users.
async fn bankruptcy_loan(
    app: &App,
    member: &Actor,
    number: &str,
    (preparer, approver): (&Actor, &Actor),
    amount: i64,
) {
    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let ev = app
        .upload_evidence(member, number, "売掛金元帳.pdf", PDF)
        .await
        .unwrap();
    let done = app
        .request_bankruptcy_loan(
            member,
            number,
            &kyosai_app::bankruptcy_loan::BankruptcyLoanForm {
                event: Some("legal_proceedings".into()),
                bankruptcy_date: Some("2027-05-10".into()),
                partner_name: Some("株式会社倒産商事".into()),
                loss_yen: Some(amount.to_string()),
                monthly_transactions_yen: Some("10000000".into()),
                evidence: vec![ev.token],
            },
            None,
        )
        .await
        .unwrap()
        .fresh()
        .unwrap();
    let id = done.application_id;
    app.propose_bankruptcy_loan(preparer, id, Yen::new(amount), "確認済み")
        .await
        .unwrap();
    let version =
        kyosai_store::applications::get(&mut app.store_for_tests().read().await.unwrap(), id)
            .await
            .unwrap()
            .unwrap()
            .version;
    app.approve(approver, id, version, "起案どおり")
        .await
        .unwrap();
}

async fn staff(app: &App) -> Actor {
    let id = match kyosai_store::users::by_email(
        &mut app.store_for_tests().read().await.unwrap(),
        "staff@example.jp",
    )
    .await
    .unwrap()
    {
        Some(u) => u.id,
        None => app
            .create_account(
                Role::Staff,
                "staff@example.jp",
                "職員",
                Some("test passphrase 123"),
            )
            .await
            .unwrap(),
    };
    Actor {
        user_id: id,
        role: Role::Staff,
    }
}

async fn run_id(app: &App, m: &str) -> BillingRunId {
    BillingRunId::new(
        count(
            app,
            &format!(
                "SELECT id AS n FROM billing_runs WHERE program = 'safety_net' AND month = '{m}'"
            ),
        )
        .await,
    )
}

#[tokio::test]
async fn an_early_repayment_debits_everything_with_interest_for_the_days_borrowed() {
    for (app, _dir) in apps().await {
        let (member, number) = contract(&app, "e@example.jp", "スズキ", 30).await;
        temporary_loan(&app, &member, &number, 1_000_000).await;
        let loan = app
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        let feb = on(&app, "2027-02-15T01:00:00Z");
        let form = EarlyRepaymentForm {
            loan_id: Some(loan.id.to_string()),
        };
        // Someone else's loan number, or no number: refused, nothing stored.
        let e = feb
            .request_early_repayment(
                &member,
                &number,
                &EarlyRepaymentForm {
                    loan_id: Some("x".into()),
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, kyosai_app::AppError::Invalid(_)), "{e:?}");
        let e = feb
            .request_early_repayment(
                &member,
                &number,
                &EarlyRepaymentForm {
                    loan_id: Some((loan.id.get() + 99).to_string()),
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, kyosai_app::AppError::Invalid(_)), "{e:?}");
        assert_eq!(
            count(
                &app,
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loan_early_repayments"
            )
            .await,
            0
        );

        // Late in March (the month's debit date has passed, its run never happened): April.
        let late_march = on(&app, "2027-03-29T01:00:00Z")
            .quote_early_repayment(&member, &number, loan.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(late_march.month, month("2027-04"));
        let quote = feb
            .quote_early_repayment(&member, &number, loan.id)
            .await
            .unwrap()
            .unwrap();
        let done = feb
            .request_early_repayment(&member, &number, &form, None)
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
        assert_eq!(done.month, "2027-02");
        assert_eq!(done.amount_yen, quote.total().get());
        assert_eq!(done.principal_yen, 1_000_000);
        let t = temporary_rules();
        let interest = kyosai_domain::loan::temporary_interest_until(
            &t,
            Yen::new(1_000_000),
            loan.disbursement_date,
            done.debit_date,
        );
        assert_eq!(done.interest_yen, interest.get());
        assert!(
            interest < loan.schedule[0].0.interest_yen,
            "less than the full term's"
        );
        // Asked twice: refused.
        let e = feb
            .request_early_repayment(&member, &number, &form, None)
            .await
            .unwrap_err();
        assert!(matches!(e, kyosai_app::AppError::Invalid(_)), "{e:?}");

        cycle(&app, month("2027-02"), Loans::Collect).await;
        let d = debits(&app, &member, &number).await;
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].1, d[0].5.as_str()), (done.amount_yen, "collected"));
        let l = on(&app, "2027-03-05T01:00:00Z")
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(l.status, LoanStatus::Repaid);
        let s = cycle(&app, month("2027-11"), Loans::Collect).await;
        assert!(loan_files(&s).is_empty(), "nothing left for maturity");
    }
}

#[tokio::test]
async fn a_cancellation_sets_the_loan_off_against_the_refund() {
    for (app, _dir) in apps().await {
        let (member, number) = contract(&app, "c@example.jp", "イトウ", 24).await;
        temporary_loan(&app, &member, &number, 500_000).await;
        let owed = app.loan_limits(&member, &number).await.unwrap().outstanding;
        let quote = app.cancellation_quote(&member, &number).await.unwrap();
        assert_eq!(quote.loans_deducted_yen, owed.get());
        let done = app
            .cancel_contract(
                &member,
                &number,
                &kyosai_app::cancellation::CancellationForm {
                    refund_yen: Some(quote.refund_yen.to_string()),
                },
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, ApplicationStatus::Completed);
        let l = app
            .contract_loans(&member, &number)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(l.status, LoanStatus::Repaid);
        assert_eq!(
            count(&app, "SELECT CAST(SUM(principal + interest + late_charge) AS BIGINT) AS n FROM loan_payments WHERE kind = 'set_off'").await,
            owed.get()
        );
        // A cancelled contract's loan is never debited.
        let s = cycle(&app, month("2027-11"), Loans::Collect).await;
        assert!(loan_files(&s).is_empty());
    }
}

#[tokio::test]
async fn a_debit_awaiting_its_answer_is_not_set_off_and_its_answer_still_posts() {
    // The bank's answer collects, or it fails (a fresh book each time).
    for collected in [true, false] {
        for (app, _dir) in apps().await {
            let (member, number) = contract(&app, "p@example.jp", "ノムラ", 24).await;
            temporary_loan(&app, &member, &number, 500_000).await;
            // November's run debits the loan at maturity; the member cancels before the answer.
            let out = out_dir("pending-set-off");
            let summaries = on(&app, "2027-11-10T00:00:00Z")
                .billing_run(
                    month("2027-11"),
                    Some(Program::SafetyNet),
                    &out,
                    &RunOptions::default(),
                    &no_progress,
                )
                .await
                .unwrap();
            assert_eq!(loan_files(&summaries).len(), 1);
            let cancelling = on(&app, "2027-11-20T01:00:00Z");
            let quote = cancelling
                .cancellation_quote(&member, &number)
                .await
                .unwrap();
            assert_eq!(quote.loans_deducted_yen, 0, "the pending debit repays it");
            cancelling
                .cancel_contract(
                    &member,
                    &number,
                    &kyosai_app::cancellation::CancellationForm {
                        refund_yen: Some(quote.refund_yen.to_string()),
                    },
                    None,
                )
                .await
                .unwrap();
            // The bank's answer arrives after the cancellation and posts.
            let importer = on(&app, "2027-12-03T00:00:00Z");
            for file in summaries.iter().flat_map(|s| &s.files) {
                let request = std::fs::read(&file.path).unwrap();
                let rate = if collected { 0.0 } else { 1.0 };
                let result =
                    simulate_bank(&request, rate, &[(ResultCode::InsufficientFunds, 1.0)], 1)
                        .unwrap();
                importer
                    .import_result_file(&format!("{}.result", file.name), &result, "test")
                    .await
                    .unwrap();
            }
            let l = importer
                .contract_loans(&member, &number)
                .await
                .unwrap()
                .remove(0);
            if collected {
                assert_eq!(l.status, LoanStatus::Repaid);
            } else {
                // Still owed, never debited again; the mail says so instead of a next debit.
                assert_eq!(l.status, LoanStatus::InArrears);
                assert_eq!(
                    count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE payload LIKE '%ご契約が終了しているため%'").await,
                    1
                );
                let s = cycle(&app, month("2027-12"), Loans::Collect).await;
                assert!(loan_files(&s).is_empty());
            }
            assert_eq!(
                count(
                    &app,
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loan_payments WHERE kind = 'set_off'"
                )
                .await,
                0
            );
        }
    }
}

/// One family name per member of the simulated book (the same name and birth date twice would
/// go to staff as a possible duplicate).
const KANA: [&str; 9] = [
    "アオキ",
    "イノウエ",
    "ウエダ",
    "エンドウ",
    "オオタ",
    "カトウ",
    "キムラ",
    "クボタ",
    "ケンモチ",
];

/// Loans against a small book over a simulated year: six 一時貸付金 and three 共済金貸付, every month's loan debits failing at random, one early repayment. Afterwards:
/// each loan's amount is its repaid principal plus its open principal; every debit has one
/// answer and each run's debits reconcile; late charges are what the rules give for each
/// failed instalment's days; the premium ledger's reductions are the loans' 1/10 plus what was
/// recovered; the disbursements are the loans' amounts.
#[tokio::test]
async fn a_simulated_year_reconciles_to_the_yen() {
    for (app, _dir) in apps().await {
        let app = app.with_evidence(kyosai_app::evidence::EvidenceConfig {
            dir: Some(out_dir("loan-evidence")),
            max_bytes: 1024 * 1024,
        });
        let mut members = Vec::new();
        for i in 0..6 {
            let (m, n) = contract(&app, &format!("y{i}@example.jp"), KANA[i as usize], 30).await;
            temporary_loan(&app, &m, &n, 300_000 + 50_000 * i).await;
            members.push((m, n));
        }
        // 共済金貸付 decided in June 2027 (seven months after joining): 54 monthly instalments
        // from January 2028 after the 6 months' grace.
        let june = on(&app, "2027-06-15T01:00:00Z");
        let preparer = staff(&app).await;
        let approver = Actor {
            user_id: app
                .create_account(
                    Role::Staff,
                    "approver@example.jp",
                    "職員",
                    Some("test passphrase 123"),
                )
                .await
                .unwrap(),
            role: Role::Staff,
        };
        for i in 0..3 {
            let (m, n) =
                contract(&app, &format!("b{i}@example.jp"), KANA[6 + i as usize], 30).await;
            bankruptcy_loan(&june, &m, &n, (&preparer, &approver), 1_000_000 * (i + 1)).await;
            members.push((m, n));
        }
        let mut months = Vec::new();
        let mut m = month("2027-09");
        while m <= month("2028-08") {
            months.push(m);
            m = m.plus(1);
        }
        for (k, m) in months.iter().enumerate() {
            if *m == month("2027-12") {
                // Member 0 repays early in December (if anything is still open).
                let dec = on(&app, "2027-12-01T01:00:00Z");
                let (member, number) = &members[0];
                let id = dec.contract_loans(member, number).await.unwrap()[0].id;
                if dec
                    .quote_early_repayment(member, number, id)
                    .await
                    .unwrap()
                    .is_some()
                {
                    dec.request_early_repayment(
                        member,
                        number,
                        &EarlyRepaymentForm {
                            loan_id: Some(id.to_string()),
                        },
                        None,
                    )
                    .await
                    .unwrap();
                }
            }
            cycle(&app, *m, Loans::Some(0.4, 7 + k as u64)).await;
        }
        let as_of = on(&app, "2028-09-05T01:00:00Z");
        let mut all_amount = 0i64;
        for (member, number) in &members {
            for l in as_of.contract_loans(member, number).await.unwrap() {
                all_amount += l.amount.get();
                let open: i64 = l
                    .schedule
                    .iter()
                    .filter(|(_, paid)| paid.is_none())
                    .map(|(i, _)| i.principal_yen.get())
                    .sum();
                assert_eq!(open, l.balance.principal_yen.get());
                let repaid = count(
                    &app,
                    &format!("SELECT CAST(COALESCE(SUM(principal), 0) AS BIGINT) AS n FROM loan_payments WHERE loan_id = {} AND kind <> 'failed'", l.id),
                )
                .await;
                assert_eq!(repaid + open, l.amount.get(), "loan {}", l.id);
                // Each failed debit's instalment, once collected, paid the rules' late charge
                // (none is set for a 共済金貸付, REFERENCE §5.1).
                let t = temporary_rules();
                let charged = l.kind == LoanKind::Temporary;
                let mut failed_at: BTreeMap<u32, jiff::civil::Date> = BTreeMap::new();
                for d in &l.debits {
                    match d.result {
                        DebitResult::Failed => {
                            for s in &d.seqs {
                                failed_at.entry(*s).or_insert(d.debit_date);
                            }
                        }
                        DebitResult::Collected => {
                            let late: i64 = d
                                .seqs
                                .iter()
                                .map(|s| {
                                    let (i, _) =
                                        l.schedule.iter().find(|(i, _)| i.seq == *s).unwrap();
                                    failed_at.get(s).filter(|_| charged).map_or(0, |first| {
                                        late_charge(
                                            i.total(),
                                            t.late_interest.value,
                                            *first,
                                            d.debit_date,
                                            t.interest_days_in_year.value,
                                        )
                                        .get()
                                    })
                                })
                                .sum();
                            assert_eq!(
                                d.late_charge.get(),
                                late,
                                "loan {} debit {}",
                                l.id,
                                d.debit_date
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
        // Every loan line has exactly one answer; each run's lines reconcile.
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loan_bill_lines b WHERE NOT EXISTS (SELECT 1 FROM loan_payments p WHERE p.line_id = b.id)").await,
            0
        );
        assert_eq!(
            count(&app, "SELECT CAST(COALESCE(SUM(b.amount), 0) AS BIGINT) AS n FROM loan_bill_lines b").await,
            count(&app, "SELECT CAST(COALESCE(SUM(principal + interest + late_charge), 0) AS BIGINT) AS n FROM loan_payments WHERE line_id IS NOT NULL").await
        );
        assert!(
            count(
                &app,
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loan_payments WHERE kind = 'failed'"
            )
            .await
                > 0,
            "the year had failures"
        );
        // 共済金貸付 instalments were debited, an overdue one together with the next.
        assert!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loan_bill_lines b JOIN loans l ON l.id = b.loan_id WHERE l.kind = 'bankruptcy' AND b.seqs LIKE '%,%'").await > 0,
            "a re-debited instalment"
        );
        let staff = staff(&app).await;
        // The staff loan book agrees with the same figures, and members never see it.
        let book = as_of.loan_book(&staff).await.unwrap();
        assert_eq!(book.programs.len(), 1);
        let p = &book.programs[0];
        assert!(p.principal_agrees(), "{p:?}");
        assert!(p.ledger_agrees(), "{p:?}");
        assert_eq!(p.total.count, 9);
        assert_eq!(p.total.lent.get(), all_amount);
        assert_eq!(p.rows.iter().map(|r| r.count).sum::<usize>(), 9);
        assert_eq!(
            p.rows.iter().map(|r| r.principal.get()).sum::<i64>(),
            p.total.principal.get()
        );
        assert!(
            book.loans
                .windows(2)
                .all(|w| !(w[0].view.status != LoanStatus::InArrears
                    && w[1].view.status == LoanStatus::InArrears)),
            "arrears first"
        );
        let h = as_of
            .loan_history(&staff, book.loans[0].view.id)
            .await
            .unwrap();
        assert_eq!(h.view, book.loans[0].view);
        assert!(matches!(
            as_of.loan_book(&members[0].0).await,
            Err(kyosai_app::AppError::Forbidden(_))
        ));
        for m in &months {
            let detail = app
                .billing_run_detail(&staff, run_id(&app, &m.to_string()).await)
                .await
                .unwrap();
            let r = detail.reconciliation;
            assert_eq!(r.unmatched.count, 0, "{m}");
            assert_eq!(r.billed.yen, r.collected.yen + r.failed.yen, "{m}");
        }
        // Ledger and payouts.
        let recovered = count(&app, "SELECT CAST(COALESCE(SUM(principal + interest + late_charge), 0) AS BIGINT) AS n FROM loan_payments WHERE kind = 'recovered'").await;
        let reductions = count(
            &app,
            "SELECT CAST(COALESCE(SUM(premium_reduction), 0) AS BIGINT) AS n FROM loans",
        )
        .await;
        assert_eq!(
            count(&app, "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM billing_ledger WHERE kind = 'loan_reduction'").await,
            -(reductions + recovered)
        );
        assert_eq!(
            count(&app, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM payouts WHERE kind = 'loan_disbursement'").await,
            all_amount
        );
    }
}
