//! `kyosai documents issue --kind certificate --year YYYY --out DIR`: the mass issue of the
//! 控除証明書 for the print-and-mail contractor (issue #13 item 5; docs/DOCUMENTS.md "Mass
//! issue"). Resumable: rerun the same command after a crash.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use kyosai_app::mass_issue::IssueOptions;
use kyosai_app::{App, Clock};

use crate::billing::bar;
use crate::config::Storage;

#[derive(Subcommand)]
pub enum DocumentsCommand {
    /// Issue every document of a kind. `certificate`: the year's 控除証明書 for the mailing, PDFs
    /// (and signed e-Tax XML) in batch folders by postcode region under OUT, with
    /// OUT/index.csv. `payment-status`: the March 掛金納付状況のお知らせ to every active
    /// contract, each issued as a document and mailed to its member.
    Issue(IssueArgs),
}

#[derive(Args)]
pub struct IssueArgs {
    /// What to issue: `certificate` (小規模企業共済掛金控除証明書) or `payment-status`
    /// (掛金納付状況（及び貸付限度額等）のお知らせ).
    #[arg(long, value_parser = ["certificate", "payment-status"])]
    kind: String,
    /// The calendar year (年分) of the certificates, or the year of the March notices.
    #[arg(long)]
    year: i16,
    /// Where the certificates' batches and index are written (certificates only).
    #[arg(long, required_if_eq("kind", "certificate"))]
    out: Option<PathBuf>,
    /// Rendering threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// PEM file with the key and certificate that sign the e-Tax XML (as `serve
    /// --signing-key`); without it only PDFs are written.
    #[arg(long, env = "KYOSAI_SIGNING_KEY")]
    signing_key: Option<PathBuf>,
    /// Base URL printed in each certificate's verification address and QR code.
    #[arg(
        long,
        env = "KYOSAI_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    public_url: String,
    #[command(flatten)]
    storage: Storage,
}

pub async fn run(command: DocumentsCommand) -> Result<()> {
    match command {
        DocumentsCommand::Issue(a) => issue(a).await,
    }
}

async fn issue(a: IssueArgs) -> Result<()> {
    let store = a.storage.open().await?;
    let mut app = App::new(store, Clock::System, a.public_url.trim_end_matches('/'))?;
    if a.kind == "payment-status" {
        let pb = bar(0, "issue");
        let run = app
            .issue_payment_status_notices(a.year, &|done, total| {
                pb.set_length(total as u64);
                pb.set_position(done as u64);
            })
            .await;
        pb.finish();
        app.close().await;
        let run = run?;
        println!(
            "{}年3月の掛金納付状況のお知らせ: {}件を発行・送信しました（発行済みのため省略 {}件）。",
            a.year, run.issued, run.already_issued
        );
        return Ok(());
    }
    let Some(out) = a.out.clone() else {
        anyhow::bail!("--out is required for --kind certificate");
    };
    if let Some(path) = &a.signing_key {
        let key = kyosai_docs::etax::SigningKey::from_pem_file(path)
            .with_context(|| format!("loading the signing key {}", path.display()))?;
        app = app.with_signing_key(std::sync::Arc::new(key));
    }
    let options = IssueOptions {
        year: a.year,
        out,
        threads: a
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    let issue_bar = bar(0, "issue");
    let render_bar = bar(0, "render");
    let started = std::time::Instant::now();
    let summary = app
        .issue_certificates(&options, &|phase, done, total| {
            let pb = if phase == "issue" {
                &issue_bar
            } else {
                &render_bar
            };
            pb.set_length(total as u64);
            pb.set_position(done as u64);
        })
        .await;
    issue_bar.finish();
    render_bar.finish();
    app.close().await;
    let s = summary?;
    println!(
        "{}年分の控除証明書 {}件（うち今回作成 {}件、XML {}件、{}バッチ）: {:.1}秒\n索引: {}",
        a.year,
        s.certificates,
        s.rendered,
        s.xml_files,
        s.batches,
        started.elapsed().as_secs_f64(),
        s.index.display()
    );
    Ok(())
}
