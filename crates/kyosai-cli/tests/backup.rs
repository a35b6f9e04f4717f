#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]
//! The restore drill (issue #16): `kyosai backup` while the database is being written (members
//! enrolling, billing runs posting to the ledger), `kyosai restore` into a new data directory,
//! `kyosai verify` passes there, and the restored ledger is byte for byte the source's ledger as
//! it was at the backup point. A damaged copy fails `verify`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kyosai_app::billing::RunOptions;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, App, Clock, Role};
use kyosai_domain::Program;
use kyosai_store::{Store, audit};

const START: &str = "2026-11-02T01:00:00Z";

fn kyosai(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kyosai"))
        .args(args)
        .env_remove("KYOSAI_DATABASE_URL")
        .env_remove("KYOSAI_DATA_DIR")
        .output()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn open(dir: &Path) -> Store {
    std::fs::create_dir_all(dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.join("kyosai.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    // The key `kyosai` uses for this data directory (created on first use, like the CLI does).
    store.with_audit_key(audit::AuditKey::load(&dir.join("audit.key"), true).unwrap())
}

/// Enrolls a new member in both programs.
async fn enroll(app: &App, n: usize) {
    let email = format!("member{n}@example.jp");
    let id = app
        .create_account(Role::Member, &email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    let m = Actor {
        user_id: id,
        role: Role::Member,
    };
    // A different person and business each time (the same person twice goes to review).
    let born = jiff::civil::date(1960, 1, 1) + jiff::Span::new().days(i64::try_from(n).unwrap());
    for program in ["small_enterprise", "safety_net"] {
        let mut form = sample_form(program);
        form.birth_date = Some(born.to_string());
        form.business_name = Some(format!("山田工務店{n}"));
        let r = app.submit_enrollment(&m, id, &form).await.unwrap();
        assert_eq!(r.status, kyosai_domain::ApplicationStatus::Completed);
    }
}

/// Every ledger row, every column, as text, by id.
async fn ledger(store: &Store) -> Vec<String> {
    let rows = sqlx::query(
        "SELECT id, contract_id, bill_line_id, month, kind, amount, months, result_code, reason, import_id, at \
         FROM billing_ledger ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            use kyosai_store::Row;
            format!(
                "{}|{}|{:?}|{}|{}|{}|{}|{:?}|{:?}|{:?}|{}",
                r.get::<i64, _>("id"),
                r.get::<i64, _>("contract_id"),
                r.get::<Option<i64>, _>("bill_line_id"),
                r.get::<String, _>("month"),
                r.get::<String, _>("kind"),
                r.get::<i64, _>("amount"),
                r.get::<i64, _>("months"),
                r.get::<Option<i64>, _>("result_code"),
                r.get::<Option<String>, _>("reason"),
                r.get::<Option<i64>, _>("import_id"),
                r.get::<String, _>("at"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_write_load_restores_and_verifies() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    let billing = source.join("billing");
    let store = open(&source).await;
    let app = App::new(
        store.clone(),
        Clock::Fixed(START.parse().unwrap()),
        "http://test",
    )
    .unwrap();
    for n in 0..40 {
        enroll(&app, n).await;
    }
    let opts = RunOptions {
        chunk_size: 3,
        ..RunOptions::default()
    };
    app.billing_run(
        "2026-11".parse().unwrap(),
        Some(Program::SmallEnterprise),
        &billing,
        &opts,
        &|_| {},
    )
    .await
    .unwrap();

    // Write load while the backup runs: members enrolling, and billing runs posting the ledger
    // in small chunks (one transaction each).
    let stop = Arc::new(AtomicBool::new(false));
    let enrolling = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 1000;
            while !stop.load(Ordering::Relaxed) {
                enroll(&app, n).await;
                n += 1;
            }
            n - 1000
        })
    };
    let billing_runs = {
        let (app, billing) = (app.clone(), billing.clone());
        tokio::spawn(async move {
            for (month, program) in [
                ("2026-11", Program::SafetyNet),
                ("2026-12", Program::SmallEnterprise),
                ("2026-12", Program::SafetyNet),
            ] {
                app.billing_run(
                    month.parse().unwrap(),
                    Some(program),
                    &billing,
                    &opts,
                    &|_| {},
                )
                .await
                .unwrap();
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let backup = work.path().join("kyosai-backup.db");
    let backup_arg = backup.to_str().unwrap().to_string();
    let source_arg = source.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        kyosai(&["backup", "--data-dir", &source_arg, "--out", &backup_arg])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    billing_runs.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let enrolled_during = enrolling.await.unwrap();
    assert!(enrolled_during > 0, "the load ran");

    // A backup never overwrites.
    let again = kyosai(&[
        "backup",
        "--data-dir",
        source.to_str().unwrap(),
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(!again.status.success());

    let restored = work.path().join("restored");
    let out = kyosai(&[
        "restore",
        backup.to_str().unwrap(),
        "--data-dir",
        restored.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // Never over existing data.
    let out = kyosai(&[
        "restore",
        backup.to_str().unwrap(),
        "--data-dir",
        source.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("already holds data"), "{}", text(&out));

    // The audit key is not in the backup (it lives outside the database): the operator gives
    // the source's key to the restored server.
    let source_key = source.join("audit.key");
    let out = kyosai(&[
        "verify",
        "--data-dir",
        restored.to_str().unwrap(),
        "--audit-key-file",
        source_key.to_str().unwrap(),
        "--billing-dir",
        billing.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("verification passed"), "{report}");
    assert!(!report.contains("0 of"), "files were checked: {report}");

    // The ledger at the backup point: a prefix of the source's (it is append-only), equal
    // row for row, column for column.
    let copy = open(&restored).await;
    let (theirs, ours) = (ledger(&copy).await, ledger(&store).await);
    assert!(!theirs.is_empty());
    assert!(theirs.len() <= ours.len());
    eprintln!(
        "restore drill: {} ledger rows at the backup point, {} after the load; {enrolled_during} members enrolled during it\n{report}",
        theirs.len(),
        ours.len()
    );
    assert_eq!(theirs[..], ours[..theirs.len()]);
    copy.close().await;

    // The source after the load verifies too.
    let out = kyosai(&["verify", "--data-dir", source.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));

    // A damaged copy does not: a bill line whose amount no longer matches its ledger entry.
    let copy = open(&restored).await;
    sqlx::query(
        "UPDATE bill_lines SET amount = amount + 1 WHERE id = (SELECT MIN(id) FROM bill_lines)",
    )
    .execute(copy.pool())
    .await
    .unwrap();
    copy.close().await;
    let out = kyosai(&[
        "verify",
        "--data-dir",
        restored.to_str().unwrap(),
        "--audit-key-file",
        source_key.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let report = text(&out);
    assert!(
        report.contains("FAIL ledger against bill lines"),
        "{report}"
    );
    assert!(report.contains("FAIL request file figures"), "{report}");
}
