//! `kyosai payments import FILE…`: payment files reporting 納付書 paid at a bank or convenience
//! store (REFERENCE §2.7; format in `kyosai_domain::arrears`). Each file is refused whole when
//! anything is wrong, with every problem and its line, and imported once.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use kyosai_app::billing::ImportError;
use kyosai_app::{App, Clock};
use kyosai_domain::Yen;

use crate::config::Storage;

#[derive(Subcommand)]
pub enum PaymentsCommand {
    /// Import payment files (CSV: reference,amount,paid_on).
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// Payment files from the collecting agent.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    storage: Storage,
}

pub async fn run(command: PaymentsCommand) -> Result<()> {
    match command {
        PaymentsCommand::Import(a) => import(a).await,
    }
}

async fn import(a: ImportArgs) -> Result<()> {
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let mut refused = 0;
    for path in &a.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match app.import_payment_file(&name, &bytes, "cli").await {
            Ok(o) => {
                println!(
                    "{name}: 取り込みました（取込番号 {}、納付書 {}件 {}）",
                    o.import_id,
                    o.slips_paid.len(),
                    Yen::new(o.total_yen)
                );
                tracing::info!(file = %name, slips = o.slips_paid.len(), "payments imported");
            }
            Err(ImportError::Refused(r)) => {
                refused += 1;
                eprint!("{r}");
                tracing::warn!(file = %name, problems = r.problems.len(), "payment file refused");
            }
            Err(ImportError::App(e)) => return Err(e.into()),
        }
    }
    app.close().await;
    if refused > 0 {
        bail!("{refused}件のファイルを取り込めませんでした（上の報告を確認してください）");
    }
    Ok(())
}
