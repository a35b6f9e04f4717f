//! Mass issue benchmark for the 控除証明書 (issue #13 item 5), run by hand against a release
//! build, never in tests:
//!
//! ```sh
//! cargo build --release -p kyosai-bench
//! /usr/bin/time -v target/release/kyosai-mass-issue-bench --contracts 20000
//! ```
//!
//! It builds a synthetic book (`generate_book`, 77% 小規模) in a fresh SQLite database, bills
//! September and October 2026 through the real billing cycle (Zengin files, simulated banks with
//! 3% failures, result imports), not timed. Then it times `issue_certificates` for 2026 exactly
//! as `kyosai documents issue` runs it: every certificate issued under its number, sorted by
//! postcode, rendered as PDF and signed e-Tax XML on every core, the index written. It prints
//! certificates per second, the projection for 1,660,000 and the peak memory (VmHWM), then a
//! rerun (everything found finished). Target: 1,660,000 in ≤ 2 h (≥ 231/s), goal ≤ 1 h
//! (≥ 460/s), peak memory < 2 GiB.

/// The allocator of the `kyosai` binary (see the workspace's Cargo.toml), so this measures what
/// production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use clap::Parser;
use kyosai_app::billing::RunOptions;
use kyosai_app::dev::bank_simulator::{SIMULATED_FAILURE_MIX, simulate_bank};
use kyosai_app::mass_issue::IssueOptions;
use kyosai_app::{App, Clock};
use kyosai_docs::etax::SigningKey;
use kyosai_store::Store;

#[derive(Parser)]
struct Args {
    /// Contracts in the synthetic book (about 77% are 小規模 and get a certificate).
    #[arg(long, default_value_t = 20_000)]
    contracts: u64,
    /// Rendering threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Keep the output folder (else it is deleted at the end).
    #[arg(long)]
    keep: bool,
}

/// Peak resident set size of this process, in MiB (Linux `/proc/self/status`).
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kib| kib / 1024)
}

/// The app with its clock at `ts`.
fn at(app: &App, ts: &str) -> Result<App> {
    let mut a = app.clone();
    a.clock = Clock::Fixed(ts.parse()?);
    Ok(a)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("kyosai-mass-issue-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = Store::connect(&format!("sqlite://{}/kyosai.db", dir.display())).await?;
    store.migrate().await?;
    let pem = SigningKey::generate_self_signed_pem("Kyosai bench")?;
    let app = App::new(
        store.clone(),
        Clock::Fixed("2026-08-20T01:00:00Z".parse()?),
        "https://kyosai.example.jp",
    )?
    .with_signing_key(Arc::new(SigningKey::from_pem(pem.as_bytes())?));
    let t = Instant::now();
    app.generate_book(args.contracts, 7, "2026-08".parse()?, &|_| {})
        .await?;
    for (month, run_at, import_at) in [
        ("2026-09", "2026-09-10T01:00:00Z", "2026-10-01T01:00:00Z"),
        ("2026-10", "2026-10-09T01:00:00Z", "2026-11-02T01:00:00Z"),
    ] {
        let out = dir.join(format!("billing-{month}"));
        let summaries = at(&app, run_at)?
            .billing_run(month.parse()?, None, &out, &RunOptions::default(), &|_| {})
            .await?;
        let importer = at(&app, import_at)?;
        for (i, file) in summaries.iter().flat_map(|s| &s.files).enumerate() {
            if file.records == 0 {
                continue;
            }
            let request = std::fs::read(&file.path)?;
            let result = simulate_bank(&request, 0.03, &SIMULATED_FAILURE_MIX, i as u64)
                .map_err(|r| anyhow::anyhow!("{r}"))?;
            importer
                .import_result_file(&format!("{}.result", file.name), &result, "bench")
                .await?;
        }
    }
    println!(
        "prepared {} contracts with two billed months in {:.1} s",
        args.contracts,
        t.elapsed().as_secs_f64()
    );

    let issuer = at(&app, "2026-11-20T01:00:00Z")?;
    let options = IssueOptions {
        year: 2026,
        out: dir.join("out"),
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    // When the last certificate was issued: rendering overlaps the issuing and goes on after.
    let issued_at = std::sync::Mutex::new(None::<Instant>);
    let t = Instant::now();
    let s = issuer
        .issue_certificates(&options, &|phase, done, total| {
            if phase == "issue"
                && done == total
                && let Ok(mut at) = issued_at.lock()
            {
                *at = Some(Instant::now());
            }
        })
        .await?;
    let secs = t.elapsed().as_secs_f64();
    let rate = s.certificates as f64 / secs;
    let issue_secs = issued_at
        .lock()
        .ok()
        .and_then(|at| *at)
        .map_or(0.0, |at| at.duration_since(t).as_secs_f64());
    println!(
        "mass issue: {} certificates ({} XML, {} batches) in {secs:.1} s = {rate:.0}/s \
         (the last certificate issued after {issue_secs:.1} s, rendering alongside); \
         1,660,000 would take {:.0} min; peak memory {} MiB",
        s.certificates,
        s.xml_files,
        s.batches,
        1_660_000.0 / rate / 60.0,
        peak_rss_mib().unwrap_or(0)
    );
    let size: u64 = std::fs::read_dir(&options.out)?
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter_map(|f| f.metadata().ok().map(|m| m.len()))
        .sum();
    println!(
        "output: {:.1} MiB, {:.0} KiB per certificate (PDF + XML)",
        size as f64 / 1048576.0,
        size as f64 / 1024.0 / s.certificates.max(1) as f64
    );
    let t = Instant::now();
    let again = issuer.issue_certificates(&options, &|_, _, _| {}).await?;
    println!(
        "rerun (resume with everything finished): {} rendered of {} in {:.1} s",
        again.rendered,
        again.certificates,
        t.elapsed().as_secs_f64()
    );
    app.close().await;
    if args.keep {
        println!("kept {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
