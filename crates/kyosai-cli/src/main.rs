//! `kyosai`: the one binary operators and developers run.

mod audit;
mod backup;
mod billing;
mod config;
mod dev;
mod documents;
mod paper;
mod payments;
mod payouts;
mod prepayment;
mod rules;

/// mimalloc instead of glibc malloc: rendering documents (typst, the PDF writer) and serving
/// allocate heavily from every thread (docs/BENCHMARKS.md, mass issue).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use kyosai_app::billing::RunOptions;
use kyosai_app::billing::scheduler::ScheduleConfig;
use kyosai_app::evidence::EvidenceConfig;
use kyosai_app::mail::{self, Mailer};
use kyosai_app::{App, Clock, Role};
use tracing_subscriber::EnvFilter;

use crate::config::Storage;

#[derive(Parser)]
#[command(name = "kyosai", version, about = "Kyosai — 小規模企業共済・経営セーフティ共済の事務システム", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (member portal, staff screens, /api/v1).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(Storage),
    /// Manage API bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Program rule sets: load a new version, list versions.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Monthly billing: request files, result imports, reconciliation.
    Billing {
        #[command(subcommand)]
        command: billing::BillingCommand,
    },
    /// 納付書 payments (arrears of 12 months or more): import payment files.
    Payments {
        #[command(subcommand)]
        command: payments::PaymentsCommand,
    },
    /// The audit log: verify its chain, head and signed checkpoints.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Paper forms from the BPO contractor: import batch files (docs/paper-batch.md).
    Paper {
        #[command(subcommand)]
        command: paper::PaperCommand,
    },
    /// Payouts (共済金, refunds, 前納減額金): 総合振込 transfer files.
    Payouts {
        #[command(subcommand)]
        command: payouts::PayoutsCommand,
    },
    /// Member documents: the mass issue of certificates for the mailing.
    Documents {
        #[command(subcommand)]
        command: documents::DocumentsCommand,
    },
    /// Development tools: synthetic data, bank simulator.
    Dev {
        #[command(subcommand)]
        command: dev::DevCommand,
    },
    /// Write a consistent copy of the SQLite database while the server keeps serving.
    Backup(backup::BackupArgs),
    /// Restore a backup into a new, empty data directory.
    Restore(backup::RestoreArgs),
    /// Check the data: audit chain, ledger against bill lines, request files, rule sets.
    Verify(backup::VerifyArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KYOSAI_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Seed demo data (staff, an agency, members, pending applications) into an empty database
    /// and print the demo logins.
    #[arg(long)]
    demo: bool,
    /// Base URL used in links sent by mail (defaults to http://<addr>).
    #[arg(long, env = "KYOSAI_PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP server for real mail (smtp://host:port or smtps://user:pass@host); without it mail is
    /// written as .eml files to <data dir>/outbox/.
    #[arg(long, env = "KYOSAI_SMTP_URL")]
    smtp_url: Option<String>,
    /// `on`: bill each program's coming debit month on its file-delivery day (the debit date
    /// minus the rule set's collection.cutoff_business_days bank business days).
    #[arg(long, env = "KYOSAI_BILLING_SCHEDULE", default_value = "off", value_parser = ["on", "off"])]
    billing_schedule: String,
    /// Where billing runs (scheduled or started from the staff screens) write the request files
    /// (default <data dir>/billing).
    #[arg(long, env = "KYOSAI_BILLING_OUT")]
    billing_out: Option<PathBuf>,
    /// Where uploaded evidence (添付書類) is stored, outside any served folder (default: an
    /// `evidence` folder in the data directory, beside the SQLite database).
    #[arg(long, env = "KYOSAI_EVIDENCE_DIR")]
    evidence_dir: Option<PathBuf>,
    /// The largest evidence file accepted, in MiB (at most 30: the upload routes' body limit).
    #[arg(long, env = "KYOSAI_EVIDENCE_MAX_MIB", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=30))]
    evidence_max_mib: u16,
    /// PEM file with the RSA private key (PKCS#8 or PKCS#1, unencrypted) and its X.509
    /// certificate that sign the e-Tax XML of certificates (a PKCS#12 file converts with
    /// `openssl pkcs12 -in key.p12 -nodes -out key.pem`). Without it, `--demo` makes a
    /// self-signed key in the data directory at first start and reuses it; otherwise no XML is
    /// offered.
    #[arg(long, env = "KYOSAI_SIGNING_KEY")]
    signing_key: Option<PathBuf>,
    #[command(flatten)]
    storage: Storage,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new bearer token for a staff user or a service account.
    Create(TokenArgs),
    /// List every token (id, owner, name, expiry, revocation), never the secret.
    List(Storage),
    /// Revoke a token by the id `kyosai token list` shows.
    Revoke {
        /// The token's id (at least 8 hex digits).
        id: String,
        #[command(flatten)]
        storage: Storage,
    },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct TokenTarget {
    /// E-mail of an existing staff user.
    #[arg(long)]
    staff: Option<String>,
    /// Name of a service account (created if it does not exist).
    #[arg(long)]
    service: Option<String>,
}

#[derive(Args)]
struct TokenArgs {
    #[command(flatten)]
    target: TokenTarget,
    /// Hours until the token expires (default 720 = 30 days, at most 8760).
    #[arg(long)]
    hours: Option<i64>,
    /// What a service token may read: `contracts:read`, `billing:read` (repeat for several;
    /// replaces the service account's scopes). Without any, a service reads no member's data.
    #[arg(long = "scope", requires = "service")]
    scopes: Vec<String>,
    #[command(flatten)]
    storage: Storage,
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("KYOSAI_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("KYOSAI_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(!std::io::stderr().is_terminal());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    init_logging();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(storage) => {
            storage.open().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create(args),
        } => create_token(args).await,
        Command::Token {
            command: TokenCommand::List(storage),
        } => list_tokens(storage).await,
        Command::Token {
            command: TokenCommand::Revoke { id, storage },
        } => revoke_token(&id, storage).await,
        Command::Billing { command } => billing::run(command).await,
        Command::Rules { command } => rules::run(command).await,
        Command::Payments { command } => payments::run(command).await,
        Command::Audit { command } => audit::run(command).await,
        Command::Paper { command } => paper::run(command).await,
        Command::Payouts { command } => payouts::run(command).await,
        Command::Documents { command } => documents::run(command).await,
        Command::Dev { command } => dev::run(command).await,
        Command::Backup(args) => backup::backup(args).await,
        Command::Restore(args) => backup::restore(args).await,
        Command::Verify(args) => backup::verify(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    // Before any request: the first members after a start do not wait for the look-up tables.
    tokio::task::spawn_blocking(kyosai_app::reference_data::load)
        .await?
        .context("loading the reference data")?;
    let store = args.storage.open().await?;
    store
        .open_all_connections()
        .await
        .context("opening the database connections")?;
    // A rewritten or truncated audit log stops the server: operators look before anyone works.
    let checkpoints = args.storage.audit_checkpoint_file();
    let (rows, verified) = audit::verify(&store, &checkpoints)
        .await
        .context("verifying the audit log at start-up")?;
    tracing::info!(rows, checkpoints = verified, "audit log verified");
    let audit_checkpoints = tokio::spawn(audit::checkpoint_forever(store.clone(), checkpoints));
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.addr));
    let app = App::new(store, Clock::System, public_url.trim_end_matches('/'))
        .context("loading rule sets")?
        .with_evidence(EvidenceConfig {
            dir: Some(
                args.evidence_dir
                    .clone()
                    .unwrap_or_else(|| args.storage.data_dir().join("evidence")),
            ),
            max_bytes: usize::from(args.evidence_max_mib) * 1024 * 1024,
        });
    let app = match signing_key(&args)? {
        Some(key) => app.with_signing_key(std::sync::Arc::new(key)),
        None => {
            tracing::warn!("no signing key (KYOSAI_SIGNING_KEY): certificates have no e-Tax XML");
            app
        }
    };
    app.refresh_rules()
        .await
        .context("loading stored rule sets")?;
    if args.demo && app.seed_demo().await.context("seeding demo data")? {
        tracing::info!("demo data seeded");
    }
    let mailer = Mailer::from_config(
        args.smtp_url.as_deref(),
        args.storage.data_dir().join("outbox"),
    )?;
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let local = listener.local_addr()?;
    println!(
        "Kyosai is running: http://{local}/  (database: {})",
        args.storage.describe()
    );
    if args.demo {
        print_demo_logins(&app);
    }
    let delivery = tokio::spawn(deliver_mail_forever(app.clone(), mailer));
    let rules = tokio::spawn(refresh_rules_forever(app.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // Scheduled runs and runs started from the staff screens write to the same folder.
    let billing_out = args
        .billing_out
        .clone()
        .unwrap_or_else(|| args.storage.data_dir().join("billing"));
    let billing = (args.billing_schedule == "on").then(|| {
        let cfg = ScheduleConfig {
            out_dir: billing_out.clone(),
            every: BILLING_CHECK_EVERY,
            run: RunOptions::default(),
        };
        let app = app.clone();
        tokio::spawn(async move { app.billing_schedule_forever(cfg, stopped).await })
    });
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    kyosai_web::serve(listener, app.clone(), billing_out, shutdown).await?;
    if let Some(billing) = billing
        && let Err(e) = billing.await
    {
        tracing::error!(error = %e, "billing schedule task failed");
    }
    delivery.abort();
    rules.abort();
    audit_checkpoints.abort();
    app.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How often the billing schedule looks for a due month (a delivery day lasts all day).
const BILLING_CHECK_EVERY: Duration = Duration::from_secs(300);

/// The key that signs the e-Tax XML: the configured file, or for a demo server its own
/// self-signed key, made at first start in the data directory and reused after.
fn signing_key(args: &ServeArgs) -> Result<Option<kyosai_docs::etax::SigningKey>> {
    use kyosai_docs::etax::SigningKey;
    if let Some(path) = &args.signing_key {
        return SigningKey::from_pem_file(path)
            .map(Some)
            .with_context(|| format!("loading the signing key {}", path.display()));
    }
    if !args.demo {
        return Ok(None);
    }
    let path = args.storage.data_dir().join("demo-signing-key.pem");
    let key = SigningKey::load_or_generate(&path, "Kyosai デモ署名鍵（検証用・本番利用不可）")
        .with_context(|| format!("the demo signing key {}", path.display()))?;
    tracing::info!(path = %path.display(), "demo signing key (self-signed)");
    Ok(Some(key))
}

fn print_demo_logins(app: &App) {
    use kyosai_app::dev::demo::{DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_SECRET};
    println!();
    println!("デモ用ログイン（パスワードはすべて {DEMO_PASSWORD}）:");
    for l in DEMO_LOGINS {
        println!("  {:<28} {}", l.email, l.role);
    }
    println!("二段階認証の秘密鍵（認証アプリに登録）: {DEMO_TOTP_SECRET}");
    if let Ok(code) = kyosai_app::auth::totp_code(DEMO_TOTP_SECRET, "demo", app.clock.now()) {
        println!("  いまの確認コード: {code}（30秒ごとに変わります）");
    }
    println!("API の説明: {}/api/v1/docs", app.public_url);
    println!();
}

/// Every second: delivers outbox mail (failures are retried on the next round) and checkpoints
/// the SQLite WAL in the background.
async fn deliver_mail_forever(app: App, mailer: Mailer) {
    loop {
        if let Err(e) = mail::deliver_pending(&app, &mailer).await {
            tracing::warn!(error = %e, "mail delivery round failed");
        }
        if let Err(e) = app.checkpoint().await {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Every 30 seconds: picks up rule-set versions loaded by another instance (this instance's own
/// loads take effect at once). A stored version that fails validation is logged and the rules in
/// use stay as they are.
async fn refresh_rules_forever(app: App) {
    loop {
        tokio::time::sleep(Duration::from_secs(30)).await;
        match app.refresh_rules().await {
            Ok(true) => tracing::info!("rule sets reloaded"),
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e, "reloading rule sets failed; keeping the rules in use")
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn create_token(args: TokenArgs) -> Result<()> {
    let store = args.storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let (user_id, name) = if let Some(email) = &args.target.staff {
        let user = app
            .user_by_email(email)
            .await?
            .with_context(|| format!("no user with e-mail {email}"))?;
        if user.role != "staff" {
            bail!("{email} is not a staff user (role {})", user.role);
        }
        (user.id, format!("cli:staff:{email}"))
    } else if let Some(service) = &args.target.service {
        if service.is_empty()
            || !service
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!("service names use letters, digits, - and _");
        }
        let email = format!("{}@service.kyosai.invalid", service.to_lowercase());
        let id = match app.user_by_email(&email).await? {
            Some(u) => u.id,
            None => {
                app.create_account(Role::Service, &email, service, None)
                    .await?
            }
        };
        let mut scopes = Vec::new();
        for s in &args.scopes {
            scopes
                .push(kyosai_app::capability::Scope::parse(s).with_context(|| {
                    format!("unknown scope {s} (contracts:read, billing:read)")
                })?);
        }
        if !args.scopes.is_empty() {
            app.set_service_scopes("cli", id, &scopes).await?;
        }
        (id, format!("cli:service:{service}"))
    } else {
        bail!("give --staff EMAIL or --service NAME");
    };
    let token = app.issue_token(user_id, &name, args.hours).await?;
    println!("{token}");
    Ok(())
}

async fn list_tokens(storage: Storage) -> Result<()> {
    let store = storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    // The CLI runs with the operator's rights on the database: it lists as the system.
    let mut lines = Vec::new();
    for t in app.all_tokens().await? {
        lines.push(format!(
            "{}  {:<32} {:<8} {:<28} created {}  expires {}{}",
            t.id,
            t.email,
            t.role,
            t.name,
            t.created_at,
            t.expires_at.as_deref().unwrap_or("never"),
            t.revoked_at
                .as_deref()
                .map(|r| format!("  revoked {r}"))
                .unwrap_or_default()
        ));
    }
    app.close().await;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

async fn revoke_token(id: &str, storage: Storage) -> Result<()> {
    let store = storage.open().await?;
    let app = App::new(store, Clock::System, "")?;
    let done = app.revoke_token("cli", id).await;
    app.close().await;
    if done? {
        println!("revoked {id}");
        Ok(())
    } else {
        bail!("no single live token has the id {id}")
    }
}
