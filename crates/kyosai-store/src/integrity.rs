//! Consistency checks a restore drill runs (`kyosai verify`): the premium ledger against the bill
//! lines it was posted from, recorded request-file figures against their lines, and stored
//! rule-set texts against their digests. Each check returns what it found wrong (at most
//! [`SAMPLE`] examples), so an operator sees where to look, not only that something is off.

use sqlx::AnyConnection;

use crate::{Result, col, sha256_hex};

/// How many examples of one problem are reported.
pub const SAMPLE: i64 = 20;

/// Contracts whose `billed` ledger total differs from the total of their bill lines: a line
/// without its ledger entry, an entry without its line, or a changed amount.
pub async fn billed_mismatches(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT contract_id, CAST(SUM(billed) AS BIGINT) AS billed, CAST(SUM(lined) AS BIGINT) AS lined, \
         CAST(SUM(billed_n) AS BIGINT) AS billed_n, CAST(SUM(lined_n) AS BIGINT) AS lined_n FROM (\
         SELECT contract_id, amount AS billed, 0 AS lined, 1 AS billed_n, 0 AS lined_n FROM billing_ledger WHERE kind = 'billed' \
         UNION ALL SELECT contract_id, 0, amount, 0, 1 FROM bill_lines) t \
         GROUP BY contract_id HAVING SUM(billed) <> SUM(lined) OR SUM(billed_n) <> SUM(lined_n) \
         ORDER BY contract_id LIMIT $1",
    )
    .bind(SAMPLE)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(format!(
                "contract {}: ledger billed {} yen in {} entries, bill lines {} yen in {} lines",
                col::<i64>(r, "contract_id")?,
                col::<i64>(r, "billed")?,
                col::<i64>(r, "billed_n")?,
                col::<i64>(r, "lined")?,
                col::<i64>(r, "lined_n")?,
            ))
        })
        .collect()
}

/// Result entries (collected or failed) whose amount or contract is not their bill line's, and
/// bill lines with more than one result.
pub async fn result_mismatches(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT e.id, e.bill_line_id, e.contract_id, e.amount, l.contract_id AS line_contract, l.amount AS line_amount \
         FROM billing_ledger e JOIN bill_lines l ON l.id = e.bill_line_id \
         WHERE e.kind IN ('collected', 'failed') AND (e.amount <> l.amount OR e.contract_id <> l.contract_id) \
         ORDER BY e.id LIMIT $1",
    )
    .bind(SAMPLE)
    .fetch_all(&mut *conn)
    .await?;
    let mut found = rows
        .iter()
        .map(|r| {
            Ok(format!(
                "ledger entry {} (bill line {}): contract {} {} yen, the line says contract {} {} yen",
                col::<i64>(r, "id")?,
                col::<i64>(r, "bill_line_id")?,
                col::<i64>(r, "contract_id")?,
                col::<i64>(r, "amount")?,
                col::<i64>(r, "line_contract")?,
                col::<i64>(r, "line_amount")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let twice = sqlx::query(
        "SELECT bill_line_id, CAST(COUNT(*) AS BIGINT) AS n FROM billing_ledger \
         WHERE kind IN ('collected', 'failed') AND bill_line_id IS NOT NULL \
         GROUP BY bill_line_id HAVING COUNT(*) > 1 ORDER BY bill_line_id LIMIT $1",
    )
    .bind(SAMPLE)
    .fetch_all(&mut *conn)
    .await?;
    for r in &twice {
        found.push(format!(
            "bill line {} has {} results",
            col::<i64>(r, "bill_line_id")?,
            col::<i64>(r, "n")?
        ));
    }
    Ok(found)
}

/// Request files whose recorded record count or total differs from the lines they were built
/// from (withheld lines are not in files; a loans file is built from loan lines).
pub async fn file_figure_mismatches(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT f.name, f.record_count, f.total_yen, CASE WHEN f.content = 'loans' THEN \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM loan_bill_lines l WHERE l.run_id = f.run_id AND l.originator_id = f.originator_id \
          AND l.id >= f.first_line_id AND l.id <= f.last_line_id) ELSE \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM bill_lines l WHERE l.run_id = f.run_id AND l.originator_id = f.originator_id \
          AND l.id >= f.first_line_id AND l.id <= f.last_line_id AND l.withheld = 0) END AS lines, \
         CASE WHEN f.content = 'loans' THEN \
         (SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM loan_bill_lines l WHERE l.run_id = f.run_id AND l.originator_id = f.originator_id \
          AND l.id >= f.first_line_id AND l.id <= f.last_line_id) ELSE \
         (SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM bill_lines l WHERE l.run_id = f.run_id AND l.originator_id = f.originator_id \
          AND l.id >= f.first_line_id AND l.id <= f.last_line_id AND l.withheld = 0) END AS yen \
         FROM billing_files f ORDER BY f.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut found = Vec::new();
    for r in &rows {
        let (records, total, lines, yen): (i64, i64, i64, i64) = (
            col(r, "record_count")?,
            col(r, "total_yen")?,
            col(r, "lines")?,
            col(r, "yen")?,
        );
        if (records, total) != (lines, yen) {
            found.push(format!(
                "{}: recorded {records} records {total} yen, lines give {lines} records {yen} yen",
                col::<String>(r, "name")?
            ));
        }
    }
    Ok(found)
}

/// A request file as recorded: its name and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFile {
    pub name: String,
    pub sha256: String,
}

pub async fn recorded_files(conn: &mut AnyConnection) -> Result<Vec<RecordedFile>> {
    let rows = sqlx::query("SELECT name, sha256 FROM billing_files ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RecordedFile {
                name: col(r, "name")?,
                sha256: col(r, "sha256")?,
            })
        })
        .collect()
}

/// Stored rule-set versions whose text no longer matches the digest taken when it was loaded.
pub async fn rule_set_digest_mismatches(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT id, source_text, sha256 FROM rule_set_versions ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    let mut found = Vec::new();
    for r in &rows {
        let text: String = col(r, "source_text")?;
        let stored: String = col(r, "sha256")?;
        if sha256_hex(text.as_bytes()) != stored {
            found.push(format!(
                "rule set {}: text does not match its recorded digest",
                col::<String>(r, "id")?
            ));
        }
    }
    Ok(found)
}

/// Every rule-set id that stored decisions name (applications and billing runs): each must be
/// known to the binary that reads the data, or those decisions cannot be explained.
pub async fn rule_sets_in_use(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT rule_set FROM applications UNION SELECT rule_set FROM billing_runs ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| col(r, "rule_set")).collect()
}
