//! Loans and their repayment schedules (migration 0023; REFERENCE §5.1, §5.2). A loan is stored
//! with every instalment of its schedule; collecting an instalment marks it paid, so the balance
//! is always the schedule less what was collected.

use jiff::civil::Date;
use kyosai_domain::loan::{Instalment, LoanKind};
use kyosai_domain::{ApplicationId, ContractId, LoanId, Yen};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{AnyRow, Result, StoreError, col, decode, typed, typed_opt};

/// A loan to record.
pub struct NewLoan<'a> {
    pub contract_id: ContractId,
    pub application_id: Option<ApplicationId>,
    pub kind: LoanKind,
    pub amount: Yen,
    pub disbursement_date: Date,
    pub maturity_date: Date,
    pub premium_reduction: Yen,
    /// `partner|倒産日` of a 共済金貸付: one loan per bankruptcy and contract.
    pub bankruptcy_key: Option<&'a str>,
    pub schedule: &'a [Instalment],
}

/// A loan as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loan {
    pub id: LoanId,
    pub contract_id: ContractId,
    pub application_id: Option<ApplicationId>,
    pub kind: LoanKind,
    pub amount: Yen,
    pub disbursement_date: Date,
    pub maturity_date: Date,
    pub premium_reduction: Yen,
}

/// One instalment as stored, with the day it was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredInstalment {
    pub instalment: Instalment,
    pub paid_on: Option<Date>,
}

const COLUMNS: &str = "id, contract_id, application_id, kind, amount, disbursement_date, \
     maturity_date, premium_reduction";

fn date(r: &AnyRow, name: &str) -> Result<Date> {
    typed(r, "loans", name, |s| s.parse().ok())
}

fn loan(r: &AnyRow) -> Result<Loan> {
    Ok(Loan {
        id: col(r, "id")?,
        contract_id: col(r, "contract_id")?,
        application_id: col(r, "application_id")?,
        kind: typed(r, "loans", "kind", LoanKind::parse)?,
        amount: Yen::new(col(r, "amount")?),
        disbursement_date: date(r, "disbursement_date")?,
        maturity_date: date(r, "maturity_date")?,
        premium_reduction: Yen::new(col(r, "premium_reduction")?),
    })
}

/// Records a loan and its schedule; returns its id. A second loan against the same bankruptcy
/// of the same contract is refused by the database.
pub async fn insert(conn: &mut AnyConnection, l: &NewLoan<'_>, now: &str) -> Result<LoanId> {
    let row = sqlx::query(
        "INSERT INTO loans (contract_id, application_id, kind, amount, disbursement_date, maturity_date, \
         premium_reduction, bankruptcy_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(l.contract_id)
    .bind(l.application_id)
    .bind(l.kind.as_str())
    .bind(l.amount.get())
    .bind(l.disbursement_date.to_string())
    .bind(l.maturity_date.to_string())
    .bind(l.premium_reduction.get())
    .bind(l.bankruptcy_key)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: LoanId = col(&row, "id")?;
    for i in l.schedule {
        sqlx::query(
            "INSERT INTO loan_instalments (loan_id, seq, due_date, principal, interest) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i64::from(i.seq))
        .bind(i.due_date.to_string())
        .bind(i.principal_yen.get())
        .bind(i.interest_yen.get())
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// A contract's loans, oldest first.
pub async fn for_contract(conn: &mut AnyConnection, contract_id: ContractId) -> Result<Vec<Loan>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM loans WHERE contract_id = $1 ORDER BY id"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(loan).collect()
}

/// A loan's schedule in order.
pub async fn instalments(
    conn: &mut AnyConnection,
    loan_id: LoanId,
) -> Result<Vec<StoredInstalment>> {
    let rows = sqlx::query(
        "SELECT seq, due_date, principal, interest, paid_on FROM loan_instalments WHERE loan_id = $1 ORDER BY seq",
    )
    .bind(loan_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let seq: i64 = col(r, "seq")?;
            let due: String = col(r, "due_date")?;
            Ok(StoredInstalment {
                instalment: Instalment {
                    seq: u32::try_from(seq)
                        .map_err(|_| StoreError::Corrupt(format!("loan_instalments.seq: {seq}")))?,
                    due_date: decode("loan_instalments.due_date", &due, |s| s.parse().ok())?,
                    principal_yen: Yen::new(col(r, "principal")?),
                    interest_yen: Yen::new(col(r, "interest")?),
                },
                paid_on: typed_opt(r, "loan_instalments", "paid_on", |s| s.parse().ok())?,
            })
        })
        .collect()
}

/// Every loan with its contract's program and number, by id (the staff loan book).
pub async fn book(conn: &mut AnyConnection) -> Result<Vec<(Loan, String, String)>> {
    let rows = sqlx::query(
        "SELECT l.id, l.contract_id, l.application_id, l.kind, l.amount, l.disbursement_date, \
         l.maturity_date, l.premium_reduction, c.program, c.number FROM loans l \
         JOIN contracts c ON c.id = l.contract_id ORDER BY l.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((loan(r)?, col(r, "program")?, col(r, "number")?)))
        .collect()
}

/// One loan by id with its contract's number.
pub async fn get(conn: &mut AnyConnection, id: LoanId) -> Result<Option<(Loan, String)>> {
    let row = sqlx::query(
        "SELECT l.id, l.contract_id, l.application_id, l.kind, l.amount, l.disbursement_date, \
         l.maturity_date, l.premium_reduction, c.number FROM loans l \
         JOIN contracts c ON c.id = l.contract_id WHERE l.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((loan(&r)?, col(&r, "number")?))).transpose()
}
