//! Inserting many rows at once, the fastest way each database takes them.
//!
//! SQLite: multi-row `INSERT … VALUES (?, …), (…)` of a few hundred rows, bound by position
//! (see [`push_placeholders`] for why anonymous `?`).
//! PostgreSQL: one parameter holding the rows as JSON, expanded by `json_populate_recordset`
//! with the table's own row type: one short statement text per 5,000 rows instead of a `VALUES`
//! list of thousands of `$n` parameters to parse and plan for every 400 rows. (Measured: the
//! per-row cost on PostgreSQL is dominated by the foreign-key checks and index updates of the
//! insert itself, see docs/BENCHMARKS.md.)

use std::fmt::Write;

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::Result;

/// Rows per multi-row `VALUES` statement (bill_lines takes 20 columns: 20 × 400 < SQLite's
/// 32,766 parameter limit); every multi-row `VALUES` insert in the store uses it.
pub(crate) const ROWS_PER_INSERT: usize = 400;
/// Rows per statement on PostgreSQL (one JSON parameter; a few MB at most).
const POSTGRES_ROWS: usize = 5_000;

/// One value of a row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Int(i64),
    Text(&'a str),
    OptInt(Option<i64>),
    OptText(Option<&'a str>),
}

/// Inserts one row per item into `table`; `row` gives an item's cells in `columns` order. Rows
/// are made one batch at a time, so a million items never exist as rows all at once.
pub async fn insert<'a, T>(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    items: &'a [T],
    row: impl Fn(&'a T) -> Vec<Cell<'a>>,
) -> Result<()> {
    let names = columns.join(", ");
    if is_sqlite(conn) {
        for batch in items.chunks(ROWS_PER_INSERT) {
            let mut sql = format!("INSERT INTO {table} ({names}) VALUES ");
            push_placeholders(&mut sql, batch.len(), columns.len(), true);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for item in batch {
                for cell in row(item) {
                    q = match cell {
                        Cell::Int(v) => q.bind(v),
                        Cell::Text(v) => q.bind(v),
                        Cell::OptInt(v) => q.bind(v),
                        Cell::OptText(v) => q.bind(v),
                    };
                }
            }
            q.execute(&mut *conn).await?;
        }
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, $1::json)"
    );
    for batch in items.chunks(POSTGRES_ROWS) {
        let rows: Vec<Vec<Cell<'a>>> = batch.iter().map(&row).collect();
        sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(json_rows(columns, &rows))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// True when `conn` is SQLite (bulk statements then use anonymous `?` placeholders).
pub(crate) fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` columns; `(?, ?, …), (…)` when `anonymous`.
///
/// On SQLite, sqlx resolves every *named* parameter (`$n`) with `sqlite3_bind_parameter_name`,
/// a linear scan of the statement's parameter list: binding a multi-row INSERT with thousands of
/// `$n` parameters is quadratic (it was 80% of a billing run's time). Anonymous `?` parameters
/// are bound by position in constant time. PostgreSQL needs `$n`.
pub(crate) fn push_placeholders(sql: &mut String, rows: usize, cols: usize, anonymous: bool) {
    use std::fmt::Write;
    let mut n = 1;
    sql.reserve(rows * cols * if anonymous { 3 } else { 8 });
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push_str(", ");
            }
            if anonymous {
                sql.push('?');
            } else {
                let _ = write!(sql, "${n}");
            }
            n += 1;
        }
        sql.push(')');
    }
}

/// `[{"col": value, …}, …]`.
fn json_rows(columns: &[&str], rows: &[Vec<Cell<'_>>]) -> String {
    let mut out = String::with_capacity(rows.len() * columns.len() * 16);
    out.push('[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        for (j, (name, cell)) in columns.iter().zip(row).enumerate() {
            if j > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{name}\":");
            match *cell {
                Cell::Int(v) | Cell::OptInt(Some(v)) => {
                    let _ = write!(out, "{v}");
                }
                Cell::Text(v) | Cell::OptText(Some(v)) => {
                    // serde_json escapes exactly as JSON requires.
                    out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
                }
                Cell::OptInt(None) | Cell::OptText(None) => out.push_str("null"),
            }
        }
        out.push('}');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_as_json_escape_text_and_write_nulls() {
        let rows = vec![
            vec![Cell::Int(1), Cell::Text("ｱｲｳ \"q\"\n"), Cell::OptInt(None)],
            vec![Cell::Int(-2), Cell::OptText(None), Cell::OptInt(Some(7))],
        ];
        let json = json_rows(&["a", "b", "c"], &rows);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            v,
            serde_json::json!([
                {"a": 1, "b": "ｱｲｳ \"q\"\n", "c": null},
                {"a": -2, "b": null, "c": 7}
            ])
        );
    }
}
