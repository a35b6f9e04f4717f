//! `kyosai dev …`: synthetic data and a bank simulator for development and benchmarks.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use kyosai_app::dev::bank_simulator::{SIMULATED_FAILURE_MIX, simulate_bank};
use kyosai_app::{App, Clock};
use kyosai_domain::YearMonth;

use crate::billing::bar;
use crate::config::Storage;

#[derive(Subcommand)]
pub enum DevCommand {
    /// Create a synthetic book of active contracts (both programs, real proportions).
    Generate(GenerateArgs),
    /// Turn a request file into a bank result file with a share of failures.
    BankSimulate(SimulateArgs),
}

#[derive(Args)]
pub struct GenerateArgs {
    #[arg(long)]
    contracts: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The month the book is billable from (defaults to the current month).
    #[arg(long)]
    month: Option<String>,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Args)]
pub struct SimulateArgs {
    /// Request file (Zengin 91).
    #[arg(long = "in")]
    input: PathBuf,
    /// Result file to write.
    #[arg(long)]
    out: PathBuf,
    /// Share of records that fail (0.0–1.0), spread over codes 1, 2, 3, 4, 8, 9.
    #[arg(long, default_value_t = 0.03)]
    fail_rate: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub async fn run(cmd: DevCommand) -> Result<()> {
    match cmd {
        DevCommand::Generate(a) => {
            let store = a.storage.open().await?;
            let app = App::new(store, Clock::System, "")?;
            let month = match &a.month {
                Some(m) => m
                    .parse::<YearMonth>()
                    .map_err(|_| anyhow::anyhow!("--month は YYYY-MM の形式です"))?,
                None => YearMonth::of(app.clock.today()),
            };
            let pb = bar(a.contracts, "generate");
            let started = std::time::Instant::now();
            let g = app
                .generate_book(a.contracts, a.seed, month, &|done| pb.set_position(done))
                .await?;
            pb.finish();
            println!(
                "{}件の契約を作成しました（小規模企業共済 {}、経営セーフティ共済 {}、掛金変更 {}、前納 {}、掛止め {}、払込実績 {}）: {:.1}秒",
                g.contracts,
                g.small_enterprise,
                g.safety_net,
                g.premium_changes,
                g.prepaid,
                g.suspended,
                g.opening_balances,
                started.elapsed().as_secs_f64()
            );
            app.close().await;
            Ok(())
        }
        DevCommand::BankSimulate(a) => {
            if !(0.0..=1.0).contains(&a.fail_rate) {
                anyhow::bail!("--fail-rate は 0.0〜1.0 です");
            }
            let bytes = std::fs::read(&a.input)
                .with_context(|| format!("reading {}", a.input.display()))?;
            let out = simulate_bank(&bytes, a.fail_rate, &SIMULATED_FAILURE_MIX, a.seed)
                .map_err(|r| anyhow::anyhow!("{r}"))?;
            std::fs::write(&a.out, out).with_context(|| format!("writing {}", a.out.display()))?;
            println!("{} を作成しました", a.out.display());
            Ok(())
        }
    }
}
