//! Fresh databases for tests: always SQLite (a temporary file), and PostgreSQL when
//! `KYOSAI_TEST_POSTGRES_URL` points at a server (CI starts one). Each call creates a new, empty,
//! migrated database, so tests never see each other's data.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::AssertSqlSafe;

use crate::{Result, Store};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The environment variable naming a PostgreSQL server for tests (an admin URL; a database per
/// test is created on it).
pub const POSTGRES_ENV: &str = "KYOSAI_TEST_POSTGRES_URL";

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = jiff::Timestamp::now().as_nanosecond();
    format!(
        "kyosai_test_{}_{}_{}",
        std::process::id(),
        nanos.rem_euclid(1_000_000_000_000),
        n
    )
}

/// A migrated SQLite database in a temporary directory (kept alive by the returned guard).
pub async fn sqlite() -> Result<(Store, TempDir)> {
    let dir = TempDir::new()?;
    let url = format!("sqlite://{}/kyosai.db", dir.path);
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok((store, dir))
}

/// A migrated, empty PostgreSQL database, or None (with a notice on stderr) when no server is
/// configured.
pub async fn postgres() -> Result<Option<Store>> {
    Ok(postgres_url().await?.map(|(store, _)| store))
}

/// Per backend, two stores with their own connection pools (and, on SQLite, their own write
/// gates) over one fresh database: what two server instances see.
pub async fn instance_pairs() -> Result<Vec<(Store, Store, Option<TempDir>)>> {
    let dir = TempDir::new()?;
    let url = format!("sqlite://{}/kyosai.db", dir.path);
    let first = Store::connect(&url).await?;
    first.migrate().await?;
    let mut pairs = vec![(first, Store::connect(&url).await?, Some(dir))];
    if let Some((first, url)) = postgres_url().await? {
        pairs.push((first, Store::connect(&url).await?, None));
    }
    Ok(pairs)
}

async fn postgres_url() -> Result<Option<(Store, String)>> {
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        eprintln!("PostgreSQL skipped: {POSTGRES_ENV} is not set");
        return Ok(None);
    };
    let admin = Store::connect(&admin_url).await?;
    let name = unique_name();
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await?;
    admin.close().await;
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{admin_url}/{name}"),
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(Some((store, url)))
}

/// Every backend available here: SQLite always, PostgreSQL when configured.
pub async fn all() -> Result<Vec<(Store, Option<TempDir>)>> {
    let (sqlite, dir) = sqlite().await?;
    let mut stores = vec![(sqlite, Some(dir))];
    if let Some(pg) = postgres().await? {
        stores.push((pg, None));
    }
    Ok(stores)
}

/// A temporary directory removed on drop.
pub struct TempDir {
    pub path: String,
}

impl TempDir {
    fn new() -> Result<TempDir> {
        let path = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&path).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        Ok(TempDir {
            path: path.to_string_lossy().into_owned(),
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
