//! Paper forms from the BPO contractor and their double-entry verification (migration 0017;
//! docs/paper-batch.md).

use kyosai_domain::{AgencyId, ApplicationId, PaperBatchId, PaperFormId, UserId};
use sqlx::AnyConnection;

use crate::{AnyRow, Result, col};

/// Whether a batch file (by its sha256) or a batch id was imported before.
pub async fn batch_exists(conn: &mut AnyConnection, sha256: &str, batch_id: &str) -> Result<bool> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM paper_batches WHERE sha256 = $1 OR batch_id = $2")
            .bind(sha256)
            .bind(batch_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

pub async fn insert_batch(
    conn: &mut AnyConnection,
    sha256: &str,
    batch_id: &str,
    file_name: &str,
    imported_by: UserId,
    now: &str,
) -> Result<PaperBatchId> {
    let row = sqlx::query(
        "INSERT INTO paper_batches (sha256, batch_id, file_name, imported_by, imported_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(sha256)
    .bind(batch_id)
    .bind(file_name)
    .bind(imported_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// The id of the agency with `code`.
pub async fn agency_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<AgencyId>> {
    let row = sqlx::query("SELECT id FROM agencies WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| col(&r, "id")).transpose()
}

/// A form to store.
pub struct NewForm<'a> {
    pub batch_id: PaperBatchId,
    pub form_id: &'a str,
    pub procedure: &'a str,
    pub target: &'a str,
    pub agency_id: Option<AgencyId>,
    pub fields: &'a str,
    pub image_type: &'a str,
    pub image_base64: &'a str,
}

pub async fn insert_form(
    conn: &mut AnyConnection,
    f: &NewForm<'_>,
    now: &str,
) -> Result<PaperFormId> {
    let row = sqlx::query(
        "INSERT INTO paper_forms (batch_id, form_id, procedure, target, agency_id, fields, \
         image_type, image_base64, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'verifying', $9) RETURNING id",
    )
    .bind(f.batch_id)
    .bind(f.form_id)
    .bind(f.procedure)
    .bind(f.target)
    .bind(f.agency_id)
    .bind(f.fields)
    .bind(f.image_type)
    .bind(f.image_base64)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// A stored form (without its image).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub id: PaperFormId,
    pub batch_id: PaperBatchId,
    pub form_id: String,
    pub procedure: String,
    pub target: String,
    pub agency_id: Option<AgencyId>,
    pub fields: String,
    pub status: String,
    pub reason: Option<String>,
    pub application_id: Option<ApplicationId>,
    pub imported_by: UserId,
}

const FORM_COLUMNS: &str = "f.id, f.batch_id, f.form_id, f.procedure, f.target, f.agency_id, \
     f.fields, f.status, f.reason, f.application_id, b.imported_by";

fn form_row(r: &AnyRow) -> Result<Form> {
    Ok(Form {
        id: col(r, "id")?,
        batch_id: col(r, "batch_id")?,
        form_id: col(r, "form_id")?,
        procedure: col(r, "procedure")?,
        target: col(r, "target")?,
        agency_id: col(r, "agency_id")?,
        fields: col(r, "fields")?,
        status: col(r, "status")?,
        reason: col(r, "reason")?,
        application_id: col(r, "application_id")?,
        imported_by: col(r, "imported_by")?,
    })
}

pub async fn form(conn: &mut AnyConnection, id: PaperFormId) -> Result<Option<Form>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {FORM_COLUMNS} FROM paper_forms f JOIN paper_batches b ON b.id = f.batch_id \
         WHERE f.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(form_row).transpose()
}

/// The most recent forms, newest first.
pub async fn recent_forms(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Form>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {FORM_COLUMNS} FROM paper_forms f JOIN paper_batches b ON b.id = f.batch_id \
         ORDER BY f.id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(form_row).collect()
}

/// The scanned image: its MIME type and base64 text.
pub async fn image(conn: &mut AnyConnection, id: PaperFormId) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT image_type, image_base64 FROM paper_forms WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok((col(&r, "image_type")?, col(&r, "image_base64")?)))
        .transpose()
}

/// Sets a form's outcome: `submitted` with its application, or `refused` with the reason.
pub async fn set_outcome(
    conn: &mut AnyConnection,
    id: PaperFormId,
    status: &str,
    application_id: Option<ApplicationId>,
    reason: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE paper_forms SET status = $1, application_id = $2, reason = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(application_id)
    .bind(reason)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Serialises verification of one form (PostgreSQL runs writers concurrently): the form's row
/// is locked until the transaction ends.
pub async fn lock_form(conn: &mut AnyConnection, id: PaperFormId) -> Result<()> {
    sqlx::query("UPDATE paper_forms SET status = status WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A field waiting for (or done with) double entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyField {
    pub field: String,
    pub why: String,
    pub message: Option<String>,
}

pub async fn insert_verify_field(
    conn: &mut AnyConnection,
    paper_form_id: PaperFormId,
    field: &str,
    why: &str,
    message: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO paper_verify_fields (paper_form_id, field, why, message) VALUES ($1, $2, $3, $4)",
    )
    .bind(paper_form_id)
    .bind(field)
    .bind(why)
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn verify_fields(
    conn: &mut AnyConnection,
    paper_form_id: PaperFormId,
) -> Result<Vec<VerifyField>> {
    let rows = sqlx::query(
        "SELECT field, why, message FROM paper_verify_fields WHERE paper_form_id = $1 ORDER BY id",
    )
    .bind(paper_form_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VerifyField {
                field: col(r, "field")?,
                why: col(r, "why")?,
                message: col(r, "message")?,
            })
        })
        .collect()
}

/// One operator's keying of one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keying {
    pub field: String,
    pub round: i64,
    pub operator_id: UserId,
    pub value: String,
}

pub async fn keyings(conn: &mut AnyConnection, paper_form_id: PaperFormId) -> Result<Vec<Keying>> {
    let rows = sqlx::query(
        "SELECT field, round, operator_id, value FROM paper_keyings WHERE paper_form_id = $1 \
         ORDER BY round, id",
    )
    .bind(paper_form_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Keying {
                field: col(r, "field")?,
                round: col(r, "round")?,
                operator_id: col(r, "operator_id")?,
                value: col(r, "value")?,
            })
        })
        .collect()
}

pub async fn insert_keying(
    conn: &mut AnyConnection,
    paper_form_id: PaperFormId,
    k: &Keying,
    now: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO paper_keyings (paper_form_id, field, round, operator_id, value, keyed_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(paper_form_id)
    .bind(&k.field)
    .bind(k.round)
    .bind(k.operator_id)
    .bind(&k.value)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A data-entry screen's time to record.
pub struct EntryTime<'a> {
    pub screen: &'a str,
    pub paper_form_id: Option<PaperFormId>,
    pub procedure: &'a str,
    pub channel: &'a str,
    pub user_id: UserId,
    pub opened_at: &'a str,
    pub submitted_at: &'a str,
    pub seconds: i64,
}

pub async fn insert_entry_time(conn: &mut AnyConnection, t: &EntryTime<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO data_entry_time (screen, paper_form_id, procedure, channel, user_id, \
         opened_at, submitted_at, seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(t.screen)
    .bind(t.paper_form_id)
    .bind(t.procedure)
    .bind(t.channel)
    .bind(t.user_id)
    .bind(t.opened_at)
    .bind(t.submitted_at)
    .bind(t.seconds)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Total seconds recorded on data-entry screens for one paper form.
pub async fn entry_seconds(conn: &mut AnyConnection, paper_form_id: PaperFormId) -> Result<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(seconds), 0) AS BIGINT) AS s FROM data_entry_time WHERE paper_form_id = $1",
    )
    .bind(paper_form_id)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "s")
}
