//! Result imports: the lines a result file is checked against, the import record, and the
//! mandates its failures make unusable.

use kyosai_domain::{
    BillLineId, BillingRunId, ContractId, MandateId, OriginatorId, ResultImportId, YearMonth,
};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::bulk::{is_sqlite, push_placeholders};
use crate::packed::Packing;
use crate::{Result, col, decode};

/// A stored line as a result record is checked against.
///
/// An import holds one per record of the file (up to 999,999 at once), so every field is a
/// fixed-size value: no heap allocation per line. The 委託者コード and debit date are the same for
/// every line of a run and originator; [`request_of`] gives them once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineForResult {
    pub id: BillLineId,
    pub contract_id: ContractId,
    pub month: YearMonth,
    pub amount: i64,
    pub months: i64,
    pub mandate_id: MandateId,
    pub bank_code: ShortText<4>,
    pub branch_code: ShortText<3>,
    pub account_number: ShortText<7>,
    pub has_result: bool,
    /// The run and originator whose request file the line went out in.
    pub run_id: BillingRunId,
    pub originator_id: OriginatorId,
}

/// A text column of at most `N` bytes kept inline (bank, branch and account codes of a sent bill
/// line: `N` digits at most, as `mandate_problem` checked before the line went into a file).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortText<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> ShortText<N> {
    /// None when `s` is longer than `N` bytes.
    pub fn new(s: &str) -> Option<Self> {
        let src = s.as_bytes();
        let len = u8::try_from(src.len())
            .ok()
            .filter(|&l| usize::from(l) <= N)?;
        let mut bytes = [0; N];
        bytes[..src.len()].copy_from_slice(src);
        Some(ShortText { len, bytes })
    }

    pub fn as_str(&self) -> &str {
        // Always whole: `new` copies a complete `&str`.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Debug for ShortText<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> PartialEq<&str> for ShortText<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Lines with `after_id < id <= to`, by id (keyset pages, one packed text each).
pub async fn lines_for_results(
    conn: &mut AnyConnection,
    after_id: BillLineId,
    to: BillLineId,
    limit: i64,
) -> Result<Vec<LineForResult>> {
    let packing = Packing::of(conn);
    let rows = packing.select(
        "t.id, t.contract_id, t.month, t.amount, t.months, t.mandate_id, t.bank_code, t.branch_code, \
         t.account_number, t.has_result, t.run_id, t.originator_id",
    );
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {rows} AS j FROM (\
         SELECT b.id, b.contract_id, b.month, b.amount, b.months_covered + b.arrears_months AS months, b.mandate_id, \
         b.bank_code, b.branch_code, b.account_number, \
         CASE WHEN EXISTS (SELECT 1 FROM billing_ledger l WHERE l.bill_line_id = b.id AND l.kind IN ('collected', 'failed')) \
           THEN 1 ELSE 0 END AS has_result, b.run_id, b.originator_id \
         FROM bill_lines b WHERE b.id > $1 AND b.id <= $2 AND b.withheld = 0 ORDER BY b.id LIMIT $3) t"
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
        BillingRunId,
        OriginatorId,
    );
    let text: String = col(&row, "j")?;
    let packed: Vec<Packed> = packing.unpack(&text, "lines for results")?;
    drop(text);
    let short = |id: BillLineId, what: &str, s: &str| {
        crate::StoreError::Corrupt(format!("bill line {id}: {what} {s:?} does not fit"))
    };
    let mut out = packed
        .into_iter()
        .map(|p| {
            Ok(LineForResult {
                id: p.0,
                contract_id: p.1,
                month: decode("bill_lines.month", &p.2, crate::month)?,
                amount: p.3,
                months: p.4,
                mandate_id: p.5,
                bank_code: ShortText::new(&p.6).ok_or_else(|| short(p.0, "bank code", &p.6))?,
                branch_code: ShortText::new(&p.7).ok_or_else(|| short(p.0, "branch code", &p.7))?,
                account_number: ShortText::new(&p.8)
                    .ok_or_else(|| short(p.0, "account number", &p.8))?,
                has_result: p.9 != 0,
                run_id: p.10,
                originator_id: p.11,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|l| l.id);
    Ok(out)
}

/// The 委託者コード and debit date (`YYYY-MM-DD`) of the request files of `run_id` for
/// `originator_id`: what a result file answering its lines must carry in its header.
pub async fn request_of(
    conn: &mut AnyConnection,
    run_id: BillingRunId,
    originator_id: OriginatorId,
) -> Result<(String, String)> {
    let row = sqlx::query(
        "SELECT o.code, r.debit_date FROM billing_runs r, billing_originators o WHERE r.id = $1 AND o.id = $2",
    )
    .bind(run_id)
    .bind(originator_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((col(&row, "code")?, col(&row, "debit_date")?))
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
