//! `kyosai paper import FILE…`: batch files of paper forms keyed or OCR-read by the BPO
//! contractor (format in docs/paper-batch.md). Each file is checked whole and refused with a
//! report of every problem and where (nothing stored), else imported once: each form goes
//! through its procedure (channel `paper`) or waits for double entry on `/staff/paper`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use kyosai_app::paper::PaperImportError;
use kyosai_app::{Actor, App, Clock, Role};

use crate::config::Storage;

#[derive(Subcommand)]
pub enum PaperCommand {
    /// Import BPO batch files (UTF-8 JSON, docs/paper-batch.md).
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// Batch files from the BPO contractor.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The staff account the import is recorded under (it files the forms, channel `paper`).
    #[arg(long)]
    staff: String,
    #[command(flatten)]
    storage: Storage,
}

pub async fn run(command: PaperCommand) -> Result<()> {
    match command {
        PaperCommand::Import(a) => import(a).await,
    }
}

async fn import(a: ImportArgs) -> Result<()> {
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let staff = app
        .user_by_email(&a.staff)
        .await?
        .filter(|u| u.role == Role::Staff.as_str())
        .with_context(|| format!("{} is not a staff account", a.staff))?;
    let actor = Actor {
        user_id: staff.id,
        role: Role::Staff,
    };
    let mut refused = 0;
    for path in &a.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match app.import_paper_batch(&actor, &name, &bytes).await {
            Ok(batch) => {
                println!(
                    "{name}: バッチ {} を取り込みました（帳票 {}件）",
                    batch.batch_id,
                    batch.forms.len()
                );
                for f in &batch.forms {
                    println!(
                        "  {}: {}{}",
                        f.form_id,
                        f.status.name_ja(),
                        f.application_id
                            .map(|id| format!("（受付番号 {id}）"))
                            .unwrap_or_default()
                    );
                }
            }
            Err(PaperImportError::Refused(r)) => {
                refused += 1;
                eprint!("{r}");
                tracing::warn!(file = %name, problems = r.problems.len(), "paper batch refused");
            }
            Err(PaperImportError::App(e)) => return Err(e.into()),
        }
    }
    app.close().await;
    if refused > 0 {
        bail!("{refused}件のファイルを取り込めませんでした（上の報告を確認してください）");
    }
    Ok(())
}
