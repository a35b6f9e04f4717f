//! 共済金貸付 (issue #12 items 1 and 5) end to end on every backend: each refused request stores
//! nothing; a request waits for staff with its limit; a preparer proposes the amount and a
//! different staff user approves it, which makes the loan with its schedule, the premium-rights
//! reduction in the ledger, the disbursement payout and the decision mail; the preparer cannot
//! approve; the same bankruptcy cannot be lent against twice.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::bankruptcy_loan::BankruptcyLoanForm;
use kyosai_app::evidence::EvidenceConfig;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::{ApplicationStatus, Yen};

mod support;

use support::{apps, count, on, out_dir, safety_net_contract as contract};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
/// 15 June 2027: seven months after joining on 2 November 2026.
const LATER: &str = "2027-06-15T01:00:00Z";

async fn loan_apps() -> Vec<(App, Option<kyosai_store::testing::TempDir>)> {
    apps()
        .await
        .into_iter()
        .map(|(app, dir)| {
            let app = app.with_evidence(EvidenceConfig {
                dir: Some(out_dir("bankruptcy-evidence")),
                max_bytes: 1024 * 1024,
            });
            (app, dir)
        })
        .collect()
}

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

fn form(date: &str, loss: i64, evidence: Vec<String>) -> BankruptcyLoanForm {
    BankruptcyLoanForm {
        event: Some("legal_proceedings".into()),
        bankruptcy_date: Some(date.into()),
        partner_name: Some("株式会社倒産商事".into()),
        loss_yen: Some(loss.to_string()),
        monthly_transactions_yen: Some("10000000".into()),
        evidence,
    }
}

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Invalid(f) => f.into_iter().map(|f| f.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn conflict(e: AppError) -> String {
    match e {
        AppError::Conflict { code, .. } => code.to_string(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn nothing_stored(app: &App) {
    assert_eq!(
        count(
            app,
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM applications WHERE procedure = 'bankruptcy_loan'"
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
async fn refused_requests_store_nothing() {
    for (app, _dir) in loan_apps().await {
        let (member, number) = contract(&app, "a@example.jp", "ヤマダ", 12).await;
        let (newcomer, new_number) = contract(&app, "b@example.jp", "スズキ", 0).await;
        let app = on(&app, LATER);
        let ev = app
            .upload_evidence(&member, &number, "売掛金元帳.pdf", PDF)
            .await
            .unwrap();
        let evidence = vec![ev.token.clone()];
        let cases = [
            (
                form("2027-07-01", 3_000_000, evidence.clone()),
                "bankruptcy_date",
            ),
            (
                form("2026-11-20", 3_000_000, evidence.clone()),
                "bankruptcy_date",
            ),
            (form("2027-05-10", 400_000, evidence.clone()), "loss_yen"),
            (form("2027-05-10", 3_000_000, vec![]), "evidence"),
            (
                form("2027-05-10", 3_000_000, vec!["nope".into()]),
                "evidence",
            ),
            (
                BankruptcyLoanForm {
                    event: Some("disappearance".into()),
                    ..form("2027-05-10", 3_000_000, evidence.clone())
                },
                "event",
            ),
        ];
        for (f, field) in cases {
            let e = app
                .request_bankruptcy_loan(&member, &number, &f, None)
                .await
                .unwrap_err();
            assert!(fields(e).contains(&field.to_string()), "{field}");
            nothing_stored(&app).await;
        }
        // Under the minimum months paid: a general error.
        let ev2 = app
            .upload_evidence(&newcomer, &new_number, "売掛金元帳.pdf", PDF)
            .await
            .unwrap();
        let e = app
            .request_bankruptcy_loan(
                &newcomer,
                &new_number,
                &form("2027-05-10", 3_000_000, vec![ev2.token]),
                None,
            )
            .await
            .unwrap_err();
        assert!(fields(e).contains(&"application".to_string()));
        nothing_stored(&app).await;
    }
}

#[tokio::test]
async fn a_different_staff_user_approves_the_proposed_amount() {
    for (app, _dir) in loan_apps().await {
        let (member, number) = contract(&app, "a@example.jp", "ヤマダ", 12).await;
        let preparer = staff(&app, "p@example.jp").await;
        let approver = staff(&app, "q@example.jp").await;
        let app = on(&app, LATER);
        let ev = app
            .upload_evidence(&member, &number, "売掛金元帳.pdf", PDF)
            .await
            .unwrap();
        // Loss 3,000,000 < 10 × 600,000: the limit is the loss.
        let done = app
            .request_bankruptcy_loan(
                &member,
                &number,
                &form("2027-05-10", 3_000_000, vec![ev.token]),
                None,
            )
            .await
            .unwrap()
            .fresh()
            .unwrap();
        assert_eq!(done.status, ApplicationStatus::InReview);
        assert_eq!(done.limit_yen, 3_000_000);
        assert_eq!(done.premium_reduction_yen, 300_000);
        let id = done.application_id;
        let version = || async {
            kyosai_store::applications::get(&mut app.store_for_tests().read().await.unwrap(), id)
                .await
                .unwrap()
                .unwrap()
                .version
        };

        // No proposal yet.
        let e = app
            .approve(&approver, id, version().await, "書類を確認")
            .await
            .unwrap_err();
        assert_eq!(conflict(e), "no_proposal");
        // Off the unit, above the limit.
        for amount in [2_510_000, 3_050_000] {
            let e = app
                .propose_bankruptcy_loan(&preparer, id, Yen::new(amount), "")
                .await
                .unwrap_err();
            assert_eq!(fields(e), vec!["amount_yen".to_string()]);
        }
        let limit = app
            .propose_bankruptcy_loan(
                &preparer,
                id,
                Yen::new(2_500_000),
                "売掛金元帳と破産申立書を確認",
            )
            .await
            .unwrap();
        assert_eq!(limit, Yen::new(3_000_000));
        // The preparer cannot approve.
        let e = app
            .approve(&preparer, id, version().await, "書類を確認")
            .await
            .unwrap_err();
        assert_eq!(conflict(e), "same_preparer");
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loans").await,
            0
        );

        app.approve(&approver, id, version().await, "起案どおり")
            .await
            .unwrap();
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM loans WHERE kind = 'bankruptcy' AND amount = 2500000 AND premium_reduction = 250000").await,
            1
        );
        assert_eq!(
            count(
                &app,
                "SELECT CAST(SUM(principal) AS BIGINT) AS n FROM loan_instalments"
            )
            .await,
            2_500_000
        );
        assert_eq!(
            count(&app, "SELECT CAST(SUM(amount) AS BIGINT) AS n FROM billing_ledger WHERE kind = 'loan_reduction'").await,
            -250_000
        );
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM payouts WHERE kind = 'loan_disbursement' AND amount = 2500000").await,
            1
        );
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE payload LIKE '%共済金貸付決定通知書%' AND payload LIKE '%2,500,000%'").await,
            1
        );
        let loans = app.contract_loans(&member, &number).await.unwrap();
        assert_eq!(loans.len(), 1);
        assert_eq!(loans[0].amount, Yen::new(2_500_000));
        // The reduction nets the 掛金総額: 600,000 − 250,000.
        let limits = app.loan_limits(&member, &number).await.unwrap();
        assert_eq!(limits.outstanding, Yen::new(2_500_000));

        // The same bankruptcy again: refused, nothing stored.
        let ev = app
            .upload_evidence(&member, &number, "売掛金元帳.pdf", PDF)
            .await
            .unwrap();
        let e = app
            .request_bankruptcy_loan(
                &member,
                &number,
                &form("2027-05-10", 3_000_000, vec![ev.token]),
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(conflict(e), "duplicate_bankruptcy");
        assert_eq!(
            count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM applications WHERE procedure = 'bankruptcy_loan'").await,
            1
        );
    }
}
