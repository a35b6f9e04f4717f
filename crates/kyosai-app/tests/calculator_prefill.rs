//! The calculators' pre-fill of a member's own contract: months and yen paid follow the premium
//! ledger (collected debits), not premium × months since the first debit. Every backend available.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::bank_simulator::simulate_bank;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, App, Role};
use kyosai_domain::{Program, UserId};
use kyosai_zengin::debit::ResultCode;

mod support;

use support::{apps, month, no_progress, on, out_dir};

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

/// Bills `ym` at `app`'s moment and imports the bank's answer: every line collected, or every
/// line failed for lack of funds (the account stays usable).
async fn bill_and_answer(app: &App, ym: &str, collected: bool) {
    let out = out_dir(ym);
    app.billing_run(month(ym), None, &out, &opts(), &no_progress)
        .await
        .unwrap();
    let (name, bytes) = request_file(&out);
    let fail_rate = if collected { 0.0 } else { 1.0 };
    let answer = simulate_bank(
        &bytes,
        fail_rate,
        &[(ResultCode::InsufficientFunds, 1.0)],
        1,
    )
    .unwrap();
    app.import_result_file(&name, &answer, "test")
        .await
        .unwrap();
}

#[tokio::test]
async fn total_paid_follows_the_ledger_not_premium_times_months() {
    for (app, _d) in apps().await {
        let id = app
            .create_account(
                Role::Member,
                "m@example.jp",
                "",
                Some("test passphrase 123"),
            )
            .await
            .unwrap();
        let member = Actor {
            user_id: id,
            role: Role::Member,
        };
        // 30,000 yen a month, first debit in November 2026.
        let number = app
            .submit_enrollment(&member, id, &sample_form("small_enterprise"))
            .await
            .unwrap()
            .contract
            .unwrap()
            .number;

        // Before any debit: nothing paid yet.
        let before = app
            .calculator_prefill(&member, Program::SmallEnterprise)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(before.number, number);
        assert_eq!(before.monthly_premium_yen, 30_000);
        assert_eq!((before.months_paid, before.total_paid_yen), (0, 0));
        assert_eq!(before.first_debit_month, Some(month("2026-11")));

        // November collected, December failed (insufficient funds).
        bill_and_answer(&app, "2026-11", true).await;
        let december = on(&app, "2026-12-02T01:00:00Z");
        bill_and_answer(&december, "2026-12", false).await;

        // After December's debit date two months were due, but only one was paid.
        let after = on(&app, "2026-12-25T01:00:00Z")
            .calculator_prefill(&member, Program::SmallEnterprise)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.months_paid, 1);
        assert_eq!(after.total_paid_yen, 30_000);
        assert!(after.total_paid_yen < after.monthly_premium_yen * 2);

        // Nothing for another program, for staff, or for another member.
        assert!(
            app.calculator_prefill(&member, Program::SafetyNet)
                .await
                .unwrap()
                .is_none()
        );
        let staff = Actor {
            user_id: id,
            role: Role::Staff,
        };
        assert!(
            app.calculator_prefill(&staff, Program::SmallEnterprise)
                .await
                .unwrap()
                .is_none()
        );
        let other = Actor {
            user_id: UserId::new(id.get() + 1_000),
            role: Role::Member,
        };
        assert!(
            app.calculator_prefill(&other, Program::SmallEnterprise)
                .await
                .unwrap()
                .is_none()
        );
    }
}
