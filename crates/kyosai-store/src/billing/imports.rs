//! Result imports: the lines a result file is checked against, the import record, and the
//! mandates its failures make unusable.

use kyosai_domain::{BillLineId, ContractId, MandateId, ResultImportId};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::json_agg;
use crate::bulk::{is_sqlite, push_placeholders};
use crate::{Result, col};

/// A stored line as a result record is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineForResult {
    pub id: BillLineId,
    pub contract_id: ContractId,
    pub month: String,
    pub amount: i64,
    pub months: i64,
    pub mandate_id: MandateId,
    pub bank_code: String,
    pub branch_code: String,
    pub account_number: String,
    pub has_result: bool,
    /// The 委託者コード and debit date (`YYYY-MM-DD`) of the request file the line went out in.
    pub originator_code: String,
    pub debit_date: String,
}

/// Lines with `from <= id <= to` after `after_id`, by id (keyset pages, one JSON value each).
pub async fn lines_for_results(
    conn: &mut AnyConnection,
    after_id: BillLineId,
    to: BillLineId,
    limit: i64,
) -> Result<Vec<LineForResult>> {
    let (agg_open, agg_close) = json_agg(conn);
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {agg_open}t.id, t.contract_id, t.month, t.amount, t.months, t.mandate_id, t.bank_code, \
         t.branch_code, t.account_number, t.has_result, t.originator_code, t.debit_date{agg_close} AS j FROM (\
         SELECT b.id, b.contract_id, b.month, b.amount, b.months_covered + b.arrears_months AS months, b.mandate_id, \
         b.bank_code, b.branch_code, b.account_number, \
         CASE WHEN EXISTS (SELECT 1 FROM billing_ledger l WHERE l.bill_line_id = b.id AND l.kind IN ('collected', 'failed')) \
           THEN 1 ELSE 0 END AS has_result, \
         o.code AS originator_code, r.debit_date AS debit_date \
         FROM bill_lines b JOIN billing_originators o ON o.id = b.originator_id \
         JOIN billing_runs r ON r.id = b.run_id \
         WHERE b.id > $1 AND b.id <= $2 AND b.withheld = 0 ORDER BY b.id LIMIT $3) t"
    )))
    .bind(after_id)
    .bind(to)
    .bind(limit)
    .fetch_one(&mut *conn)
    .await?;
    type Packed = (
        BillLineId,
        ContractId,
        String,
        i64,
        i64,
        MandateId,
        String,
        String,
        String,
        i64,
        String,
        String,
    );
    let text: String = col(&row, "j")?;
    let packed: Vec<Packed> = serde_json::from_str(&text)
        .map_err(|e| crate::StoreError::Corrupt(format!("lines for results: {e}")))?;
    let mut out: Vec<LineForResult> = packed
        .into_iter()
        .map(|p| LineForResult {
            id: p.0,
            contract_id: p.1,
            month: p.2,
            amount: p.3,
            months: p.4,
            mandate_id: p.5,
            bank_code: p.6,
            branch_code: p.7,
            account_number: p.8,
            has_result: p.9 != 0,
            originator_code: p.10,
            debit_date: p.11,
        })
        .collect();
    out.sort_by_key(|l| l.id);
    Ok(out)
}

pub async fn import_exists(conn: &mut AnyConnection, sha256: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT imported_at FROM result_imports WHERE sha256 = $1")
        .bind(sha256)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(|r| col(r, "imported_at")).transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImport<'a> {
    pub sha256: &'a str,
    pub file_name: &'a str,
    pub imported_at: &'a str,
    pub actor: &'a str,
    pub record_count: i64,
    pub total_yen: i64,
    pub collected_count: i64,
    pub collected_yen: i64,
    pub failed_count: i64,
    pub failed_yen: i64,
    pub report: &'a str,
}

pub async fn insert_import(conn: &mut AnyConnection, i: &NewImport<'_>) -> Result<ResultImportId> {
    let row = sqlx::query(
        "INSERT INTO result_imports (sha256, file_name, imported_at, actor, record_count, total_yen, collected_count, \
         collected_yen, failed_count, failed_yen, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(i.sha256)
    .bind(i.file_name)
    .bind(i.imported_at)
    .bind(i.actor)
    .bind(i.record_count)
    .bind(i.total_yen)
    .bind(i.collected_count)
    .bind(i.collected_yen)
    .bind(i.failed_count)
    .bind(i.failed_yen)
    .bind(i.report)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Marks several mandates unusable (result codes 2, 3, 4); returns the ids that were active.
pub async fn mark_mandates_unusable(
    conn: &mut AnyConnection,
    mandate_ids: &[MandateId],
) -> Result<std::collections::HashSet<MandateId>> {
    let anonymous = is_sqlite(conn);
    let mut out = std::collections::HashSet::with_capacity(mandate_ids.len());
    for batch in mandate_ids.chunks(1_000) {
        let mut sql = String::from(
            "UPDATE mandates SET status = 'unusable' WHERE status = 'active' AND id IN ",
        );
        push_placeholders(&mut sql, 1, batch.len(), anonymous);
        sql.push_str(" RETURNING id");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in batch {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.insert(col(&r, "id")?);
        }
    }
    Ok(out)
}

/// An imported result file as listed for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub id: ResultImportId,
    pub file_name: String,
    pub imported_at: String,
    pub actor: String,
    pub record_count: i64,
    pub total_yen: i64,
    pub collected_count: i64,
    pub collected_yen: i64,
    pub failed_count: i64,
    pub failed_yen: i64,
}

/// The newest result imports first.
pub async fn recent_imports(conn: &mut AnyConnection, limit: i64) -> Result<Vec<ImportRow>> {
    let rows = sqlx::query(
        "SELECT id, file_name, imported_at, actor, record_count, total_yen, collected_count, collected_yen, \
         failed_count, failed_yen FROM result_imports ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ImportRow {
                id: col(r, "id")?,
                file_name: col(r, "file_name")?,
                imported_at: col(r, "imported_at")?,
                actor: col(r, "actor")?,
                record_count: col(r, "record_count")?,
                total_yen: col(r, "total_yen")?,
                collected_count: col(r, "collected_count")?,
                collected_yen: col(r, "collected_yen")?,
                failed_count: col(r, "failed_count")?,
                failed_yen: col(r, "failed_yen")?,
            })
        })
        .collect()
}
