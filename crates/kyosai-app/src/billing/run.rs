//! The billing run: walks a program's active contracts in chunks (one transaction per chunk, a
//! cursor committed with the chunk), bills what is due into bill lines, and has the request files
//! written. A lease on the run row, renewed with every chunk and checked in the chunk's own
//! transaction, makes a month billed once even with several instances.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use kyosai_domain::billing::{self as dom, BillPlan, ContractFacts, Due, RunStatus, Skip};
use kyosai_domain::rules::RuleSet;
use kyosai_domain::schedule;
use kyosai_domain::{ContractId, OriginatorId, Program, YearMonth, Yen};
use kyosai_store::billing::{self as store, MandateSnapshot, NewLine, Originator};
use kyosai_store::{audit, ledger, payment_schedule};
use kyosai_zengin::debit::NewCode;
use kyosai_zengin::text::{AccountNumber, BankCode, BranchCode, HolderName};
use serde::Serialize;
use serde_json::json;

use super::{Progress, WrittenFile, histories, internal, late_settlement, parse_month};
use crate::ja_text::ja_month;
use crate::mail::{self, Mail};
use crate::{App, AppError};

/// How a run is carried out. `crash_*` simulate a `kill -9` at a point (tests only).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Contracts per transaction.
    pub chunk_size: usize,
    /// Who holds the lease (host:pid by default).
    pub owner: String,
    /// Seconds a lease lasts without renewal; a crashed run can be resumed after that.
    pub lease_seconds: i64,
    pub crash_after_chunks: Option<usize>,
    pub crash_before_files: bool,
    pub crash_after_files: Option<usize>,
}

impl Default for RunOptions {
    fn default() -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        RunOptions {
            chunk_size: 20_000,
            owner: format!("{host}:{}", std::process::id()),
            lease_seconds: 60,
            crash_after_chunks: None,
            crash_before_files: false,
            crash_after_files: None,
        }
    }
}

/// The outcome of a billing run for one program.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub program: Program,
    pub month: YearMonth,
    pub debit_date: String,
    pub lines: i64,
    pub total_yen: i64,
    /// Contracts with nothing due, by reason.
    pub skipped: BTreeMap<String, i64>,
    /// Contracts that could not be billed (no usable mandate, bad account data).
    pub exceptions: Vec<(ContractId, String)>,
    pub files: Vec<WrittenFile>,
    /// True when this call found the run already completed and only rewrote its files.
    pub already_completed: bool,
}

/// Why a mandate cannot be written to a file, if it cannot.
pub(super) fn mandate_problem(m: &MandateSnapshot) -> Option<&'static str> {
    if BankCode::new(&m.bank_code).is_err() || BranchCode::new(&m.branch_code).is_err() {
        return Some("invalid_bank_code");
    }
    if AccountNumber::new(&m.account_number).is_err() {
        return Some("invalid_account_number");
    }
    if HolderName::new(&m.holder_kana).is_err() {
        return Some("invalid_holder_kana");
    }
    None
}

/// Which originator collects from a member's bank: an explicit listing wins over `*`.
pub(super) fn route<'a>(originators: &'a [Originator], bank_code: &str) -> Option<&'a Originator> {
    originators
        .iter()
        .find(|o| o.member_banks.split(',').any(|b| b.trim() == bank_code))
        .or_else(|| originators.iter().find(|o| o.member_banks.trim() == "*"))
}

fn lease_until(app: &App, seconds: i64) -> String {
    let t = app.clock.now() + jiff::SignedDuration::from_secs(seconds);
    kyosai_store::timestamp_text(t)
}

impl App {
    /// Bills `month` for `program` (both programs when None) and writes the request files into
    /// `out`. Safe to call again: a completed run only rewrites its (identical) files.
    #[tracing::instrument(skip_all, fields(month = %month, program = ?program))]
    pub async fn billing_run(
        &self,
        month: YearMonth,
        program: Option<Program>,
        out: &Path,
        opts: &RunOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Vec<RunSummary>, AppError> {
        let programs = match program {
            Some(p) => vec![p],
            None => Program::ALL.to_vec(),
        };
        let mut out_summaries = Vec::new();
        for p in programs {
            out_summaries.push(
                self.billing_run_program(month, p, out, opts, progress)
                    .await?,
            );
        }
        Ok(out_summaries)
    }

    async fn billing_run_program(
        &self,
        month: YearMonth,
        program: Program,
        out: &Path,
        opts: &RunOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<RunSummary, AppError> {
        let rules = self.billing_rules(program, month)?.clone();
        let debit_date = schedule::debit_date(&rules.collection, &self.calendar, month);
        let month_text = month.to_string();
        let now = self.clock.now_text();
        let run = {
            let mut tx = self.store.begin_write().await?;
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
            if run.status != RunStatus::Completed
                && !store::try_lock(
                    tx.conn(),
                    run.id,
                    &opts.owner,
                    &now,
                    &lease_until(self, opts.lease_seconds),
                )
                .await?
            {
                return Err(AppError::conflict(
                    "billing_locked",
                    format!(
                        "{}分の請求処理は別のインスタンス（{}）が {} まで実行中です。終了を待つか、期限後に再実行してください。",
                        ja_month(month),
                        run.lock_owner.as_deref().unwrap_or("?"),
                        run.lock_until.as_deref().unwrap_or("?"),
                    ),
                ));
            }
            tx.commit().await?;
            run
        };
        let already_completed = run.status == RunStatus::Completed;
        let mut skipped: BTreeMap<String, i64> =
            serde_json::from_str(&run.skipped).unwrap_or_default();
        if run.status == RunStatus::Billing {
            self.bill_chunks(&run, &rules, month, opts, &mut skipped, progress)
                .await?;
            let originators = {
                let mut conn = self.store.read().await?;
                store::originators(&mut conn, program.as_str()).await?
            };
            let loans = self.bill_loans(&run, &rules, &originators, opts).await?;
            for (reason, n) in loans.skipped {
                *skipped.entry(format!("exception:{reason}")).or_default() += n;
            }
            tracing::info!(program = program.as_str(), month = %month, lines = loans.lines, recovered = loans.recovered, "loans billed");
            let mut tx = self.store.begin_write().await?;
            if !store::set_status(
                tx.conn(),
                run.id,
                &opts.owner,
                RunStatus::WritingFiles,
                None,
            )
            .await?
            {
                return Err(lost_lease());
            }
            tx.commit().await?;
        }
        if opts.crash_before_files {
            return Err(internal("simulated crash before writing files"));
        }
        let files = self
            .write_files(&run, program, debit_date, out, opts, progress)
            .await?;
        let mut conn = self.store.read().await?;
        let totals = store::month_totals(&mut conn, run.id).await?;
        let exceptions = store::exceptions(&mut conn, run.id).await?;
        drop(conn);
        if !already_completed {
            let mut tx = self.store.begin_write().await?;
            if !store::set_status(
                tx.conn(),
                run.id,
                &opts.owner,
                RunStatus::Completed,
                Some(&self.clock.now_text()),
            )
            .await?
            {
                return Err(lost_lease());
            }
            audit::append(
                tx.conn(),
                self.store.audit_key(),
                &audit::Entry {
                    actor: &format!("billing:{}", opts.owner),
                    action: "billing.run_completed",
                    target: &format!("billing_run:{}", run.id),
                    before: None,
                    after: Some(&json!({ "month": month_text, "program": program.as_str(),
                        "files": files.iter().map(|f| json!({"name": f.name, "sha256": f.sha256})).collect::<Vec<_>>() })),
                    at: &self.clock.now_text(),
                },
            )
            .await?;
            tx.commit().await?;
        }
        let (lines, total_yen) = totals
            .iter()
            .find(|(k, _, _)| k == "billed")
            .map_or((0, 0), |(_, n, y)| (*n, *y));
        tracing::info!(program = program.as_str(), month = %month, lines, total_yen, files = files.len(), "billing run done");
        Ok(RunSummary {
            program,
            month,
            debit_date: debit_date.to_string(),
            lines,
            total_yen,
            skipped,
            exceptions,
            files,
            already_completed,
        })
    }

    async fn bill_chunks(
        &self,
        run: &store::Run,
        rules: &RuleSet,
        month: YearMonth,
        opts: &RunOptions,
        skipped: &mut BTreeMap<String, i64>,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<(), AppError> {
        let program = run.program;
        let month_text = month.to_string();
        let since = month.plus(-24).to_string();
        let has_cap = rules.premium.accumulation_cap_yen.is_some();
        let (originators, total, remaining) = {
            let mut conn = self.store.read().await?;
            let o = store::originators(&mut conn, program.as_str()).await?;
            let total =
                store::active_contracts_after(&mut conn, program.as_str(), store::CURSOR_START)
                    .await?;
            let remaining =
                store::active_contracts_after(&mut conn, program.as_str(), run.cursor_contract_id)
                    .await?;
            (o, total, remaining)
        };
        if originators.is_empty() {
            return Err(AppError::conflict(
                "no_originator",
                format!(
                    "{}の委託者（収納口座）が設定されていません。",
                    program.name_ja()
                ),
            ));
        }
        progress(Progress::Start {
            program,
            total: total.max(0) as u64,
        });
        progress(Progress::Advance {
            program,
            done: (total - remaining).max(0) as u64,
        });
        let mut cursor = run.cursor_contract_id;
        let mut chunks = 0usize;
        loop {
            let now = self.clock.now_text();
            let mut tx = self.store.begin_write().await?;
            store::bulk_cache(tx.conn()).await?;
            let contracts = store::billable_chunk(
                tx.conn(),
                program.as_str(),
                &month_text,
                cursor,
                opts.chunk_size as i64,
                has_cap,
            )
            .await?;
            let (Some(first), Some(last)) = (contracts.first(), contracts.last()) else {
                break;
            };
            let (from, to) = (first.id, last.id);
            let mut changes: HashMap<ContractId, Vec<(YearMonth, Yen)>> = HashMap::new();
            for (cid, m, p) in store::premium_changes_between(tx.conn(), from, to).await? {
                changes
                    .entry(cid)
                    .or_default()
                    .push((parse_month(&m)?, Yen::new(p)));
            }
            let mut frequency_changes: HashMap<ContractId, Vec<dom::FrequencyChange>> =
                HashMap::new();
            for (cid, change) in
                payment_schedule::frequency_changes_between(tx.conn(), from, to).await?
            {
                frequency_changes.entry(cid).or_default().push(change);
            }
            let mut late: HashMap<ContractId, Vec<dom::LateSettlement>> = HashMap::new();
            for l in
                kyosai_store::premium_changes::late_settlements_between(tx.conn(), from, to).await?
            {
                late.entry(l.contract_id)
                    .or_default()
                    .push(late_settlement(&l)?);
            }
            let mut open: HashMap<ContractId, Vec<store::LineWithResult>> = HashMap::new();
            let with_slips = crate::arrears::merge_slips(
                store::open_lines_between(tx.conn(), from, to, &since, &month_text).await?,
                kyosai_store::payment_slips::paid_as_lines(
                    tx.conn(),
                    from,
                    to,
                    &since,
                    &month_text,
                )
                .await?,
            );
            for l in with_slips {
                open.entry(l.contract_id).or_default().push(l);
            }
            let mut lines = Vec::with_capacity(contracts.len());
            let mut notices: Vec<(ContractId, &'static str)> = Vec::new();
            let mut slips: Vec<ContractId> = Vec::new();
            // 倒産防止 months a late decrease's credit covers whole: paid without a debit.
            let mut credited: Vec<ContractId> = Vec::new();
            let slip_from = dom::termination_threshold(rules).map(|t| t as usize);
            for c in &contracts {
                let standing = match open.get(&c.id) {
                    Some(ls) => dom::standing(&histories(ls)?),
                    None => dom::Standing::default(),
                };
                let facts = ContractFacts {
                    program,
                    base_premium: c.monthly_premium,
                    premium_changes: changes.remove(&c.id).unwrap_or_default(),
                    frequency: c.frequency,
                    first_debit_month: c.first_debit_month,
                    frequency_changes: frequency_changes.remove(&c.id).unwrap_or_default(),
                    prepaid_until: c.prepaid_until,
                    suspended_from: c.suspended_from,
                    deferral: c.deferral,
                    total_paid: Yen::new(c.collected),
                    pending: standing.pending,
                    unpaid: standing.unpaid,
                    late_settlements: late.remove(&c.id).unwrap_or_default(),
                };
                // REFERENCE §2.7: the arrears are due by 納付書 from the threshold on.
                if slip_from.is_some_and(|t| facts.unpaid.len() >= t) {
                    slips.push(c.id);
                }
                match dom::due_for_month(rules, &facts, month) {
                    Due::Nothing { reason } => {
                        *skipped.entry(reason.as_str().to_string()).or_default() += 1;
                        if reason == Skip::CapReached {
                            notices.push((c.id, "accumulation_cap"));
                        }
                        if reason == Skip::Credited {
                            credited.push(c.id);
                        }
                    }
                    Due::Bill(plan) => {
                        let problem = match &c.mandate {
                            None => Some("no_usable_mandate"),
                            Some(m) => mandate_problem(m),
                        };
                        let routed = c
                            .mandate
                            .as_ref()
                            .and_then(|m| route(&originators, &m.bank_code));
                        match (problem, &c.mandate, routed) {
                            (None, Some(m), Some(o)) => {
                                if plan.reaches_cap {
                                    notices.push((c.id, "accumulation_cap"));
                                }
                                // An unusable account: the month is due all the same. The line
                                // stays out of the file and fails at once, so the premium is
                                // unpaid and re-billed once the member registers a new account.
                                let withheld = !c.mandate_usable;
                                if withheld {
                                    store::insert_exception(
                                        tx.conn(),
                                        run.id,
                                        c.id,
                                        "no_usable_mandate",
                                    )
                                    .await?;
                                }
                                lines.push(new_line(c.id, o.id, &plan, &facts, m, withheld));
                            }
                            (p, _, _) => {
                                let reason = p.unwrap_or("no_originator_for_bank");
                                *skipped.entry(format!("exception:{reason}")).or_default() += 1;
                                store::insert_exception(tx.conn(), run.id, c.id, reason).await?;
                            }
                        }
                    }
                }
            }
            store::insert_lines(tx.conn(), run.id, &month_text, &lines).await?;
            ledger::post_billed(tx.conn(), run.id, &month_text, from, to, &now).await?;
            // A month the credit of a late decrease covers is paid by yen collected before
            // (REFERENCE §2.4): it counts as a month paid, with no yen of its own.
            for cid in &credited {
                ledger::post(
                    tx.conn(),
                    &ledger::Entry {
                        contract_id: *cid,
                        month: &month_text,
                        kind: "collected",
                        amount: 0,
                        months: 1,
                        reason: "credit",
                    },
                    &now,
                )
                .await?;
            }
            if !notices.is_empty() {
                let new = store::record_notices(tx.conn(), &notices, &month_text, &now).await?;
                let ids: Vec<ContractId> = new.iter().map(|(cid, _)| *cid).collect();
                let contacts = store::contacts(tx.conn(), &ids).await?;
                let mut mails = Vec::with_capacity(new.len());
                for (cid, _) in &new {
                    if let Some(c) = contacts.get(cid) {
                        mails.push((c.member_id, cap_notice(&c.number, &c.email, month)));
                    }
                }
                mail::send_to_members(tx.conn(), &mails, &now).await?;
            }
            if !slips.is_empty() {
                let contacts = store::contacts(tx.conn(), &slips).await?;
                let today = self.clock.today();
                for cid in &slips {
                    if let Some(store::Contact { number, email, .. }) = contacts.get(cid) {
                        self.issue_payment_slip(
                            tx.conn(),
                            rules,
                            (*cid, number, email),
                            program,
                            (today, &now),
                        )
                        .await?;
                    }
                }
            }
            let skipped_json = serde_json::to_string(&*skipped).map_err(internal)?;
            if !store::checkpoint(
                tx.conn(),
                run.id,
                &opts.owner,
                to,
                &skipped_json,
                &lease_until(self, opts.lease_seconds),
            )
            .await?
            {
                return Err(lost_lease());
            }
            tx.commit().await?;
            cursor = to;
            chunks += 1;
            progress(Progress::Advance {
                program,
                done: contracts.len() as u64,
            });
            if opts.crash_after_chunks == Some(chunks) {
                return Err(internal(format!("simulated crash after chunk {chunks}")));
            }
        }
        Ok(())
    }
}

/// 『掛金積立て限度のお知らせ』 (sent once per contract).
fn cap_notice(number: &str, email: &str, month: YearMonth) -> Mail {
    Mail {
        to: email.to_string(),
        subject: "【経営セーフティ共済】掛金積立て限度のお知らせ".into(),
        body: format!(
            "共済契約者番号 {number} の掛金総額が積立限度額に達しました。\n{}分以降、掛金の請求（口座振替）は停止します。お手続きは不要です。\n",
            ja_month(month)
        ),
        attachments: Vec::new(),
    }
}

pub(super) fn lost_lease() -> AppError {
    AppError::conflict(
        "billing_lease_lost",
        "請求処理の実行権を別のインスタンスに引き継がれたため、この処理を中断しました。",
    )
}

fn new_line(
    contract_id: ContractId,
    originator_id: OriginatorId,
    plan: &BillPlan,
    facts: &ContractFacts,
    m: &MandateSnapshot,
    withheld: bool,
) -> NewLine {
    NewLine {
        contract_id,
        originator_id,
        amount: plan.total.get(),
        monthly_premium: plan.monthly_premium.get(),
        frequency: facts.frequency.as_str().to_string(),
        months_covered: plan.months_covered(),
        premium_amount: plan.premium_amount.get(),
        arrears_months: plan.arrears_months(),
        arrears_amount: plan.arrears_amount.get(),
        paid_before: facts.total_paid.get(),
        items: plan.items_text(),
        new_code: i64::from(if plan.first_debit {
            NewCode::First.digit()
        } else if m.changed_unused {
            NewCode::Changed.digit()
        } else {
            NewCode::Other.digit()
        }),
        mandate: m.clone(),
        withheld,
    }
}
