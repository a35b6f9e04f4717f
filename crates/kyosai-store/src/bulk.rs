//! Inserting many rows at once, the fastest way each database takes them.
//!
//! SQLite: multi-row `INSERT … VALUES (?, …), (…)` of a few hundred rows, bound by position
//! (see [`push_placeholders`] for why anonymous `?`).
//! PostgreSQL: one text parameter per column holding that column of 5,000 rows as an array
//! literal (`{1,2,3}`, `{"a","b"}`), cast and expanded by `unnest`: one short statement per
//! 5,000 rows, nothing to plan per row, and array input is the cheapest parser PostgreSQL has
//! (measured on 5,000 bill lines: 19 ms to expand the arrays against 50 ms for the same rows as
//! JSON through `json_populate_recordset`, which the store used before; the insert 42 ms against
//! 79 ms). The rest of the per-row cost is the insert itself: index updates and the tables'
//! reference checks (docs/BENCHMARKS.md).

use std::fmt::Write;

use sqlx::{AnyConnection, AssertSqlSafe};

use crate::Result;

/// Rows per multi-row `VALUES` statement (bill_lines takes 20 columns: 20 × 400 < SQLite's
/// 32,766 parameter limit); every multi-row `VALUES` insert in the store uses it.
pub(crate) const ROWS_PER_INSERT: usize = 400;
/// Rows per statement on PostgreSQL (one array parameter per column; a few MB at most).
pub(crate) const POSTGRES_ROWS: usize = 5_000;

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
    for batch in items.chunks(POSTGRES_ROWS) {
        let rows: Vec<Vec<Cell<'a>>> = batch.iter().map(&row).collect();
        let Some(first) = rows.first() else { continue };
        let arrays: Vec<String> = first
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let ty = match cell {
                    Cell::Int(_) | Cell::OptInt(_) => "bigint",
                    Cell::Text(_) | Cell::OptText(_) => "text",
                };
                format!("${}::{ty}[]", i + 1)
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({names}) SELECT * FROM unnest({})",
            arrays.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in 0..columns.len() {
            q = q.bind(array_literal(rows.iter().map(|r| r[c])));
        }
        q.execute(&mut *conn).await?;
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

/// A PostgreSQL array literal of one column's cells: `{1,NULL,3}` or `{"a","b \"q\"",NULL}`.
/// Every text element is quoted, with `"` and `\` escaped, so commas, braces, spaces and the
/// word NULL inside a value stay text.
pub(crate) fn array_literal<'a>(cells: impl Iterator<Item = Cell<'a>>) -> String {
    let mut out = String::from("{");
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Int(v) | Cell::OptInt(Some(v)) => {
                let _ = write!(out, "{v}");
            }
            Cell::Text(v) | Cell::OptText(Some(v)) => {
                out.push('"');
                for ch in v.chars() {
                    if ch == '"' || ch == '\\' {
                        out.push('\\');
                    }
                    out.push(ch);
                }
                out.push('"');
            }
            Cell::OptInt(None) | Cell::OptText(None) => out.push_str("NULL"),
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_literals_quote_text_escape_and_write_nulls() {
        let ints = [Cell::Int(1), Cell::OptInt(None), Cell::Int(-7)];
        assert_eq!(array_literal(ints.into_iter()), "{1,NULL,-7}");
        let texts = [
            Cell::Text("ｱｲｳ \"q\"\n"),
            Cell::OptText(None),
            Cell::Text("NULL"),
            Cell::Text("a,b{c}\\"),
            Cell::Text(""),
        ];
        assert_eq!(
            array_literal(texts.into_iter()),
            "{\"ｱｲｳ \\\"q\\\"\n\",NULL,\"NULL\",\"a,b{c}\\\\\",\"\"}"
        );
    }
}
