//! Issue #15 item 7: bank files. A result file must answer the run it claims to (originator code
//! and debit date in its header); the loser of two concurrent imports gets `already_posted`; a
//! request file already written is never replaced by a rebuild with other bytes.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::path::Path;

use kyosai_app::billing::{ImportError, RunOptions};
use kyosai_app::dev::bank_simulator::{SIMULATED_FAILURE_MIX, simulate_bank};
use kyosai_app::{App, AppError};
use kyosai_domain::YearMonth;

mod support;

use support::{apps, no_progress, out_dir};

fn nov() -> YearMonth {
    support::month("2026-11")
}

fn opts() -> RunOptions {
    RunOptions {
        chunk_size: 40,
        owner: "test".into(),
        lease_seconds: 60,
        ..RunOptions::default()
    }
}

/// The request files of a fresh run over a small book, by name.
async fn billed(app: &App, tag: &str) -> (std::path::PathBuf, Vec<(String, Vec<u8>)>) {
    app.generate_book(60, 42, nov(), &|_| {}).await.unwrap();
    let out = out_dir(tag);
    app.billing_run(nov(), None, &out, &opts(), &no_progress)
        .await
        .unwrap();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    (out, files)
}

fn refusal_codes(r: Result<kyosai_app::billing::ImportOutcome, ImportError>) -> Vec<String> {
    match r {
        Err(ImportError::Refused(r)) => r.problems.into_iter().map(|p| p.code).collect(),
        Err(ImportError::App(e)) => panic!("an application error, not a refusal: {e:?}"),
        Ok(_) => panic!("imported"),
    }
}

#[tokio::test]
async fn a_result_file_must_answer_its_run() {
    for (app, _d) in apps().await {
        let (_, files) = billed(&app, "answer").await;
        let result = simulate_bank(&files[0].1, 0.2, &SIMULATED_FAILURE_MIX, 7).unwrap();
        // The header's 委託者コード is bytes 5–14, its 引落日 (MMDD) bytes 55–58.
        let mut other_originator = result.clone();
        other_originator[4..14].copy_from_slice(b"9999999999");
        let codes = refusal_codes(
            app.import_result_file("other.result", &other_originator, "test")
                .await,
        );
        assert_eq!(codes, ["originator_mismatch"]);
        let mut other_date = result.clone();
        let day = if &other_date[56..58] == b"01" {
            b"02"
        } else {
            b"01"
        };
        other_date[56..58].copy_from_slice(day);
        let codes = refusal_codes(
            app.import_result_file("date.result", &other_date, "test")
                .await,
        );
        assert_eq!(codes, ["debit_date_mismatch"]);
        app.import_result_file("right.result", &result, "test")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_loser_of_two_concurrent_imports_is_told_already_posted() {
    for (app, _d) in apps().await {
        let (_, files) = billed(&app, "race").await;
        // Two different answers (another seed) to the same lines.
        let a = simulate_bank(&files[0].1, 0.2, &SIMULATED_FAILURE_MIX, 7).unwrap();
        let b = simulate_bank(&files[0].1, 0.2, &SIMULATED_FAILURE_MIX, 8).unwrap();
        assert_ne!(a, b);
        let (ra, rb) = tokio::join!(
            app.import_result_file("a.result", &a, "test"),
            app.import_result_file("b.result", &b, "test")
        );
        let (won, lost) = match (ra, rb) {
            (Ok(w), l @ Err(_)) | (l @ Err(_), Ok(w)) => (w, l),
            (ra, rb) => panic!("one import wins: {:?} / {:?}", ra.is_ok(), rb.is_ok()),
        };
        assert!(won.reconciliation.billed.count > 0);
        let codes = refusal_codes(lost);
        assert!(!codes.is_empty());
        assert!(codes.iter().all(|c| c == "already_posted"), "{codes:?}");
    }
}

#[tokio::test]
async fn a_written_request_file_is_never_replaced_by_a_different_rebuild() {
    for (app, _d) in apps().await {
        let (out, files) = billed(&app, "rebuild").await;
        // A bill line changed behind the run's back, then the run is started again: its files
        // are rebuilt and no longer match what was written (and perhaps delivered).
        {
            let mut tx = app.store_for_tests().begin_write().await.unwrap();
            sqlx::query("UPDATE bill_lines SET holder_kana = 'ﾍﾝｺｳ ｻﾚﾀ'")
                .execute(tx.conn())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let e = app
            .billing_run(nov(), None, &out, &opts(), &no_progress)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Conflict {
                    code: "request_file_differs",
                    ..
                }
            ),
            "{e:?}"
        );
        for (name, bytes) in &files {
            assert_eq!(
                &std::fs::read(Path::new(&out).join(name)).unwrap(),
                bytes,
                "{name} was replaced"
            );
        }
    }
}
