//! What the use-case tests share: apps over every backend available at a fixed moment, the same
//! database seen at another moment, output folders for request files, and counting rows.

// Not `expect`: a binary that happens to use every item would then warn.
#![allow(dead_code, reason = "each test binary uses part of this module")]

use std::path::PathBuf;

use kyosai_app::billing::Progress;
use kyosai_app::{Actor, App, Clock, Role};
use kyosai_domain::YearMonth;
use kyosai_store::testing;

/// A member account with a password (no second factor), as the member acts.
pub async fn member(app: &App, email: &str) -> Actor {
    let user_id = app
        .create_account(Role::Member, email, "", Some("test passphrase 123"))
        .await
        .expect("member account");
    Actor {
        user_id,
        role: Role::Member,
    }
}

/// A fixed clock at an RFC 3339 instant.
pub fn at(ts: &str) -> Clock {
    Clock::Fixed(ts.parse().unwrap())
}

pub fn month(s: &str) -> YearMonth {
    s.parse().unwrap()
}

/// 2 November 2026, 10:00 in Japan: before November's debit dates.
pub const START: &str = "2026-11-02T01:00:00Z";

/// An app per backend available (SQLite always, PostgreSQL when configured), at [`START`].
pub async fn apps() -> Vec<(App, Option<testing::TempDir>)> {
    testing::all()
        .await
        .unwrap()
        .into_iter()
        .map(|(store, dir)| (App::new(store, at(START), "http://test").unwrap(), dir))
        .collect()
}

/// The same database at another moment.
pub fn on(app: &App, ts: &str) -> App {
    let mut a = app.clone();
    a.clock = at(ts);
    a
}

pub fn no_progress(_: Progress) {}

/// Bills `m` on the 10th (09:00 JST) and imports the bank's answer on the 3rd of the next month:
/// every debit collected, or every debit failed for lack of funds when `fail`.
pub async fn cycle(app: &App, m: YearMonth, fail: bool) {
    use kyosai_app::dev::bank_simulator::simulate_bank;
    use kyosai_zengin::debit::ResultCode;
    let out = out_dir(&format!("cycle-{m}"));
    let summaries = on(app, &format!("{m}-10T00:00:00Z"))
        .billing_run(
            m,
            None,
            &out,
            &kyosai_app::billing::RunOptions::default(),
            &no_progress,
        )
        .await
        .unwrap();
    let importer = on(app, &format!("{}-03T00:00:00Z", m.plus(1)));
    for file in summaries.iter().flat_map(|s| &s.files) {
        if file.records == 0 {
            continue;
        }
        let request = std::fs::read(&file.path).unwrap();
        let rate = if fail { 1.0 } else { 0.0 };
        let result =
            simulate_bank(&request, rate, &[(ResultCode::InsufficientFunds, 1.0)], 1).unwrap();
        importer
            .import_result_file(&format!("{}.result", file.name), &result, "test")
            .await
            .unwrap();
    }
}

/// A fresh folder for request files.
pub fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "kyosai-app-test-{}-{tag}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The `n` column of a one-row query.
pub async fn count(app: &App, sql: &str) -> i64 {
    let mut c = app.store_for_tests().read().await.unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *c)
        .await
        .unwrap();
    kyosai_store::Row::try_get(&row, "n").unwrap()
}

/// A 倒産防止 member (family name `kana`) enrolled at [`START`] with `months` months of 50,000 yen
/// paid before (an opening balance). Returns the member and the number.
pub async fn safety_net_contract(
    app: &App,
    email: &str,
    kana: &str,
    months: i64,
) -> (kyosai_app::Actor, String) {
    contract_with_openings(app, "safety_net", email, kana, months).await
}

/// A member of `program` (family name `kana`) enrolled at [`START`] with `months` months of 50,000
/// yen paid before (an opening balance for October 2026). Returns the member and the number.
pub async fn contract_with_openings(
    app: &App,
    program: &str,
    email: &str,
    kana: &str,
    months: i64,
) -> (kyosai_app::Actor, String) {
    let id = app
        .create_account(
            kyosai_app::Role::Member,
            email,
            "",
            Some("test passphrase 123"),
        )
        .await
        .unwrap();
    let member = kyosai_app::Actor {
        user_id: id,
        role: kyosai_app::Role::Member,
    };
    let mut form = kyosai_app::dev::demo::sample_form(program);
    form.family_name_kana = Some(kana.into());
    form.account_holder_kana = Some(format!("{kana} タロウ"));
    let r = app.submit_enrollment(&member, id, &form).await.unwrap();
    let number = r.contract.unwrap().number;
    if months > 0 {
        let mut conn = app.store_for_tests().begin_write().await.unwrap();
        let c = kyosai_store::contracts::by_number(conn.conn(), &number)
            .await
            .unwrap()
            .unwrap();
        kyosai_store::ledger::append_openings(
            conn.conn(),
            &[kyosai_store::ledger::Opening {
                contract_id: c.id,
                month: "2026-10".into(),
                amount: months * 50_000,
                months,
            }],
            "2026-11-01T00:00:00Z",
        )
        .await
        .unwrap();
        conn.commit().await.unwrap();
    }
    (member, number)
}
