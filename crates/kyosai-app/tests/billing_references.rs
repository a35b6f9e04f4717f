//! The references of bill lines, ledger entries, notices and billing notices hold on every
//! backend: on SQLite they are declared foreign keys; on PostgreSQL set-based checks per
//! statement plus parents that are never deleted or renumbered (migrations 0034 and 0040), which
//! a billing run must not be able to tell apart.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use kyosai_app::App;

mod support;

use support::{count, cycle, month, safety_net_contract};

/// Runs one statement; true when the database refused it.
async fn refused(app: &App, sql: &str) -> bool {
    let store = app.store_for_tests();
    let mut tx = store.begin_write().await.unwrap();
    let refused = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(tx.conn())
        .await
        .is_err();
    if !refused {
        tx.commit().await.unwrap();
    }
    refused
}

#[tokio::test]
async fn bill_lines_and_ledger_entries_only_reference_records_that_exist() {
    for (app, _dir) in support::apps().await {
        safety_net_contract(&app, "refs@example.jp", "ｻﾝｼｮｳ", 3).await;
        cycle(&app, month("2026-11"), false).await;
        // A second contract, not billed: its mandate is someone else's for the line above.
        safety_net_contract(&app, "refs2@example.jp", "ﾍﾞﾂ", 3).await;
        let lines = "SELECT COUNT(*) AS n FROM bill_lines";
        let entries = "SELECT COUNT(*) AS n FROM billing_ledger";
        let (lines_before, entries_before) = (count(&app, lines).await, count(&app, entries).await);
        assert_eq!(lines_before, 1, "the contract was billed");

        // A copy of the line under a new id and month, pointing at something missing.
        let copy = |column: &str, value: &str| {
            let cols = "run_id, contract_id, originator_id, mandate_id";
            let picked = cols.replace(column, value);
            format!(
                "INSERT INTO bill_lines (id, {cols}, month, amount, monthly_premium, frequency, \
                 months_covered, premium_amount, arrears_months, arrears_amount, paid_before, items, \
                 new_code, bank_code, branch_code, account_type, account_number, holder_kana, withheld) \
                 SELECT 900000, {picked}, '2030-01', amount, monthly_premium, frequency, months_covered, \
                 premium_amount, arrears_months, arrears_amount, paid_before, items, new_code, bank_code, \
                 branch_code, account_type, account_number, holder_kana, withheld FROM bill_lines"
            )
        };
        for column in ["run_id", "contract_id", "originator_id", "mandate_id"] {
            assert!(
                refused(&app, &copy(column, "987654")).await,
                "a bill line with a missing {column} is refused"
            );
        }
        // The ledger columns (contract_id, bill_line_id, import_id) of a copied billed entry.
        for (what, picked) in [
            ("contract", "987654, bill_line_id, import_id"),
            ("contract (no bill line)", "987654, NULL, NULL"),
            ("bill line", "contract_id, 987654, import_id"),
            ("import", "contract_id, bill_line_id, 987654"),
        ] {
            let sql = format!(
                "INSERT INTO billing_ledger (contract_id, bill_line_id, import_id, month, kind, amount, months, at) \
                 SELECT {picked}, month, 'refunded', 1, 0, at FROM billing_ledger WHERE kind = 'billed'"
            );
            assert!(
                refused(&app, &sql).await,
                "a ledger entry with a missing {what} is refused"
            );
        }
        // PostgreSQL checks the stronger rule its set-based checks are built on (migration
        // 0034): a line's mandate is its contract's, a line-based ledger entry is its line's
        // contract's. SQLite's declared keys check existence only.
        if app.store_for_tests().backend() == kyosai_store::Backend::Postgres {
            let others_mandate =
                "(SELECT MAX(id) FROM mandates WHERE contract_id <> bill_lines.contract_id)";
            assert!(
                refused(&app, &copy("mandate_id", others_mandate)).await,
                "a bill line with another contract's mandate is refused"
            );
            let others_line = "INSERT INTO billing_ledger (contract_id, bill_line_id, month, kind, amount, months, at) \
                SELECT (SELECT MAX(id) FROM contracts), bill_line_id, month, 'refunded', 1, 0, at \
                FROM billing_ledger WHERE kind = 'billed'";
            assert!(
                refused(&app, others_line).await,
                "a ledger entry of another contract's bill line is refused"
            );
        }
        for parent in ["contracts", "mandates", "billing_runs", "bill_lines"] {
            assert!(
                refused(&app, &format!("DELETE FROM {parent}")).await,
                "billed {parent} are never deleted"
            );
        }
        assert!(
            refused(&app, "UPDATE contracts SET id = id + 1000").await,
            "a billed contract is never renumbered"
        );
        assert_eq!(count(&app, lines).await, lines_before, "nothing was added");
        assert_eq!(
            count(&app, entries).await,
            entries_before,
            "nothing was added"
        );

        // The valid copy of the same line is accepted: the checks refuse only what is missing.
        assert!(!refused(&app, &copy("run_id", "run_id")).await);
        assert_eq!(count(&app, lines).await, lines_before + 1);
    }
}

#[tokio::test]
async fn notices_and_billing_notices_only_reference_records_that_exist() {
    for (app, _dir) in support::apps().await {
        safety_net_contract(&app, "notes@example.jp", "ﾂｳﾁ", 3).await;
        let notices = "SELECT COUNT(*) AS n FROM notices";
        let billing_notices = "SELECT COUNT(*) AS n FROM billing_notices";
        let notices_before = count(&app, notices).await;
        assert!(notices_before > 0, "the enrollment mailed the member");
        assert!(
            !refused(
                &app,
                "INSERT INTO billing_notices (contract_id, kind, month, created_at) \
                 SELECT id, 'accumulation_cap', '2026-11', '2026-11-02T00:00:00Z' FROM contracts"
            )
            .await,
            "a billing notice of an existing contract is accepted"
        );
        let billing_notices_before = count(&app, billing_notices).await;
        assert_eq!(billing_notices_before, 1);

        // A copy of a notice under a new mail, pointing at something missing.
        let copy = |member: &str, outbox: &str| {
            format!(
                "INSERT INTO notices (member_id, outbox_id, subject, body, created_at) \
                 SELECT {member}, {outbox}, subject, body, created_at FROM notices \
                 WHERE id = (SELECT MIN(id) FROM notices)"
            )
        };
        // A mail with no notice yet, for the copies to point at.
        assert!(
            !refused(
                &app,
                "INSERT INTO outbox (kind, payload, created_at) VALUES ('mail', '{}', '2026-11-02T00:00:00Z')"
            )
            .await
        );
        let new_mail = "(SELECT MAX(id) FROM outbox)";
        assert!(
            refused(&app, &copy("987654", new_mail)).await,
            "a notice to a missing member is refused"
        );
        assert!(
            refused(&app, &copy("member_id", "987654")).await,
            "a notice of a missing mail is refused"
        );
        assert!(
            refused(
                &app,
                "INSERT INTO billing_notices (contract_id, kind, month, created_at) \
                 VALUES (987654, 'accumulation_cap', '2026-11', '2026-11-02T00:00:00Z')"
            )
            .await,
            "a billing notice of a missing contract is refused"
        );
        assert!(
            refused(&app, "UPDATE notices SET member_id = 987654").await,
            "a notice is not moved to a missing member"
        );
        assert!(
            refused(&app, "UPDATE billing_notices SET contract_id = 987654").await,
            "a billing notice is not moved to a missing contract"
        );
        for parent in ["users", "outbox"] {
            assert!(
                refused(&app, &format!("DELETE FROM {parent}")).await,
                "mailed {parent} rows are never deleted"
            );
        }
        assert!(
            refused(&app, "UPDATE outbox SET id = id + 1000").await,
            "a mail is never renumbered"
        );
        assert_eq!(
            count(&app, notices).await,
            notices_before,
            "nothing was added"
        );
        assert_eq!(
            count(&app, billing_notices).await,
            billing_notices_before,
            "nothing was added"
        );

        // The valid copy is accepted: the checks refuse only what is missing.
        assert!(!refused(&app, &copy("member_id", new_mail)).await);
        assert_eq!(count(&app, notices).await, notices_before + 1);
    }
}
