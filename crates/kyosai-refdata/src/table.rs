//! Decoding of the embedded gzip TSV files written by `refdata/generate.py`.
//!
//! Format: line 1 is `#kyosai-refdata` followed by tab-separated `key=value`
//! pairs (always `dataset`, `rows`, `columns`, `source`); line 2 is `#` and
//! the column names; then exactly `rows` data lines of `columns` fields each.

use std::io::Read;

use flate2::read::GzDecoder;

/// What is known about one embedded dataset once it has been loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetInfo {
    /// Dataset name: `holidays`, `banks`, `branches` or `postcodes`.
    pub name: &'static str,
    /// The PyPI package and version the data was generated from.
    pub source: &'static str,
    /// Size of the embedded gzip file in bytes.
    pub compressed_bytes: usize,
    /// Number of data rows the generator wrote (from the file header).
    pub expected_rows: usize,
    /// Number of rows that were parsed into the index.
    pub parsed_rows: usize,
    /// Why loading failed, if it did (the dataset is then empty).
    pub error: Option<String>,
}

impl DatasetInfo {
    /// True when the data loaded and every row the generator wrote was parsed.
    pub fn is_complete(&self) -> bool {
        self.error.is_none() && self.expected_rows > 0 && self.expected_rows == self.parsed_rows
    }
}

/// A decompressed table. The text is leaked on purpose: each dataset is
/// loaded at most once per process and lives until exit, and leaking lets the
/// parsed records hand out `&'static str` slices without copying.
pub(crate) struct Table {
    header: Vec<(&'static str, &'static str)>,
    pub(crate) columns: usize,
    pub(crate) expected_rows: usize,
    body: &'static str,
}

impl Table {
    pub(crate) fn decode(gz: &[u8]) -> Result<Table, String> {
        let mut text = String::new();
        GzDecoder::new(gz)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot decompress: {e}"))?;
        let text: &'static str = Box::leak(text.into_boxed_str());

        let (first, rest) = text.split_once('\n').ok_or("missing header line")?;
        let meta = first
            .strip_prefix("#kyosai-refdata\t")
            .ok_or("header does not start with #kyosai-refdata")?;
        let header: Vec<_> = meta
            .split('\t')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let (_names, body) = rest.split_once('\n').ok_or("missing column line")?;

        let mut table = Table {
            header,
            columns: 0,
            expected_rows: 0,
            body,
        };
        table.columns = table
            .get("columns")
            .and_then(|v| v.parse().ok())
            .ok_or("header has no columns=")?;
        table.expected_rows = table
            .get("rows")
            .and_then(|v| v.parse().ok())
            .ok_or("header has no rows=")?;
        Ok(table)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'static str> {
        self.header.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The data lines, each split into exactly `N` fields; lines with another
    /// number of fields are skipped (and so show up as a count mismatch).
    pub(crate) fn rows<const N: usize>(&self) -> impl Iterator<Item = [&'static str; N]> + use<N> {
        let ok = self.columns == N;
        self.body.lines().filter(move |_| ok).filter_map(split::<N>)
    }

    /// The data lines with the byte offset of each within [`Table::body`].
    pub(crate) fn lines_with_offsets(&self) -> impl Iterator<Item = (usize, &'static str)> + use<> {
        let mut offset = 0;
        self.body.split_inclusive('\n').map(move |raw| {
            let at = offset;
            offset += raw.len();
            (at, raw.strip_suffix('\n').unwrap_or(raw))
        })
    }

    /// The data lines as one string (each ending in `\n`).
    pub(crate) fn body(&self) -> &'static str {
        self.body
    }
}

/// Split one data line into exactly `N` tab-separated fields.
pub(crate) fn split<const N: usize>(line: &'static str) -> Option<[&'static str; N]> {
    let mut out = [""; N];
    let mut fields = line.split('\t');
    for slot in &mut out {
        *slot = fields.next()?;
    }
    match fields.next() {
        Some(_) => None,
        None => Some(out),
    }
}

/// Load `gz` and turn each row into a record with `parse`; rows that `parse`
/// rejects are dropped and counted as missing in the returned info.
pub(crate) fn load<const N: usize, T>(
    name: &'static str,
    gz: &'static [u8],
    parse: impl Fn(&[&'static str; N]) -> Option<T>,
) -> (Vec<T>, Option<Table>, DatasetInfo) {
    let mut info = DatasetInfo {
        name,
        source: "",
        compressed_bytes: gz.len(),
        expected_rows: 0,
        parsed_rows: 0,
        error: None,
    };
    match Table::decode(gz) {
        Ok(table) => {
            info.source = table.get("source").unwrap_or("");
            info.expected_rows = table.expected_rows;
            let records: Vec<T> = table.rows::<N>().filter_map(|r| parse(&r)).collect();
            info.parsed_rows = records.len();
            if table.columns != N {
                info.error = Some(format!("{name}: {} columns, expected {N}", table.columns));
            }
            (records, Some(table), info)
        }
        Err(e) => {
            info.error = Some(format!("{name}: {e}"));
            (Vec::new(), None, info)
        }
    }
}

/// True if `s` is exactly `len` ASCII digits.
pub(crate) fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::{Compression, write::GzEncoder};

    use super::*;

    fn gz(text: &str) -> &'static [u8] {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(text.as_bytes()).expect("write to Vec");
        Box::leak(enc.finish().expect("finish gzip").into_boxed_slice())
    }

    #[test]
    fn counts_rows_and_detects_bad_ones() {
        let data = gz(
            "#kyosai-refdata\tdataset=t\trows=3\tcolumns=2\tsource=x 1\n#a\tb\n1\tx\n2\n3\ty\textra\n",
        );
        let (rows, table, info) = load::<2, _>("t", data, |[a, b]| Some((*a, *b)));
        assert_eq!(rows, [("1", "x")]);
        assert_eq!(table.and_then(|t| t.get("source")), Some("x 1"));
        assert_eq!((info.expected_rows, info.parsed_rows), (3, 1));
        assert!(!info.is_complete());
    }

    #[test]
    fn complete_table() {
        let data =
            gz("#kyosai-refdata\tdataset=t\trows=2\tcolumns=2\tsource=x 1\n#a\tb\n1\tx\n2\t\n");
        let (rows, _, info) = load::<2, _>("t", data, |[a, b]| Some((*a, *b)));
        assert_eq!(rows, [("1", "x"), ("2", "")]);
        assert!(info.is_complete(), "{info:?}");
    }

    #[test]
    fn rejects_garbage() {
        let (rows, table, info) = load::<2, ()>("t", b"not gzip", |_| Some(()));
        assert!(rows.is_empty() && table.is_none());
        assert!(info.error.is_some() && !info.is_complete());
        let data = gz("no header\n");
        let (_, _, info) = load::<2, ()>("t", data, |_| Some(()));
        assert!(info.error.is_some());
        let data = gz("#kyosai-refdata\tdataset=t\trows=1\tcolumns=3\n#a\tb\tc\n1\t2\t3\n");
        let (rows, _, info) = load::<2, ()>("t", data, |_| Some(()));
        assert!(rows.is_empty() && info.error.is_some());
    }
}
