//! 機構解約 candidates (maker-checker), contract cancellation and refund records (issue #4).

use kyosai_domain::termination::CandidateStatus;
use kyosai_domain::{ApplicationId, CandidateId, ContractId, Program, RefundId, UserId};
use sqlx::AnyConnection;

use crate::{AnyRow, Result, col, typed};

/// A candidate with what staff need to decide on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: CandidateId,
    pub contract_id: ContractId,
    pub contract_number: String,
    pub program: Program,
    pub holder_name: String,
    pub unpaid_months: i64,
    pub unpaid_yen: i64,
    pub prepared_by: UserId,
    pub prepared_by_email: String,
    pub prepared_at: String,
    pub confirmed_by: Option<UserId>,
    pub confirmed_at: Option<String>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawn_at: Option<String>,
    pub status: CandidateStatus,
    /// The refund, once confirmed.
    pub refund_total_yen: Option<i64>,
    pub refund_estimate: Option<bool>,
}

const SELECT: &str = "SELECT t.id, t.contract_id, c.number, c.program, c.holder_name, t.unpaid_months, t.unpaid_yen, \
    t.prepared_by, u.email AS prepared_by_email, t.prepared_at, t.confirmed_by, t.confirmed_at, t.withdrawn_by, \
    t.withdrawn_at, t.status, r.total_yen AS refund_total_yen, r.estimate AS refund_estimate \
    FROM termination_candidates t JOIN contracts c ON c.id = t.contract_id JOIN users u ON u.id = t.prepared_by \
    LEFT JOIN cancellation_refunds r ON r.candidate_id = t.id";

fn from_row(r: &AnyRow) -> Result<Candidate> {
    Ok(Candidate {
        id: col(r, "id")?,
        contract_id: col(r, "contract_id")?,
        contract_number: col(r, "number")?,
        program: typed(r, "contracts", "program", Program::parse)?,
        holder_name: col(r, "holder_name")?,
        unpaid_months: col(r, "unpaid_months")?,
        unpaid_yen: col(r, "unpaid_yen")?,
        prepared_by: col(r, "prepared_by")?,
        prepared_by_email: col(r, "prepared_by_email")?,
        prepared_at: col(r, "prepared_at")?,
        confirmed_by: col(r, "confirmed_by")?,
        confirmed_at: col(r, "confirmed_at")?,
        withdrawn_by: col(r, "withdrawn_by")?,
        withdrawn_at: col(r, "withdrawn_at")?,
        status: typed(
            r,
            "termination_candidates",
            "status",
            CandidateStatus::parse,
        )?,
        refund_total_yen: col(r, "refund_total_yen")?,
        refund_estimate: col::<Option<i64>>(r, "refund_estimate")?.map(|e| e != 0),
    })
}

/// Every candidate, newest first.
pub async fn list(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Candidate>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY t.id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, id: CandidateId) -> Result<Option<Candidate>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE t.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Active contracts (of `program`, or all when empty) without an open or confirmed candidate
/// whose failed debits cover at least `min_months` premium months in total — a necessary
/// condition for that many unpaid months (a failed entry counts the months of its line), read
/// from the partial index on failed entries instead of walking every contract.
pub async fn contracts_to_examine(
    conn: &mut AnyConnection,
    program: &str,
    min_months: i64,
) -> Result<Vec<ContractId>> {
    let rows = sqlx::query(
        "SELECT c.id FROM contracts c JOIN (SELECT contract_id FROM billing_ledger WHERE kind = 'failed' \
         GROUP BY contract_id HAVING SUM(months) >= $2) f ON f.contract_id = c.id \
         WHERE c.status = 'active' AND ($1 = '' OR c.program = $1) \
         AND NOT EXISTS (SELECT 1 FROM termination_candidates t WHERE t.contract_id = c.id AND t.status <> 'withdrawn') \
         ORDER BY c.id",
    )
    .bind(program)
    .bind(min_months)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| col(r, "id")).collect()
}

/// Records a contract as a candidate (reopening a withdrawn one); None when it already is an
/// open or confirmed candidate (a concurrent preparation).
pub async fn prepare(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    unpaid_months: i64,
    unpaid_yen: i64,
    prepared_by: UserId,
    now: &str,
) -> Result<Option<CandidateId>> {
    let reopened = sqlx::query(
        "UPDATE termination_candidates SET unpaid_months = $2, unpaid_yen = $3, prepared_by = $4, prepared_at = $5, \
         confirmed_by = NULL, confirmed_at = NULL, withdrawn_by = NULL, withdrawn_at = NULL, status = 'prepared' \
         WHERE contract_id = $1 AND status = 'withdrawn' RETURNING id",
    )
    .bind(contract_id)
    .bind(unpaid_months)
    .bind(unpaid_yen)
    .bind(prepared_by)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = reopened {
        return Ok(Some(col(&r, "id")?));
    }
    let row = sqlx::query(
        "INSERT INTO termination_candidates (contract_id, unpaid_months, unpaid_yen, prepared_by, prepared_at, status) \
         VALUES ($1, $2, $3, $4, $5, 'prepared') ON CONFLICT (contract_id) DO NOTHING RETURNING id",
    )
    .bind(contract_id)
    .bind(unpaid_months)
    .bind(unpaid_yen)
    .bind(prepared_by)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(|r| col(r, "id")).transpose()
}

/// Moves a prepared candidate to `confirmed` or `withdrawn`; false when it is no longer
/// prepared (someone else decided first).
pub async fn decide(
    conn: &mut AnyConnection,
    id: CandidateId,
    confirmed: bool,
    by: UserId,
    now: &str,
) -> Result<bool> {
    let sql = if confirmed {
        "UPDATE termination_candidates SET status = 'confirmed', confirmed_by = $2, confirmed_at = $3 \
         WHERE id = $1 AND status = 'prepared'"
    } else {
        "UPDATE termination_candidates SET status = 'withdrawn', withdrawn_by = $2, withdrawn_at = $3 \
         WHERE id = $1 AND status = 'prepared'"
    };
    let done = sqlx::query(sql)
        .bind(id)
        .bind(by)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends an active contract; false when it was not active any more.
pub async fn cancel_contract(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    kind: &str,
    on: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE contracts SET status = 'cancelled', cancelled_on = $2, cancellation_kind = $3 \
         WHERE id = $1 AND status = 'active'",
    )
    .bind(contract_id)
    .bind(on)
    .bind(kind)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The opening balances (premiums paid before Kyosai) as received: (last month covered,
/// months, yen), in the order they were recorded.
pub async fn openings(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT month, months, amount FROM billing_ledger WHERE contract_id = $1 AND kind = 'opening' ORDER BY id",
    )
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "month")?, col(r, "months")?, col(r, "amount")?)))
        .collect()
}

/// A refund to record with the cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund<'a> {
    pub contract_id: ContractId,
    pub candidate_id: Option<CandidateId>,
    pub kind: &'a str,
    pub cancelled_on: &'a str,
    pub rule_set: &'a str,
    pub months_paid: i64,
    pub total_paid: i64,
    pub loans_deducted: i64,
    pub refund_yen: i64,
    pub prepayment_discount_yen: i64,
    pub estimate: bool,
    pub detail: &'a str,
    /// The member's `cancellation` application (任意解約).
    pub application_id: Option<ApplicationId>,
    /// みなし解約: the reason (`death`, …) and the staff user's note.
    pub deemed_reason: Option<&'a str>,
    pub note: Option<&'a str>,
    /// `YYYY-MM-DD`: when the refund is transferred.
    pub payment_date: Option<&'a str>,
}

/// Stores the refund and posts its `refunded` ledger entry.
pub async fn insert_refund(
    conn: &mut AnyConnection,
    r: &NewRefund<'_>,
    now: &str,
) -> Result<RefundId> {
    let row = sqlx::query(
        "INSERT INTO cancellation_refunds (contract_id, candidate_id, kind, cancelled_on, rule_set, months_paid, \
         total_paid, loans_deducted, refund_yen, prepayment_discount_yen, total_yen, estimate, detail, status, created_at, \
         application_id, deemed_reason, note, payment_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'payable', $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(r.contract_id)
    .bind(r.candidate_id)
    .bind(r.kind)
    .bind(r.cancelled_on)
    .bind(r.rule_set)
    .bind(r.months_paid)
    .bind(r.total_paid)
    .bind(r.loans_deducted)
    .bind(r.refund_yen)
    .bind(r.prepayment_discount_yen)
    .bind(r.refund_yen + r.prepayment_discount_yen)
    .bind(i64::from(r.estimate))
    .bind(r.detail)
    .bind(now)
    .bind(r.application_id)
    .bind(r.deemed_reason)
    .bind(r.note)
    .bind(r.payment_date)
    .fetch_one(&mut *conn)
    .await?;
    let id = col(&row, "id")?;
    crate::ledger::post(
        conn,
        &crate::ledger::Entry {
            contract_id: r.contract_id,
            month: r.cancelled_on.get(..7).unwrap_or(r.cancelled_on),
            kind: "refunded",
            amount: r.refund_yen,
            months: r.months_paid,
            reason: &format!("cancellation_refund:{id}"),
        },
        now,
    )
    .await?;
    Ok(id)
}
