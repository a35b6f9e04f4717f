//! Payout run benchmark (issue #11), run by hand against a release build, never in tests:
//!
//! ```sh
//! cargo build --release -p kyosai-bench
//! target/release/kyosai-payouts-bench --payouts 100000
//! ```
//!
//! It builds a synthetic book (`generate_book`, 77% 小規模 / 23% 倒産防止) in a fresh SQLite
//! database and schedules one payout per contract into its debit account with a realistic mix
//! (解約手当金, 共済金 lump sums, 分割共済金 instalments, 貸付金, 前納減額金; amounts from a few
//! thousand yen to several million), not timed. Then it times `payout_run` for the transfer date
//! (the 総合振込 files, every payout marked paid, one ledger entry each, one commit), checks that
//! the files' total equals the ledger entries posted, and times a rerun of the date (every file
//! written again from the recorded transfers and checked against its hash). Target: 100,000
//! payouts in ≤ 10 s on SQLite.

/// The allocator of the `kyosai` binary (see the workspace's Cargo.toml), so this measures what
/// production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use anyhow::{Result, bail};
use clap::Parser;
use kyosai_app::payouts::PayoutRunOptions;
use kyosai_app::{App, Clock};
use kyosai_store::Store;

#[derive(Parser)]
struct Args {
    /// Payouts in the run (one per synthetic contract).
    #[arg(long, default_value_t = 100_000)]
    payouts: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("kyosai-payouts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = Store::connect(&format!("sqlite://{}/kyosai.db", dir.display())).await?;
    store.migrate().await?;
    let app = App::new(
        store.clone(),
        Clock::Fixed("2026-12-01T01:00:00Z".parse()?),
        "http://bench",
    )?;
    let t = Instant::now();
    app.generate_book(args.payouts, 7, "2026-12".parse()?, &|_| {})
        .await?;
    {
        let mut tx = store.begin_write().await?;
        // One payout per contract into its debit account; kind and amount vary with the id.
        sqlx::query(
            "INSERT INTO payouts (contract_id, application_id, kind, due_date, amount, bank_code, \
             branch_code, account_type, account_number, holder_kana, source, seq, status, created_at) \
             SELECT c.id, NULL, \
               CASE c.id % 10 WHEN 0 THEN 'benefit' WHEN 1 THEN 'benefit' WHEN 2 THEN 'benefit_instalment' \
                 WHEN 3 THEN 'benefit_instalment' WHEN 4 THEN 'loan_disbursement' \
                 WHEN 5 THEN 'prepayment_discount' ELSE 'cancellation_refund' END, \
               '2026-12-10', \
               CASE c.id % 10 WHEN 0 THEN 3000000 + (c.id % 97) * 25000 WHEN 1 THEN 8500000 - (c.id % 89) * 50000 \
                 WHEN 2 THEN 180000 + (c.id % 31) * 1000 WHEN 3 THEN 95000 + (c.id % 13) * 500 \
                 WHEN 4 THEN 300000 + (c.id % 9) * 50000 WHEN 5 THEN 5000 + (c.id % 50) * 90 \
                 ELSE 150000 + (c.id % 211) * 3000 END, \
               m.bank_code, m.branch_code, m.account_type, m.account_number, m.holder_kana, \
               'bench:' || CAST(c.id AS TEXT), 1, 'scheduled', '2026-12-01T10:00:00+09:00' \
             FROM contracts c JOIN mandates m ON m.contract_id = c.id",
        )
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
    }
    println!(
        "prepared {} contracts and payouts in {:.1} s",
        args.payouts,
        t.elapsed().as_secs_f64()
    );

    let out = dir.join("out");
    let t = Instant::now();
    let s = app
        .payout_run(
            "2026-12-10".parse()?,
            &out,
            "bench",
            &PayoutRunOptions::default(),
        )
        .await?;
    let run_secs = t.elapsed().as_secs_f64();
    let files_total: i64 = s.files.iter().map(|f| f.total_yen).sum();
    let mut conn = store.read().await?;
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM billing_ledger WHERE kind = 'paid_out'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let ledger: i64 = kyosai_store::Row::try_get(&row, "n")?;
    drop(conn);
    if ledger != files_total || s.paid_yen != files_total {
        bail!("ledger {ledger} ≠ files {files_total} ≠ run {}", s.paid_yen);
    }
    println!(
        "payout run: {} payouts, {} yen, {} files in {run_secs:.2} s ({:.0} payouts/s); ledger = files = {files_total}",
        s.paid_count,
        s.paid_yen,
        s.files.len(),
        s.paid_count as f64 / run_secs
    );
    let t = Instant::now();
    let again = app
        .payout_run(
            "2026-12-10".parse()?,
            &dir.join("again"),
            "bench",
            &PayoutRunOptions::default(),
        )
        .await?;
    println!(
        "rerun of the date: {} files written again and checked in {:.2} s",
        again.files.len(),
        t.elapsed().as_secs_f64()
    );
    app.close().await;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
