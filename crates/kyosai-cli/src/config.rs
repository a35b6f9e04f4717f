//! Where the data lives: `--data-dir` (SQLite file `kyosai.db` inside it, plus the mail outbox)
//! or `KYOSAI_DATABASE_URL` for PostgreSQL. Every command takes the same options.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use kyosai_store::Store;
use kyosai_store::audit::AuditKey;

#[derive(Args, Clone)]
pub struct Storage {
    /// Data directory (SQLite database and mail outbox).
    #[arg(long, env = "KYOSAI_DATA_DIR", default_value = "./kyosai-data")]
    data_dir: PathBuf,
    /// PostgreSQL URL (postgres://user@host/db); without it the embedded SQLite database is used.
    #[arg(long, env = "KYOSAI_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The audit chain's HMAC key (64 hex digits), kept outside the database: in production on
    /// another volume or a secrets mount. Created with a random key when missing (default
    /// <data dir>/audit.key, which is how the demo gets one).
    #[arg(long, env = "KYOSAI_AUDIT_KEY_FILE")]
    audit_key_file: Option<PathBuf>,
    /// Where signed audit checkpoints (head, row count, time) are appended every hour (default
    /// <data dir>/audit-checkpoints.log); keep it where the database's users cannot write.
    #[arg(long, env = "KYOSAI_AUDIT_CHECKPOINT_FILE")]
    audit_checkpoint_file: Option<PathBuf>,
}

impl Storage {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    pub fn audit_checkpoint_file(&self) -> PathBuf {
        self.audit_checkpoint_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-checkpoints.log"))
    }

    fn audit_key(&self) -> Result<AuditKey> {
        let path = self
            .audit_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit.key"));
        AuditKey::load(&path, true)
            .with_context(|| format!("reading the audit key {}", path.display()))
    }

    fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("kyosai.db").display()),
        }
    }

    /// A description without credentials, for logs.
    pub fn describe(&self) -> String {
        match &self.database_url {
            Some(url) => {
                let host = url.rsplit('@').next().unwrap_or("");
                format!("PostgreSQL {host}")
            }
            None => format!("SQLite {}", self.data_dir.join("kyosai.db").display()),
        }
    }

    /// Opens the database (creating the data directory and SQLite file on first start) and
    /// applies pending migrations.
    pub async fn open(&self) -> Result<Store> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        let store = Store::connect(&self.url())
            .await
            .with_context(|| format!("opening {}", self.describe()))?;
        store.migrate().await.context("applying migrations")?;
        Ok(store.with_audit_key(self.audit_key()?))
    }
}
