//! Uploaded evidence (添付書類): metadata only; the bytes live in the evidence directory under
//! the random token (see `kyosai_app::evidence`).

use kyosai_domain::{ApplicationId, ContractId, EvidenceId, UserId};
use sqlx::AnyConnection;

use crate::{AnyRow, Result, col};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: EvidenceId,
    /// Random; the stored file's name and the id in download links.
    pub token: String,
    /// The member it belongs to (only they and staff may download it).
    pub member_id: UserId,
    pub uploaded_by: UserId,
    pub contract_id: Option<ContractId>,
    /// The application it was filed with; None until then.
    pub application_id: Option<ApplicationId>,
    /// The sanitised original name (metadata only).
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, token, member_id, uploaded_by, contract_id, application_id, file_name, content_type, \
    size_bytes, sha256, created_at";

fn from_row(r: &AnyRow) -> Result<Evidence> {
    Ok(Evidence {
        id: col(r, "id")?,
        token: col(r, "token")?,
        member_id: col(r, "member_id")?,
        uploaded_by: col(r, "uploaded_by")?,
        contract_id: col(r, "contract_id")?,
        application_id: col(r, "application_id")?,
        file_name: col(r, "file_name")?,
        content_type: col(r, "content_type")?,
        size_bytes: col(r, "size_bytes")?,
        sha256: col(r, "sha256")?,
        created_at: col(r, "created_at")?,
    })
}

pub struct NewEvidence<'a> {
    pub token: &'a str,
    pub member_id: UserId,
    pub uploaded_by: UserId,
    pub contract_id: Option<ContractId>,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub now: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, e: &NewEvidence<'_>) -> Result<EvidenceId> {
    let row = sqlx::query(
        "INSERT INTO evidence (token, member_id, uploaded_by, contract_id, file_name, content_type, size_bytes, \
         sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(e.token)
    .bind(e.member_id)
    .bind(e.uploaded_by)
    .bind(e.contract_id)
    .bind(e.file_name)
    .bind(e.content_type)
    .bind(e.size_bytes)
    .bind(e.sha256)
    .bind(e.now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

pub async fn by_token(conn: &mut AnyConnection, token: &str) -> Result<Option<Evidence>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM evidence WHERE token = $1"
    )))
    .bind(token)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Files the evidence with an application; false when it was already filed (with any).
pub async fn attach(
    conn: &mut AnyConnection,
    token: &str,
    application_id: ApplicationId,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE evidence SET application_id = $1 WHERE token = $2 AND application_id IS NULL",
    )
    .bind(application_id)
    .bind(token)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The evidence filed with an application, oldest first.
pub async fn for_application(
    conn: &mut AnyConnection,
    application_id: ApplicationId,
) -> Result<Vec<Evidence>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM evidence WHERE application_id = $1 ORDER BY id"
    )))
    .bind(application_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}
