//! Importing a bank's result file: refused whole when anything is wrong, else every record posted
//! to the ledger in one transaction, mandates made unusable by codes 2, 3, 4 and mails queued.

use std::collections::HashMap;

use kyosai_domain::billing as dom;
use kyosai_domain::schedule;
use kyosai_domain::{
    BillLineId, BillingRunId, ContractId, LoanBillLineId, MandateId, OriginatorId, Program,
    ResultImportId, YearMonth, Yen,
};
use kyosai_store::billing as store;
use kyosai_store::loan_billing::{self, LoanLineForResult, NewPayment, PaymentKind};
use kyosai_store::{audit, ledger, sha256_hex};
use kyosai_zengin::FileReport;
use kyosai_zengin::debit::{Expectation, ResultCode, parse_file};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use super::loan_lines::LoanFailure;
use super::{Reconciliation, internal, parse_month};
use crate::ja_text::{ja_date, ja_month};
use crate::mail::{self, Mail};
use crate::zengin_files::LOAN_CUSTOMER_BASE;
use crate::{App, AppError};

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
    pub(crate) fn from_report(file_name: &str, r: &FileReport) -> Refusal {
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

/// An accepted, posted result file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub file_name: String,
    pub sha256: String,
    pub import_id: ResultImportId,
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

/// Whether a stored debit date (`YYYY-MM-DD`) is the header's 引落日 (MMDD: the year is not in
/// the file).
fn same_month_day(stored: &str, header: kyosai_zengin::debit::DebitDate) -> bool {
    stored.parse::<jiff::civil::Date>().is_ok_and(|d| {
        u8::try_from(d.month()).ok() == Some(header.month())
            && u8::try_from(d.day()).ok() == Some(header.day())
    })
}

/// The line a result record answers: a premium's bill line or a loan's.
enum Matched<'a> {
    Premium(&'a store::LineForResult),
    Loan(&'a LoanLineForResult),
}

/// What a record is checked against, whichever line it answers.
struct Expected<'a> {
    originator_code: &'a str,
    debit_date: &'a str,
    has_result: bool,
    amount: i64,
    bank_code: &'a str,
    branch_code: &'a str,
    account_number: &'a str,
}

/// The 委託者コード and debit date of each (run, originator) whose lines a file answers.
type Requests = HashMap<(BillingRunId, OriginatorId), (String, String)>;

impl Matched<'_> {
    fn facts<'a>(&'a self, requests: &'a Requests) -> Result<Expected<'a>, AppError> {
        Ok(match self {
            Matched::Premium(l) => {
                let (originator_code, debit_date) = requests
                    .get(&(l.run_id, l.originator_id))
                    .ok_or_else(|| internal(format!("bill line {}: request not loaded", l.id)))?;
                Expected {
                    originator_code,
                    debit_date,
                    has_result: l.has_result,
                    amount: l.amount,
                    bank_code: l.bank_code.as_str(),
                    branch_code: l.branch_code.as_str(),
                    account_number: l.account_number.as_str(),
                }
            }
            Matched::Loan(l) => Expected {
                originator_code: &l.originator_code,
                debit_date: &l.debit_date,
                has_result: l.has_result,
                amount: l.amount,
                bank_code: &l.bank_code,
                branch_code: &l.branch_code,
                account_number: &l.account_number,
            },
        })
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

/// Audit rows per `audit::append_all` call: a result file can make thousands of mandates
/// unusable (10,000 in the national benchmark), whose rows went in one round trip each (about
/// 3 s of an import on PostgreSQL); one multi-row statement must stay under the databases'
/// parameter limits (SQLite 32,766) at ten values a row.
const AUDIT_ROWS_PER_APPEND: usize = 1_000;

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
    #[tracing::instrument(skip(self, bytes), fields(bytes = bytes.len()))]
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
        let (header, records, _) = file.into_parts();
        // Match each record to its bill line by customer number (= bill line id), or to its
        // loan line (customer numbers from LOAN_CUSTOMER_BASE on): the customer number is
        // read back into the id it was written from (`zengin_files::customer_number`).
        let mut order: Vec<(u64, usize)> = Vec::with_capacity(records.len());
        let mut loan_order: Vec<(LoanBillLineId, usize)> = Vec::new();
        let mut problems = Vec::new();
        for (i, r) in records.iter().enumerate() {
            match r.customer_number.to_u64() {
                Some(n) if n > LOAN_CUSTOMER_BASE => {
                    let id = i64::try_from(n - LOAN_CUSTOMER_BASE).unwrap_or(0);
                    loan_order.push((LoanBillLineId::new(id), i));
                }
                Some(id) if id > 0 => order.push((id, i)),
                _ => problems.push(ImportProblem {
                    record: i + 2,
                    code: "unmatched".into(),
                    message: "顧客番号が請求明細を指していません。".into(),
                }),
            }
        }
        order.sort_unstable();
        let order: Vec<(BillLineId, usize)> = order
            .into_iter()
            .map(|(n, i)| (BillLineId::new(n as i64), i))
            .collect();
        let mut lines: Vec<Option<store::LineForResult>> = vec![None; records.len()];
        let mut requests = Requests::new();
        if let (Some(&(min, _)), Some(&(max, _))) = (order.first(), order.last()) {
            let mut conn = self.store.read().await?;
            // Pages of lines from the smallest id asked for: the cursor starts just before it.
            let mut after = BillLineId::new(min.get() - 1);
            let mut k = 0usize;
            loop {
                let page = store::lines_for_results(&mut conn, after, max, 100_000).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for l in page {
                    while k < order.len() && order[k].0 < l.id {
                        k += 1;
                    }
                    let mut j = k;
                    while j < order.len() && order[j].0 == l.id {
                        lines[order[j].1] = Some(l);
                        j += 1;
                    }
                    if let std::collections::hash_map::Entry::Vacant(e) =
                        requests.entry((l.run_id, l.originator_id))
                    {
                        e.insert(store::request_of(&mut conn, l.run_id, l.originator_id).await?);
                    }
                }
            }
        }
        let mut loan_lines: Vec<Option<LoanLineForResult>> = vec![None; records.len()];
        if !loan_order.is_empty() {
            let mut conn = self.store.read().await?;
            let ids: Vec<LoanBillLineId> = loan_order.iter().map(|(id, _)| *id).collect();
            let found: HashMap<LoanBillLineId, LoanLineForResult> =
                loan_billing::lines_for_results(&mut conn, &ids)
                    .await?
                    .into_iter()
                    .map(|l| (l.id, l))
                    .collect();
            for (id, i) in &loan_order {
                loan_lines[*i] = found.get(id).cloned();
            }
        }
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        let mut wrong_run: std::collections::BTreeSet<(&str, String)> = Default::default();
        let mut entries = Vec::with_capacity(records.len());
        let mut rec = Reconciliation::default();
        let mut unusable = Vec::new();
        let mut arrears: Vec<(ContractId, String, i64, ResultCode)> = Vec::new();
        let mut loan_entries: Vec<(&LoanLineForResult, ResultCode)> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let n = i + 2;
            let mut bad = |code: &str, message: String| {
                problems.push(ImportProblem {
                    record: n,
                    code: code.into(),
                    message,
                })
            };
            let matched = match (&lines[i], &loan_lines[i]) {
                (Some(l), _) => Matched::Premium(l),
                (None, Some(l)) => Matched::Loan(l),
                (None, None) => {
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
                }
            };
            let l = matched.facts(&requests)?;
            // The file must answer the request the line went out in (issue #15 item 7): a file
            // for another originator or another debit date is another run's answer.
            if l.originator_code != header.originator_code.as_str() {
                wrong_run.insert((
                    "originator_mismatch",
                    format!(
                        "ヘッダーの委託者コード{}が、請求した委託者コード{}と一致しません。",
                        header.originator_code, l.originator_code
                    ),
                ));
                continue;
            }
            if !same_month_day(l.debit_date, header.debit_date) {
                wrong_run.insert((
                    "debit_date_mismatch",
                    format!(
                        "ヘッダーの引落日（{}月{}日）が、請求した引落日（{}）と一致しません。",
                        header.debit_date.month(),
                        header.debit_date.day(),
                        l.debit_date
                    ),
                ));
                continue;
            }
            if !seen.insert(r.customer_number.to_u64()) {
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
            }
            let l = match matched {
                Matched::Loan(l) => {
                    loan_entries.push((l, code));
                    continue;
                }
                Matched::Premium(l) => l,
            };
            if !code.is_collected() {
                if makes_mandate_unusable(code) {
                    unusable.push((l.contract_id, l.mandate_id, code, l.month.to_string(), true));
                } else {
                    arrears.push((l.contract_id, l.month.to_string(), r.amount, code));
                }
            }
            entries.push(ledger::ResultEntry {
                contract_id: l.contract_id,
                bill_line_id: l.id,
                month: l.month,
                collected: code.is_collected(),
                amount: r.amount,
                months: l.months,
                result_code: i64::from(code.code()),
                reason: (!code.is_collected()).then(|| reason_code(code)),
            });
        }
        problems.extend(wrong_run.into_iter().map(|(code, message)| ImportProblem {
            record: 0,
            code: code.into(),
            message,
        }));
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
        if let Err(e) = ledger::post_results(tx.conn(), import_id, &entries, &now).await {
            // Another import posted results for these lines between our check and our write
            // (two different files answering the same lines, imported at once): the same
            // answer as when the check sees it, not a database error.
            if e.is_unique_violation() {
                tracing::warn!(error = %e, file_name, "result import lost a concurrent import");
                return Err(refuse(
                    "already_posted",
                    "この結果ファイルの明細は、同時に取り込まれた別の結果ファイルで計上済みです。"
                        .into(),
                ));
            }
            return Err(e.into());
        }
        let loan_failures = self
            .post_loan_results(tx.conn(), import_id, &loan_entries, &now)
            .await
            .map_err(|e| match e {
                AppError::Store(e) if e.is_unique_violation() => refuse(
                    "already_posted",
                    "この結果ファイルの明細は、同時に取り込まれた別の結果ファイルで計上済みです。"
                        .into(),
                ),
                e => ImportError::App(e),
            })?;
        // A loan debit refused for good makes the mandate unusable as a premium's does; its
        // own mail (below) asks for a new account.
        unusable.extend(
            loan_failures
                .iter()
                .filter(|f| f.unusable)
                .map(|f| (f.contract_id, f.mandate_id, f.code, f.month.clone(), false)),
        );
        let mut mandates_unusable = 0;
        let ids: Vec<MandateId> = unusable.iter().map(|(_, m, ..)| *m).collect();
        let mut newly_unusable = store::mark_mandates_unusable(tx.conn(), &ids).await?;
        let contract_ids: Vec<ContractId> = unusable
            .iter()
            .filter(|(_, m, ..)| newly_unusable.contains(m))
            .map(|(c, ..)| *c)
            .collect();
        let contacts = store::contacts(tx.conn(), &contract_ids).await?;
        let mut unusable_mails = Vec::new();
        let mut unusable_audit: Vec<(String, serde_json::Value)> = Vec::new();
        for (contract_id, mandate_id, code, month, premium) in &unusable {
            // In record order, once per mandate (as one UPDATE per record did).
            if newly_unusable.remove(mandate_id) {
                mandates_unusable += 1;
                unusable_audit.push((
                    format!("mandate:{mandate_id}"),
                    json!({"status": "unusable", "result_code": code.code(), "month": month}),
                ));
                if let Some(store::Contact {
                    member_id,
                    number,
                    email,
                    ..
                }) = contacts.get(contract_id)
                    && *premium
                {
                    let month = ja_month(parse_month(month)?);
                    unusable_mails.push((
                        *member_id,
                        Mail {
                            to: email.clone(),
                            subject: "【共済】口座振替ができませんでした：新しい口座のご登録のお願い".into(),
                            body: format!(
                                "共済契約者番号 {number} の{month}分の掛金は、口座振替ができませんでした（{}）。\nご登録の口座は今後の振替に使えません。お手数ですが、オンラインで新しい口座をご登録ください：{url}/portal/contracts/{number}/account\n（画面つきの説明：{url}/help/mandate_change）\n未納の掛金は、新しい口座の登録後に次回の引落しでご請求します。\n",
                                code.label_ja(),
                                url = self.public_url
                            ),
                            attachments: Vec::new(),
                        },
                    ));
                }
            }
        }
        let active = json!({"status": "active"});
        for batch in unusable_audit.chunks(AUDIT_ROWS_PER_APPEND) {
            let entries: Vec<audit::Entry> = batch
                .iter()
                .map(|(target, after)| audit::Entry {
                    actor,
                    action: "mandate.unusable",
                    target,
                    before: Some(&active),
                    after: Some(after),
                    at: &now,
                })
                .collect();
            audit::append_all(tx.conn(), self.store.audit_key(), &entries).await?;
        }
        mail::send_to_members(tx.conn(), &unusable_mails, &now).await?;
        let arrears_notices = self.arrears_notices(tx.conn(), &arrears, &now).await?
            + self
                .loan_failure_mails(tx.conn(), &loan_failures, &now)
                .await?;
        audit::append(
            tx.conn(),
            self.store.audit_key(),
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

    /// Posts the answers for loan lines: a collected debit repays its instalments on the debit
    /// date, a failed one leaves them open (debited again by the next run with the late
    /// charge). Returns the failures for the mails and the mandates to make unusable.
    async fn post_loan_results(
        &self,
        conn: &mut AnyConnection,
        import_id: ResultImportId,
        entries: &[(&LoanLineForResult, ResultCode)],
        now: &str,
    ) -> Result<Vec<LoanFailure>, AppError> {
        let mut failures = Vec::new();
        for (l, code) in entries {
            let on: jiff::civil::Date = l
                .debit_date
                .parse()
                .map_err(|_| internal(format!("loan line {}: debit date", l.id)))?;
            let collected = code.is_collected();
            loan_billing::record_payment(
                conn,
                &NewPayment {
                    loan_id: l.loan_id,
                    line_id: Some(l.id),
                    kind: if collected {
                        PaymentKind::Collected
                    } else {
                        PaymentKind::Failed
                    },
                    seqs: &l.seqs,
                    principal: l.principal,
                    interest: l.interest,
                    late_charge: l.late_charge,
                    result_code: Some(i64::from(code.code())),
                    import_id: Some(import_id),
                    on_date: on,
                },
                now,
            )
            .await?;
            if !collected {
                failures.push(LoanFailure {
                    contract_id: l.contract_id,
                    mandate_id: l.mandate_id,
                    month: l.month.clone(),
                    amount: l.amount,
                    reason_ja: code.label_ja(),
                    code: *code,
                    unusable: makes_mandate_unusable(*code),
                });
            }
        }
        Ok(failures)
    }

    /// 掛金請求のお知らせ (REFERENCE §2.7): a mail for each failed debit whose account can still be
    /// used (codes 1, 8, 9), saying when the unpaid premium is debited again by the cycle in
    /// force (renewed: next month; legacy 小規模: the first even month at least two months later).
    async fn arrears_notices(
        &self,
        conn: &mut AnyConnection,
        failed: &[(ContractId, String, i64, ResultCode)],
        now: &str,
    ) -> Result<usize, AppError> {
        let ids: Vec<ContractId> = failed.iter().map(|f| f.0).collect();
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
                attachments: Vec::new(),
            };
            mails.push((c.member_id, mail));
        }
        mail::send_to_members(conn, &mails, now).await?;
        Ok(mails.len())
    }
}
