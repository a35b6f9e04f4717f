//! `kyosai payouts run --date YYYY-MM-DD --out DIR`: the 総合振込 (種別 21) files of the payouts
//! due by a bank business day (issue #11). Rerunning a date writes the same files again.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use kyosai_app::billing::ImportError;
use kyosai_app::payouts::PayoutRunOptions;
use kyosai_app::{App, Clock};
use kyosai_domain::Yen;

use crate::config::Storage;

#[derive(Subcommand)]
pub enum PayoutsCommand {
    /// Pay every scheduled payout due by DATE: one transfer file per program into OUT.
    Run(RunArgs),
    /// Import the banks' returns of transfers that could not be credited (振込不能), in the
    /// 総合振込 layout (docs/payout-returns.md): each payout is held and its member asked for a
    /// new account.
    ImportReturns(ReturnsArgs),
}

#[derive(Args)]
pub struct ReturnsArgs {
    /// Return files from the banks.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Args)]
pub struct RunArgs {
    /// The transfer date (振込指定日), a bank business day.
    #[arg(long)]
    date: jiff::civil::Date,
    /// Where the files are written.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    storage: Storage,
}

pub async fn run(command: PayoutsCommand) -> Result<()> {
    match command {
        PayoutsCommand::Run(a) => pay(a).await,
        PayoutsCommand::ImportReturns(a) => import_returns(a).await,
    }
}

async fn pay(a: RunArgs) -> Result<()> {
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let s = app
        .payout_run(a.date, &a.out, "cli", &PayoutRunOptions::default())
        .await;
    app.close().await;
    let s = s?;
    println!(
        "{}: {}件 {}を支払いました。",
        s.transfer_date,
        s.paid_count,
        Yen::new(s.paid_yen)
    );
    for f in &s.files {
        println!(
            "{}  {}件 {}  sha256 {}",
            f.path.display(),
            f.records,
            Yen::new(f.total_yen),
            f.sha256
        );
    }
    Ok(())
}

async fn import_returns(a: ReturnsArgs) -> Result<()> {
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let mut refused = 0;
    for path in &a.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match app.import_payout_returns(&name, &bytes, "cli").await {
            Ok(o) => {
                println!(
                    "{name}: 振込不能 {}件 {}を保留にしました（新しいお振込み先の登録をお願いしました）。",
                    o.returned_count,
                    Yen::new(o.returned_yen)
                );
                for (number, id, yen) in &o.held {
                    println!("  契約 {number}  支払番号 {id}  {}", Yen::new(*yen));
                }
            }
            Err(ImportError::Refused(r)) => {
                refused += 1;
                eprint!("{r}");
            }
            Err(ImportError::App(e)) => {
                app.close().await;
                return Err(e.into());
            }
        }
    }
    app.close().await;
    if refused > 0 {
        bail!("{refused}件のファイルを取り込めませんでした（上の報告を確認してください）");
    }
    Ok(())
}
