//! `kyosai backup`, `kyosai restore` and `kyosai verify`: the SQLite backup cycle an operator
//! (or a restore drill) runs. PostgreSQL uses `scripts/pg-backup.sh` (base backup + WAL archive)
//! and `kyosai verify` against the restored server.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use kyosai_app::{App, Clock};
use kyosai_store::Store;

use crate::config::Storage;

#[derive(Args)]
pub struct BackupArgs {
    /// The backup file to write (must not exist): a consistent copy of the SQLite database taken
    /// while the server keeps serving.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A file written by `kyosai backup`.
    file: PathBuf,
    /// The new data directory (refused when it already holds anything).
    #[arg(long)]
    data_dir: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Where the billing request files were written (default <data dir>/billing); the recorded
    /// digest of every file found there is checked.
    #[arg(long)]
    billing_dir: Option<PathBuf>,
    #[command(flatten)]
    storage: Storage,
}

pub async fn backup(args: BackupArgs) -> Result<()> {
    let store = args.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    app.backup(&args.out)
        .await
        .with_context(|| format!("backing up to {}", args.out.display()))?;
    app.close().await;
    println!("backup written: {}", args.out.display());
    Ok(())
}

/// Copies the backup into a fresh data directory, checks SQLite's structure and applies the
/// migrations this binary has (a backup taken by an older release is brought up to date).
pub async fn restore(args: RestoreArgs) -> Result<()> {
    let dir = &args.data_dir;
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} already holds data; restore only into a new, empty directory",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let db = dir.join("kyosai.db");
    copy_durably(&args.file, &db)?;
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .context("opening the restored database")?;
    let problems = store.integrity_check().await?;
    if !problems.is_empty() {
        store.close().await;
        bail!("the backup is damaged: {}", problems.join("; "));
    }
    store.migrate().await.context("applying migrations")?;
    store.close().await;
    println!(
        "restored into {}; now run: kyosai verify --data-dir {}",
        dir.display(),
        dir.display()
    );
    Ok(())
}

/// Copies `from` to `to` through a temporary name, synced before the rename, so a crash never
/// leaves a half-copied database under the real name.
fn copy_durably(from: &Path, to: &Path) -> Result<()> {
    let part = to.with_extension("db.part");
    let bytes = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    let mut f =
        std::fs::File::create(&part).with_context(|| format!("creating {}", part.display()))?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    std::fs::rename(&part, to)?;
    Ok(())
}

pub async fn verify(args: VerifyArgs) -> Result<()> {
    let store = args.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    app.refresh_rules()
        .await
        .context("loading stored rule sets")?;
    let billing_dir = args
        .billing_dir
        .clone()
        .unwrap_or_else(|| args.storage.data_dir().join("billing"));
    let report = app.verify(Some(&billing_dir)).await?;
    app.close().await;
    for c in &report.checks {
        let mark = if c.passed() { "ok  " } else { "FAIL" };
        println!("{mark} {}: {}", c.name, c.checked);
        for p in &c.problems {
            println!("     - {p}");
        }
    }
    if !report.passed() {
        bail!("verification failed");
    }
    println!("verification passed");
    Ok(())
}
