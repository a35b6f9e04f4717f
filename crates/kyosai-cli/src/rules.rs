//! `kyosai rules …`: load a new rule-set version (validated first) and list the versions in force.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kyosai_app::{App, AppError, Clock};

use crate::config::Storage;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Validate a rule-set file (with the sanity bounds) and stage it: an approver approves it
    /// on the staff screen (規則セット), seeing the diff against the version in force; it then
    /// takes effect from its effective_from date.
    Load {
        /// The TOML file (same format as rules/<program>/<date>.toml).
        file: std::path::PathBuf,
        #[command(flatten)]
        storage: Storage,
    },
    /// List every rule-set version (shipped and loaded), marking the ones in force today.
    List {
        #[command(flatten)]
        storage: Storage,
    },
}

pub async fn run(command: RulesCommand) -> Result<()> {
    match command {
        RulesCommand::Load { file, storage } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let app = App::new(storage.open().await?, Clock::System, "")?;
            app.refresh_rules().await?;
            match app.stage_rule_set(&text, "cli").await {
                Ok(s) => {
                    println!(
                        "staged rule set {} (staging {}, sha256 {}): waiting for an approver on the staff screen",
                        s.rule_set_id, s.staging_id, s.sha256
                    );
                    for d in &s.diff {
                        println!(
                            "  {}: {} → {}",
                            d.key,
                            d.in_force.as_deref().unwrap_or("-"),
                            d.staged.as_deref().unwrap_or("-")
                        );
                    }
                    if s.backdated {
                        println!(
                            "  the effective date is in the past: the approver must confirm back-dating"
                        );
                    }
                    Ok(())
                }
                Err(AppError::Invalid(problems)) => {
                    eprintln!("{}: refused; nothing was stored:", file.display());
                    for p in &problems {
                        eprintln!("  - {}", p.message);
                    }
                    bail!("{} problem(s) in the rule file", problems.len())
                }
                Err(e) => Err(e.into()),
            }
        }
        RulesCommand::List { storage } => {
            let app = App::new(storage.open().await?, Clock::System, "")?;
            app.refresh_rules().await?;
            let today = app.clock.today();
            let book = app.rules.book();
            for set in book.all() {
                let in_force = book
                    .in_force(set.program, today)
                    .is_some_and(|s| s.id == set.id);
                println!(
                    "{}{:<32} from {}{}",
                    if in_force { "* " } else { "  " },
                    set.id,
                    set.effective_from,
                    if set.has_provisional() {
                        "  (includes provisional values)"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
    }
}
