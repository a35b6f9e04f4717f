//! `kyosai billing …`: monthly billing run, result imports, month report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use kyosai_app::billing::{ImportError, Progress, RunOptions};
use kyosai_app::{App, Clock};
use kyosai_domain::{Program, YearMonth, Yen};

use crate::config::Storage;

#[derive(Subcommand)]
pub enum BillingCommand {
    /// Bill a month and write the Zengin 91 request files.
    Run(RunArgs),
    /// Import bank result files (each is refused whole if anything is wrong).
    ImportResults(ImportArgs),
    /// Reconciliation of a month: billed, collected, failed, without result.
    Report(ReportArgs),
    /// 前納減額金: compute a fiscal year at March end, or pay it in June (--pay).
    PrepaymentDiscount(crate::prepayment::PrepaymentArgs),
}

#[derive(Args)]
pub struct RunArgs {
    /// Billing month, YYYY-MM.
    #[arg(long)]
    month: String,
    /// Only this program (small_enterprise or safety_net); both by default.
    #[arg(long)]
    program: Option<String>,
    /// Directory for the request files.
    #[arg(long)]
    out: PathBuf,
    /// Contracts per transaction (larger chunks are faster; each chunk is one crash-safe step).
    #[arg(long, default_value_t = 20_000)]
    chunk_size: usize,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Args)]
pub struct ImportArgs {
    /// Result files from the banks.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Args)]
pub struct ReportArgs {
    #[arg(long)]
    month: String,
    #[command(flatten)]
    storage: Storage,
}

fn month(s: &str) -> Result<YearMonth> {
    s.parse::<YearMonth>()
        .map_err(|_| anyhow::anyhow!("--month は YYYY-MM の形式で指定してください: {s}"))
}

/// A progress bar on a terminal, hidden otherwise (logs carry the progress then).
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = if std::io::stderr().is_terminal() {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix:>18} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, 残り {eta})",
    ) {
        pb.set_style(style);
    }
    pb.set_prefix(what.to_string());
    pb
}

pub async fn run(cmd: BillingCommand) -> Result<()> {
    match cmd {
        BillingCommand::Run(a) => billing_run(a).await,
        BillingCommand::ImportResults(a) => import(a).await,
        BillingCommand::Report(a) => report(a).await,
        BillingCommand::PrepaymentDiscount(a) => crate::prepayment::run(a).await,
    }
}

async fn billing_run(a: RunArgs) -> Result<()> {
    let month = month(&a.month)?;
    let program =
        match a.program.as_deref() {
            None => None,
            Some(p) => Some(Program::parse(p).with_context(|| {
                format!("--program は small_enterprise か safety_net です: {p}")
            })?),
        };
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let opts = RunOptions {
        chunk_size: a.chunk_size.max(1),
        ..RunOptions::default()
    };
    let bar_slot: Mutex<Option<ProgressBar>> = Mutex::new(None);
    let progress = |p: Progress| {
        let Ok(mut slot) = bar_slot.lock() else {
            return;
        };
        match p {
            Progress::Start { program, total } => {
                if let Some(b) = slot.take() {
                    b.finish();
                }
                tracing::info!(program = program.as_str(), total, "billing started");
                *slot = Some(bar(total, program.as_str()));
            }
            Progress::Advance { done, .. } => {
                if let Some(b) = slot.as_ref() {
                    b.inc(done);
                }
            }
            Progress::File { name, records } => {
                if let Some(b) = slot.as_ref() {
                    b.set_message(name.clone());
                }
                tracing::info!(file = %name, records, "request file written");
            }
        }
    };
    let started = std::time::Instant::now();
    let result = app
        .billing_run(month, program, &a.out, &opts, &progress)
        .await;
    if let Ok(mut slot) = bar_slot.lock()
        && let Some(b) = slot.take()
    {
        b.finish();
    }
    let summaries = result?;
    for s in &summaries {
        println!(
            "{} {}年{}月分（引落日 {}）: {}件 {}{}",
            s.program.name_ja(),
            s.month.year(),
            s.month.month(),
            s.debit_date,
            s.lines,
            Yen::new(s.total_yen),
            if s.already_completed {
                "（請求済み。ファイルを再作成しました）"
            } else {
                ""
            }
        );
        for (reason, n) in &s.skipped {
            println!("  請求なし {reason}: {n}件");
        }
        if !s.exceptions.is_empty() {
            println!("  要確認（請求できなかった契約）: {}件", s.exceptions.len());
        }
        for f in &s.files {
            println!(
                "  {} {}件 {} sha256={}",
                f.path.display(),
                f.records,
                Yen::new(f.total_yen),
                f.sha256
            );
        }
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "billing run finished"
    );
    app.close().await;
    Ok(())
}

async fn import(a: ImportArgs) -> Result<()> {
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let pb = bar(a.files.len() as u64, "import");
    let mut refused = 0;
    for path in &a.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        match app.import_result_file(&name, &bytes, "cli").await {
            Ok(o) => {
                pb.suspend(|| {
                    println!("{name}: 取り込みました（取込番号 {}）", o.import_id);
                    for l in o.reconciliation.lines_ja() {
                        println!("  {l}");
                    }
                    if o.mandates_unusable > 0 {
                        println!(
                            "  口座が使えなくなった契約: {}件（新しい口座の登録をメールでお願いしました）",
                            o.mandates_unusable
                        );
                    }
                    if o.arrears_notices > 0 {
                        println!(
                            "  掛金請求のお知らせ（再引落しの案内）: {}件をメールで送りました",
                            o.arrears_notices
                        );
                    }
                });
                tracing::info!(file = %name, collected = o.reconciliation.collected.count, failed = o.reconciliation.failed.count, "results imported");
            }
            Err(ImportError::Refused(r)) => {
                refused += 1;
                pb.suspend(|| eprint!("{r}"));
                tracing::warn!(file = %name, problems = r.problems.len() + r.omitted, "result file refused");
            }
            Err(ImportError::App(e)) => return Err(e.into()),
        }
        pb.inc(1);
    }
    pb.finish();
    app.close().await;
    if refused > 0 {
        bail!("{refused}件のファイルを取り込めませんでした（上の報告を確認してください）");
    }
    Ok(())
}

async fn report(a: ReportArgs) -> Result<()> {
    let month = month(&a.month)?;
    let store = a.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let report = app.billing_report(month).await?;
    if report.is_empty() {
        println!(
            "{}年{}月分の請求処理はありません。",
            month.year(),
            month.month()
        );
    }
    for (run, rec, files) in report {
        println!(
            "{} {}（状態 {}、引落日 {}）",
            run.program.name_ja(),
            run.month,
            run.status.as_str(),
            run.debit_date
        );
        for l in rec.lines_ja() {
            println!("  {l}");
        }
        for f in files {
            println!(
                "  ファイル {} {}件 {} sha256={}",
                f.name,
                f.record_count,
                Yen::new(f.total_yen),
                f.sha256
            );
        }
    }
    app.close().await;
    Ok(())
}
