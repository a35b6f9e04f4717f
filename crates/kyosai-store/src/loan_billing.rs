//! Loan repayments through the billing cycle (migration 0030): the loans a run debits, their
//! bill lines, the bank's answers and the other repayment events (recovery from premiums,
//! set-off against a benefit or refund), and the early repayments asked for.
//!
//! A loan's instalments are marked paid in the same transaction that records the event that
//! repaid them, so the balance (the principal of the unpaid instalments) always equals the
//! amount lent less the principal of the `collected`, `recovered` and `set_off` events.

use jiff::civil::Date;
use kyosai_domain::loan::{Instalment, LoanKind};
use kyosai_domain::{
    ApplicationId, BillingRunId, ContractId, LoanBillLineId, LoanId, MandateId, OriginatorId,
    ResultImportId, Yen,
};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::billing::{FileLine, MandateSnapshot};
use crate::{AnyRow, Result, StoreError, col, decode, typed};

/// The instalment numbers a line repays, as stored (`3,4`).
fn seqs_text(seqs: &[u32]) -> String {
    seqs.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_seqs(s: &str) -> Result<Vec<u32>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| decode("loan_bill_lines.seqs", p, |v| v.parse().ok()))
        .collect()
}

/// A loan with something a run may debit: its unpaid instalments, those still awaiting a
/// bank's answer, an early repayment asked for, and the mandate in force for the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepayableLoan {
    pub id: LoanId,
    pub contract_id: ContractId,
    pub kind: LoanKind,
    pub amount: Yen,
    pub disbursement_date: Date,
    pub maturity_date: Date,
    pub unpaid: Vec<Instalment>,
    /// Seqs in a line without a result yet: not debited again until the answer is in.
    pub pending: Vec<u32>,
    /// The month of an early repayment asked for.
    pub early_month: Option<String>,
    pub mandate: Option<MandateSnapshot>,
    pub mandate_usable: bool,
}

/// Loans of `program`'s active contracts with an unpaid instalment due by `month_end` or an
/// early repayment asked for `month`, by id, with the mandate in force for `month`.
pub async fn repayable(
    conn: &mut AnyConnection,
    program: &str,
    month: &str,
    month_end: Date,
) -> Result<Vec<RepayableLoan>> {
    let rows = sqlx::query(
        "SELECT l.id, l.contract_id, l.kind, l.amount, l.disbursement_date, l.maturity_date, \
         e.month AS early_month FROM loans l JOIN contracts c ON c.id = l.contract_id \
         LEFT JOIN loan_early_repayments e ON e.loan_id = l.id \
         WHERE c.program = $1 AND c.status = 'active' AND EXISTS (SELECT 1 FROM loan_instalments i \
           WHERE i.loan_id = l.id AND i.paid_on IS NULL AND (i.due_date <= $2 OR e.month = $3)) \
         ORDER BY l.id",
    )
    .bind(program)
    .bind(month_end.to_string())
    .bind(month)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: LoanId = col(r, "id")?;
        let contract_id: ContractId = col(r, "contract_id")?;
        let (mandate, mandate_usable) = mandate_in_force(conn, contract_id, month).await?;
        out.push(RepayableLoan {
            id,
            contract_id,
            kind: typed(r, "loans", "kind", LoanKind::parse)?,
            amount: Yen::new(col(r, "amount")?),
            disbursement_date: typed(r, "loans", "disbursement_date", |s| s.parse().ok())?,
            maturity_date: typed(r, "loans", "maturity_date", |s| s.parse().ok())?,
            unpaid: crate::loans::instalments(conn, id)
                .await?
                .into_iter()
                .filter(|s| s.paid_on.is_none())
                .map(|s| s.instalment)
                .collect(),
            pending: pending_seqs(conn, id).await?,
            early_month: col(r, "early_month")?,
            mandate,
            mandate_usable,
        });
    }
    Ok(out)
}

/// The mandate in force for `month` (the newest effective by then) and whether it is usable.
async fn mandate_in_force(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    month: &str,
) -> Result<(Option<MandateSnapshot>, bool)> {
    let row = sqlx::query(
        "SELECT m.id, m.bank_code, m.branch_code, m.account_type, m.account_number, m.holder_kana, \
         m.status, CASE WHEN m.effective_month IS NULL THEN 0 \
              WHEN EXISTS (SELECT 1 FROM bill_lines b WHERE b.mandate_id = m.id) THEN 0 \
              WHEN EXISTS (SELECT 1 FROM loan_bill_lines b WHERE b.mandate_id = m.id) THEN 0 \
              ELSE 1 END AS changed_unused \
         FROM mandates m WHERE m.id = (SELECT MAX(x.id) FROM mandates x WHERE x.contract_id = $1 \
         AND COALESCE(x.effective_month, '') <= $2)",
    )
    .bind(contract_id)
    .bind(month)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok((None, false));
    };
    let status: String = col(&r, "status")?;
    let changed: i64 = col(&r, "changed_unused")?;
    Ok((
        Some(MandateSnapshot {
            id: col(&r, "id")?,
            bank_code: col(&r, "bank_code")?,
            branch_code: col(&r, "branch_code")?,
            account_type: col(&r, "account_type")?,
            account_number: col(&r, "account_number")?,
            holder_kana: col(&r, "holder_kana")?,
            changed_unused: changed == 1,
        }),
        status != "unusable",
    ))
}

/// The seqs of a loan's lines still without a result.
async fn pending_seqs(conn: &mut AnyConnection, loan_id: LoanId) -> Result<Vec<u32>> {
    let rows = sqlx::query(
        "SELECT b.seqs FROM loan_bill_lines b LEFT JOIN loan_payments p ON p.line_id = b.id \
         WHERE b.loan_id = $1 AND p.id IS NULL",
    )
    .bind(loan_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let s: String = col(r, "seqs")?;
        out.extend(parse_seqs(&s)?);
    }
    Ok(out)
}

/// A loan's debit to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLoanLine {
    pub loan_id: LoanId,
    pub contract_id: ContractId,
    pub originator_id: OriginatorId,
    pub seqs: Vec<u32>,
    pub principal: Yen,
    pub interest: Yen,
    pub late_charge: Yen,
    pub early: bool,
    pub new_code: i64,
    pub mandate: MandateSnapshot,
}

/// Whether a run has billed its loans already (the step is one transaction).
pub async fn run_has_lines(conn: &mut AnyConnection, run_id: BillingRunId) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM loan_bill_lines WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

/// Inserts a run's loan lines, numbered from the `loan_bill_line_id` counter in the caller's
/// transaction (as bill lines are: a resumed run numbers them the same).
pub async fn insert_lines(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    month: &str,
    lines: &[NewLoanLine],
) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(lines.len())
        .map_err(|_| StoreError::Corrupt("too many loan lines in one run".into()))?;
    let row = sqlx::query(
        "UPDATE counters SET value = value + $1 WHERE name = 'loan_bill_line_id' RETURNING value",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    let first = col::<i64>(&row, "value")? - n + 1;
    for (id, l) in (first..).zip(lines) {
        let amount = l.principal.get() + l.interest.get() + l.late_charge.get();
        sqlx::query(
            "INSERT INTO loan_bill_lines (id, run_id, loan_id, contract_id, month, originator_id, seqs, \
             principal, interest, late_charge, amount, early, new_code, mandate_id, bank_code, branch_code, \
             account_type, account_number, holder_kana) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(id)
        .bind(run_id)
        .bind(l.loan_id)
        .bind(l.contract_id)
        .bind(month)
        .bind(l.originator_id)
        .bind(seqs_text(&l.seqs))
        .bind(l.principal.get())
        .bind(l.interest.get())
        .bind(l.late_charge.get())
        .bind(amount)
        .bind(i64::from(l.early))
        .bind(l.new_code)
        .bind(l.mandate.id)
        .bind(&l.mandate.bank_code)
        .bind(&l.mandate.branch_code)
        .bind(&l.mandate.account_type)
        .bind(&l.mandate.account_number)
        .bind(&l.mandate.holder_kana)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A run's loan lines for one originator after `after_id`, by id, as a request file writes them
/// (`id` is the loan line's id; the file's customer number adds the loan range's base).
pub async fn file_lines(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    originator_id: OriginatorId,
    after_id: i64,
    limit: i64,
) -> Result<Vec<FileLine>> {
    let rows = sqlx::query(
        "SELECT id, amount, new_code, bank_code, branch_code, account_type, account_number, holder_kana \
         FROM loan_bill_lines WHERE run_id = $1 AND originator_id = $2 AND id > $3 ORDER BY id LIMIT $4",
    )
    .bind(run_id)
    .bind(originator_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FileLine {
                id: col(r, "id")?,
                amount: col(r, "amount")?,
                new_code: col(r, "new_code")?,
                bank_code: col(r, "bank_code")?,
                branch_code: col(r, "branch_code")?,
                account_type: col(r, "account_type")?,
                account_number: col(r, "account_number")?,
                holder_kana: col(r, "holder_kana")?,
            })
        })
        .collect()
}

/// A loan line as a result import matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanLineForResult {
    pub id: LoanBillLineId,
    pub loan_id: LoanId,
    pub contract_id: ContractId,
    pub month: String,
    pub kind: LoanKind,
    pub seqs: Vec<u32>,
    pub principal: Yen,
    pub interest: Yen,
    pub late_charge: Yen,
    pub amount: i64,
    pub mandate_id: MandateId,
    pub bank_code: String,
    pub branch_code: String,
    pub account_number: String,
    pub originator_code: String,
    pub debit_date: String,
    pub has_result: bool,
}

/// The loan lines with these ids (those that exist).
pub async fn lines_for_results(
    conn: &mut AnyConnection,
    ids: &[LoanBillLineId],
) -> Result<Vec<LoanLineForResult>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            // The bare numbers (an id's `Display`), so the list holds digits only.
            .map(LoanBillLineId::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT b.id, b.loan_id, b.contract_id, b.month, l.kind, b.seqs, b.principal, b.interest, \
             b.late_charge, b.amount, b.mandate_id, b.bank_code, b.branch_code, b.account_number, \
             o.code AS originator_code, r.debit_date, \
             CASE WHEN p.id IS NULL THEN 0 ELSE 1 END AS has_result \
             FROM loan_bill_lines b JOIN loans l ON l.id = b.loan_id \
             JOIN billing_originators o ON o.id = b.originator_id JOIN billing_runs r ON r.id = b.run_id \
             LEFT JOIN loan_payments p ON p.line_id = b.id WHERE b.id IN ({list}) ORDER BY b.id"
        )))
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let seqs: String = col(r, "seqs")?;
            let has: i64 = col(r, "has_result")?;
            out.push(LoanLineForResult {
                id: col(r, "id")?,
                loan_id: col(r, "loan_id")?,
                contract_id: col(r, "contract_id")?,
                month: col(r, "month")?,
                kind: typed(r, "loans", "kind", LoanKind::parse)?,
                seqs: parse_seqs(&seqs)?,
                principal: Yen::new(col(r, "principal")?),
                interest: Yen::new(col(r, "interest")?),
                late_charge: Yen::new(col(r, "late_charge")?),
                amount: col(r, "amount")?,
                mandate_id: col(r, "mandate_id")?,
                bank_code: col(r, "bank_code")?,
                branch_code: col(r, "branch_code")?,
                account_number: col(r, "account_number")?,
                originator_code: col(r, "originator_code")?,
                debit_date: col(r, "debit_date")?,
                has_result: has == 1,
            });
        }
    }
    Ok(out)
}

/// What happened to a loan's instalments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    /// A direct debit collected them.
    Collected,
    /// A direct debit failed: nothing repaid, the instalments stay open.
    Failed,
    /// An unpaid 一時貸付金 recovered from the premiums paid (REFERENCE §5.2).
    Recovered,
    /// Deducted from the benefit or refund that ended the contract.
    SetOff,
}

impl PaymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Collected => "collected",
            PaymentKind::Failed => "failed",
            PaymentKind::Recovered => "recovered",
            PaymentKind::SetOff => "set_off",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentKind> {
        [
            PaymentKind::Collected,
            PaymentKind::Failed,
            PaymentKind::Recovered,
            PaymentKind::SetOff,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether the event repaid its instalments.
    pub fn repays(self) -> bool {
        self != PaymentKind::Failed
    }
}

/// A repayment event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment<'a> {
    pub loan_id: LoanId,
    pub line_id: Option<LoanBillLineId>,
    pub kind: PaymentKind,
    pub seqs: &'a [u32],
    pub principal: Yen,
    pub interest: Yen,
    pub late_charge: Yen,
    pub result_code: Option<i64>,
    pub import_id: Option<ResultImportId>,
    pub on_date: Date,
}

/// Records a repayment event and, when it repaid them, marks its instalments paid on its date.
pub async fn record_payment(conn: &mut AnyConnection, p: &NewPayment<'_>, now: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO loan_payments (loan_id, line_id, kind, principal, interest, late_charge, result_code, \
         import_id, on_date, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.loan_id)
    .bind(p.line_id)
    .bind(p.kind.as_str())
    .bind(p.principal.get())
    .bind(p.interest.get())
    .bind(p.late_charge.get())
    .bind(p.result_code)
    .bind(p.import_id)
    .bind(p.on_date.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if p.kind.repays() {
        for seq in p.seqs {
            let done = sqlx::query(
                "UPDATE loan_instalments SET paid_on = $1 WHERE loan_id = $2 AND seq = $3 AND paid_on IS NULL",
            )
            .bind(p.on_date.to_string())
            .bind(p.loan_id)
            .bind(i64::from(*seq))
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Corrupt(format!(
                    "loan {} instalment {seq} repaid twice",
                    p.loan_id
                )));
            }
        }
    }
    Ok(())
}

/// One debit of a loan with the bank's answer, for the member's and staff's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanDebitRow {
    pub line_id: LoanBillLineId,
    pub month: String,
    pub debit_date: String,
    pub seqs: Vec<u32>,
    pub principal: Yen,
    pub interest: Yen,
    pub late_charge: Yen,
    pub amount: Yen,
    pub early: bool,
    /// None while the bank's answer is not in.
    pub result: Option<PaymentKind>,
    pub result_code: Option<i64>,
}

/// A loan's debits, oldest first.
pub async fn debits(conn: &mut AnyConnection, loan_id: LoanId) -> Result<Vec<LoanDebitRow>> {
    let rows = sqlx::query(
        "SELECT b.id, b.month, r.debit_date, b.seqs, b.principal, b.interest, b.late_charge, b.amount, \
         b.early, p.kind AS result, p.result_code FROM loan_bill_lines b \
         JOIN billing_runs r ON r.id = b.run_id LEFT JOIN loan_payments p ON p.line_id = b.id \
         WHERE b.loan_id = $1 ORDER BY b.id",
    )
    .bind(loan_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(debit_row).collect()
}

fn debit_row(r: &AnyRow) -> Result<LoanDebitRow> {
    let seqs: String = col(r, "seqs")?;
    let early: i64 = col(r, "early")?;
    let result: Option<String> = col(r, "result")?;
    Ok(LoanDebitRow {
        line_id: col(r, "id")?,
        month: col(r, "month")?,
        debit_date: col(r, "debit_date")?,
        seqs: parse_seqs(&seqs)?,
        principal: Yen::new(col(r, "principal")?),
        interest: Yen::new(col(r, "interest")?),
        late_charge: Yen::new(col(r, "late_charge")?),
        amount: Yen::new(col(r, "amount")?),
        early: early == 1,
        result: result
            .map(|k| decode("loan_payments.kind", &k, PaymentKind::parse))
            .transpose()?,
        result_code: col(r, "result_code")?,
    })
}

/// Asks for a loan's early repayment by the run of `month`; false when one is already asked for
/// that month or later. One asked for an earlier month (whose debit failed: the loan went back
/// to its schedule) is replaced.
pub async fn request_early(
    conn: &mut AnyConnection,
    loan_id: LoanId,
    month: &str,
    application_id: Option<ApplicationId>,
    now: &str,
) -> Result<bool> {
    sqlx::query("DELETE FROM loan_early_repayments WHERE loan_id = $1 AND month < $2")
        .bind(loan_id)
        .bind(month)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO loan_early_repayments (loan_id, month, application_id, requested_at) \
         SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM loan_early_repayments WHERE loan_id = $1)",
    )
    .bind(loan_id)
    .bind(month)
    .bind(application_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The month of a loan's early repayment asked for, if any.
pub async fn early_month(conn: &mut AnyConnection, loan_id: LoanId) -> Result<Option<String>> {
    let row = sqlx::query("SELECT month FROM loan_early_repayments WHERE loan_id = $1")
        .bind(loan_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "month")).transpose()
}

/// What the loan book reconciles for a program: principal repaid by every repaying event,
/// what was recovered from premiums (all of it), and the premium ledger's `loan_reduction`
/// entries (negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BookTotals {
    pub repaid_principal: Yen,
    pub recovered: Yen,
    pub ledger_reductions: Yen,
}

pub async fn book_totals(conn: &mut AnyConnection, program: &str) -> Result<BookTotals> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN p.kind <> 'failed' THEN p.principal ELSE 0 END), 0) AS BIGINT) AS repaid, \
         CAST(COALESCE(SUM(CASE WHEN p.kind = 'recovered' THEN p.principal + p.interest + p.late_charge ELSE 0 END), 0) AS BIGINT) AS recovered \
         FROM loan_payments p JOIN loans l ON l.id = p.loan_id JOIN contracts c ON c.id = l.contract_id \
         WHERE c.program = $1",
    )
    .bind(program)
    .fetch_one(&mut *conn)
    .await?;
    let ledger = sqlx::query(
        "SELECT CAST(COALESCE(SUM(b.amount), 0) AS BIGINT) AS n FROM billing_ledger b \
         JOIN contracts c ON c.id = b.contract_id WHERE b.kind = 'loan_reduction' AND c.program = $1",
    )
    .bind(program)
    .fetch_one(&mut *conn)
    .await?;
    Ok(BookTotals {
        repaid_principal: Yen::new(col(&row, "repaid")?),
        recovered: Yen::new(col(&row, "recovered")?),
        ledger_reductions: Yen::new(col(&ledger, "n")?),
    })
}

/// A loan's repayments that were no debit: recovered from premiums or set off, oldest first:
/// (kind, day, principal + interest + late charge).
pub async fn settlements(
    conn: &mut AnyConnection,
    loan_id: LoanId,
) -> Result<Vec<(PaymentKind, Date, Yen)>> {
    let rows = sqlx::query(
        "SELECT kind, on_date, principal + interest + late_charge AS total FROM loan_payments \
         WHERE loan_id = $1 AND line_id IS NULL ORDER BY id",
    )
    .bind(loan_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = col(r, "kind")?;
            Ok((
                decode("loan_payments.kind", &kind, PaymentKind::parse)?,
                typed(r, "loan_payments", "on_date", |s| s.parse().ok())?,
                Yen::new(col(r, "total")?),
            ))
        })
        .collect()
}
