//! HTTP load benchmark for issue #2's targets, run by hand against a release build:
//!
//! ```sh
//! cargo build --release -p kyosai-cli -p kyosai-bench
//! target/release/kyosai-bench --seconds 60 --clients 32
//! ```
//!
//! It prepares a fresh SQLite data directory (or, with `--database`, an empty PostgreSQL
//! database) with members who each hold an API token and a web session (inserted directly, so
//! preparation is not measured), starts `target/release/kyosai serve` as a separate process
//! (`--instances N`: N processes sharing the PostgreSQL database, requests sent round-robin),
//! then drives it from `--clients` concurrent connections:
//! 1. completed online enrollments (POST /api/v1/enrollments, one new member per request);
//! 2. the member's contract overview page (GET /portal with the session cookie);
//! 3. the public benefit simulation (POST /api/v1/simulations/small-enterprise/benefit);
//! 4. a rule-decided maintenance procedure (POST /api/v1/contracts/{number}/premium-changes, one
//!    per contract enrolled in phase 1, paced by `--procedure-rate`): completed in the request.
//!
//! It prints throughput and latency percentiles; results go to docs/BENCHMARKS.md.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use kyosai_store::{Store, sha256_hex};

#[derive(Parser)]
struct Args {
    /// Seconds per phase.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Members prepared (each enrolls once).
    #[arg(long, default_value_t = 60_000)]
    members: usize,
    /// The server binary.
    #[arg(long, default_value = "target/release/kyosai")]
    server: String,
    /// Page measured in phase 2.
    #[arg(long, default_value = "/portal")]
    overview_path: String,
    /// Offered load for the enrollment phase in requests/s (open loop, latency measured from each
    /// request's scheduled start, so queueing counts). Without it, clients send as fast as they can.
    #[arg(long)]
    enroll_rate: Option<f64>,
    /// Phases to run, comma-separated: enroll, overview, simulation, procedure (procedure needs
    /// enroll first: it changes the premium of the contracts enrolled there).
    #[arg(long, default_value = "enroll,overview,simulation")]
    phases: String,
    /// Offered load for the procedure phase in requests/s (open loop, as `--enroll-rate`).
    #[arg(long, default_value_t = 200.0)]
    procedure_rate: f64,
    /// PostgreSQL URL of an empty database; without it a fresh SQLite database is used.
    #[arg(long)]
    database: Option<String>,
    /// Server processes sharing the database (PostgreSQL only); requests go round-robin.
    #[arg(long, default_value_t = 1)]
    instances: usize,
}

struct Killer(Child);

impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kana_for(i: usize) -> String {
    const K: [char; 10] = ['ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ'];
    format!("{i:07}")
        .chars()
        .map(|d| K[d.to_digit(10).unwrap_or(0) as usize])
        .collect()
}

async fn prepare(url: &str, members: usize) -> Result<()> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    let mut tx = store.begin_write().await?;
    let now = "2026-11-26T00:00:00Z";
    for i in 0..members {
        let row = sqlx::query(
            "INSERT INTO users (role, email, display_name, email_verified_at, totp_enabled, created_at) VALUES ('member', $1, '', $2, 1, $2) RETURNING id",
        )
        .bind(format!("bench{i}@example.jp"))
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
        let id: i64 = kyosai_store::Row::try_get(&row, "id")?;
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, 'bench', $3)")
            .bind(sha256_hex(format!("bench-token-{i}").as_bytes()))
            .bind(id)
            .bind(now)
            .execute(tx.conn())
            .await?;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, mfa_done, created_at, expires_at) VALUES ($1, $2, 1, $3, '2099-01-01T00:00:00Z')")
            .bind(sha256_hex(format!("bench-session-{i}").as_bytes()))
            .bind(id)
            .bind(now)
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    store.close().await;
    Ok(())
}

/// Waits for `base`'s /healthz (10 s at most).
async fn wait_until_up(http: &reqwest::Client, base: &str) -> Result<()> {
    for _ in 0..100 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("server {base} did not start")
}

struct Outcome {
    ok: usize,
    errors: usize,
    latencies_us: Vec<u64>,
    /// (second of the run the request was scheduled in, latency µs): latency over time, so a
    /// stall (a checkpoint, a lock held too long) shows as the second it happened in.
    timeline: Vec<(u32, u64)>,
    elapsed: Duration,
}

/// The p99 of each second of the run, printed as one line (`s:p99ms`), worst second marked.
fn report_timeline(o: &Outcome) {
    let seconds = o
        .timeline
        .iter()
        .map(|(s, _)| *s)
        .max()
        .map_or(0, |s| s + 1);
    let mut per: Vec<Vec<u64>> = vec![Vec::new(); seconds as usize];
    for (s, l) in &o.timeline {
        per[*s as usize].push(*l);
    }
    let p99s: Vec<f64> = per
        .iter_mut()
        .map(|v| {
            v.sort_unstable();
            v.get((v.len() * 99 / 100).min(v.len().saturating_sub(1)))
                .map_or(0.0, |l| *l as f64 / 1000.0)
        })
        .collect();
    let line: Vec<String> = p99s
        .iter()
        .enumerate()
        .map(|(s, p)| format!("{s}:{p:.0}"))
        .collect();
    let worst = p99s
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1));
    println!("  per-second p99 ms: {}", line.join(" "));
    if let Some((s, p)) = worst {
        println!("  worst second: {s} (p99 {p:.1} ms)");
    }
}

fn report(name: &str, o: &mut Outcome) {
    o.latencies_us.sort_unstable();
    let pct = |p: f64| {
        let n = o.latencies_us.len();
        if n == 0 {
            0.0
        } else {
            o.latencies_us[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0
        }
    };
    println!(
        "{name}: {} ok, {} errors in {:.1} s → {:.0} req/s; latency ms p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}",
        o.ok,
        o.errors,
        o.elapsed.as_secs_f64(),
        o.ok as f64 / o.elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
}

/// Runs `clients` loops for `seconds`; `request(i)` sends request number i and says whether it
/// succeeded.
async fn drive<F, Fut>(clients: usize, seconds: u64, request: F) -> Outcome
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    drive_at(clients, seconds, None, request).await
}

/// Like [`drive`], optionally pacing request i to start at `i / rate` seconds.
async fn drive_at<F, Fut>(clients: usize, seconds: u64, rate: Option<f64>, request: F) -> Outcome
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (request, next) = (request.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors, mut lat) = (0, 0, Vec::with_capacity(100_000));
            let mut timeline = Vec::with_capacity(100_000);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let t = match rate {
                    Some(r) => {
                        let at = start + Duration::from_secs_f64(i as f64 / r);
                        if at >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(at.into()).await;
                        at
                    }
                    None => Instant::now(),
                };
                if request(i).await {
                    ok += 1;
                    let l = t.elapsed().as_micros() as u64;
                    lat.push(l);
                    timeline.push(((t - start).as_secs() as u32, l));
                } else {
                    errors += 1;
                }
            }
            (ok, errors, lat, timeline)
        }));
    }
    let mut out = Outcome {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
        timeline: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        if let Ok((ok, errors, lat, timeline)) = t.await {
            out.ok += ok;
            out.errors += errors;
            out.latencies_us.extend(lat);
            out.timeline.extend(timeline);
        }
    }
    out.elapsed = start.elapsed();
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("kyosai-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("preparing {} members in {} …", args.members, dir.display());
    let url = match &args.database {
        Some(url) => url.clone(),
        None if args.instances == 1 => format!("sqlite://{}/kyosai.db", dir.display()),
        None => bail!("--instances above 1 needs --database (instances share PostgreSQL)"),
    };
    prepare(&url, args.members).await?;
    // One audit key for every instance: they append to one hash chain.
    let audit_key = dir.join("audit.key");
    kyosai_store::audit::AuditKey::load(&audit_key, true)?;

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for k in 0..args.instances {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let data_dir = if args.instances == 1 {
            dir.clone()
        } else {
            dir.join(format!("instance-{k}"))
        };
        let mut server = Command::new(&args.server);
        server
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data_dir)
            .arg("--audit-key-file")
            .arg(&audit_key)
            .env("KYOSAI_LOG", "warn")
            // One client address drives all load: lift the per-client public limit for the run.
            .env("KYOSAI_SIMULATION_RPS", "10000000")
            .stdout(Stdio::null());
        if let Some(url) = &args.database {
            server.env("KYOSAI_DATABASE_URL", url);
        }
        let child = server
            .spawn()
            .with_context(|| format!("starting {}", args.server))?;
        servers.push(Killer(child));
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&http, &base).await?;
        bases.push(base);
    }
    // Request i goes to instance i mod n.
    let bases = Arc::new(bases);
    let base_for = move |i: usize| bases[i % bases.len()].clone();

    let phases: Vec<&str> = args.phases.split(',').map(str::trim).collect();
    let mut enrolled = 0;
    // (member index, contract number) of each completed enrollment, for the procedure phase.
    let contracts: Arc<std::sync::Mutex<Vec<(usize, String)>>> = Arc::default();
    if phases.contains(&"enroll") {
        let template =
            serde_json::to_value(kyosai_app::dev::demo::sample_form("small_enterprise"))?;
        let members = args.members;
        let (h, b, t) = (http.clone(), base_for.clone(), template.clone());
        let numbers = contracts.clone();
        let mut enroll = drive_at(args.clients, args.seconds, args.enroll_rate, move |i| {
            let (h, b, mut form, numbers) = (h.clone(), b(i), t.clone(), numbers.clone());
            async move {
                if i >= members {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    return false;
                }
                form["given_name_kana"] = serde_json::json!(kana_for(i));
                form["account_holder_kana"] = serde_json::json!(format!("ﾔﾏﾀﾞ {}", kana_for(i)));
                let r = h
                    .post(format!("{b}/api/v1/enrollments"))
                    .bearer_auth(format!("bench-token-{i}"))
                    .json(&form)
                    .send()
                    .await;
                let Ok(r) = r else { return false };
                if r.status().as_u16() != 201 {
                    return false;
                }
                let Ok(body) = r.json::<serde_json::Value>().await else {
                    return false;
                };
                match body["contract"]["number"].as_str() {
                    Some(n) => {
                        numbers
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((i, n.to_string()));
                        true
                    }
                    None => false,
                }
            }
        })
        .await;
        report(
            "completed online enrollments (POST /api/v1/enrollments)",
            &mut enroll,
        );
        report_timeline(&enroll);
        enrolled = enroll.ok;
    }

    if phases.contains(&"overview") {
        let enrolled = enrolled.max(1);
        let (h, b, path) = (http.clone(), base_for.clone(), args.overview_path.clone());
        let mut overview = drive(args.clients, args.seconds, move |i| {
            let (h, b, path) = (h.clone(), b(i), path.clone());
            async move {
                let member = i % enrolled.min(1000);
                let r = h
                    .get(format!("{b}{path}"))
                    .header("cookie", format!("kyosai_session=bench-session-{member}"))
                    .bearer_auth(format!("bench-token-{member}"))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        })
        .await;
        report(
            &format!("contract overview page (GET {})", args.overview_path),
            &mut overview,
        );
    }

    if phases.contains(&"simulation") {
        let (h, b) = (http.clone(), base_for.clone());
        let mut sim = drive(args.clients, args.seconds, move |i| {
            let (h, b) = (h.clone(), b(i));
            async move {
                let body = serde_json::json!({
                    "reason": "A",
                    "history": [
                        { "monthly_premium_yen": 10_000 + 500 * (i % 20) as i64, "months": 120 },
                        { "monthly_premium_yen": 30_000, "months": 240 }
                    ],
                    "fiscal_year": 2026
                });
                let r = h
                    .post(format!("{b}/api/v1/simulations/small-enterprise/benefit"))
                    .json(&body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        })
        .await;
        report(
            "simulation (POST /api/v1/simulations/small-enterprise/benefit)",
            &mut sim,
        );
    }
    if phases.contains(&"procedure") {
        let mut done = contracts.lock().unwrap_or_else(|e| e.into_inner()).clone();
        done.sort();
        let targets = Arc::new(done);
        let (h, b) = (http.clone(), base_for.clone());
        let mut procedure = drive_at(
            args.clients,
            args.seconds,
            Some(args.procedure_rate),
            move |i| {
                let (h, b, targets) = (h.clone(), b(i), targets.clone());
                async move {
                    let Some((member, number)) = targets.get(i) else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        return false;
                    };
                    // An increase within the 小規模 range and step: decided by the rules.
                    let body =
                        serde_json::json!({ "monthly_premium_yen": 35_000 + 500 * (i % 20) });
                    let r = h
                        .post(format!("{b}/api/v1/contracts/{number}/premium-changes"))
                        .bearer_auth(format!("bench-token-{member}"))
                        .json(&body)
                        .send()
                        .await;
                    matches!(r, Ok(r) if r.status().as_u16() == 201)
                }
            },
        )
        .await;
        report(
            "rule-decided premium changes (POST /api/v1/contracts/{number}/premium-changes)",
            &mut procedure,
        );
        report_timeline(&procedure);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
