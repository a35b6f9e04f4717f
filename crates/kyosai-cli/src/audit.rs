//! `kyosai audit verify`: recomputes the audit chain with the key, checks the head row and every
//! signed checkpoint (issue #15 item 3). The server runs the same check at start-up and writes a
//! checkpoint every hour ([`checkpoint_forever`]).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kyosai_app::Clock;
use kyosai_store::{Store, audit};

use crate::config::Storage;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the audit chain, its head and the signed checkpoints; exit 1 when broken.
    Verify(Storage),
}

pub async fn run(command: AuditCommand) -> Result<()> {
    match command {
        AuditCommand::Verify(storage) => {
            let store = storage.open().await?;
            let result = verify(&store, &storage.audit_checkpoint_file()).await;
            store.close().await;
            let (rows, checkpoints) = result?;
            println!("audit log intact: {rows} rows, {checkpoints} checkpoints verified");
            Ok(())
        }
    }
}

/// The chain with its head, then the checkpoints: (rows, checkpoints).
pub async fn verify(store: &Store, checkpoints: &Path) -> Result<(i64, usize)> {
    let mut conn = store.read().await?;
    let v = match audit::verify(&mut conn, store.audit_key()).await {
        Ok(v) => v,
        Err(e) => bail!("the audit log is broken: {e}"),
    };
    let n = match audit::verify_checkpoints(&mut conn, store.audit_key(), checkpoints).await {
        Ok(n) => n,
        Err(e) => bail!("the audit log does not match its checkpoints: {e}"),
    };
    Ok((v.rows, n))
}

/// How often the server writes a signed checkpoint.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(3600);

/// Writes a checkpoint now and then every hour; a failure (a broken chain, a full disk) is
/// logged as an error for the operators' alerting.
pub async fn checkpoint_forever(store: Store, path: std::path::PathBuf) {
    loop {
        if let Err(e) = checkpoint(&store, &path).await {
            tracing::error!(error = %format!("{e:#}"), "audit checkpoint failed");
        }
        tokio::time::sleep(CHECKPOINT_EVERY).await;
    }
}

async fn checkpoint(store: &Store, path: &Path) -> Result<()> {
    let mut conn = store.read().await?;
    let v = audit::write_checkpoint(
        &mut conn,
        store.audit_key(),
        path,
        &Clock::System.now_text(),
    )
    .await
    .with_context(|| format!("writing {}", path.display()))?;
    let chains = v.heads.iter().filter(|h| h.seq > 0).count();
    tracing::info!(rows = v.rows, chains, "audit checkpoint written");
    Ok(())
}
