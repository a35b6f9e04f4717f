//! Billing started from the staff screens (issue #9, item 8): a run for one program and month,
//! a bank result file uploaded, a run's progress and history, and the failed debits to follow up.
//!
//! A run started here is the CLI's run (`App::billing_run`, same lease, same resumption), carried
//! out in a background task so the request returns at once. The request itself takes the run's
//! lease under an owner name made for this start, so a second start while the run is held (by
//! this start, another screen, the CLI or the schedule) is refused before anything is spawned;
//! a run whose holder died is taken over once its lease expires and resumes from its cursor, as
//! the CLI does. Only staff may start a run or import results: the staff role is the one with
//! access to the money files (the CLI needs the database itself).

use std::path::PathBuf;

use kyosai_domain::billing::RunStatus;
use kyosai_domain::{BillingRunId, FieldError, Program, YearMonth, Yen};
use kyosai_store::billing as store;
use kyosai_store::{audit, sha256_hex};
use kyosai_zengin::debit::ResultCode;
use serde_json::json;

use super::{ImportError, ImportOutcome, Refusal, RunOptions, internal, parse_month};
use crate::ja_text::ja_month;
use crate::review::{require_approver, require_staff};
use crate::{Actor, App, AppError};

/// Failed debits listed at most (a national month may have tens of thousands; the filter by
/// month and program narrows it).
pub const FAILED_DEBITS_SHOWN: i64 = 5_000;

/// How far a run in progress has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunProgress {
    /// Contracts walked so far (by the run's cursor).
    pub done: i64,
    /// Active contracts of the program.
    pub total: i64,
    /// Someone holds the run's lease now; false for a run whose holder stopped (it resumes when
    /// started again).
    pub held: bool,
}

/// One entry of a run's history (from the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEvent {
    pub at: String,
    pub actor: String,
    pub what_ja: &'static str,
    /// The error of a failed run, as logged.
    pub detail: String,
}

/// A run's progress (None once completed) and history.
#[derive(Debug, Clone)]
pub struct RunActivity {
    pub progress: Option<RunProgress>,
    pub events: Vec<RunEvent>,
}

/// A contract with failed debits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDebitContract {
    pub contract_number: String,
    pub program: Program,
    pub holder_name: String,
    /// The months of the failed debits, oldest first.
    pub months: Vec<YearMonth>,
    pub failed_total: Yen,
    pub last_month: YearMonth,
    /// Why the last one failed, in Japanese.
    pub last_reason_ja: &'static str,
    /// No usable debit account: the member must register a new one.
    pub account_unusable: bool,
}

/// Failed debits by contract.
#[derive(Debug, Clone)]
pub struct FailedDebits {
    pub contracts: Vec<FailedDebitContract>,
    /// More failed debits than [`FAILED_DEBITS_SHOWN`] matched: narrow the filter.
    pub truncated: bool,
}

/// Japanese for a failed debit's cause: the bank's result code, or a line withheld for want of
/// a usable account.
pub fn failed_reason_ja(result_code: Option<i64>, reason: Option<&str>) -> &'static str {
    if reason == Some("no_usable_mandate") {
        return "使える引落口座がないため請求を保留";
    }
    result_code
        .and_then(|c| u8::try_from(c).ok())
        .and_then(ResultCode::from_code)
        .map_or("その他", ResultCode::label_ja)
}

fn event_ja(action: &str) -> &'static str {
    match action {
        "billing.run_started" => "画面から開始",
        "billing.run_failed" => "エラーで停止",
        "billing.run_completed" => "完了（依頼ファイル作成）",
        _ => "その他の記録",
    }
}

/// The program and month of a start, typed at the edge: field messages for what is wrong.
fn parse_start(program: &str, month: &str) -> Result<(Program, YearMonth), AppError> {
    let mut errors = Vec::new();
    let program = Program::parse(program.trim());
    if program.is_none() {
        errors.push(FieldError::new(
            "program",
            "required",
            "共済を選択してください。",
        ));
    }
    let month = month.trim().parse::<YearMonth>().ok();
    if month.is_none() {
        errors.push(FieldError::new(
            "month",
            "invalid_month",
            "対象月を「2026-11」のように年と月で入力してください。",
        ));
    }
    match (program, month) {
        (Some(p), Some(m)) => Ok((p, m)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// A stored timestamp as Japan time, `2026年11月2日 10:01` (the stored text when unreadable).
fn jst_time(s: &str) -> String {
    s.parse::<jiff::Timestamp>().map_or_else(
        |_| s.to_string(),
        |t| {
            let dt = crate::clock::jst().to_datetime(t);
            format!(
                "{}年{}月{}日 {}:{:02}",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute()
            )
        },
    )
}

fn error_text(e: &AppError) -> String {
    match e {
        AppError::Conflict { message, .. } | AppError::Unprocessable { message, .. } => {
            message.clone()
        }
        other => other.to_string(),
    }
}

impl App {
    /// Starts (or resumes) the billing run of `program` for `month` in the background, writing
    /// its request files into `out`; returns the run's id at once (staff only). Refused when
    /// the run is completed or held by someone else; audited.
    pub async fn start_billing_run(
        &self,
        actor: &Actor,
        program: &str,
        month: &str,
        out: PathBuf,
    ) -> Result<BillingRunId, AppError> {
        // A run sends debit requests to the banks: an approver's decision, like an approval.
        {
            let mut conn = self.store.read().await?;
            require_approver(&mut conn, actor).await?;
        }
        let (program, month) = parse_start(program, month)?;
        let Some(rules) = self.rules.in_force(program, month.day(1)) else {
            return Err(AppError::Invalid(vec![FieldError::new(
                "month",
                "no_rule_set",
                format!(
                    "{}分に適用される{}の規則セットがありません。",
                    ja_month(month),
                    program.name_ja()
                ),
            )]));
        };
        let debit_date =
            kyosai_domain::schedule::debit_date(&rules.collection, &self.calendar, month);
        let defaults = RunOptions::default();
        // One owner per start: a second start from this very process must not share the lease.
        let owner = format!("{}:screen:{:08x}", defaults.owner, rand::random::<u32>());
        let opts = RunOptions {
            owner: owner.clone(),
            ..defaults
        };
        let month_text = month.to_string();
        let now = self.clock.now_text();
        let mut tx = self.store.begin_write().await?;
        if store::originators(tx.conn(), program.as_str())
            .await?
            .is_empty()
        {
            return Err(AppError::conflict(
                "no_originator",
                format!(
                    "{}の委託者（収納口座）が設定されていません。",
                    program.name_ja()
                ),
            ));
        }
        store::ensure_run(
            tx.conn(),
            program.as_str(),
            &month_text,
            &rules.id,
            &debit_date.to_string(),
            &now,
        )
        .await?;
        let run = store::run(tx.conn(), program.as_str(), &month_text)
            .await?
            .ok_or_else(|| internal("billing run vanished"))?;
        if run.status == RunStatus::Completed {
            return Err(AppError::conflict(
                "billing_completed",
                format!(
                    "{}分の{}は請求処理が完了しています。依頼ファイルはこの請求処理の画面からダウンロードできます。",
                    ja_month(month),
                    program.name_ja()
                ),
            ));
        }
        let until = kyosai_store::timestamp_text(
            self.clock.now() + jiff::SignedDuration::from_secs(opts.lease_seconds),
        );
        if !store::try_lock(tx.conn(), run.id, &owner, &now, &until).await? {
            return Err(AppError::conflict(
                "billing_locked",
                format!(
                    "{}分の{}の請求処理は実行中です（実行しているインスタンス：{}、実行権の期限：{}）。終了を待ってから確認してください。止まった処理は期限の後に再開できます。",
                    ja_month(month),
                    program.name_ja(),
                    run.lock_owner.as_deref().unwrap_or("不明"),
                    run.lock_until
                        .as_deref()
                        .map_or_else(|| "不明".to_string(), jst_time),
                ),
            ));
        }
        let resumed =
            run.cursor_contract_id > store::CURSOR_START || run.status != RunStatus::Billing;
        audit::append(
            tx.conn(),
            self.store.audit_key(),
            &audit::Entry {
                actor: &actor.audit_name(),
                action: "billing.run_started",
                target: &format!("billing_run:{}", run.id),
                before: None,
                after: Some(&json!({ "program": program.as_str(), "month": month_text,
                    "owner": owner, "resumed": resumed, "out": out.display().to_string() })),
                at: &now,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(run_id = run.id.get(), program = program.as_str(), month = %month, owner, resumed, "billing run started from the staff screen");
        let app = self.clone();
        let run_id = run.id;
        tokio::spawn(async move {
            let result = app
                .billing_run(month, Some(program), &out, &opts, &|_| {})
                .await;
            if let Err(e) = result {
                tracing::error!(run_id = run_id.get(), error = %e, "billing run started from the staff screen failed");
                if let Err(audit_error) = app.record_run_failure(run_id, &opts.owner, &e).await {
                    tracing::error!(run_id = run_id.get(), error = %audit_error, "recording the failed run failed");
                }
            }
        });
        Ok(run_id)
    }

    async fn record_run_failure(
        &self,
        run_id: BillingRunId,
        owner: &str,
        e: &AppError,
    ) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        audit::append(
            tx.conn(),
            self.store.audit_key(),
            &audit::Entry {
                actor: &format!("billing:{owner}"),
                action: "billing.run_failed",
                target: &format!("billing_run:{run_id}"),
                before: None,
                after: Some(&json!({ "error": error_text(e) })),
                at: &self.clock.now_text(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Imports a bank result file uploaded by staff: the CLI's import (refused whole when
    /// anything is wrong, refused again by SHA-256), with the refusal audited too.
    pub async fn import_result_file_by_staff(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome, ImportError> {
        require_staff(actor)?;
        let who = actor.audit_name();
        let result = self.import_result_file(file_name, bytes, &who).await;
        if let Err(ImportError::Refused(r)) = &result {
            self.audit_refused_file(&who, "billing.results_refused", "result_file", bytes, r)
                .await?;
        }
        result
    }

    /// Audits a file a staff user uploaded and that was refused whole: who, which file (by its
    /// hash) and every problem, so a refusal on a screen leaves the same trace as a command.
    pub(crate) async fn audit_refused_file(
        &self,
        who: &str,
        action: &str,
        kind: &str,
        bytes: &[u8],
        r: &Refusal,
    ) -> Result<(), AppError> {
        let mut tx = self.store.begin_write().await?;
        audit::append(
            tx.conn(),
            self.store.audit_key(),
            &audit::Entry {
                actor: who,
                action,
                target: &format!("{kind}:{}", sha256_hex(bytes)),
                before: None,
                after: Some(&json!({ "file": r.file_name, "problems": r.problems,
                    "omitted": r.omitted })),
                at: &self.clock.now_text(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A run's progress while it is not completed, and its history (staff only).
    pub async fn billing_run_activity(
        &self,
        actor: &Actor,
        run_id: BillingRunId,
    ) -> Result<RunActivity, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let run = store::run_by_id(&mut conn, run_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let progress = if run.status == RunStatus::Completed {
            None
        } else {
            let program = run.program.as_str();
            let total =
                store::active_contracts_after(&mut conn, program, store::CURSOR_START).await?;
            let done = if run.status == RunStatus::Billing {
                total
                    - store::active_contracts_after(&mut conn, program, run.cursor_contract_id)
                        .await?
            } else {
                total
            };
            let now = self.clock.now_text();
            Some(RunProgress {
                done,
                total,
                held: run
                    .lock_until
                    .as_deref()
                    .is_some_and(|until| until > now.as_str()),
            })
        };
        let events = audit::for_target(&mut conn, &format!("billing_run:{run_id}"))
            .await?
            .into_iter()
            .map(|a| RunEvent {
                what_ja: event_ja(&a.action),
                detail: a
                    .after
                    .as_deref()
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                    .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                    .unwrap_or_default(),
                at: a.at,
                actor: a.actor,
            })
            .collect();
        Ok(RunActivity { progress, events })
    }

    /// Contracts whose debits failed, optionally of one billing month and one program (staff
    /// only).
    pub async fn failed_debits(
        &self,
        actor: &Actor,
        month: Option<YearMonth>,
        program: Option<Program>,
    ) -> Result<FailedDebits, AppError> {
        require_staff(actor)?;
        let mut conn = self.store.read().await?;
        let rows = store::failed_debits(
            &mut conn,
            month.map(|m| m.to_string()).as_deref(),
            program.map(Program::as_str),
            FAILED_DEBITS_SHOWN + 1,
        )
        .await?;
        drop(conn);
        let truncated = rows.len() as i64 > FAILED_DEBITS_SHOWN;
        let mut contracts: Vec<FailedDebitContract> = Vec::new();
        for r in rows.into_iter().take(FAILED_DEBITS_SHOWN as usize) {
            let m = parse_month(&r.month)?;
            let reason = failed_reason_ja(r.result_code, r.reason.as_deref());
            match contracts.last_mut() {
                Some(c) if c.contract_number == r.contract_number => {
                    c.months.push(m);
                    c.failed_total = c
                        .failed_total
                        .checked_add(Yen::new(r.amount))
                        .ok_or_else(|| internal("failed debits overflow"))?;
                    c.last_month = m;
                    c.last_reason_ja = reason;
                }
                _ => contracts.push(FailedDebitContract {
                    program: Program::parse(&r.program).ok_or_else(|| {
                        internal(format!("contract {}: unknown program", r.contract_number))
                    })?,
                    contract_number: r.contract_number,
                    holder_name: r.holder_name,
                    months: vec![m],
                    failed_total: Yen::new(r.amount),
                    last_month: m,
                    last_reason_ja: reason,
                    account_unusable: r.account_unusable,
                }),
            }
        }
        Ok(FailedDebits {
            contracts,
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_names_every_wrong_field() {
        let Err(AppError::Invalid(errors)) = parse_start("", "2026/13") else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["program", "month"]);
        assert!(matches!(
            parse_start("safety_net", " 2026-11 "),
            Ok((Program::SafetyNet, m)) if m.to_string() == "2026-11"
        ));
    }

    #[test]
    fn failure_causes_read_in_japanese() {
        assert_eq!(
            failed_reason_ja(Some(1), Some("insufficient_funds")),
            "資金不足"
        );
        assert_eq!(
            failed_reason_ja(Some(4), Some("no_usable_mandate")),
            "使える引落口座がないため請求を保留"
        );
        assert_eq!(failed_reason_ja(None, None), "その他");
    }

    #[test]
    fn lease_times_read_in_japan_time() {
        assert_eq!(jst_time("2026-11-02T01:01:00Z"), "2026年11月2日 10:01");
        assert_eq!(jst_time("?"), "?");
    }
}
