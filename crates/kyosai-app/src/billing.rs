//! Monthly billing and collection (issue #4): the billing run, Zengin 91 request files, result
//! imports posted to the append-only ledger, reconciliation, and what a member sees.
//!
//! A run walks the active contracts of one program in chunks (one transaction per chunk, a
//! cursor committed with the chunk), so it can be killed at any point and resumed by any
//! instance without billing anyone twice (also enforced by UNIQUE (contract_id, month)). A lease
//! on the run row, renewed with every chunk and checked in the chunk's own transaction, makes a
//! month billed once even with several instances. Files are always rebuilt from the stored bill
//! lines, so the same month with the same data gives byte-identical files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kyosai_domain::billing::{
    self as dom, BillPlan, ContractFacts, Due, LineHistory, LineResult, Skip,
};
use kyosai_domain::rules::{PaymentFrequency, RuleSet};
use kyosai_domain::schedule;
use kyosai_domain::{Program, YearMonth, Yen};
use kyosai_store::billing::{self as store, MandateSnapshot, NewLine, Originator};
use kyosai_store::{audit, sha256_hex};
use kyosai_zengin::debit::{
    AccountType, DataRecord, DebitDate, Expectation, Header, LineEnding, NewCode,
    OriginatorAccount, RequestWriter, ResultCode, WriteOptions, parse_file,
};
use kyosai_zengin::text::{
    AccountNumber, BankCode, BankName, BranchCode, CustomerNumber, HolderName, OriginatorCode,
    OriginatorName,
};
use kyosai_zengin::{CharClass, FileReport};
use serde::Serialize;
use serde_json::json;

use crate::ja_text::{ja_date, ja_month};
use crate::mail::{self, Mail};
use crate::{Actor, App, AppError, Role};

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

/// One file written by a run.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenFile {
    pub name: String,
    pub path: PathBuf,
    pub records: i64,
    pub total_yen: i64,
    pub sha256: String,
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
    pub exceptions: Vec<(i64, String)>,
    pub files: Vec<WrittenFile>,
    /// True when this call found the run already completed and only rewrote its files.
    pub already_completed: bool,
}

pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn parse_month(s: &str) -> Result<YearMonth, AppError> {
    s.parse::<YearMonth>()
        .map_err(|_| AppError::Internal(format!("stored month is invalid: {s}")))
}

fn frequency(s: &str) -> Result<PaymentFrequency, AppError> {
    PaymentFrequency::parse(s)
        .ok_or_else(|| AppError::Internal(format!("stored frequency is invalid: {s}")))
}

fn account_type(s: &str) -> AccountType {
    match s {
        "ordinary" | "1" => AccountType::Ordinary,
        "current" | "2" => AccountType::Current,
        "tax_reserve" | "3" => AccountType::TaxReserve,
        _ => AccountType::Other,
    }
}

/// Zengin kana for a bank or branch name (full-width published kana → half-width, cut to the
/// 15-byte field; the name fields are informative, the codes decide).
fn bank_field(kana: &str) -> BankName {
    kyosai_zengin::kana::convert(kana, CharClass::Bank)
        .ok()
        .and_then(|k| BankName::new(&k.chars().take(15).collect::<String>()).ok())
        .unwrap_or_default()
}

/// Zengin kana of bank and branch names, looked up once per code.
#[derive(Default)]
pub(crate) struct NameCache {
    banks: HashMap<String, BankName>,
    branches: HashMap<(String, String), BankName>,
}

impl NameCache {
    fn bank(&mut self, code: &str) -> BankName {
        *self.banks.entry(code.to_string()).or_insert_with(|| {
            kyosai_refdata::bank(code)
                .map(|b| bank_field(b.kana))
                .unwrap_or_default()
        })
    }

    fn branch(&mut self, bank: &str, branch: &str) -> BankName {
        *self
            .branches
            .entry((bank.to_string(), branch.to_string()))
            .or_insert_with(|| {
                kyosai_refdata::branch(bank, branch)
                    .map(|b| bank_field(b.kana))
                    .unwrap_or_default()
            })
    }

    /// The data record of a stored bill line (customer number = bill line id).
    pub(crate) fn record(&mut self, l: &store::FileLine) -> Result<DataRecord, AppError> {
        Ok(DataRecord {
            bank_code: BankCode::new(&l.bank_code).map_err(internal)?,
            bank_name: self.bank(&l.bank_code),
            branch_code: BranchCode::new(&l.branch_code).map_err(internal)?,
            branch_name: self.branch(&l.bank_code, &l.branch_code),
            account_type: account_type(&l.account_type),
            account_number: AccountNumber::new(&l.account_number).map_err(internal)?,
            holder_name: HolderName::new(&l.holder_kana).map_err(internal)?,
            amount: l.amount,
            new_code: NewCode::from_digit(l.new_code as u8).unwrap_or_default(),
            customer_number: CustomerNumber::from_u64(l.id as u64).map_err(internal)?,
            result_code: None,
        })
    }
}

/// The Zengin header date (month and day) of a debit date.
pub(crate) fn zengin_date(debit_date: jiff::civil::Date) -> Result<DebitDate, AppError> {
    DebitDate::new(debit_date.month() as u8, debit_date.day() as u8).map_err(internal)
}

/// The header record of an originator's request file.
pub(crate) fn file_header(o: &Originator, date: DebitDate) -> Result<Header, AppError> {
    Ok(Header {
        originator_code: OriginatorCode::new(&o.code).map_err(internal)?,
        originator_name: OriginatorName::new(&o.name_kana).map_err(internal)?,
        debit_date: date,
        bank_code: BankCode::new(&o.bank_code).map_err(internal)?,
        bank_name: BankName::new(&o.bank_name_kana).map_err(internal)?,
        branch_code: BranchCode::new(&o.branch_code).map_err(internal)?,
        branch_name: BankName::new(&o.branch_name_kana).map_err(internal)?,
        account: Some(OriginatorAccount {
            account_type: account_type(&o.account_type),
            account_number: AccountNumber::new(&o.account_number).map_err(internal)?,
        }),
    })
}

/// The line ending an originator's bank wants.
pub(crate) fn write_options(o: &Originator) -> WriteOptions {
    WriteOptions {
        line_ending: if o.line_ending == "none" {
            LineEnding::None
        } else {
            LineEnding::Crlf
        },
    }
}

/// Why a mandate cannot be written to a file, if it cannot.
fn mandate_problem(m: &MandateSnapshot) -> Option<&'static str> {
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
fn route<'a>(originators: &'a [Originator], bank_code: &str) -> Option<&'a Originator> {
    originators
        .iter()
        .find(|o| o.member_banks.split(',').any(|b| b.trim() == bank_code))
        .or_else(|| originators.iter().find(|o| o.member_banks.trim() == "*"))
}

fn lease_until(app: &App, seconds: i64) -> String {
    let t = app.clock.now() + jiff::SignedDuration::from_secs(seconds);
    kyosai_store::timestamp_text(t)
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

    /// Bills `month` for `program` (both programs when None) and writes the request files into
    /// `out`. Safe to call again: a completed run only rewrites its (identical) files.
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
            if run.status != "completed"
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
        let already_completed = run.status == "completed";
        let mut skipped: BTreeMap<String, i64> =
            serde_json::from_str(&run.skipped).unwrap_or_default();
        if run.status == "billing" {
            self.bill_chunks(&run, &rules, month, opts, &mut skipped, progress)
                .await?;
            let mut tx = self.store.begin_write().await?;
            if !store::set_status(tx.conn(), run.id, &opts.owner, "writing_files", None).await? {
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
                "completed",
                Some(&self.clock.now_text()),
            )
            .await?
            {
                return Err(lost_lease());
            }
            audit::append(
                tx.conn(),
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
        let program = Program::parse(&run.program).ok_or_else(|| internal("bad program"))?;
        let month_text = month.to_string();
        let since = month.plus(-24).to_string();
        let has_cap = rules.premium.accumulation_cap_yen.is_some();
        let (originators, total, remaining) = {
            let mut conn = self.store.read().await?;
            let o = store::originators(&mut conn, &run.program).await?;
            let count = |after: i64| {
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM contracts WHERE program = $1 AND status = 'active' AND id > $2",
                )
                .bind(run.program.clone())
                .bind(after)
            };
            let total: i64 =
                kyosai_store::Row::try_get(&count(0).fetch_one(&mut *conn).await?, "n")?;
            let remaining: i64 = kyosai_store::Row::try_get(
                &count(run.cursor_contract_id).fetch_one(&mut *conn).await?,
                "n",
            )?;
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
                &run.program,
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
            let mut changes: HashMap<i64, Vec<(YearMonth, Yen)>> = HashMap::new();
            for (cid, m, p) in store::premium_changes_between(tx.conn(), from, to).await? {
                changes
                    .entry(cid)
                    .or_default()
                    .push((parse_month(&m)?, Yen::new(p)));
            }
            let mut open: HashMap<i64, Vec<store::LineWithResult>> = HashMap::new();
            for l in store::open_lines_between(tx.conn(), from, to, &since, &month_text).await? {
                open.entry(l.contract_id).or_default().push(l);
            }
            let mut lines = Vec::with_capacity(contracts.len());
            let mut notices: Vec<(i64, &'static str)> = Vec::new();
            for c in &contracts {
                let standing = match open.get(&c.id) {
                    Some(ls) => dom::standing(&histories(ls)?),
                    None => dom::Standing::default(),
                };
                let facts = ContractFacts {
                    program,
                    base_premium: Yen::new(c.monthly_premium),
                    premium_changes: changes.remove(&c.id).unwrap_or_default(),
                    frequency: frequency(&c.frequency)?,
                    first_debit_month: parse_month(&c.first_debit_month)?,
                    prepaid_until: c.prepaid_until.as_deref().map(parse_month).transpose()?,
                    suspended_from: c.suspended_from.as_deref().map(parse_month).transpose()?,
                    total_paid: Yen::new(c.collected),
                    pending: standing.pending,
                    unpaid: standing.unpaid,
                };
                match dom::due_for_month(rules, &facts, month) {
                    Due::Nothing { reason } => {
                        *skipped.entry(reason.as_str().to_string()).or_default() += 1;
                        if reason == Skip::CapReached {
                            notices.push((c.id, "accumulation_cap"));
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
            store::post_billed(tx.conn(), run.id, &month_text, from, to, &now).await?;
            if !notices.is_empty() {
                let new = store::record_notices(tx.conn(), &notices, &month_text, &now).await?;
                let ids: Vec<i64> = new.iter().map(|(cid, _)| *cid).collect();
                let contacts = store::contacts(tx.conn(), &ids).await?;
                let mut mails = Vec::with_capacity(new.len());
                for (cid, _) in &new {
                    if let Some(store::Contact { number, email, .. }) = contacts.get(cid) {
                        mails.push(
                            serde_json::to_string(&cap_notice(number, email, month))
                                .map_err(internal)?,
                        );
                    }
                }
                store::enqueue_outbox(tx.conn(), mail::OUTBOX_KIND, &mails, &now).await?;
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

    /// Rebuilds every request file of a run from its bill lines and writes them to `out`.
    async fn write_files(
        &self,
        run: &store::Run,
        program: Program,
        debit_date: jiff::civil::Date,
        out: &Path,
        opts: &RunOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Vec<WrittenFile>, AppError> {
        std::fs::create_dir_all(out).map_err(internal)?;
        let originators = {
            let mut conn = self.store.read().await?;
            store::originators(&mut conn, &run.program).await?
        };
        let date = zengin_date(debit_date)?;
        let mut names = NameCache::default();
        let mut written = Vec::new();
        for o in &originators {
            let header = file_header(o, date)?;
            let options = write_options(o);
            let mut after = 0i64;
            let mut seq = 0i64;
            let mut current: Option<(RequestWriter, i64, i64, i64)> = None;
            loop {
                let page = {
                    let mut conn = self.store.read().await?;
                    store::file_lines(&mut conn, run.id, o.id, after, 50_000).await?
                };
                let Some(last) = page.last() else { break };
                after = last.id;
                for l in &page {
                    if current
                        .as_ref()
                        .is_some_and(|(w, ..)| w.len() >= kyosai_zengin::debit::MAX_RECORDS)
                        && let Some(done) = current.take()
                    {
                        seq += 1;
                        written.push(
                            self.finish_file(run, program, o, seq, done, out, progress)
                                .await?,
                        );
                        if opts.crash_after_files == Some(written.len()) {
                            return Err(internal("simulated crash while writing files"));
                        }
                    }
                    let (w, first, last_id, total) = match current.as_mut() {
                        Some(c) => c,
                        None => current.insert((
                            RequestWriter::new(&header, &options, 100_000).map_err(internal)?,
                            l.id,
                            l.id,
                            0,
                        )),
                    };
                    w.push(&names.record(l)?).map_err(internal)?;
                    *last_id = l.id;
                    *total += l.amount;
                    let _ = first;
                }
            }
            if let Some(done) = current.take() {
                seq += 1;
                written.push(
                    self.finish_file(run, program, o, seq, done, out, progress)
                        .await?,
                );
                if opts.crash_after_files == Some(written.len()) {
                    return Err(internal("simulated crash while writing files"));
                }
            }
        }
        Ok(written)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a private step of the run loop; its two call sites pass the run state as is"
    )]
    async fn finish_file(
        &self,
        run: &store::Run,
        program: Program,
        o: &Originator,
        seq: i64,
        (writer, first, last, total): (RequestWriter, i64, i64, i64),
        out: &Path,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<WrittenFile, AppError> {
        let records = writer.len();
        let bytes = writer.finish();
        let sha = sha256_hex(&bytes);
        let name = format!(
            "KYOSAI91_{}_{}_{}_{:03}.dat",
            program.as_str(),
            run.month.replace('-', ""),
            o.code,
            seq
        );
        let path = out.join(&name);
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, &bytes).map_err(internal)?;
        std::fs::rename(&tmp, &path).map_err(internal)?;
        let row = store::FileRow {
            run_id: run.id,
            originator_id: o.id,
            seq,
            name: name.clone(),
            first_line_id: first,
            last_line_id: last,
            record_count: records as i64,
            total_yen: total,
            sha256: sha.clone(),
        };
        let mut tx = self.store.begin_write().await?;
        store::upsert_file(tx.conn(), &row, &self.clock.now_text()).await?;
        let stored = store::files(tx.conn(), run.id).await?;
        tx.commit().await?;
        if let Some(prev) = stored
            .iter()
            .find(|f| f.originator_id == o.id && f.seq == seq)
            && prev.sha256 != sha
        {
            return Err(internal(format!(
                "{name}: rebuilt file differs from the one recorded ({} ≠ {sha})",
                prev.sha256
            )));
        }
        progress(Progress::File {
            name: name.clone(),
            records,
        });
        Ok(WrittenFile {
            name,
            path,
            records: records as i64,
            total_yen: total,
            sha256: sha,
        })
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
    }
}

fn lost_lease() -> AppError {
    AppError::conflict(
        "billing_lease_lost",
        "請求処理の実行権を別のインスタンスに引き継がれたため、この処理を中断しました。",
    )
}

fn new_line(
    contract_id: i64,
    originator_id: i64,
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

// ------------------------------------------------------------------ result files

/// One problem that made a result file refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    /// 1-based record (line) number; 0 for the whole file.
    pub record: usize,
    pub code: String,
    pub message: String,
}

/// A refused result file: nothing from it was posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub file_name: String,
    pub problems: Vec<ImportProblem>,
    /// Problems found but not listed.
    pub omitted: usize,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}: 取り込みを中止しました（{}件の問題。何も計上していません）。",
            self.file_name,
            self.problems.len() + self.omitted
        )?;
        for p in &self.problems {
            if p.record > 0 {
                writeln!(f, "  {}件目のレコード [{}] {}", p.record, p.code, p.message)?;
            } else {
                writeln!(f, "  [{}] {}", p.code, p.message)?;
            }
        }
        if self.omitted > 0 {
            writeln!(f, "  ほか{}件は省略しました。", self.omitted)?;
        }
        Ok(())
    }
}

impl Refusal {
    fn from_report(file_name: &str, r: &FileReport) -> Refusal {
        Refusal {
            file_name: file_name.to_string(),
            problems: r
                .problems
                .iter()
                .map(|p| ImportProblem {
                    record: p.record,
                    code: p.code.as_str().to_string(),
                    message: if p.column > 0 {
                        format!("{}バイト目: {}", p.column, p.message)
                    } else {
                        p.message.clone()
                    },
                })
                .collect(),
            omitted: r.omitted,
        }
    }
}

/// Count and yen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: i64,
    pub yen: i64,
}

impl Tally {
    fn add(&mut self, yen: i64) {
        self.count += 1;
        self.yen += yen;
    }
}

/// Reconciliation of one imported result file (or a month): billed = collected + failed +
/// unmatched, in count and in yen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub billed: Tally,
    pub collected: Tally,
    pub failed: Tally,
    /// Failures by result code.
    pub failed_by_code: BTreeMap<u8, Tally>,
    /// Billed with no result (a month report), or records matching no bill (always 0 for an
    /// accepted file: such files are refused).
    pub unmatched: Tally,
}

impl Reconciliation {
    pub fn balances(&self) -> bool {
        let by_code_count: i64 = self.failed_by_code.values().map(|t| t.count).sum();
        let by_code_yen: i64 = self.failed_by_code.values().map(|t| t.yen).sum();
        self.billed.count == self.collected.count + self.failed.count + self.unmatched.count
            && self.billed.yen == self.collected.yen + self.failed.yen + self.unmatched.yen
            && by_code_count == self.failed.count
            && by_code_yen == self.failed.yen
    }

    /// Japanese lines for staff.
    pub fn lines_ja(&self) -> Vec<String> {
        let f = |t: Tally| format!("{}件 {}", t.count, Yen::new(t.yen));
        let mut v = vec![
            format!("請求　　 {}", f(self.billed)),
            format!("振替済　 {}", f(self.collected)),
            format!("振替不能 {}", f(self.failed)),
        ];
        for (code, t) in &self.failed_by_code {
            let label = ResultCode::from_code(*code).map_or("?", ResultCode::label_ja);
            v.push(format!("　{code} {label}: {}", f(*t)));
        }
        v.push(format!("結果未着 {}", f(self.unmatched)));
        v.push(if self.balances() {
            "照合結果: 一致（円単位で一致しています）".to_string()
        } else {
            "照合結果: 不一致".to_string()
        });
        v
    }
}

/// An accepted, posted result file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub file_name: String,
    pub sha256: String,
    pub import_id: i64,
    pub reconciliation: Reconciliation,
    /// Mandates marked unusable (codes 2, 3, 4), each with a mail to the member.
    pub mandates_unusable: i64,
    /// 掛金請求のお知らせ mailed for the other failures (when the premium is debited again).
    pub arrears_notices: usize,
}

/// Why a single file import did not post.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<kyosai_store::StoreError> for ImportError {
    fn from(e: kyosai_store::StoreError) -> Self {
        ImportError::App(AppError::Store(e))
    }
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::App(AppError::from(e))
    }
}

/// What a failure reason means, stored with the ledger entry.
pub fn reason_code(code: ResultCode) -> &'static str {
    match code {
        ResultCode::Collected => "collected",
        ResultCode::InsufficientFunds => "insufficient_funds",
        ResultCode::NoAccount => "no_account",
        ResultCode::StoppedByDepositor => "stopped_by_depositor",
        ResultCode::NoMandate => "no_mandate",
        ResultCode::StoppedByOriginator => "stopped_by_originator",
        ResultCode::Other => "other",
    }
}

/// Codes after which the mandate cannot be used again (REFERENCE §8; issue #4).
pub fn makes_mandate_unusable(code: ResultCode) -> bool {
    matches!(
        code,
        ResultCode::NoAccount | ResultCode::StoppedByDepositor | ResultCode::NoMandate
    )
}

impl App {
    /// Imports one bank result file: refuses it whole (with every problem and its line) when
    /// anything is wrong, else posts every record to the ledger in one transaction.
    pub async fn import_result_file(
        &self,
        file_name: &str,
        bytes: &[u8],
        actor: &str,
    ) -> Result<ImportOutcome, ImportError> {
        let sha = sha256_hex(bytes);
        let refuse = |code: &str, message: String| {
            ImportError::Refused(Refusal {
                file_name: file_name.to_string(),
                problems: vec![ImportProblem {
                    record: 0,
                    code: code.to_string(),
                    message,
                }],
                omitted: 0,
            })
        };
        {
            let mut conn = self.store.read().await?;
            if let Some(at) = store::import_exists(&mut conn, &sha).await? {
                return Err(refuse(
                    "already_imported",
                    format!(
                        "この結果ファイルは {at} に取り込み済みです（同一内容の再取り込みはできません）。"
                    ),
                ));
            }
        }
        let file = parse_file(bytes, Expectation::Result)
            .map_err(|r| ImportError::Refused(Refusal::from_report(file_name, &r)))?;
        let (_, records, _) = file.into_parts();
        // Match each record to its bill line by customer number (= bill line id).
        let mut order: Vec<(u64, usize)> = Vec::with_capacity(records.len());
        let mut problems = Vec::new();
        for (i, r) in records.iter().enumerate() {
            match r.customer_number.to_u64() {
                Some(id) if id > 0 => order.push((id, i)),
                _ => problems.push(ImportProblem {
                    record: i + 2,
                    code: "unmatched".into(),
                    message: "顧客番号が請求明細を指していません。".into(),
                }),
            }
        }
        order.sort_unstable();
        let mut lines: Vec<Option<store::LineForResult>> = vec![None; records.len()];
        if let (Some(&(min, _)), Some(&(max, _))) = (order.first(), order.last()) {
            let mut conn = self.store.read().await?;
            let mut after = min as i64 - 1;
            let mut k = 0usize;
            loop {
                let page = store::lines_for_results(&mut conn, after, max as i64, 100_000).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for l in page {
                    while k < order.len() && (order[k].0 as i64) < l.id {
                        k += 1;
                    }
                    let mut j = k;
                    while j < order.len() && order[j].0 as i64 == l.id {
                        lines[order[j].1] = Some(l.clone());
                        j += 1;
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        let mut entries = Vec::with_capacity(records.len());
        let mut rec = Reconciliation::default();
        let mut unusable = Vec::new();
        let mut arrears: Vec<(i64, String, i64, ResultCode)> = Vec::new();
        for (i, (r, line)) in records.iter().zip(&lines).enumerate() {
            let n = i + 2;
            let mut bad = |code: &str, message: String| {
                problems.push(ImportProblem {
                    record: n,
                    code: code.into(),
                    message,
                })
            };
            let Some(l) = line else {
                if r.customer_number.to_u64().is_some_and(|v| v > 0) {
                    bad(
                        "unmatched",
                        format!(
                            "顧客番号{}に対応する請求明細がありません。",
                            r.customer_number
                        ),
                    );
                }
                continue;
            };
            if !seen.insert(l.id) {
                bad(
                    "duplicate",
                    format!("顧客番号{}が重複しています。", r.customer_number),
                );
                continue;
            }
            if l.has_result {
                bad(
                    "already_posted",
                    format!("顧客番号{}の結果は計上済みです。", r.customer_number),
                );
                continue;
            }
            if l.amount != r.amount
                || l.bank_code != r.bank_code.as_str()
                || l.branch_code != r.branch_code.as_str()
                || l.account_number != r.account_number.as_str()
            {
                bad(
                    "mismatch",
                    format!(
                        "顧客番号{}の金額または口座が請求明細と一致しません（請求 {}、結果 {}）。",
                        r.customer_number,
                        Yen::new(l.amount),
                        Yen::new(r.amount)
                    ),
                );
                continue;
            }
            let code = r.result_code.unwrap_or(ResultCode::Other);
            rec.billed.add(r.amount);
            if code.is_collected() {
                rec.collected.add(r.amount);
            } else {
                rec.failed.add(r.amount);
                rec.failed_by_code
                    .entry(code.code())
                    .or_default()
                    .add(r.amount);
                if makes_mandate_unusable(code) {
                    unusable.push((l.contract_id, l.mandate_id, code, l.month.clone()));
                } else {
                    arrears.push((l.contract_id, l.month.clone(), r.amount, code));
                }
            }
            entries.push(store::ResultEntry {
                contract_id: l.contract_id,
                bill_line_id: l.id,
                month: l.month.clone(),
                collected: code.is_collected(),
                amount: r.amount,
                months: l.months,
                result_code: i64::from(code.code()),
                reason: (!code.is_collected()).then(|| reason_code(code)),
            });
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.record);
            let omitted = problems
                .len()
                .saturating_sub(kyosai_zengin::report::MAX_PROBLEMS);
            problems.truncate(kyosai_zengin::report::MAX_PROBLEMS);
            return Err(ImportError::Refused(Refusal {
                file_name: file_name.to_string(),
                problems,
                omitted,
            }));
        }
        let now = self.clock.now_text();
        let report = serde_json::to_string(&rec).map_err(internal)?;
        let mut tx = self.store.begin_write().await?;
        let import_id = match store::insert_import(
            tx.conn(),
            &store::NewImport {
                sha256: &sha,
                file_name,
                imported_at: &now,
                actor,
                record_count: rec.billed.count,
                total_yen: rec.billed.yen,
                collected_count: rec.collected.count,
                collected_yen: rec.collected.yen,
                failed_count: rec.failed.count,
                failed_yen: rec.failed.yen,
                report: &report,
            },
        )
        .await
        {
            Ok(id) => id,
            Err(e) => {
                // A concurrent import of the same file won the UNIQUE (sha256) race.
                tracing::warn!(error = %e, file_name, "result import refused at insert");
                return Err(refuse(
                    "already_imported",
                    "この結果ファイルは別の処理で取り込み済みです。".into(),
                ));
            }
        };
        store::post_results(tx.conn(), import_id, &entries, &now).await?;
        let mut mandates_unusable = 0;
        let ids: Vec<i64> = unusable.iter().map(|(_, m, _, _)| *m).collect();
        let mut newly_unusable = store::mark_mandates_unusable(tx.conn(), &ids).await?;
        let contract_ids: Vec<i64> = unusable
            .iter()
            .filter(|(_, m, _, _)| newly_unusable.contains(m))
            .map(|(c, _, _, _)| *c)
            .collect();
        let contacts = store::contacts(tx.conn(), &contract_ids).await?;
        for (contract_id, mandate_id, code, month) in &unusable {
            // In record order, once per mandate (as one UPDATE per record did).
            if newly_unusable.remove(mandate_id) {
                mandates_unusable += 1;
                audit::append(
                    tx.conn(),
                    &audit::Entry {
                        actor,
                        action: "mandate.unusable",
                        target: &format!("mandate:{mandate_id}"),
                        before: Some(&json!({"status": "active"})),
                        after: Some(&json!({"status": "unusable", "result_code": code.code(), "month": month})),
                        at: &now,
                    },
                )
                .await?;
                if let Some(store::Contact { number, email, .. }) = contacts.get(contract_id) {
                    mail::enqueue(
                        tx.conn(),
                        &Mail {
                            to: email.clone(),
                            subject: "【共済】口座振替ができませんでした：新しい口座のご登録のお願い".into(),
                            body: format!(
                                "共済契約者番号 {number} の{month}分の掛金は、口座振替ができませんでした（{}）。\nご登録の口座は今後の振替に使えません。お手数ですが、オンラインで新しい口座をご登録ください：{}/portal/contracts/{number}/account\n未納の掛金は、新しい口座の登録後に次回の引落しでご請求します。\n",
                                code.label_ja(),
                                self.public_url
                            ),
                        },
                        &now,
                    )
                    .await?;
                }
            }
        }
        let arrears_notices = self.arrears_notices(tx.conn(), &arrears, &now).await?;
        audit::append(
            tx.conn(),
            &audit::Entry {
                actor,
                action: "billing.results_imported",
                target: &format!("result_import:{import_id}"),
                before: None,
                after: Some(&json!({"file": file_name, "sha256": sha, "reconciliation": rec})),
                at: &now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ImportOutcome {
            file_name: file_name.to_string(),
            sha256: sha,
            import_id,
            reconciliation: rec,
            mandates_unusable,
            arrears_notices,
        })
    }

    /// 掛金請求のお知らせ (REFERENCE §2.7): a mail for each failed debit whose account can still be
    /// used (codes 1, 8, 9), saying when the unpaid premium is debited again by the cycle in
    /// force (renewed: next month; legacy 小規模: the first even month at least two months later).
    async fn arrears_notices(
        &self,
        conn: &mut sqlx::AnyConnection,
        failed: &[(i64, String, i64, ResultCode)],
        now: &str,
    ) -> Result<usize, AppError> {
        let ids: Vec<i64> = failed.iter().map(|f| f.0).collect();
        let contacts = store::contacts(conn, &ids).await?;
        let mut redebit_dates: HashMap<(String, String), (YearMonth, jiff::civil::Date)> =
            HashMap::new();
        let mut mails = Vec::with_capacity(failed.len());
        for (contract_id, month, amount, code) in failed {
            let Some(c) = contacts.get(contract_id) else {
                continue;
            };
            let failed_month = parse_month(month)?;
            let key = (c.program.clone(), month.clone());
            let (redebit, date) = match redebit_dates.get(&key) {
                Some(v) => *v,
                None => {
                    let program =
                        Program::parse(&c.program).ok_or_else(|| internal("bad program"))?;
                    let redebit = dom::redebit_month(
                        &*self.billing_rules(program, failed_month)?,
                        failed_month,
                    );
                    let rules = self.billing_rules(program, redebit)?;
                    let v = (
                        redebit,
                        schedule::debit_date(&rules.collection, &self.calendar, redebit),
                    );
                    redebit_dates.insert(key, v);
                    v
                }
            };
            let mail = Mail {
                to: c.email.clone(),
                subject: format!(
                    "【共済】{}分の掛金の口座振替ができませんでした",
                    ja_month(failed_month)
                ),
                body: format!(
                    "共済契約者番号 {} の{}分の掛金 {} は、口座振替ができませんでした（{}）。\n未納分は{}の引落し（{}分）で、その月の掛金と合わせてご請求します。前日までに口座へのご入金をお願いします。\n請求と引落しの状況：{}/portal/contracts/{}/billing\n",
                    c.number,
                    ja_month(failed_month),
                    Yen::new(*amount),
                    code.label_ja(),
                    ja_date(date),
                    ja_month(redebit),
                    self.public_url,
                    c.number
                ),
            };
            mails.push(serde_json::to_string(&mail).map_err(internal)?);
        }
        store::enqueue_outbox(conn, mail::OUTBOX_KIND, &mails, now).await?;
        Ok(mails.len())
    }

    /// The reconciliation of a month per program: billed lines against posted results.
    pub async fn billing_report(
        &self,
        month: YearMonth,
    ) -> Result<Vec<(store::Run, Reconciliation, Vec<store::FileRow>)>, AppError> {
        let mut conn = self.store.read().await?;
        let runs = store::runs_for_month(&mut conn, &month.to_string()).await?;
        let mut out = Vec::new();
        for run in runs {
            let rec = run_reconciliation(&mut conn, run.id).await?;
            let files = store::files(&mut conn, run.id).await?;
            out.push((run, rec, files));
        }
        Ok(out)
    }
}

/// One run's bill lines against their posted results (the month report of one program).
pub(crate) async fn run_reconciliation(
    conn: &mut sqlx::AnyConnection,
    run_id: i64,
) -> Result<Reconciliation, AppError> {
    let mut rec = Reconciliation::default();
    for (key, n, yen) in store::month_totals(conn, run_id).await? {
        let t = Tally { count: n, yen };
        match key.as_str() {
            "billed" => rec.billed = t,
            "collected" => rec.collected = t,
            k => {
                if let Some(code) = k.strip_prefix("failed:").and_then(|c| c.parse().ok()) {
                    rec.failed.count += n;
                    rec.failed.yen += yen;
                    rec.failed_by_code.insert(code, t);
                }
            }
        }
    }
    rec.unmatched = Tally {
        count: rec.billed.count - rec.collected.count - rec.failed.count,
        yen: rec.billed.yen - rec.collected.yen - rec.failed.yen,
    };
    Ok(rec)
}

// ------------------------------------------------------------------ bank simulator

/// A small deterministic PRNG (SplitMix64) so simulated results depend only on the seed.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Share of each failure code among failures in the simulator (insufficient funds dominate).
pub const SIMULATED_FAILURE_MIX: [(ResultCode, f64); 6] = [
    (ResultCode::InsufficientFunds, 0.70),
    (ResultCode::NoAccount, 0.08),
    (ResultCode::StoppedByDepositor, 0.08),
    (ResultCode::NoMandate, 0.04),
    (ResultCode::StoppedByOriginator, 0.04),
    (ResultCode::Other, 0.06),
];

/// The bank simulator: turns a request file into a result file in which `fail_rate` of the
/// records failed, spread over the codes by `mix` (shares summing to 1).
pub fn simulate_bank(
    request: &[u8],
    fail_rate: f64,
    mix: &[(ResultCode, f64)],
    seed: u64,
) -> Result<Vec<u8>, FileReport> {
    let file = parse_file(request, Expectation::Request)?;
    let crlf = request.len() >= 122 && request.get(120..122) == Some(b"\r\n");
    let mut rng = SplitMix::new(seed);
    let pick = std::cell::RefCell::new(move || {
        if rng.next_f64() >= fail_rate {
            return ResultCode::Collected;
        }
        let mut x = rng.next_f64();
        for (code, share) in mix {
            if x < *share {
                return *code;
            }
            x -= share;
        }
        mix.last().map_or(ResultCode::Other, |(c, _)| *c)
    });
    Ok(kyosai_zengin::debit::make_result_file(
        &file,
        |_| (pick.borrow_mut())(),
        &WriteOptions {
            line_ending: if crlf {
                LineEnding::Crlf
            } else {
                LineEnding::None
            },
        },
    ))
}

// ------------------------------------------------------------------ member view

/// One month of a contract's billing, as a member sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BilledMonth {
    pub month: YearMonth,
    pub debit_date: String,
    pub amount_yen: i64,
    /// Premium months paid by this debit, arrears marked.
    pub items: Vec<dom::BillItem>,
    /// `pending`, `collected`, `failed`.
    pub status: String,
    pub result_code: Option<i64>,
    /// Plain Japanese: what happened and what happens next.
    pub explanation: String,
    /// False for 倒産防止 premiums paid within two years of an earlier cancellation (措法66条の11,
    /// REFERENCE §5.4): not deductible as a business expense.
    pub deductible: bool,
}

/// The next planned debit.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextDebit {
    pub month: YearMonth,
    pub debit_date: String,
    pub amount_yen: i64,
    pub items: Vec<dom::BillItem>,
    pub explanation: String,
}

/// A contract's billing for the portal and `GET /api/v1/contracts/{number}/billing`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractBilling {
    pub contract_number: String,
    pub program: Program,
    pub monthly_premium_yen: i64,
    pub months: Vec<BilledMonth>,
    pub unpaid_months: Vec<YearMonth>,
    pub unpaid_yen: i64,
    /// False when a result made the debit account unusable: register a new one online.
    pub mandate_usable: bool,
    /// The debit date from which a newly registered account is used, while it is ahead.
    pub new_account_from: Option<String>,
    pub next_debit: Option<NextDebit>,
    /// Why there is no next debit (cap reached, suspended, cancelled…), when there is none.
    pub no_debit_reason: Option<String>,
    /// The tax note for a 倒産防止 contract made within two years of an earlier cancellation.
    pub tax_notice: Option<String>,
}

/// Plain Japanese for a failed debit.
pub fn failure_explanation_ja(code: Option<ResultCode>) -> &'static str {
    match code {
        Some(ResultCode::InsufficientFunds) => "残高不足のため、口座から引き落とせませんでした。",
        Some(ResultCode::NoAccount) => {
            "ご登録の口座が見つからないため（解約など）、引き落とせませんでした。"
        }
        Some(ResultCode::StoppedByDepositor) => {
            "口座名義人のお申し出により振替が停止されたため、引き落とせませんでした。"
        }
        Some(ResultCode::NoMandate) => {
            "金融機関に口座振替のお届けがないため、引き落とせませんでした。"
        }
        Some(ResultCode::StoppedByOriginator) => "機構の都合により振替を停止しました。",
        _ => "金融機関の事情により引き落とせませんでした。",
    }
}

impl App {
    /// Each month's bill, debit date and result of a contract, with plain explanations and the
    /// next debit. Members see only their own contracts; staff see all.
    pub async fn contract_billing(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<ContractBilling, AppError> {
        let mut conn = self.store.read().await?;
        let c = kyosai_store::contracts::by_number(&mut conn, number)
            .await?
            .ok_or(AppError::NotFound)?;
        match actor.role {
            Role::Staff | Role::Service => {}
            Role::Member if c.member_id == actor.user_id => {}
            // Do not reveal whether someone else's contract exists.
            _ => return Err(AppError::NotFound),
        }
        let program = Program::parse(&c.program).ok_or_else(|| internal("bad program"))?;
        let stored = store::lines_for_contract(&mut conn, c.id).await?;
        let extra =
            sqlx::query("SELECT prepaid_until, suspended_from FROM contracts WHERE id = $1")
                .bind(c.id)
                .fetch_one(&mut *conn)
                .await?;
        let prepaid_until: Option<String> = kyosai_store::Row::try_get(&extra, "prepaid_until")?;
        let suspended_from: Option<String> = kyosai_store::Row::try_get(&extra, "suspended_from")?;
        let collected: i64 = store::collected_between(&mut conn, c.id, c.id)
            .await?
            .first()
            .map_or(0, |(_, t)| *t);
        let changes = store::premium_changes_between(&mut conn, c.id, c.id).await?;
        let mandates = kyosai_store::contracts::mandates_for(&mut conn, c.id).await?;
        let ending = kyosai_store::contracts::ending(&mut conn, c.id).await?;
        let earlier = match program {
            Program::SafetyNet => {
                kyosai_store::contracts::earlier_cancellation(&mut conn, c.id, program.as_str())
                    .await?
            }
            Program::SmallEnterprise => None,
        };
        drop(conn);
        let hist = histories(&stored)?;
        let standing = dom::standing(&hist);
        let mut facts = ContractFacts {
            program,
            base_premium: Yen::new(c.monthly_premium),
            premium_changes: changes
                .iter()
                .map(|(_, m, p)| Ok((parse_month(m)?, Yen::new(*p))))
                .collect::<Result<_, AppError>>()?,
            frequency: frequency(&c.frequency)?,
            first_debit_month: parse_month(&c.first_debit_month)?,
            prepaid_until: prepaid_until.as_deref().map(parse_month).transpose()?,
            suspended_from: suspended_from.as_deref().map(parse_month).transpose()?,
            total_paid: Yen::new(collected),
            pending: standing.pending,
            unpaid: standing.unpaid.clone(),
        };
        // The newest mandate decides whether the member has to register an account; one
        // registered after a failure makes the account usable again from its effective month.
        let mandate_usable = mandates.last().is_some_and(|m| m.usable());
        let new_account_from = mandates
            .last()
            .and_then(|m| m.effective_month.as_deref())
            .map(parse_month)
            .transpose()?
            .map(|m| {
                let rules = self.billing_rules(program, m)?;
                Ok::<_, AppError>(schedule::debit_date(&rules.collection, &self.calendar, m))
            })
            .transpose()?
            .filter(|d| *d >= self.clock.today())
            .map(|d| d.to_string());
        let today = YearMonth::of(self.clock.today());
        let last_billed = stored.last().map(|l| parse_month(&l.month)).transpose()?;
        // The next month not billed yet whose debit date has not passed.
        let mut start = last_billed
            .map_or(today, |m| m.plus(1))
            .max(facts.first_debit_month);
        let rules_now = self.billing_rules(program, start)?;
        if schedule::debit_date(&rules_now.collection, &self.calendar, start) < self.clock.today() {
            start = start.plus(1);
        }
        let mut next = None;
        let mut no_debit_reason = match &ending {
            Some(e) => {
                let on = e.cancelled_on.parse().map_err(internal)?;
                let rules = self.billing_rules(program, YearMonth::of(on))?;
                Some(ending_explanation(
                    e,
                    on,
                    dom::termination_threshold(&rules),
                ))
            }
            None => None,
        };
        // A cancelled contract is never billed again: no months to look at.
        let horizon = if ending.is_some() { 0 } else { 24 };
        for k in 0..horizon {
            let m = start.plus(k);
            let rules = self.billing_rules(program, m)?;
            let due = dom::due_for_month(&rules, &facts, m);
            // A month whose account in force is unusable while a newer one is registered (from
            // a later month) is not debited: the run withholds its line and fails it at once,
            // so what it would have debited becomes unpaid and is re-billed by the cycle.
            if mandate_usable
                && !kyosai_store::contracts::in_force(&mandates, &m.to_string())
                    .is_some_and(|x| x.usable())
            {
                if let Due::Bill(plan) = &due {
                    dom::fail_plan(&mut facts.unpaid, plan);
                }
                continue;
            }
            match due {
                Due::Bill(plan) => {
                    let date = schedule::debit_date(&rules.collection, &self.calendar, m);
                    let arrears = plan.arrears_amount.get();
                    let mut explanation = format!(
                        "{}に{}を口座から引き落とします。",
                        ja_date(date),
                        plan.total
                    );
                    if arrears > 0 {
                        explanation.push_str(&format!(
                            "このうち{}は未納分（{}か月分）です。",
                            Yen::new(arrears),
                            plan.arrears_months()
                        ));
                    }
                    if !mandate_usable {
                        explanation.push_str("ご登録の口座は使えません。引落日までにオンラインで新しい口座をご登録ください。");
                    }
                    next = Some(NextDebit {
                        month: m,
                        debit_date: date.to_string(),
                        amount_yen: plan.total.get(),
                        items: plan.items,
                        explanation,
                    });
                    break;
                }
                Due::Nothing { reason } => {
                    if matches!(
                        reason,
                        Skip::CapReached | Skip::Suspended | Skip::TerminationCandidate
                    ) {
                        no_debit_reason = Some(reason.explanation_ja().to_string());
                        break;
                    }
                }
            }
        }
        let non_deductible = self.non_deductible_window(earlier.as_deref())?;
        let mut months = Vec::with_capacity(stored.len());
        for (l, h) in stored.iter().zip(&hist) {
            let rules = self.billing_rules(program, h.month)?;
            let date = schedule::debit_date(&rules.collection, &self.calendar, h.month);
            let code = l
                .result_code
                .and_then(|c| u8::try_from(c).ok())
                .and_then(ResultCode::from_code);
            let explanation = match h.result {
                LineResult::Pending => format!(
                    "{}に{}を引き落とします（結果は引落日の後に表示されます）。",
                    ja_date(date),
                    h.amount
                ),
                LineResult::Collected => {
                    format!("{}に{}を引き落としました。", ja_date(date), h.amount)
                }
                LineResult::Failed => {
                    let mut s = format!(
                        "{}の引落し（{}）はできませんでした。{}",
                        ja_date(date),
                        h.amount,
                        failure_explanation_ja(code)
                    );
                    let redebit = dom::redebit_month(&rules, h.month);
                    match (&next, code.is_some_and(makes_mandate_unusable)) {
                        (_, true) if !mandate_usable => s.push_str("オンラインで新しい口座をご登録ください。登録後の引落しで未納分をご請求します。"),
                        (Some(n), false) if n.items.iter().any(|i| h.items.iter().any(|x| x.month == i.month)) => {
                            s.push_str(&format!(
                                "未納分は{}の引落しで、その月の掛金と合わせてご請求します。",
                                ja_date(n.debit_date.parse().unwrap_or(date))
                            ))
                        }
                        _ => s.push_str(&format!(
                            "未納分は{}以降の引落しでご請求します。",
                            ja_month(redebit)
                        )),
                    }
                    s
                }
            };
            months.push(BilledMonth {
                month: h.month,
                debit_date: date.to_string(),
                amount_yen: h.amount.get(),
                items: h.items.clone(),
                status: match h.result {
                    LineResult::Pending => "pending",
                    LineResult::Collected => "collected",
                    LineResult::Failed => "failed",
                }
                .to_string(),
                result_code: l.result_code,
                explanation,
                deductible: !non_deductible
                    .is_some_and(|(from, until)| (from..=until).contains(&date)),
            });
        }
        Ok(ContractBilling {
            contract_number: c.number,
            program,
            monthly_premium_yen: facts.premium_for(today).get(),
            months,
            unpaid_months: standing.unpaid.iter().map(|u| u.month).collect(),
            unpaid_yen: standing.unpaid.iter().map(|u| u.amount.get()).sum(),
            mandate_usable,
            new_account_from,
            next_debit: next,
            no_debit_reason,
            tax_notice: non_deductible.map(|(from, until)| {
                format!(
                    "以前の経営セーフティ共済の契約が{}に解約されているため、{}までに納付した掛金は、税法上、損金または必要経費に算入できません（租税特別措置法第66条の11ほか）。",
                    ja_date(from),
                    ja_date(until)
                )
            }),
        })
    }

    /// The days premiums are not deductible after an earlier 倒産防止 cancellation on
    /// `cancelled_on` (REFERENCE §5.4), by the rules in force on that date.
    fn non_deductible_window(
        &self,
        cancelled_on: Option<&str>,
    ) -> Result<Option<(jiff::civil::Date, jiff::civil::Date)>, AppError> {
        let Some(on) = cancelled_on else {
            return Ok(None);
        };
        let on: jiff::civil::Date = on.parse().map_err(internal)?;
        let rules = self
            .rules
            .in_force(Program::SafetyNet, on)
            .ok_or_else(|| internal("no safety_net rules"))?;
        let tax = &rules
            .safety_net
            .as_ref()
            .ok_or_else(|| internal("no safety_net section"))?
            .tax;
        Ok(kyosai_domain::safety_net::tax::non_deductible_until(tax, on).map(|until| (on, until)))
    }
}

/// Why a cancelled contract has no next debit, with its refund. `unpaid_months`: the rule set's
/// 機構解約 threshold on the cancellation date.
fn ending_explanation(
    e: &kyosai_store::contracts::Ending,
    on: jiff::civil::Date,
    unpaid_months: Option<u32>,
) -> String {
    let why = match (e.kind.as_str(), unpaid_months) {
        ("by_organization", Some(n)) => {
            format!("掛金の未納が{n}か月以上続いたため、機構が共済契約を解除しました（機構解約）。")
        }
        ("by_organization", None) => "機構が共済契約を解除しました（機構解約）。".to_string(),
        _ => "共済契約は解約されています。".to_string(),
    };
    let refund = match e.refund_yen {
        Some(y) if y > 0 => format!(
            "解約手当金など{}{}をお支払いします。",
            Yen::new(y),
            if e.estimate { "（概算）" } else { "" }
        ),
        Some(_) => "お支払いする解約手当金はありません。".to_string(),
        None => String::new(),
    };
    format!(
        "{}に{why}これ以降の引落しはありません。{refund}",
        ja_date(on)
    )
}
