//! Billing runs, request files, kill-and-resume, result imports and reconciliation, on every
//! backend available (SQLite always, PostgreSQL when KYOSAI_TEST_POSTGRES_URL is set).

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use std::path::Path;

use kyosai_app::billing::{ImportError, RunOptions};
use kyosai_app::dev::bank_simulator::{SIMULATED_FAILURE_MIX, simulate_bank};
use kyosai_app::dev::demo::sample_form;
use kyosai_app::{Actor, App, AppError, Clock, Role};
use kyosai_domain::{Program, UserId, YearMonth};
use kyosai_store::testing;
use kyosai_zengin::debit::{Expectation, ResultCode, parse_file};

mod support;

use support::{apps, count, no_progress, out_dir};

fn clock() -> Clock {
    support::at(support::START)
}

fn nov() -> YearMonth {
    support::month("2026-11")
}

/// Two fresh databases of the same backend, for comparing an interrupted run with a clean one.
async fn app_pairs() -> Vec<(App, App, Vec<testing::TempDir>)> {
    let mut out = Vec::new();
    let (a, da) = testing::sqlite().await.unwrap();
    let (b, db) = testing::sqlite().await.unwrap();
    out.push((
        App::new(a, clock(), "http://test").unwrap(),
        App::new(b, clock(), "http://test").unwrap(),
        vec![da, db],
    ));
    if let (Some(a), Some(b)) = (
        testing::postgres().await.unwrap(),
        testing::postgres().await.unwrap(),
    ) {
        out.push((
            App::new(a, clock(), "http://test").unwrap(),
            App::new(b, clock(), "http://test").unwrap(),
            vec![],
        ));
    }
    out
}

fn opts(owner: &str) -> RunOptions {
    RunOptions {
        chunk_size: 40,
        owner: owner.into(),
        lease_seconds: 60,
        ..RunOptions::default()
    }
}

/// Every file in a directory, sorted by name, with its bytes.
fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
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
    v.sort();
    v
}

/// The ledger as comparable rows (ids and timestamps excluded).
async fn ledger(app: &App) -> Vec<String> {
    let mut c = app.store_for_tests().read().await.unwrap();
    let rows = sqlx::query(
        "SELECT contract_id, bill_line_id, month, kind, amount, months, result_code FROM billing_ledger \
         ORDER BY contract_id, kind, bill_line_id",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            use kyosai_store::Row;
            format!(
                "{}|{:?}|{}|{}|{}|{}|{:?}",
                r.try_get::<i64, _>("contract_id").unwrap(),
                r.try_get::<Option<i64>, _>("bill_line_id").unwrap(),
                r.try_get::<String, _>("month").unwrap(),
                r.try_get::<String, _>("kind").unwrap(),
                r.try_get::<i64, _>("amount").unwrap(),
                r.try_get::<i64, _>("months").unwrap(),
                r.try_get::<Option<i64>, _>("result_code").unwrap(),
            )
        })
        .collect()
}

async fn book(app: &App, n: u64) {
    app.generate_book(n, 42, nov(), &|_| {}).await.unwrap();
}

#[tokio::test]
async fn run_bills_each_contract_once_and_files_are_deterministic() {
    for (app, _d) in apps().await {
        book(&app, 300).await;
        let out = out_dir("det");
        let s = app
            .billing_run(nov(), None, &out, &opts("a"), &no_progress)
            .await
            .unwrap();
        assert_eq!(s.len(), 2);
        let files = files_in(&out);
        assert_eq!(files.len(), 2, "one file per program's originator");
        for (name, bytes) in &files {
            let f = parse_file(bytes, Expectation::Request).unwrap();
            let summary = s
                .iter()
                .find(|r| r.files.iter().any(|w| &w.name == name))
                .unwrap();
            assert_eq!(f.records().len() as i64, summary.lines);
            assert_eq!(f.trailer().total_amount, summary.total_yen);
        }
        let lines = count(&app, "SELECT COUNT(*) AS n FROM bill_lines").await;
        let skipped: i64 = s.iter().flat_map(|r| r.skipped.values()).sum();
        assert_eq!(
            lines + skipped,
            300,
            "every contract billed or skipped with a reason"
        );
        assert!(s[1].skipped.contains_key("suspended") || s[0].skipped.contains_key("prepaid"));
        // A second run bills nobody again and rewrites identical files.
        let out2 = out_dir("det2");
        let again = app
            .billing_run(nov(), None, &out2, &opts("b"), &no_progress)
            .await
            .unwrap();
        assert!(again.iter().all(|r| r.already_completed));
        assert_eq!(files_in(&out2), files);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM bill_lines").await,
            lines
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM billing_ledger WHERE kind = 'billed'"
            )
            .await,
            lines
        );
    }
}

#[tokio::test]
async fn ledger_is_append_only() {
    for (app, _d) in apps().await {
        book(&app, 20).await;
        let mut c = app.store_for_tests().read().await.unwrap();
        assert!(
            sqlx::query("UPDATE billing_ledger SET amount = 0")
                .execute(&mut *c)
                .await
                .is_err()
        );
        assert!(
            sqlx::query("DELETE FROM billing_ledger")
                .execute(&mut *c)
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn a_second_instance_is_locked_out_while_the_lease_is_valid() {
    for (app, _d) in apps().await {
        book(&app, 100).await;
        let mut crash = opts("first");
        crash.crash_after_chunks = Some(1);
        assert!(
            app.billing_run(
                nov(),
                Some(Program::SmallEnterprise),
                &out_dir("l1"),
                &crash,
                &no_progress
            )
            .await
            .is_err()
        );
        let err = app
            .billing_run(
                nov(),
                Some(Program::SmallEnterprise),
                &out_dir("l2"),
                &opts("second"),
                &no_progress,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AppError::Conflict {
                    code: "billing_locked",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn killed_runs_resume_to_the_same_files_and_ledger() {
    for (clean, _, _d) in app_pairs().await {
        book(&clean, 250).await;
        let clean_out = out_dir("clean");
        clean
            .billing_run(nov(), None, &clean_out, &opts("clean"), &no_progress)
            .await
            .unwrap();
        let want_files = files_in(&clean_out);
        let want_ledger = ledger(&clean).await;
        // Crash points: after chunk k of the first program, before files, after the first file.
        let mut points: Vec<RunOptions> = Vec::new();
        for k in [1, 2, 4, 5] {
            let mut o = opts("crashing");
            o.crash_after_chunks = Some(k);
            points.push(o);
        }
        let mut o = opts("crashing");
        o.crash_before_files = true;
        points.push(o);
        let mut o = opts("crashing");
        o.crash_after_files = Some(1);
        points.push(o);
        for (i, crash) in points.into_iter().enumerate() {
            let (store, dir) =
                if clean.store_for_tests().backend() == kyosai_store::Backend::Postgres {
                    (testing::postgres().await.unwrap().unwrap(), None)
                } else {
                    let (s, d) = testing::sqlite().await.unwrap();
                    (s, Some(d))
                };
            let app = App::new(store, clock(), "http://test").unwrap();
            book(&app, 250).await;
            let out = out_dir(&format!("crash{i}"));
            let first = app
                .billing_run(nov(), None, &out, &crash, &no_progress)
                .await;
            assert!(first.is_err(), "crash point {i} must interrupt the run");
            // Another instance resumes once the crashed one's lease has expired.
            let mut resume = opts(&format!("resumer{i}"));
            resume.lease_seconds = 60;
            // Renew the crashed owner's lease into the past (what time does to a dead process).
            {
                let mut tx = app.store_for_tests().begin_write().await.unwrap();
                sqlx::query("UPDATE billing_runs SET lock_until = '2000-01-01T00:00:00Z' WHERE lock_owner IS NOT NULL")
                    .execute(tx.conn())
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
            app.billing_run(nov(), None, &out, &resume, &no_progress)
                .await
                .unwrap();
            assert_eq!(files_in(&out), want_files, "files after crash point {i}");
            assert_eq!(
                ledger(&app).await,
                want_ledger,
                "ledger after crash point {i}"
            );
            drop(dir);
        }
    }
}

#[tokio::test]
async fn results_are_posted_reconciled_and_refused_when_bad() {
    for (app, _d) in apps().await {
        book(&app, 400).await;
        let out = out_dir("imp");
        app.billing_run(nov(), None, &out, &opts("a"), &no_progress)
            .await
            .unwrap();
        let files = files_in(&out);
        let results: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(n, b)| {
                (
                    format!("{n}.result"),
                    simulate_bank(b, 0.2, &SIMULATED_FAILURE_MIX, 7).unwrap(),
                )
            })
            .collect();
        let before = ledger(&app).await.len();

        // Bad files are refused whole, naming the problem and its record; nothing is posted.
        let good = &results[0].1;
        let mut short = good.clone();
        short.truncate(good.len() - 5);
        let mut bad_type = good.clone();
        bad_type[122] = b'7';
        let mut bad_char = good.clone();
        bad_char[122 + 60] = b'a';
        let mut bad_total = good.clone();
        let t = good.len() - 2 * 122;
        bad_total[t + 10] = if bad_total[t + 10] == b'9' {
            b'8'
        } else {
            b'9'
        };
        let mut unmatched = good.clone();
        // Customer number (columns 92–111) of the first data record → a bill that does not exist.
        unmatched[122 + 91..122 + 111].copy_from_slice(b"00000000000099999999");
        let request = files[0].1.clone();
        for (name, bytes, code) in [
            ("short", &short, "record_length"),
            ("type", &bad_type, "record_type"),
            ("char", &bad_char, "character"),
            ("total", &bad_total, "trailer_total"),
            ("unmatched", &unmatched, "unmatched"),
            ("request", &request, "trailer_total"),
        ] {
            match app.import_result_file(name, bytes, "test").await {
                Err(ImportError::Refused(r)) => {
                    assert!(
                        r.problems.iter().any(|p| p.code == code),
                        "{name}: expected {code}, got {r}"
                    );
                    assert!(r.problems.iter().all(|p| p.record > 0 || p.code == "empty"));
                }
                other => panic!("{name}: expected refusal, got {other:?}"),
            }
        }
        assert_eq!(
            ledger(&app).await.len(),
            before,
            "nothing posted from bad files"
        );

        let mut collected = 0;
        let mut failed = 0;
        let mut unusable = 0;
        let mut notices = 0;
        for (name, bytes) in &results {
            let o = app.import_result_file(name, bytes, "test").await.unwrap();
            assert!(o.reconciliation.balances(), "{:?}", o.reconciliation);
            let f = parse_file(bytes, Expectation::Result).unwrap();
            assert_eq!(o.reconciliation.billed.yen, f.trailer().total_amount);
            assert_eq!(o.reconciliation.collected.yen, f.trailer().collected_amount);
            assert_eq!(o.reconciliation.failed.yen, f.trailer().failed_amount);
            collected += o.reconciliation.collected.count;
            failed += o.reconciliation.failed.count;
            unusable += o.mandates_unusable;
            let expected_unusable = f
                .records()
                .iter()
                .filter(|r| {
                    matches!(
                        r.result_code,
                        Some(
                            ResultCode::NoAccount
                                | ResultCode::StoppedByDepositor
                                | ResultCode::NoMandate
                        )
                    )
                })
                .count() as i64;
            assert_eq!(o.mandates_unusable, expected_unusable);
            // Every other failure gets a 掛金請求のお知らせ (one mail per failed record).
            assert_eq!(
                o.arrears_notices as i64,
                o.reconciliation.failed.count - expected_unusable
            );
            notices += o.arrears_notices as i64;
        }
        assert!(failed > 0 && collected > 0);
        assert!(notices > 0);
        // Renewed cycle: November's unpaid premium is debited again on 18 December (小規模) or
        // 28 December (倒産防止: the 27th is a Sunday).
        let mut conn = app.store_for_tests().read().await.unwrap();
        let mails: Vec<kyosai_app::mail::Mail> = kyosai_store::outbox::pending(&mut conn, 100_000)
            .await
            .unwrap()
            .iter()
            .filter_map(|i| serde_json::from_str(&i.payload).ok())
            .filter(|m: &kyosai_app::mail::Mail| {
                m.subject
                    .contains("2026年11月分の掛金の口座振替ができませんでした")
            })
            .collect();
        drop(conn);
        assert_eq!(mails.len() as i64, notices);
        assert!(
            mails.iter().all(|m| {
                m.body.contains("2026年12月18日の引落し（2026年12月分）")
                    || m.body.contains("2026年12月28日の引落し（2026年12月分）")
            }),
            "{:?}",
            mails.first()
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM mandates WHERE status = 'unusable'"
            )
            .await,
            unusable
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%新しい口座%'"
            )
            .await,
            unusable
        );
        // Already imported: refused by digest.
        match app.import_result_file("again", &results[0].1, "test").await {
            Err(ImportError::Refused(r)) => assert_eq!(r.problems[0].code, "already_imported"),
            other => panic!("expected refusal, got {other:?}"),
        }
        // The month report balances to the yen.
        let report = app.billing_report(nov()).await.unwrap();
        for (_, rec, _) in &report {
            assert!(rec.balances());
            assert_eq!(rec.unmatched.count, 0);
        }

        // December re-bills November's insufficient-funds failures (renewed cycle) with December.
        let dec: YearMonth = "2026-12".parse().unwrap();
        let out_dec = out_dir("dec");
        app.billing_run(dec, None, &out_dec, &opts("a"), &no_progress)
            .await
            .unwrap();
        let rebilled = count(
            &app,
            "SELECT COUNT(*) AS n FROM bill_lines WHERE month = '2026-12' AND arrears_months > 0 AND withheld = 0",
        )
        .await;
        let code1 = count(
            &app,
            "SELECT COUNT(*) AS n FROM billing_ledger WHERE kind = 'failed' AND result_code IN (1, 8, 9)",
        )
        .await;
        assert!(code1 > 0);
        assert!(
            rebilled > 0 && rebilled <= code1,
            "{rebilled} re-billed of {code1}"
        );
        // Contracts whose mandate became unusable are exceptions, not silently skipped.
        let exceptions = count(
            &app,
            "SELECT COUNT(*) AS n FROM billing_exceptions WHERE reason = 'no_usable_mandate'",
        )
        .await;
        assert!(exceptions > 0 || unusable == 0);
        // Their months are not forgotten: a withheld line each (not in the file), failed at
        // once with code 4, carrying November as arrears.
        let withheld = count(
            &app,
            "SELECT COUNT(*) AS n FROM bill_lines b JOIN billing_ledger l ON l.bill_line_id = b.id \
             AND l.kind = 'failed' AND l.result_code = 4 AND l.reason = 'no_usable_mandate' \
             WHERE b.month = '2026-12' AND b.withheld = 1 AND b.arrears_months > 0",
        )
        .await;
        assert_eq!(withheld, exceptions);
        let in_files: i64 = files_in(&out_dec)
            .iter()
            .map(|(_, bytes)| {
                parse_file(bytes, Expectation::Request)
                    .unwrap()
                    .records()
                    .len() as i64
            })
            .sum();
        assert_eq!(
            in_files,
            count(
                &app,
                "SELECT COUNT(*) AS n FROM bill_lines WHERE month = '2026-12' AND withheld = 0"
            )
            .await
        );
    }
}

#[tokio::test]
async fn member_sees_each_month_and_what_happens_next() {
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
        let r = app
            .submit_enrollment(&member, id, &sample_form("small_enterprise"))
            .await
            .unwrap();
        let number = r.contract.unwrap().number;
        let out = out_dir("portal");
        app.billing_run(nov(), None, &out, &opts("a"), &no_progress)
            .await
            .unwrap();
        let (name, bytes) = files_in(&out)
            .into_iter()
            .find(|(n, _)| n.contains("small_enterprise"))
            .unwrap();
        let v = app.contract_billing(&member, &number).await.unwrap();
        assert_eq!(v.months.len(), 1);
        assert_eq!(v.months[0].status, "pending");
        assert_eq!(v.months[0].debit_date, "2026-11-18");
        let result =
            simulate_bank(&bytes, 1.0, &[(ResultCode::InsufficientFunds, 1.0)], 1).unwrap();
        app.import_result_file(&name, &result, "test")
            .await
            .unwrap();
        let v = app.contract_billing(&member, &number).await.unwrap();
        assert_eq!(v.months[0].status, "failed");
        assert!(
            v.months[0].explanation.contains("残高不足"),
            "{}",
            v.months[0].explanation
        );
        assert!(
            v.months[0].explanation.contains("2026年12月18日"),
            "{}",
            v.months[0].explanation
        );
        let next = v.next_debit.unwrap();
        assert_eq!(
            next.amount_yen, 60_000,
            "November's premium again plus December's"
        );
        assert_eq!(v.unpaid_yen, 30_000);
        // Someone else's contract is not found.
        let other = Actor {
            user_id: UserId::new(id.get() + 1000),
            role: Role::Member,
        };
        assert!(matches!(
            app.contract_billing(&other, &number).await,
            Err(AppError::NotFound)
        ));
    }
}

#[tokio::test]
async fn golden_request_file_for_a_small_book() {
    let (store, _d) = testing::sqlite().await.unwrap();
    let app = App::new(store, clock(), "http://test").unwrap();
    app.seed_demo().await.unwrap();
    let out = out_dir("golden");
    app.billing_run(nov(), None, &out, &opts("a"), &no_progress)
        .await
        .unwrap();
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for (name, bytes) in files_in(&out) {
        let path = golden_dir.join(&name);
        if std::env::var("KYOSAI_UPDATE_GOLDEN").is_ok() {
            std::fs::create_dir_all(&golden_dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let want = std::fs::read(&path).unwrap_or_else(|_| panic!("missing golden file {name}"));
        assert_eq!(bytes, want, "{name} differs from the golden file");
    }
}

/// Two server instances (separate pools over one database) start the same month at once: one
/// takes the lease, the other is refused with `billing_locked` or finds the month completed;
/// every contract is billed once and the files equal a single instance's.
#[tokio::test]
async fn two_instances_racing_bill_a_month_once() {
    for (first, second, _d) in testing::instance_pairs().await.unwrap() {
        let a = App::new(first, clock(), "http://test").unwrap();
        let b = App::new(second, clock(), "http://test").unwrap();
        book(&a, 400).await;
        let (out_a, out_b) = (out_dir("race-a"), out_dir("race-b"));
        let (opts_a, opts_b) = (opts("instance-a"), opts("instance-b"));
        let (ra, rb) = tokio::join!(
            a.billing_run(nov(), None, &out_a, &opts_a, &no_progress),
            b.billing_run(nov(), None, &out_b, &opts_b, &no_progress),
        );
        for r in [&ra, &rb] {
            if let Err(e) = r {
                assert!(
                    matches!(
                        e,
                        AppError::Conflict {
                            code: "billing_locked",
                            ..
                        }
                    ),
                    "{e:?}"
                );
            }
        }
        assert!(ra.is_ok() || rb.is_ok(), "one instance bills the month");
        // Whoever was locked out runs again later and finds the month done.
        let out_again = out_dir("race-again");
        let again = b
            .billing_run(nov(), None, &out_again, &opts("instance-b"), &no_progress)
            .await
            .unwrap();
        assert!(again.iter().all(|r| r.already_completed));
        let lines = count(&a, "SELECT COUNT(*) AS n FROM bill_lines").await;
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(DISTINCT contract_id) AS n FROM bill_lines"
            )
            .await,
            lines
        );
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(*) AS n FROM billing_ledger WHERE kind = 'billed'"
            )
            .await,
            lines
        );
        // The same book billed by one instance alone gives the same files.
        let (solo, _solo_dir) = testing::sqlite().await.unwrap();
        let solo = App::new(solo, clock(), "http://test").unwrap();
        book(&solo, 400).await;
        let out_solo = out_dir("race-solo");
        solo.billing_run(nov(), None, &out_solo, &opts("solo"), &no_progress)
            .await
            .unwrap();
        assert_eq!(files_in(&out_again), files_in(&out_solo));
    }
}

#[tokio::test]
async fn the_server_schedule_bills_the_month_on_its_delivery_day_once_and_stops_on_shutdown() {
    use kyosai_app::billing::scheduler::ScheduleConfig;
    use std::time::Duration;
    for (store, dir) in testing::all().await.unwrap() {
        // 2026-11-11 10:00 JST: 小規模's delivery day for the 18 November debit; 倒産防止's is the 19th.
        let at = Clock::Fixed("2026-11-11T01:00:00Z".parse().unwrap());
        let app = App::new(store, at, "http://test").unwrap();
        book(&app, 120).await;
        let out = out_dir("sched");
        let cfg = ScheduleConfig {
            out_dir: out.clone(),
            every: Duration::from_millis(20),
            run: opts("scheduler-a"),
        };
        // A second instance checking at the same time must not bill the month again.
        let out_b = out_dir("sched-b");
        let (stop, rx) = tokio::sync::watch::channel(false);
        let a = tokio::spawn({
            let (app, cfg, rx) = (app.clone(), cfg.clone(), rx.clone());
            async move { app.billing_schedule_forever(cfg, rx).await }
        });
        let b = tokio::spawn({
            let app = app.clone();
            let cfg = ScheduleConfig {
                run: opts("scheduler-b"),
                out_dir: out_b.clone(),
                ..cfg.clone()
            };
            async move { app.billing_schedule_forever(cfg, rx).await }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while count(
            &app,
            "SELECT COUNT(*) AS n FROM billing_runs WHERE status = 'completed'",
        )
        .await
            < 1
        {
            assert!(std::time::Instant::now() < deadline, "no scheduled run");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let both instances check a few more times: nothing more is due today.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(app.billing_schedule_tick(&cfg).await.unwrap(), vec![]);
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(30), a)
            .await
            .expect("stops on shutdown")
            .unwrap();
        tokio::time::timeout(Duration::from_secs(30), b)
            .await
            .expect("stops on shutdown")
            .unwrap();
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM billing_runs").await,
            1,
            "only 小規模 is due on 11 November"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM billing_runs WHERE program = 'small_enterprise' AND month = '2026-11'"
            )
            .await,
            1
        );
        let lines = count(&app, "SELECT COUNT(*) AS n FROM bill_lines").await;
        assert!(lines > 0);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM billing_ledger WHERE kind = 'billed'"
            )
            .await,
            lines,
            "each line billed once"
        );
        // The files the schedule wrote are the ones recorded.
        let report = app.billing_report(nov()).await.unwrap();
        let (_, _, recorded) = &report[0];
        let written: Vec<(String, Vec<u8>)> =
            files_in(&out).into_iter().chain(files_in(&out_b)).collect();
        for f in recorded {
            let (_, bytes) = written.iter().find(|(n, _)| n == &f.name).unwrap();
            assert_eq!(kyosai_store::sha256_hex(bytes), f.sha256);
        }
        drop(dir);
    }
}
