//! Monthly billing and collection (issue #4): the billing run, Zengin 91 request files, result
//! imports posted to the append-only ledger, reconciliation, and what a member sees.
//!
//! A run walks the active contracts of one program in chunks (one transaction per chunk, a
//! cursor committed with the chunk), so it can be killed at any point and resumed by any
//! instance without billing anyone twice (also enforced by UNIQUE (contract_id, month)). A lease
//! on the run row, renewed with every chunk and checked in the chunk's own transaction, makes a
//! month billed once even with several instances. Files are always rebuilt from the stored bill
//! lines, so the same month with the same data gives byte-identical files.

mod loan_lines;
mod member_view;
mod reconciliation;
mod request_files;
mod result_import;
mod run;
pub mod scheduler;
pub mod screen;
pub mod staff;

pub(crate) use loan_lines::early_debit;
pub use member_view::{BilledMonth, ContractBilling, NextDebit, failure_explanation_ja};
pub(crate) use reconciliation::run_reconciliation;
pub use reconciliation::{Reconciliation, Tally};
pub use request_files::WrittenFile;
pub use result_import::{
    ImportError, ImportOutcome, ImportProblem, Refusal, makes_mandate_unusable, reason_code,
};
pub use run::{RunOptions, RunSummary};

use std::sync::Arc;

use kyosai_domain::billing::{self as dom, LineHistory, LineResult};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::{Program, YearMonth, Yen};
use kyosai_store::billing as store;

use crate::{App, AppError};

/// Progress of a long job, for a progress bar and logs.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Billing `program`: `total` contracts to walk.
    Start { program: Program, total: u64 },
    /// `done` more contracts walked.
    Advance { program: Program, done: u64 },
    /// A request file was written.
    File { name: String, records: usize },
}

/// A failure that should not happen: an error (kept as the source, with its own causes) or a
/// message.
pub(crate) fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
    AppError::Internal(e.into())
}

pub(crate) fn parse_month(s: &str) -> Result<YearMonth, AppError> {
    s.parse::<YearMonth>()
        .map_err(|_| AppError::Internal(format!("stored month is invalid: {s}").into()))
}

/// A stored change with late months, as billing settles it.
pub(crate) fn late_settlement(
    s: &kyosai_store::premium_changes::StoredLate,
) -> Result<dom::LateSettlement, AppError> {
    Ok(dom::LateSettlement {
        from: parse_month(&s.late_from)?,
        effective: parse_month(&s.effective_month)?,
        previous: Yen::new(s.previous_premium),
        premium: Yen::new(s.monthly_premium),
    })
}

/// Replays stored lines into the domain's standing.
pub(crate) fn histories(lines: &[store::LineWithResult]) -> Result<Vec<LineHistory>, AppError> {
    lines
        .iter()
        .map(|l| {
            Ok(LineHistory {
                month: parse_month(&l.month)?,
                items: dom::decode_items(&l.items)
                    .ok_or_else(|| internal(format!("bill line {} items are invalid", l.id)))?,
                amount: Yen::new(l.amount),
                result: match l.result.as_deref() {
                    Some("collected") => LineResult::Collected,
                    Some("failed") => LineResult::Failed,
                    _ => LineResult::Pending,
                },
            })
        })
        .collect()
}

impl App {
    /// The rule set in force for a billing month (on its first day).
    pub fn billing_rules(
        &self,
        program: Program,
        month: YearMonth,
    ) -> Result<Arc<RuleSet>, AppError> {
        self.rules
            .in_force(program, month.day(1))
            .ok_or_else(|| internal(format!("no rule set for {}", program.as_str())))
    }
}
