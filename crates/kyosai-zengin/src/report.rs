//! Problems found while parsing a Zengin file, and the low-level field
//! readers that report them.

use std::fmt;

use crate::encoding::describe_bad_bytes;
use crate::kana::CharClass;
use crate::text::{Charset, Digits, ZenginText};

/// Length of one Zengin record without line break.
pub const RECORD_LEN: usize = 120;

/// At most this many problems are kept; the rest are only counted.
pub const MAX_PROBLEMS: usize = 10_000;

/// Stable, English, machine-readable problem codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    /// The file has no bytes.
    Empty,
    /// A record is not 120 bytes (or the file length is not a multiple of 120).
    RecordLength,
    /// A line break other than CR+LF (CR-only or LF-only).
    LineEnding,
    /// Unknown データ区分.
    RecordType,
    /// Records out of order (header → data* → trailer → end).
    Sequence,
    /// A numeric (N) field holds something other than digits.
    NumericField,
    /// A numeric field has a value the format does not define (種別コード, 預金種目, date…).
    FieldValue,
    /// A byte not allowed in the field.
    Character,
    /// A trailer total does not match the data records.
    TrailerTotal,
    /// An unknown or misplaced 振替結果コード.
    ResultCode,
}

impl ProblemCode {
    /// The stable code string (`record_length`, `sequence`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::Empty => "empty",
            ProblemCode::RecordLength => "record_length",
            ProblemCode::LineEnding => "line_ending",
            ProblemCode::RecordType => "record_type",
            ProblemCode::Sequence => "sequence",
            ProblemCode::NumericField => "numeric_field",
            ProblemCode::FieldValue => "field_value",
            ProblemCode::Character => "character",
            ProblemCode::TrailerTotal => "trailer_total",
            ProblemCode::ResultCode => "result_code",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable code.
    pub code: ProblemCode,
    /// 1-based record (line) number; for end-of-file problems the number the
    /// missing record would have had.
    pub record: usize,
    /// 1-based byte position within the record (as in the format tables);
    /// 0 when the problem concerns the whole record.
    pub column: usize,
    /// 0-based byte offset in the file.
    pub offset: usize,
    /// Japanese field name (項目名), empty when not about one field.
    pub field: &'static str,
    /// Japanese description for people.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}件目のレコード", self.record)?;
        if self.column > 0 {
            write!(f, " {}バイト目", self.column)?;
        }
        write!(
            f,
            "（ファイル先頭から{}バイト目） [{}] {}",
            self.offset + 1,
            self.code,
            self.message
        )
    }
}

/// Every problem found in a file. Returned instead of a partial result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileReport {
    /// Problems in file order (end-of-file and trailer checks last), at most
    /// [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`] and not listed.
    pub omitted: usize,
}

impl FileReport {
    /// Whether a problem with `code` was found.
    pub fn has(&self, code: ProblemCode) -> bool {
        self.problems.iter().any(|p| p.code == code)
    }

    /// Total number of problems, listed or not.
    pub fn total(&self) -> usize {
        self.problems.len() + self.omitted
    }
}

impl fmt::Display for FileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "全銀ファイルに{}件の問題があります。", self.total())?;
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        if self.omitted > 0 {
            writeln!(f, "ほか{}件は省略しました。", self.omitted)?;
        }
        Ok(())
    }
}

impl std::error::Error for FileReport {}

/// Parsing context for one record: collects problems with positions.
pub(crate) struct Ctx {
    pub report: FileReport,
}

/// One record being read: its number, file offset and bytes.
#[derive(Clone, Copy)]
pub(crate) struct Rec<'a> {
    pub number: usize,
    pub offset: usize,
    pub bytes: &'a [u8],
}

impl<'a> Rec<'a> {
    /// Bytes of the field at 1-based `column` with `len` bytes.
    #[inline]
    pub fn field(&self, column: usize, len: usize) -> &'a [u8] {
        &self.bytes[column - 1..column - 1 + len]
    }
}

impl Ctx {
    pub fn new() -> Self {
        Self {
            report: FileReport::default(),
        }
    }

    pub fn is_clean(&self) -> bool {
        self.report.problems.is_empty() && self.report.omitted == 0
    }

    pub fn push(
        &mut self,
        code: ProblemCode,
        record: usize,
        column: usize,
        offset: usize,
        field: &'static str,
        message: String,
    ) {
        if self.report.problems.len() >= MAX_PROBLEMS {
            self.report.omitted += 1;
            return;
        }
        self.report.problems.push(Problem {
            code,
            record,
            column,
            offset,
            field,
            message,
        });
    }

    /// Problem about the field at `column` of `rec`.
    pub fn at(
        &mut self,
        rec: &Rec<'_>,
        code: ProblemCode,
        column: usize,
        field: &'static str,
        message: String,
    ) {
        let offset = rec.offset + column.saturating_sub(1);
        self.push(code, rec.number, column, offset, field, message);
    }

    /// Reads an N field as a number.
    pub fn number(
        &mut self,
        rec: &Rec<'_>,
        column: usize,
        len: usize,
        field: &'static str,
    ) -> Option<u64> {
        let raw = rec.field(column, len);
        match parse_digits(raw) {
            Some(v) => Some(v),
            None => {
                self.non_digit(rec, column, raw, field);
                None
            }
        }
    }

    /// Reads an N field as fixed digits.
    pub fn digits<const N: usize>(
        &mut self,
        rec: &Rec<'_>,
        column: usize,
        field: &'static str,
    ) -> Option<Digits<N>> {
        let raw = rec.field(column, N);
        let d = Digits::<N>::from_bytes(raw);
        if d.is_none() {
            self.non_digit(rec, column, raw, field);
        }
        d
    }

    fn non_digit(&mut self, rec: &Rec<'_>, column: usize, raw: &[u8], field: &'static str) {
        let i = raw.iter().position(|b| !b.is_ascii_digit()).unwrap_or(0);
        let desc = describe_bad_bytes(&raw[i..]);
        self.at(
            rec,
            ProblemCode::NumericField,
            column + i,
            field,
            format!("{field}（数字項目）に数字以外の文字{desc}があります。"),
        );
    }

    /// Reads a C field, checking every byte.
    pub fn text<const N: usize, C: Charset>(
        &mut self,
        rec: &Rec<'_>,
        column: usize,
        field: &'static str,
    ) -> Option<ZenginText<N, C>> {
        let raw = rec.field(column, N);
        match ZenginText::<N, C>::from_bytes(raw) {
            Ok(t) => Some(t),
            Err(i) => {
                self.bad_char(rec, column, raw, i, field, C::CLASS);
                None
            }
        }
    }

    /// Checks a filler (ダミー) field: any byte of the party-name set.
    pub fn filler(&mut self, rec: &Rec<'_>, column: usize, len: usize, field: &'static str) {
        let raw = rec.field(column, len);
        if let Some(i) = raw.iter().position(|&b| !CharClass::Party.allows_byte(b)) {
            self.bad_char(rec, column, raw, i, field, CharClass::Party);
        }
    }

    fn bad_char(
        &mut self,
        rec: &Rec<'_>,
        column: usize,
        raw: &[u8],
        i: usize,
        field: &'static str,
        class: CharClass,
    ) {
        let desc = describe_bad_bytes(&raw[i..]);
        let allowed = match class {
            CharClass::Party => "半角カナ・英大文字・数字・スペース・「( ) - .」",
            CharClass::Bank => "半角カナ・英大文字・数字・スペース・「-」",
        };
        self.at(
            rec,
            ProblemCode::Character,
            column + i,
            field,
            format!("{field}に使えない文字{desc}があります（使える文字: {allowed}）。"),
        );
    }
}

/// Parses ASCII digits (at most 19, so no overflow).
#[inline]
pub(crate) fn parse_digits(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() || raw.len() > 19 {
        return None;
    }
    let mut v = 0u64;
    for &b in raw {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    Some(v)
}

/// Writes the low `buf.len()` decimal digits of `v`, zero-filled.
#[inline]
pub(crate) fn put_num(buf: &mut [u8], mut v: u64) {
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// One record as found by [`split_records`]: number, file offset, bytes
/// (without line break; may be of the wrong length).
pub(crate) struct RawRecord<'a> {
    pub number: usize,
    pub offset: usize,
    pub bytes: &'a [u8],
}

/// Splits a file into records. Accepts 120-byte records without line breaks,
/// or records each followed by CR+LF (the last CR+LF may be missing). Any
/// CR-only/LF-only break and any trailing partial record is reported.
/// `f` is called for every record in order.
pub(crate) fn split_records<'a>(
    bytes: &'a [u8],
    ctx: &mut Ctx,
    mut f: impl FnMut(&mut Ctx, RawRecord<'a>),
) {
    if bytes.is_empty() {
        ctx.push(
            ProblemCode::Empty,
            1,
            0,
            0,
            "",
            "ファイルが空です。".to_string(),
        );
        return;
    }
    let has_breaks = bytes.contains(&b'\n') || bytes.contains(&b'\r');
    if !has_breaks {
        for (i, chunk) in bytes.chunks(RECORD_LEN).enumerate() {
            let rec = RawRecord {
                number: i + 1,
                offset: i * RECORD_LEN,
                bytes: chunk,
            };
            if chunk.len() != RECORD_LEN {
                ctx.push(
                    ProblemCode::RecordLength,
                    rec.number,
                    0,
                    rec.offset,
                    "",
                    format!(
                        "{}件目のレコードが{}バイトしかありません（改行なしのファイルは120バイトずつ、ファイル全体は{}バイトです）。",
                        rec.number,
                        chunk.len(),
                        bytes.len()
                    ),
                );
            }
            f(ctx, rec);
        }
        return;
    }
    let mut pos = 0usize;
    let mut number = 0usize;
    while pos < bytes.len() {
        number += 1;
        let rest = &bytes[pos..];
        let brk = rest.iter().position(|&b| b == b'\r' || b == b'\n');
        let (line, next) = match brk {
            None => (rest, bytes.len()),
            Some(i) => {
                let is_crlf = rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n');
                if is_crlf {
                    (&rest[..i], pos + i + 2)
                } else {
                    let what = if rest[i] == b'\r' {
                        "CRのみ"
                    } else {
                        "LFのみ"
                    };
                    ctx.push(
                        ProblemCode::LineEnding,
                        number,
                        i + 1,
                        pos + i,
                        "",
                        format!(
                            "{number}件目のレコードの改行が{what}です。改行はCR+LFにするか、改行なしの120バイト固定長にしてください。"
                        ),
                    );
                    (&rest[..i], pos + i + 1)
                }
            }
        };
        if line.len() != RECORD_LEN {
            ctx.push(
                ProblemCode::RecordLength,
                number,
                0,
                pos,
                "",
                format!(
                    "{number}件目のレコードの長さが{}バイトです（改行を除いて120バイトが必要です）。",
                    line.len()
                ),
            );
        }
        f(
            ctx,
            RawRecord {
                number,
                offset: pos,
                bytes: line,
            },
        );
        pos = next;
    }
}
