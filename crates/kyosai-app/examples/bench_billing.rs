//! Billing benchmark (a program, not a test): generate a national-scale book, bill a month
//! writing every request file, simulate the banks (3% failures), import every result file, and
//! compare with the database's floor (the same bill-line rows inserted by one INSERT … SELECT).
//!
//! ```sh
//! cargo run --release -p kyosai-app --example bench_billing -- [CONTRACTS] [DATABASE_URL]
//! /usr/bin/time -v target/release/examples/bench_billing 2300000
//! ```
//! Without a URL a fresh SQLite database is created in a temporary directory.

use std::time::Instant;

use kyosai_app::billing::{Progress, RunOptions};
use kyosai_app::dev::bank_simulator::{SIMULATED_FAILURE_MIX, simulate_bank};
use kyosai_app::{App, Clock};
use kyosai_domain::YearMonth;
use kyosai_store::Store;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(2_300_000);
    let dir = std::env::temp_dir().join(format!("kyosai-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .next()
        .unwrap_or_else(|| format!("sqlite://{}/kyosai.db", dir.display()));
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let app = App::new(
        store.clone(),
        Clock::Fixed("2026-11-02T01:00:00Z".parse()?),
        "http://bench",
    )?;
    let month: YearMonth = "2026-11".parse()?;
    println!("backend: {:?}, contracts: {n}", store.backend());

    let t = Instant::now();
    let g = app.generate_book(n, 1, month, &|_| {}).await?;
    println!("{}", peak());
    println!(
        "generate: {:.1} s ({} small_enterprise, {} safety_net)",
        t.elapsed().as_secs_f64(),
        g.small_enterprise,
        g.safety_net
    );

    let out = dir.join("out");
    let t = Instant::now();
    let summaries = app
        .billing_run(month, None, &out, &RunOptions::default(), &|_: Progress| {})
        .await?;
    let billing = t.elapsed().as_secs_f64();
    let lines: i64 = summaries.iter().map(|s| s.lines).sum();
    let files: Vec<_> = summaries.iter().flat_map(|s| s.files.clone()).collect();
    println!(
        "billing run: {billing:.1} s — {lines} bill lines, {} files, {} skipped",
        files.len(),
        summaries
            .iter()
            .flat_map(|s| s.skipped.values())
            .sum::<i64>()
    );

    for s in &summaries {
        println!(
            "  {}: {} lines, skipped {:?}, {} exceptions",
            s.program.as_str(),
            s.lines,
            s.skipped,
            s.exceptions.len()
        );
    }
    println!("{}", peak());
    let t = Instant::now();
    let mut results = Vec::new();
    for f in &files {
        let bytes = std::fs::read(&f.path)?;
        let r =
            simulate_bank(&bytes, 0.03, &SIMULATED_FAILURE_MIX, 7).map_err(|e| e.to_string())?;
        let p = f.path.with_extension("result");
        std::fs::write(&p, r)?;
        results.push(p);
    }
    println!("bank simulator: {:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let mut collected = 0;
    let mut failed = 0;
    for p in &results {
        let bytes = std::fs::read(p)?;
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let o = app
            .import_result_file(&name, &bytes, "bench")
            .await
            .map_err(|e| e.to_string())?;
        assert!(o.reconciliation.balances());
        collected += o.reconciliation.collected.count;
        failed += o.reconciliation.failed.count;
    }
    let import = t.elapsed().as_secs_f64();
    println!("import results: {import:.1} s — {collected} collected, {failed} failed");
    println!("{}", peak());

    // The floor: the same bill-line rows written by one plain SQL statement.
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "CREATE TABLE bench_floor (run_id BIGINT, contract_id BIGINT, month TEXT, originator_id BIGINT, amount BIGINT, \
         monthly_premium BIGINT, frequency TEXT, months_covered BIGINT, premium_amount BIGINT, arrears_months BIGINT, \
         arrears_amount BIGINT, paid_before BIGINT, items TEXT, new_code BIGINT, mandate_id BIGINT, bank_code TEXT, \
         branch_code TEXT, account_type TEXT, account_number TEXT, holder_kana TEXT)",
    )
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    let t = Instant::now();
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO bench_floor SELECT run_id, contract_id, month, originator_id, amount, monthly_premium, frequency, \
         months_covered, premium_amount, arrears_months, arrears_amount, paid_before, items, new_code, mandate_id, \
         bank_code, branch_code, account_type, account_number, holder_kana FROM bill_lines",
    )
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    let floor = t.elapsed().as_secs_f64();
    println!(
        "floor (INSERT … SELECT of the same {lines} bill lines): {floor:.2} s — billing run / floor = {:.1}×, import / floor = {:.1}×",
        billing / floor,
        import / floor
    );
    store.close().await;
    if url.starts_with("sqlite") {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// The process's peak resident memory so far (Linux `VmHWM`), to see which phase sets it.
fn peak() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| format!("  peak memory so far: {}", l["VmHWM:".len()..].trim()))
        })
        .unwrap_or_default()
}
