//! Issued documents and their numbers (issue #13; migration 0016).

use kyosai_domain::{ContractId, DocumentId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{Result, col};

/// One issued document.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: DocumentId,
    pub document_number: String,
    pub kind: String,
    pub contract_id: ContractId,
    pub period: String,
    pub issued_at: String,
    /// What the document says, as JSON.
    pub figures: String,
}

pub struct NewDocument<'a> {
    pub document_number: &'a str,
    pub kind: &'a str,
    pub contract_id: ContractId,
    pub period: &'a str,
    pub issued_at: &'a str,
    pub figures: &'a str,
    pub figures_sha256: &'a str,
}

const COLUMNS: &str = "id, document_number, kind, contract_id, period, issued_at, figures";

fn from_row(r: &AnyRow) -> Result<Document> {
    Ok(Document {
        id: col(r, "id")?,
        document_number: col(r, "document_number")?,
        kind: col(r, "kind")?,
        contract_id: col(r, "contract_id")?,
        period: col(r, "period")?,
        issued_at: col(r, "issued_at")?,
        figures: col(r, "figures")?,
    })
}

/// The document of `contract_id`, `kind` and `period` that says exactly the figures hashed to
/// `figures_sha256`, if one was issued.
pub async fn find_same(
    conn: &mut AnyConnection,
    contract_id: ContractId,
    kind: &str,
    period: &str,
    figures_sha256: &str,
) -> Result<Option<Document>> {
    // COLUMNS is a constant: no input reaches the statement's text.
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE contract_id = $1 AND kind = $2 AND period = $3 \
         AND figures_sha256 = $4"
    )))
    .bind(contract_id)
    .bind(kind)
    .bind(period)
    .bind(figures_sha256)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records a new document; None when a document with the same figures was recorded first (by a
/// concurrent request): the caller then reads that one with [`find_same`].
pub async fn insert(conn: &mut AnyConnection, d: &NewDocument<'_>) -> Result<Option<DocumentId>> {
    let row = sqlx::query(
        "INSERT INTO documents (document_number, kind, contract_id, period, issued_at, figures, \
         figures_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (contract_id, kind, period, figures_sha256) DO NOTHING RETURNING id",
    )
    .bind(d.document_number)
    .bind(d.kind)
    .bind(d.contract_id)
    .bind(d.period)
    .bind(d.issued_at)
    .bind(d.figures)
    .bind(d.figures_sha256)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(|r| col(r, "id")).transpose()
}

pub async fn by_number(conn: &mut AnyConnection, number: &str) -> Result<Option<Document>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE document_number = $1"
    )))
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records the hash of a format as first rendered; a later rendering never replaces it.
pub async fn record_rendering(
    conn: &mut AnyConnection,
    document_id: DocumentId,
    format: &str,
    sha256: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO document_renderings (document_id, format, sha256) VALUES ($1, $2, $3) \
         ON CONFLICT (document_id, format) DO NOTHING",
    )
    .bind(document_id)
    .bind(format)
    .bind(sha256)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The recorded hashes of a document: (format, sha256), by format.
pub async fn renderings(
    conn: &mut AnyConnection,
    document_id: DocumentId,
) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT format, sha256 FROM document_renderings WHERE document_id = $1 ORDER BY format",
    )
    .bind(document_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((col(r, "format")?, col(r, "sha256")?)))
        .collect()
}

/// Every document issued for a contract, newest first.
pub async fn for_contract(
    conn: &mut AnyConnection,
    contract_id: ContractId,
) -> Result<Vec<Document>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE contract_id = $1 ORDER BY issued_at DESC, id DESC"
    )))
    .bind(contract_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The numbers of the 小規模 contracts with premiums collected in `year` (debit months of the
/// year, or 前納 received in it), by number: who gets the year's 控除証明書 in the mailing.
pub async fn small_enterprise_with_collections(
    conn: &mut AnyConnection,
    year: i16,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT c.number FROM contracts c WHERE c.program = 'small_enterprise' AND EXISTS \
         (SELECT 1 FROM billing_ledger l WHERE l.contract_id = c.id AND l.kind = 'collected' \
         AND l.month >= $1 AND l.month <= $2) ORDER BY c.number",
    )
    .bind(format!("{year}-01"))
    .bind(format!("{year}-12"))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| col(r, "number")).collect()
}

/// The numbers of the active contracts that have no document of `kind` for `period` yet, by
/// number: what a resumed periodic mailing still has to issue.
pub async fn active_contracts_without(
    conn: &mut AnyConnection,
    kind: &str,
    period: &str,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT c.number FROM contracts c WHERE c.status = 'active' AND NOT EXISTS \
         (SELECT 1 FROM documents d WHERE d.contract_id = c.id AND d.kind = $1 AND d.period = $2) \
         ORDER BY c.number",
    )
    .bind(kind)
    .bind(period)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| col(r, "number")).collect()
}
