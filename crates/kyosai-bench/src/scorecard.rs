//! Scorecard benchmark (issue #14), run by hand against a release build, never in tests:
//!
//! ```sh
//! cargo build --release -p kyosai-bench
//! target/release/kyosai-scorecard-bench --contracts 2300000 --procedures-per-contract 2
//! ```
//!
//! It builds a synthetic book in a fresh SQLite database (or `--database` URL, e.g. a
//! throwaway PostgreSQL): one member and one enrollment application per contract (a share of
//! them received in the 24 months, the rest before), and `--procedures-per-contract`
//! maintenance applications spread over the 24 months with every channel and status. Then it
//! times the staff scorecard over those 24 months (`--runs` times; the first run reads a cold
//! cache) and prints the row count and the times. Target: ≤ 1 s on 2,300,000 contracts.

/// The allocator of the `kyosai` binary (see the workspace's Cargo.toml), so this measures what
/// production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use anyhow::{Result, bail};
use clap::Parser;
use kyosai_app::{Actor, App, Clock, Role};
use kyosai_store::Store;

#[derive(Parser)]
struct Args {
    /// Contracts in the book.
    #[arg(long, default_value_t = 2_300_000)]
    contracts: u64,
    /// Maintenance applications per contract over the 24 months.
    #[arg(long, default_value_t = 2)]
    procedures_per_contract: u64,
    /// Database URL; default a fresh SQLite file in the temp folder.
    #[arg(long)]
    database: Option<String>,
    /// Timed scorecard runs.
    #[arg(long, default_value_t = 3)]
    runs: u32,
}

const FROM: &str = "2024-12";
const TO: &str = "2026-11";
/// Member ids start here: the staff account made first takes a lower one.
const FIRST_MEMBER: u64 = 100;
/// Rows per INSERT statement.
const BATCH: u64 = 500;
/// Rows per transaction.
const TX_ROWS: u64 = 50_000;

/// A timestamp `n` seconds into the 24 months (from 2024-11-30T15:00Z, 1 Dec 2024 in Japan).
fn received(n: u64) -> String {
    let start = 1_733_000_400_i64; // 2024-11-30T21:00:00Z
    let ts = jiff::Timestamp::from_second(start + i64::try_from(n).unwrap_or(0))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    kyosai_store::timestamp_text(ts)
}

/// A cheap deterministic spread (no RNG dependency; reproducible books).
fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 7
}

const SPAN_SECONDS: u64 = 730 * 86_400;
const PROCEDURES: [&str; 8] = [
    "premium_change",
    "premium_change",
    "mandate_change",
    "details_change",
    "cancellation",
    "frequency_change",
    "prepayment",
    "suspension",
];

async fn build(store: &Store, args: &Args) -> Result<()> {
    let mut done = 0u64;
    while done < args.contracts {
        let mut tx = store.begin_write().await?;
        let end = (done + TX_ROWS).min(args.contracts);
        let mut i = done;
        while i < end {
            let stop = (i + BATCH).min(end);
            let users: Vec<String> = (i..stop)
                .map(|u| {
                    format!(
                        "({}, 'member', 'sc{u}@example.jp', '2020-01-01T00:00:00Z')",
                        u + FIRST_MEMBER
                    )
                })
                .collect();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO users (id, role, email, created_at) VALUES {}",
                users.join(",")
            )))
            .execute(tx.conn())
            .await?;
            let mut apps = Vec::new();
            for u in i..stop {
                let h = mix(u);
                let program = if h.is_multiple_of(3) {
                    "safety_net"
                } else {
                    "small_enterprise"
                };
                let channel = |k: u64| match mix(k) % 10 {
                    0..=3 => "online",
                    4..=8 => "paper",
                    _ => "agency",
                };
                // One in ten contracts enrolled within the 24 months; the rest before.
                let enrolled = if h.is_multiple_of(10) {
                    received(h % SPAN_SECONDS)
                } else {
                    "2020-04-01T00:00:00Z".to_string()
                };
                apps.push(format!(
                    "('{program}', 'enrollment', '{}', {}, 'completed', '{enrolled}', '{enrolled}', 'bench', '{{}}', '[]', 'p{u}')",
                    channel(u),
                    u + FIRST_MEMBER
                ));
                for k in 0..args.procedures_per_contract {
                    let key = u * 31 + k;
                    let g = mix(key);
                    let at = received(g % SPAN_SECONDS);
                    let procedure = PROCEDURES[(g % 8) as usize];
                    let checks = if procedure == "premium_change" && g.is_multiple_of(3) {
                        r#"[{"code":"decrease_reason","status":"passed","field":null,"message":""}]"#
                    } else {
                        "[]"
                    };
                    // Most decided at once; some by a person a few days later.
                    let (status, done_at) = if g.is_multiple_of(5) {
                        ("completed", received(g % SPAN_SECONDS + 3 * 86_400))
                    } else {
                        ("completed", at.clone())
                    };
                    apps.push(format!(
                        "('{program}', '{procedure}', '{}', {}, '{status}', '{at}', '{done_at}', 'bench', '{{}}', '{checks}', 'p{u}')",
                        channel(key),
                        u + FIRST_MEMBER
                    ));
                }
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO applications (program, procedure, channel, member_id, status, received_at, completed_at, rule_set, payload, checks, person_key) VALUES {}",
                apps.join(",")
            )))
            .execute(tx.conn())
            .await?;
            i = stop;
        }
        tx.commit().await?;
        done = end;
        println!("  {done} contracts");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let url = match &args.database {
        Some(u) => u.clone(),
        None => {
            let dir = std::env::temp_dir().join(format!("kyosai-scorecard-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}/kyosai.db", dir.display())
        }
    };
    println!("database: {url}");
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let app = App::new(
        store.clone(),
        Clock::Fixed("2026-12-01T00:00:00Z".parse()?),
        "http://bench",
    )?;
    let staff_id = app
        .create_account(
            Role::Staff,
            "scorecard-bench@kyosai.jp",
            "",
            Some("bench password 1"),
        )
        .await?;
    let staff = Actor {
        user_id: staff_id,
        role: Role::Staff,
    };
    let started = Instant::now();
    build(&store, &args).await?;
    println!(
        "built {} contracts, {} applications in {:.1} s",
        args.contracts,
        args.contracts * (1 + args.procedures_per_contract),
        started.elapsed().as_secs_f64()
    );
    for run in 1..=args.runs {
        let t = Instant::now();
        let card = app.scorecard(&staff, FROM, TO).await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let total: i64 = card
            .rows
            .iter()
            .filter(|r| r.month.is_none() && r.procedure == "all")
            .map(|r| r.total)
            .sum();
        println!(
            "run {run}: {ms:.0} ms, {} rows, {total} applications counted",
            card.rows.len()
        );
        if total <= 0 {
            bail!("nothing counted");
        }
    }
    store.close().await;
    Ok(())
}
