//! `kyosai payouts run --date YYYY-MM-DD --out DIR`: the 総合振込 (種別 21) files of the payouts
//! due by a bank business day (issue #11). Rerunning a date writes the same files again.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use kyosai_app::payouts::PayoutRunOptions;
use kyosai_app::{App, Clock};
use kyosai_domain::Yen;

use crate::config::Storage;

#[derive(Subcommand)]
pub enum PayoutsCommand {
    /// Pay every scheduled payout due by DATE: one transfer file per program into OUT.
    Run(RunArgs),
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
