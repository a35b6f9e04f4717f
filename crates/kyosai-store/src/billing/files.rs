//! Request files: the lines each file is rebuilt from and the digest recorded when it was written.

use kyosai_domain::{BillingRunId, OriginatorId};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::packed::Packing;
use crate::{Result, col};

/// A stored line as the file writer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    /// A `bill_lines` or a `loan_bill_lines` id, by the file's content (the same writer makes
    /// both kinds of file): not one table's id, so a plain number, like the file's
    /// `first_line_id` and `last_line_id`.
    pub id: i64,
    pub amount: i64,
    pub new_code: i64,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: String,
    pub account_number: String,
    pub holder_kana: String,
}

/// Lines of a run for one originator after `after_id`, by id (one packed text per page).
pub async fn file_lines(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    originator_id: OriginatorId,
    after_id: i64,
    limit: i64,
) -> Result<Vec<FileLine>> {
    let packing = Packing::of(conn);
    let rows = packing.select(
        "t.id, t.amount, t.new_code, t.bank_code, t.branch_code, t.account_type, t.account_number, \
         t.holder_kana",
    );
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {rows} AS j FROM (\
         SELECT id, amount, new_code, bank_code, branch_code, account_type, account_number, holder_kana \
         FROM bill_lines WHERE run_id = $1 AND originator_id = $2 AND id > $3 AND withheld = 0 ORDER BY id LIMIT $4) t"
    )))
    .bind(run_id)
    .bind(originator_id)
    .bind(after_id)
    .bind(limit)
    .fetch_one(&mut *conn)
    .await?;
    type Packed = (i64, i64, i64, String, String, String, String, String);
    let text: String = col(&row, "j")?;
    let packed: Vec<Packed> = packing.unpack(&text, "file lines")?;
    let mut out: Vec<FileLine> = packed
        .into_iter()
        .map(|p| FileLine {
            id: p.0,
            amount: p.1,
            new_code: p.2,
            bank_code: p.3,
            branch_code: p.4,
            account_type: p.5,
            account_number: p.6,
            holder_kana: p.7,
        })
        .collect();
    out.sort_by_key(|l| l.id);
    Ok(out)
}

/// What a request file carries (migration 0030): its line ids point into `bill_lines` or into
/// `loan_bill_lines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileContent {
    Premiums,
    Loans,
}

impl FileContent {
    pub fn as_str(self) -> &'static str {
        match self {
            FileContent::Premiums => "premiums",
            FileContent::Loans => "loans",
        }
    }

    pub fn parse(s: &str) -> Option<FileContent> {
        match s {
            "premiums" => Some(FileContent::Premiums),
            "loans" => Some(FileContent::Loans),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    pub run_id: BillingRunId,
    pub originator_id: OriginatorId,
    pub seq: i64,
    pub content: FileContent,
    pub name: String,
    pub first_line_id: i64,
    pub last_line_id: i64,
    pub record_count: i64,
    pub total_yen: i64,
    pub sha256: String,
}

/// Records a written file; a rewrite of the same file must have the same digest.
pub async fn upsert_file(conn: &mut AnyConnection, f: &FileRow, now: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO billing_files (run_id, originator_id, seq, name, first_line_id, last_line_id, record_count, \
         total_yen, sha256, created_at, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (run_id, originator_id, seq) DO NOTHING",
    )
    .bind(f.run_id)
    .bind(f.originator_id)
    .bind(f.seq)
    .bind(&f.name)
    .bind(f.first_line_id)
    .bind(f.last_line_id)
    .bind(f.record_count)
    .bind(f.total_yen)
    .bind(&f.sha256)
    .bind(now)
    .bind(f.content.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn files(conn: &mut AnyConnection, run_id: BillingRunId) -> Result<Vec<FileRow>> {
    let rows = sqlx::query(
        "SELECT run_id, originator_id, seq, name, first_line_id, last_line_id, record_count, total_yen, sha256, content \
         FROM billing_files WHERE run_id = $1 ORDER BY originator_id, seq",
    )
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FileRow {
                run_id: col(r, "run_id")?,
                originator_id: col(r, "originator_id")?,
                seq: col(r, "seq")?,
                content: crate::typed(r, "billing_files", "content", FileContent::parse)?,
                name: col(r, "name")?,
                first_line_id: col(r, "first_line_id")?,
                last_line_id: col(r, "last_line_id")?,
                record_count: col(r, "record_count")?,
                total_yen: col(r, "total_yen")?,
                sha256: col(r, "sha256")?,
            })
        })
        .collect()
}
