//! The demo data of `kyosai serve --demo` (issue #10): the member who holds both programs has
//! years of history made by the real billing cycle, not rows written directly.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

mod support;

use kyosai_app::{Actor, Role};
use kyosai_domain::{Program, UserId};
use support::{apps, count};

#[tokio::test]
async fn the_demo_member_has_five_years_of_collected_months_in_each_program() {
    for (app, _d) in apps().await {
        // The app's clock is 2 November 2026: the history runs up to October 2026.
        assert!(app.seed_demo().await.unwrap());
        let yamada = UserId::new(
            count(
                &app,
                "SELECT id AS n FROM users WHERE email = 'yamada@example.jp'",
            )
            .await,
        );
        for program in Program::ALL {
            let p = program.as_str();
            let contract = count(
                &app,
                &format!(
                    "SELECT id AS n FROM contracts WHERE member_id = {yamada} AND program = '{p}'"
                ),
            )
            .await;
            // Every collected month is a result of a billing run's bill line, imported from a
            // result file; there is no opening balance.
            let collected = count(
                &app,
                &format!(
                    "SELECT COUNT(DISTINCT l.month) AS n FROM billing_ledger l \
                     JOIN bill_lines b ON b.id = l.bill_line_id \
                     JOIN billing_runs r ON r.id = b.run_id \
                     WHERE l.contract_id = {contract} AND l.kind = 'collected' AND l.import_id IS NOT NULL"
                ),
            )
            .await;
            assert!(collected >= 60, "{p}: {collected} collected months");
            assert_eq!(
                count(
                    &app,
                    &format!("SELECT COUNT(*) AS n FROM billing_ledger WHERE contract_id = {contract} AND kind IN ('opening', 'failed')"),
                )
                .await,
                0,
                "{p}: no opening balance, nothing failed"
            );
            let last = count(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM billing_ledger WHERE contract_id = {contract} \
                     AND kind = 'collected' AND month = '2026-10'"
                ),
            )
            .await;
            assert_eq!(last, 1, "{p}: last month collected");
            assert_eq!(
                count(
                    &app,
                    &format!("SELECT COUNT(*) AS n FROM billing_ledger WHERE contract_id = {contract} AND month >= '2026-11'"),
                )
                .await,
                0,
                "{p}: nothing billed from the current month on"
            );
        }
        // The figures a member reads come from that ledger.
        let me = Actor {
            user_id: yamada,
            role: Role::Member,
        };
        let overview = app.overview(&me, yamada).await.unwrap();
        assert_eq!(overview.contracts.len(), 2);
        for c in &overview.contracts {
            let s = app.contract_standing(&me, &c.number).await.unwrap();
            assert!(
                s.months_paid >= 60,
                "{}: {} months",
                c.number,
                s.months_paid
            );
            let collected_yen = count(
                &app,
                &format!(
                    "SELECT CAST(SUM(l.amount) AS BIGINT) AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id \
                     WHERE c.number = '{}' AND l.kind = 'collected'",
                    c.number
                ),
            )
            .await;
            assert_eq!(s.total_paid_yen, collected_yen, "{}", c.number);
        }
        // 山田's 一時貸付金: transferred, then repaid at maturity by the billing cycle's debit.
        let mut loans = Vec::new();
        for c in &overview.contracts {
            loans.extend(app.contract_loans(&me, &c.number).await.unwrap());
        }
        assert_eq!(loans.len(), 1);
        let loan = &loans[0];
        assert_eq!(loan.status, kyosai_app::loans::LoanStatus::Repaid);
        assert_eq!(loan.debits.len(), 1);
        assert_eq!(
            loan.debits[0].result,
            kyosai_app::loans::DebitResult::Collected
        );
        assert_eq!(loan.debits[0].amount, loan.schedule[0].0.total());
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM payouts WHERE kind = 'loan_disbursement' AND status = 'paid'"
            )
            .await,
            1
        );
        // The 小規模 contract changed its premium once, through the procedure, and was billed at
        // both amounts (two 掛金区分).
        let small = |sql: &str| {
            format!(
                "{sql} FROM contracts c WHERE c.member_id = {yamada} AND c.program = 'small_enterprise'"
            )
        };
        assert_eq!(
            count(
                &app,
                &small("SELECT (SELECT COUNT(*) FROM premium_changes p WHERE p.contract_id = c.id) AS n")
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &app,
                &small("SELECT (SELECT COUNT(DISTINCT b.monthly_premium) FROM bill_lines b WHERE b.contract_id = c.id) AS n")
            )
            .await,
            2
        );
        assert_eq!(
            count(
                &app,
                &small("SELECT (SELECT COUNT(*) FROM applications a WHERE a.contract_id = c.id AND a.procedure = 'premium_change' AND a.status = 'completed') AS n")
            )
            .await,
            1
        );
        // 佐藤 (半年払) has a few years of history; 鈴木's application still waits for staff.
        let sato = count(
            &app,
            "SELECT id AS n FROM users WHERE email = 'sato@example.jp'",
        )
        .await;
        assert!(
            count(
                &app,
                &format!("SELECT COUNT(*) AS n FROM billing_ledger l JOIN contracts c ON c.id = l.contract_id WHERE c.member_id = {sato} AND l.kind = 'collected'"),
            )
            .await
                >= 6
        );
        // 佐藤 cancelled her 経営セーフティ共済 online; the refund was paid by a payout run and the
        // ledger shows it paid out.
        let paid = count(
            &app,
            &format!(
                "SELECT CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS n FROM payouts p JOIN contracts c \
                 ON c.id = p.contract_id WHERE c.member_id = {sato} AND p.status = 'paid' \
                 AND p.kind = 'cancellation_refund'"
            ),
        )
        .await;
        assert!(paid > 0);
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) AS n FROM billing_ledger l \
                     JOIN contracts c ON c.id = l.contract_id WHERE c.member_id = {sato} AND l.kind = 'paid_out'"
                ),
            )
            .await,
            paid
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM applications WHERE status = 'in_review'"
            )
            .await,
            1
        );
    }
}
