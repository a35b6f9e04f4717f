//! Where a contract stands (`GET /api/v1/contracts/{number}`, issue #10) and the portal inbox:
//! a procedure's mail becomes the member's notice; changes decided for later months are listed
//! until their month comes.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

mod support;

use kyosai_app::contract_status::{ApiPaymentFrequency, ContractState, ScheduledChangeKind};
use kyosai_app::dev::demo::sample_form;
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::{Actor, AppError, Role};
use kyosai_domain::Procedure;
use support::{apps, month, on};

async fn exec(app: &kyosai_app::App, sql: &str) {
    let mut tx = app.store_for_tests().begin_write().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn scheduled_changes_pending_procedures_and_notices() {
    for (app, _d) in apps().await {
        let id = app
            .create_account(
                Role::Member,
                "k@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let member = Actor {
            user_id: id,
            role: Role::Member,
        };
        let other_id = app
            .create_account(
                Role::Member,
                "l@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let other = Actor {
            user_id: other_id,
            role: Role::Member,
        };
        // 2 November 2026: enrolled; 20 November: a new debit account from December.
        let number = app
            .submit_enrollment(&member, id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;
        let later = on(&app, "2026-11-20T03:00:00Z");
        let change = later
            .change_mandate(
                &member,
                &number,
                &MandateForm {
                    bank_code: Some("0009".into()),
                    branch_code: Some("001".into()),
                    account_type: Some("current".into()),
                    account_number: Some("7654321".into()),
                    account_holder_kana: Some("ヤマダ タロウ".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(change.plan.effective_month, month("2026-12"));

        // Each procedure's mail is a notice, newest first, unread until opened.
        let page = later.inbox_page(&member, 1).await.unwrap();
        assert_eq!((page.total, page.unread), (2, 2));
        assert!(page.notices[0].body.contains(&number));
        assert!(page.notices[0].id > page.notices[1].id);
        assert!(page.notices[0].reference.starts_with('M'));
        assert_eq!(later.inbox_page(&other, 1).await.unwrap().total, 0);
        let first = page.notices[1].id;
        assert!(matches!(
            later.read_notice(&other, first).await,
            Err(AppError::NotFound)
        ));
        assert!(
            later
                .read_notice(&member, first)
                .await
                .unwrap()
                .read_at
                .is_some()
        );
        assert_eq!(later.unread_notices(&member).await.unwrap(), 1);

        // A premium change from January and a suspension from February, as the procedures of
        // issue #10 record them, and the account change waiting for staff.
        exec(&app, &format!(
            "INSERT INTO premium_changes (contract_id, effective_month, monthly_premium, created_at) \
             SELECT id, '2027-01', 35000, '2026-11-20T03:00:00Z' FROM contracts WHERE number = '{number}'"
        ))
        .await;
        exec(
            &app,
            &format!("UPDATE contracts SET suspended_from = '2027-02' WHERE number = '{number}'"),
        )
        .await;
        exec(&app, "UPDATE applications SET status = 'in_review', completed_at = NULL WHERE procedure = 'mandate_change'").await;

        let s = later.contract_standing(&member, &number).await.unwrap();
        assert_eq!(s.status, ContractState::Active);
        assert_eq!(s.payment_frequency, ApiPaymentFrequency::Monthly);
        assert_eq!(s.monthly_premium_yen, 30_000);
        let kinds: Vec<_> = s
            .scheduled_changes
            .iter()
            .map(|c| (c.kind, c.effective_month.to_string()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ScheduledChangeKind::MandateChange, "2026-12".to_string()),
                (ScheduledChangeKind::PremiumChange, "2027-01".to_string()),
                (ScheduledChangeKind::Suspension, "2027-02".to_string()),
            ]
        );
        assert_eq!(s.scheduled_changes[1].monthly_premium_yen, Some(35_000));
        assert_eq!(s.pending.len(), 1);
        assert_eq!(s.pending[0].procedure, Procedure::MandateChange);
        assert!(matches!(
            later.contract_standing(&other, &number).await,
            Err(AppError::NotFound)
        ));

        // February 2027: the changes are in force, the contract is suspended (掛止め).
        let feb = on(&app, "2027-02-05T03:00:00Z");
        let s = feb.contract_standing(&member, &number).await.unwrap();
        assert_eq!(s.status, ContractState::Suspended);
        assert_eq!(s.monthly_premium_yen, 35_000);
        assert!(s.scheduled_changes.is_empty());
    }
}
