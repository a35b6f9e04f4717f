//! 納付書 (payment slips) for arrears of 12 months or more and the payment files that report
//! them paid (REFERENCE §2.7; migration 0008).

use kyosai_domain::{ContractId, PaymentImportId, PaymentSlipId};
use sqlx::AnyConnection;

use crate::billing::LineWithResult;
use crate::{AnyRow, Result, col};

/// A slip as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slip {
    pub id: PaymentSlipId,
    pub reference: String,
    pub contract_id: ContractId,
    pub issued_on: String,
    pub deadline: String,
    /// Bill-item text (`*YYYY-MM=yen;…`).
    pub items: String,
    pub amount: i64,
    /// `open`, `paid` or `cancelled`.
    pub status: String,
    pub paid_on: Option<String>,
}

const SLIP_COLUMNS: &str =
    "id, reference, contract_id, issued_on, deadline, items, amount, status, paid_on";

fn slip(r: &AnyRow) -> Result<Slip> {
    Ok(Slip {
        id: col(r, "id")?,
        reference: col(r, "reference")?,
        contract_id: col(r, "contract_id")?,
        issued_on: col(r, "issued_on")?,
        deadline: col(r, "deadline")?,
        items: col(r, "items")?,
        amount: col(r, "amount")?,
        status: col(r, "status")?,
        paid_on: col(r, "paid_on")?,
    })
}

/// A slip to insert.
pub struct NewSlip<'a> {
    pub contract_id: ContractId,
    pub reference: &'a str,
    pub issued_on: &'a str,
    pub deadline: &'a str,
    pub items: &'a str,
    pub amount: i64,
}

/// Inserts an open slip unless the contract already has one; returns its id when inserted.
pub async fn insert_open(
    conn: &mut AnyConnection,
    s: &NewSlip<'_>,
    now: &str,
) -> Result<Option<PaymentSlipId>> {
    let row = sqlx::query(
        "INSERT INTO payment_slips (reference, contract_id, issued_on, deadline, items, amount, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) \
         ON CONFLICT (contract_id) WHERE status = 'open' DO NOTHING RETURNING id",
    )
    .bind(s.reference)
    .bind(s.contract_id)
    .bind(s.issued_on)
    .bind(s.deadline)
    .bind(s.items)
    .bind(s.amount)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(|r| col(r, "id")).transpose()
}

/// How many slips a contract has had (for the next reference).
pub async fn count_for_contract(conn: &mut AnyConnection, contract_id: ContractId) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM payment_slips WHERE contract_id = $1")
        .bind(contract_id)
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "n")
}

/// Every slip of a contract, oldest first.
pub async fn for_contract(conn: &mut AnyConnection, contract_id: ContractId) -> Result<Vec<Slip>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SLIP_COLUMNS} FROM payment_slips WHERE contract_id = $1 ORDER BY id"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(slip).collect()
}

/// The contract's open slip, if any.
pub async fn open_for_contract(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Option<Slip>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SLIP_COLUMNS} FROM payment_slips WHERE contract_id = $1 AND status = 'open'"
    )))
    .bind(contract_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(slip).transpose()
}

/// A slip by its reference.
pub async fn by_reference(conn: &mut AnyConnection, reference: &str) -> Result<Option<Slip>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SLIP_COLUMNS} FROM payment_slips WHERE reference = $1"
    )))
    .bind(reference)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(slip).transpose()
}

/// Marks an open slip paid; false when it is no longer open.
pub async fn mark_paid(
    conn: &mut AnyConnection,
    id: PaymentSlipId,
    paid_on: &str,
    paid_month: &str,
    import_id: PaymentImportId,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payment_slips SET status = 'paid', paid_on = $1, paid_month = $2, import_id = $3 \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(paid_on)
    .bind(paid_month)
    .bind(import_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes the contract's open slip when the contract is cancelled.
pub async fn cancel_open(conn: &mut AnyConnection, contract_id: ContractId) -> Result<()> {
    sqlx::query(
        "UPDATE payment_slips SET status = 'cancelled' WHERE contract_id = $1 AND status = 'open'",
    )
    .bind(contract_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Paid slips as collected lines for replaying standings (negative ids, so they never collide
/// with bill lines), of contracts in `from..=to` paid in months `since..before`.
pub async fn paid_as_lines(
    conn: &mut AnyConnection,
    from: ContractId,
    to: ContractId,
    since: &str,
    before: &str,
) -> Result<Vec<LineWithResult>> {
    let rows = sqlx::query(
        "SELECT id, contract_id, paid_month, amount, items FROM payment_slips \
         WHERE contract_id >= $1 AND contract_id <= $2 AND status = 'paid' \
         AND paid_month >= $3 AND paid_month < $4 ORDER BY contract_id, id",
    )
    .bind(from)
    .bind(to)
    .bind(since)
    .bind(before)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LineWithResult {
                id: -col::<i64>(r, "id")?,
                contract_id: col(r, "contract_id")?,
                month: col(r, "paid_month")?,
                amount: col(r, "amount")?,
                items: col(r, "items")?,
                result: Some("collected".into()),
                result_code: None,
            })
        })
        .collect()
}

/// The import of a payment file with this content, if any (when it was imported).
pub async fn import_exists(conn: &mut AnyConnection, sha256: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT imported_at FROM payment_imports WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| col(r, "imported_at")).transpose()
}

/// Records an accepted payment file; returns its id.
pub async fn insert_import(
    conn: &mut AnyConnection,
    sha256: &str,
    file_name: &str,
    actor: &str,
    (record_count, total_yen): (i64, i64),
    now: &str,
) -> Result<PaymentImportId> {
    let row = sqlx::query(
        "INSERT INTO payment_imports (sha256, file_name, imported_at, actor, record_count, total_yen) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(sha256)
    .bind(file_name)
    .bind(now)
    .bind(actor)
    .bind(record_count)
    .bind(total_yen)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// An accepted payment file, for the staff screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentImportRow {
    pub file_name: String,
    pub imported_at: String,
    pub actor: String,
    pub record_count: i64,
    pub total_yen: i64,
}

/// The latest accepted payment files, newest first.
pub async fn recent_imports(conn: &mut AnyConnection, limit: i64) -> Result<Vec<PaymentImportRow>> {
    let rows = sqlx::query(
        "SELECT file_name, imported_at, actor, record_count, total_yen FROM payment_imports \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PaymentImportRow {
                file_name: col(r, "file_name")?,
                imported_at: col(r, "imported_at")?,
                actor: col(r, "actor")?,
                record_count: col(r, "record_count")?,
                total_yen: col(r, "total_yen")?,
            })
        })
        .collect()
}

/// Open slips with their contract number, earliest deadline first (what staff wait for).
pub async fn open_slips(conn: &mut AnyConnection, limit: i64) -> Result<Vec<(Slip, String)>> {
    let columns: String = SLIP_COLUMNS
        .split(", ")
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {columns}, c.number AS contract_number FROM payment_slips s \
         JOIN contracts c ON c.id = s.contract_id WHERE s.status = 'open' \
         ORDER BY s.deadline, s.id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((slip(r)?, col(r, "contract_number")?)))
        .collect()
}
