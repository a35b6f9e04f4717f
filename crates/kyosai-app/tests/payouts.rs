//! Payout runs (issue #11 item 4): scheduled payouts paid by Zengin 総合振込 (種別 21) files on
//! bank business days, once, deterministically, surviving a crash before the commit; every
//! file checked by an independent reader written here from the published layout, and every
//! run's total equal to the ledger entries it posted. On every backend available.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap"
)]

use jiff::civil::Date;
use kyosai_app::billing::ImportError;
use kyosai_app::dev::demo::sample_form;
use kyosai_app::mandate_change::MandateForm;
use kyosai_app::payouts::PayoutRunOptions;
use kyosai_app::{Actor, App, AppError, Role};
use kyosai_domain::payout::PayoutKind;
use kyosai_domain::{ContractId, PayoutId, Yen};
use kyosai_store::Row;
use kyosai_store::payouts::{self, NewPayout, PayeeAccount};

mod support;

use support::{apps, count, on, out_dir};

/// A member with a contract in `program`; returns (contract number, contract id).
async fn contract(app: &App, email: &str, program: &str, person: &str) -> (String, ContractId) {
    let (_, number, id) = member_contract(app, email, program, person).await;
    (number, id)
}

/// A member with a contract in `program` (debit account 0001-001 ヤマダ タロウ unless `person`
/// is given); returns (member, contract number, contract id).
async fn member_contract(
    app: &App,
    email: &str,
    program: &str,
    person: &str,
) -> (Actor, String, ContractId) {
    let id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .unwrap();
    let member = Actor {
        user_id: id,
        role: Role::Member,
    };
    let mut form = sample_form(program);
    if !person.is_empty() {
        form.given_name_kana = Some(person.to_string());
        form.account_holder_kana = Some(format!("ヤマダ {person}"));
        form.birth_date = Some("1980-02-02".into());
    }
    let number = app
        .submit_enrollment(&member, id, &form)
        .await
        .unwrap()
        .contract
        .unwrap()
        .number;
    let cid = ContractId::new(
        count(
            app,
            &format!("SELECT id AS n FROM contracts WHERE number = '{number}'"),
        )
        .await,
    );
    (member, number, cid)
}

fn account(number: &str) -> PayeeAccount {
    PayeeAccount {
        bank_code: "0005".into(),
        branch_code: "123".into(),
        account_type: "ordinary".into(),
        account_number: number.into(),
        holder_kana: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
    }
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// Schedules a payout as a decision would; returns its id.
async fn schedule(
    app: &App,
    contract_id: ContractId,
    due: &str,
    yen: i64,
    source: &str,
) -> PayoutId {
    let mut tx = app.store_for_tests().begin_write().await.unwrap();
    let id = payouts::schedule(
        tx.conn(),
        &NewPayout {
            contract_id,
            application_id: None,
            kind: PayoutKind::CancellationRefund,
            due_date: date(due),
            amount: Yen::new(yen),
            account: &account("1234567"),
            source,
            seq: 1,
        },
        "2026-11-02T10:00:00+09:00",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// What the independent reader found in one file: the transfer date (MMDD) and, per data
/// record, the payout id (顧客コード1) and the amount.
#[derive(Debug, PartialEq, Eq)]
struct Checked {
    mmdd: String,
    /// (payout id from 顧客コード1, amount) of each record.
    records: Vec<(PayoutId, i64)>,
}

/// Bytes a Zengin text field may hold (JIS X 0201: digits, capitals, half-width katakana and
/// the few symbols the standard admits, space).
fn zengin_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'A'..=b'Z' | b' ' | b'(' | b')' | b'-' | b'.' | b'/' | b',' | b'\\')
        || (0xA2..=0xA3).contains(&b)
        || (0xA6..=0xDF).contains(&b)
}

fn digits(f: &[u8]) -> i64 {
    assert!(f.iter().all(u8::is_ascii_digit), "not digits: {f:?}");
    std::str::from_utf8(f).unwrap().parse().unwrap()
}

/// Reads a 総合振込 file by the published layout, independently of the writer: records of
/// 120 bytes with CR+LF, header → data → trailer → end, allowed bytes only, trailer totals
/// equal to the data.
fn check_type21(bytes: &[u8]) -> Checked {
    assert_eq!(bytes.len() % 122, 0, "120-byte records with CR+LF");
    let recs: Vec<&[u8]> = bytes
        .chunks(122)
        .map(|r| {
            assert_eq!(&r[120..], b"\r\n");
            assert!(r[..120].iter().all(|&b| zengin_byte(b)), "{r:?}");
            &r[..120]
        })
        .collect();
    let (h, rest) = recs.split_first().unwrap();
    let (end, rest) = rest.split_last().unwrap();
    let (trailer, data) = rest.split_last().unwrap();
    assert_eq!(&h[0..4], b"1210", "header: data kind 1, type 21, JIS");
    digits(&h[4..14]);
    let mmdd = String::from_utf8(h[54..58].to_vec()).unwrap();
    digits(&h[58..62]);
    assert!(
        matches!(h[95], b'1' | b'2' | b'9'),
        "originator's account type"
    );
    digits(&h[96..103]);
    assert!(h[103..120].iter().all(|&b| b == b' '));
    let mut records = Vec::new();
    for d in data {
        assert_eq!(d[0], b'2');
        digits(&d[1..5]);
        digits(&d[20..23]);
        assert!(matches!(d[42], b'1' | b'2' | b'4' | b'9'));
        digits(&d[43..50]);
        assert_ne!(d[50], b' ', "payee name");
        let amount = digits(&d[80..90]);
        assert!(amount > 0);
        let id = digits(&d[91..101]);
        assert_ne!(d[112], b'Y', "no EDI");
        assert!(d[113..120].iter().all(|&b| b == b' '));
        records.push((PayoutId::new(id), amount));
    }
    assert_eq!(trailer[0], b'8');
    assert_eq!(digits(&trailer[1..7]) as usize, records.len());
    assert_eq!(
        digits(&trailer[7..19]),
        records.iter().map(|r| r.1).sum::<i64>()
    );
    assert!(trailer[19..].iter().all(|&b| b == b' '));
    assert_eq!(end[0], b'9');
    assert!(end[1..120].iter().all(|&b| b == b' '));
    Checked { mmdd, records }
}

async fn paid_out_in_ledger(app: &App) -> i64 {
    count(
        app,
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM billing_ledger WHERE kind = 'paid_out'",
    )
    .await
}

async fn status(app: &App, id: PayoutId) -> String {
    let mut c = app.store_for_tests().read().await.unwrap();
    let row = sqlx::query("SELECT status FROM payouts WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    row.try_get("status").unwrap()
}

fn code(e: &AppError) -> &str {
    match e {
        AppError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_run_pays_what_is_due_once_in_checked_files_equal_to_the_ledger() {
    for (app, _d) in apps().await {
        let (_, a) = contract(&app, "a@example.jp", "small_enterprise", "").await;
        let (_, b) = contract(&app, "b@example.jp", "safety_net", "ジロウ").await;
        let p1 = schedule(&app, a, "2026-11-10", 1_234_567, "refund:1").await;
        let p2 = schedule(&app, b, "2026-11-09", 50_000, "refund:2").await;
        let p3 = schedule(&app, a, "2026-12-10", 60_000, "refund:3").await;
        let out = out_dir("payout-run");

        // 7 November 2026 is a Saturday: no transfer date.
        let err = app
            .payout_run(
                date("2026-11-07"),
                &out,
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&err), "not_business_day");
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM payout_runs").await,
            0
        );

        let s = app
            .payout_run(
                date("2026-11-10"),
                &out,
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!((s.paid_count, s.paid_yen), (2, 1_284_567));
        assert_eq!(s.files.len(), 2, "one file per program");
        let mut seen = Vec::new();
        for f in &s.files {
            let bytes = std::fs::read(&f.path).unwrap();
            assert_eq!(kyosai_store::sha256_hex(&bytes), f.sha256);
            let c = check_type21(&bytes);
            assert_eq!(c.mmdd, "1110");
            assert_eq!(c.records.iter().map(|r| r.1).sum::<i64>(), f.total_yen);
            seen.extend(c.records);
        }
        seen.sort();
        assert_eq!(seen, vec![(p1, 1_234_567), (p2, 50_000)]);
        assert_eq!(paid_out_in_ledger(&app).await, s.paid_yen);
        assert_eq!(status(&app, p1).await, "paid");
        assert_eq!(status(&app, p3).await, "scheduled");

        // A rerun of the date pays nothing and writes the same bytes.
        let first: Vec<Vec<u8>> = s
            .files
            .iter()
            .map(|f| std::fs::read(&f.path).unwrap())
            .collect();
        let out2 = out_dir("payout-rerun");
        let again = app
            .payout_run(
                date("2026-11-10"),
                &out2,
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(again.paid_count, 0);
        let second: Vec<Vec<u8>> = again
            .files
            .iter()
            .map(|f| std::fs::read(&f.path).unwrap())
            .collect();
        assert_eq!(first, second);
        assert_eq!(paid_out_in_ledger(&app).await, 1_284_567);

        // A payout decided later for the same date goes into a second run of that date.
        let p4 = schedule(&app, b, "2026-11-10", 70_000, "refund:4").await;
        let third = app
            .payout_run(
                date("2026-11-10"),
                &out2,
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!((third.paid_count, third.paid_yen), (1, 70_000));
        assert_eq!(
            third.files.len(),
            3,
            "the two recorded files and the new one"
        );
        let new = third.files.last().unwrap();
        assert!(new.path.to_string_lossy().ends_with("_02.dat"), "{new:?}");
        assert_eq!(
            check_type21(&std::fs::read(&new.path).unwrap()).records,
            vec![(p4, 70_000)]
        );
        assert_eq!(
            count(
                &app,
                "SELECT CAST(SUM(total_yen) AS BIGINT) AS n FROM payout_runs"
            )
            .await,
            paid_out_in_ledger(&app).await
        );
        assert_eq!(status(&app, p3).await, "scheduled");

        // /metrics: payouts by status and the latest run (the second of the day).
        let metrics = app.metrics_text().await;
        for line in [
            "kyosai_payouts{status=\"paid\"} 3",
            "kyosai_payouts{status=\"scheduled\"} 1",
            "kyosai_payouts_yen{status=\"paid\"} 1354567",
            "kyosai_payouts_yen{status=\"scheduled\"} 60000",
            "kyosai_payout_run_payouts{transfer_date=\"2026-11-10\",seq=\"2\"} 1",
            "kyosai_payout_run_yen{transfer_date=\"2026-11-10\",seq=\"2\"} 70000",
        ] {
            assert!(metrics.contains(line), "{line} in:\n{metrics}");
        }
    }
}

#[tokio::test]
async fn a_run_killed_before_its_commit_leaves_nothing_and_the_rerun_writes_the_same_bytes() {
    for (app, _d) in apps().await {
        let (_, a) = contract(&app, "a@example.jp", "small_enterprise", "").await;
        let p = schedule(&app, a, "2026-11-10", 300_000, "refund:1").await;
        let out = out_dir("payout-crash");
        let crash = PayoutRunOptions {
            crash_before_commit: true,
        };
        app.payout_run(date("2026-11-10"), &out, "test", &crash)
            .await
            .unwrap_err();
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM payout_runs").await,
            0
        );
        assert_eq!(paid_out_in_ledger(&app).await, 0);
        assert_eq!(status(&app, p).await, "scheduled");
        let name = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "dat"))
            .unwrap();
        let left = std::fs::read(&name).unwrap();

        let s = app
            .payout_run(
                date("2026-11-10"),
                &out,
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!((s.paid_count, s.paid_yen), (1, 300_000));
        assert_eq!(std::fs::read(&s.files[0].path).unwrap(), left);
        assert_eq!(status(&app, p).await, "paid");
        assert_eq!(paid_out_in_ledger(&app).await, 300_000);
    }
}

/// A bank's return of one transfer of a delivered file: its header, the record of `payout`
/// (with `amount` written in place of the amount sent), a trailer for that record, the end.
fn return_of(delivered: &[u8], payout: PayoutId, amount: i64) -> Vec<u8> {
    let recs: Vec<&[u8]> = delivered.chunks(122).collect();
    let data = recs
        .iter()
        .find(|r| {
            r[0] == b'2' && std::str::from_utf8(&r[91..101]).unwrap() == format!("{payout:010}")
        })
        .unwrap();
    let mut d = data.to_vec();
    d[80..90].copy_from_slice(format!("{amount:010}").as_bytes());
    let mut t = vec![b' '; 120];
    t[0] = b'8';
    t[1..19].copy_from_slice(format!("{:06}{amount:012}", 1).as_bytes());
    t.extend_from_slice(b"\r\n");
    [recs[0].to_vec(), d, t, recs[recs.len() - 1].to_vec()].concat()
}

fn refusal_codes(e: ImportError) -> Vec<(usize, String)> {
    match e {
        ImportError::Refused(r) => r.problems.into_iter().map(|p| (p.record, p.code)).collect(),
        ImportError::App(e) => panic!("expected a refusal, got {e:?}"),
    }
}

fn new_account(holder: &str) -> MandateForm {
    MandateForm {
        bank_code: Some("0001".into()),
        branch_code: Some("001".into()),
        account_type: Some("ordinary".into()),
        account_number: Some("7654321".into()),
        account_holder_kana: Some(holder.into()),
    }
}

#[tokio::test]
async fn a_returned_transfer_is_held_until_the_member_gives_an_account_and_then_paid_there() {
    for (app, _d) in apps().await {
        let (member, number, a) =
            member_contract(&app, "a@example.jp", "small_enterprise", "").await;
        let (_, b) = contract(&app, "b@example.jp", "safety_net", "ジロウ").await;
        let p = schedule(&app, a, "2026-11-10", 300_000, "refund:1").await;
        schedule(&app, b, "2026-11-10", 40_000, "refund:2").await;
        let run = app
            .payout_run(
                date("2026-11-10"),
                &out_dir("returns"),
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        let delivered = run
            .files
            .iter()
            .find(|f| f.program == "small_enterprise")
            .map(|f| std::fs::read(&f.path).unwrap())
            .unwrap();
        let later = on(&app, "2026-11-11T01:00:00Z");

        // A return that does not match what was sent is refused whole, nothing changes.
        let wrong = later
            .import_payout_returns("wrong.dat", &return_of(&delivered, p, 300_001), "test")
            .await
            .unwrap_err();
        assert_eq!(refusal_codes(wrong), vec![(2, "mismatch".to_string())]);
        let garbage = later
            .import_payout_returns("garbage.dat", b"not a zengin file", "test")
            .await
            .unwrap_err();
        assert!(!refusal_codes(garbage).is_empty());
        assert_eq!(status(&app, p).await, "paid");
        assert_eq!(paid_out_in_ledger(&app).await, 340_000);

        // The bank's return: the payout is held, its amount back in the ledger, the member told.
        let returned = return_of(&delivered, p, 300_000);
        let o = later
            .import_payout_returns("return.dat", &returned, "test")
            .await
            .unwrap();
        assert_eq!((o.returned_count, o.returned_yen), (1, 300_000));
        assert_eq!(status(&app, p).await, "held");
        assert_eq!(paid_out_in_ledger(&app).await, 40_000);
        let views = later.contract_payouts(&member, &number).await.unwrap();
        assert!(
            views[0]
                .hold_reason
                .as_deref()
                .unwrap()
                .contains("入金できなかった")
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%お振込みができませんでした%'"
            )
            .await,
            1
        );
        let again = later
            .import_payout_returns("return-again.dat", &returned, "test")
            .await
            .unwrap_err();
        assert_eq!(
            refusal_codes(again),
            vec![(0, "already_imported".to_string())]
        );

        // Someone else's name is refused; the member's own new account schedules it for the
        // next business day, and that day's run pays it there.
        let err = later
            .give_payout_account(&member, &number, p, &new_account("スズキ ハナコ"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Invalid(f) if f[0].code == "holder_mismatch"),
            "{err:?}"
        );
        assert_eq!(status(&app, p).await, "held");
        let v = later
            .give_payout_account(&member, &number, p, &new_account("ヤマダ タロウ"))
            .await
            .unwrap();
        assert_eq!(
            (v.status.as_str(), v.date.to_string()),
            ("scheduled", "2026-11-12".to_string())
        );
        let err = later
            .give_payout_account(&member, &number, p, &new_account("ヤマダ タロウ"))
            .await
            .unwrap_err();
        assert_eq!(code(&err), "payout_not_held");
        let paid = later
            .payout_run(
                date("2026-11-12"),
                &out_dir("returns2"),
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        let bytes = std::fs::read(&paid.files[0].path).unwrap();
        assert_eq!(check_type21(&bytes).records, vec![(p, 300_000)]);
        assert_eq!(&bytes[122 + 43..122 + 50], b"7654321");
        assert_eq!(status(&app, p).await, "paid");
        assert_eq!(paid_out_in_ledger(&app).await, 340_000);
        // The delivered file of the 10th is still written again byte for byte.
        let rerun = later
            .payout_run(
                date("2026-11-10"),
                &out_dir("returns3"),
                "test",
                &PayoutRunOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(rerun.paid_count, 0);
        let small = rerun
            .files
            .iter()
            .find(|f| f.program == "small_enterprise")
            .unwrap();
        assert_eq!(std::fs::read(&small.path).unwrap(), delivered);
    }
}
