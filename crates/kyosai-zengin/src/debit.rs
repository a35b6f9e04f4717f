//! 預金口座振替 (種別コード 91): direct-debit request files and the banks'
//! result files. Layout: REFERENCE §8 (positions below are 1-based, as there).

use crate::report::{Ctx, FileReport, ProblemCode, RECORD_LEN, Rec, put_num, split_records};
use crate::text::{
    AccountNumber, Bank, BankCode, BankName, BranchCode, CustomerNumber, HolderName,
    OriginatorCode, OriginatorName, Party,
};

/// 種別コード of this format.
pub const TYPE_CODE: &str = "91";
/// Largest 引落金額 (10 digits).
pub const MAX_AMOUNT: i64 = 9_999_999_999;
/// Largest number of data records in one file (合計件数 has 6 digits).
pub const MAX_RECORDS: usize = 999_999;
/// Largest 合計金額 (12 digits).
pub const MAX_TOTAL: i64 = 999_999_999_999;

/// 預金種目.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// 1 普通
    Ordinary,
    /// 2 当座
    Current,
    /// 3 納税準備 (not valid for the originator's account in the header)
    TaxReserve,
    /// 9 その他
    Other,
}

impl AccountType {
    /// The digit written to the record.
    pub fn digit(self) -> u8 {
        match self {
            AccountType::Ordinary => 1,
            AccountType::Current => 2,
            AccountType::TaxReserve => 3,
            AccountType::Other => 9,
        }
    }

    /// From the record digit.
    pub fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            1 => AccountType::Ordinary,
            2 => AccountType::Current,
            3 => AccountType::TaxReserve,
            9 => AccountType::Other,
            _ => return None,
        })
    }
}

/// 新規コード.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NewCode {
    /// 0 その他
    #[default]
    Other,
    /// 1 第1回引落分
    First,
    /// 2 変更分
    Changed,
}

impl NewCode {
    /// The digit written to the record.
    pub fn digit(self) -> u8 {
        match self {
            NewCode::Other => 0,
            NewCode::First => 1,
            NewCode::Changed => 2,
        }
    }

    /// From the record digit.
    pub fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            0 => NewCode::Other,
            1 => NewCode::First,
            2 => NewCode::Changed,
            _ => return None,
        })
    }
}

/// 振替結果コード.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResultCode {
    /// 0 振替済
    Collected = 0,
    /// 1 資金不足
    InsufficientFunds = 1,
    /// 2 取引なし
    NoAccount = 2,
    /// 3 預金者の都合による振替停止
    StoppedByDepositor = 3,
    /// 4 預金口座振替依頼書なし
    NoMandate = 4,
    /// 8 委託者の都合による振替停止
    StoppedByOriginator = 8,
    /// 9 その他
    Other = 9,
}

impl ResultCode {
    /// All codes, in code order.
    pub const ALL: [ResultCode; 7] = [
        ResultCode::Collected,
        ResultCode::InsufficientFunds,
        ResultCode::NoAccount,
        ResultCode::StoppedByDepositor,
        ResultCode::NoMandate,
        ResultCode::StoppedByOriginator,
        ResultCode::Other,
    ];

    /// The digit written to the record.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// From the record digit.
    pub fn from_code(d: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == d)
    }

    /// Whether the money was collected.
    pub fn is_collected(self) -> bool {
        self == ResultCode::Collected
    }

    /// Japanese name as in the standard.
    pub fn label_ja(self) -> &'static str {
        match self {
            ResultCode::Collected => "振替済",
            ResultCode::InsufficientFunds => "資金不足",
            ResultCode::NoAccount => "取引なし",
            ResultCode::StoppedByDepositor => "預金者の都合による振替停止",
            ResultCode::NoMandate => "預金口座振替依頼書なし",
            ResultCode::StoppedByOriginator => "委託者の都合による振替停止",
            ResultCode::Other => "その他",
        }
    }
}

/// Error building a [`DebitDate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("引落日{month}月{day}日は存在しない日付です。")]
pub struct DateError {
    /// Month given.
    pub month: u8,
    /// Day given.
    pub day: u8,
}

/// 引落日 (MMDD). The year is not part of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DebitDate {
    month: u8,
    day: u8,
}

impl DebitDate {
    /// A month/day that exists in some year (02-29 is accepted).
    pub fn new(month: u8, day: u8) -> Result<Self, DateError> {
        let max = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => 0,
        };
        if day == 0 || day > max {
            return Err(DateError { month, day });
        }
        Ok(Self { month, day })
    }

    /// Month 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day 1–31.
    pub fn day(self) -> u8 {
        self.day
    }
}

/// The originator's own account (header positions 96–103). Some banks
/// leave these positions blank; that reads as `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OriginatorAccount {
    /// 預金種目 (1, 2 or 9).
    pub account_type: AccountType,
    /// 口座番号.
    pub account_number: AccountNumber,
}

/// Header record (データ区分 1). コード区分 is always 0 (JIS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// 委託者コード (5–14).
    pub originator_code: OriginatorCode,
    /// 委託者名 (15–54).
    pub originator_name: OriginatorName,
    /// 引落日 (55–58).
    pub debit_date: DebitDate,
    /// 取引銀行番号 (59–62).
    pub bank_code: BankCode,
    /// 取引銀行名 (63–77).
    pub bank_name: BankName,
    /// 取引支店番号 (78–80).
    pub branch_code: BranchCode,
    /// 取引支店名 (81–95).
    pub branch_name: BankName,
    /// 預金種目・口座番号 (96–103).
    pub account: Option<OriginatorAccount>,
}

/// Data record (データ区分 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataRecord {
    /// 引落銀行番号 (2–5).
    pub bank_code: BankCode,
    /// 引落銀行名 (6–20).
    pub bank_name: BankName,
    /// 引落支店番号 (21–23).
    pub branch_code: BranchCode,
    /// 引落支店名 (24–38).
    pub branch_name: BankName,
    /// 預金種目 (43).
    pub account_type: AccountType,
    /// 口座番号 (44–50).
    pub account_number: AccountNumber,
    /// 預金者名 (51–80).
    pub holder_name: HolderName,
    /// 引落金額 in yen (81–90), 0..=[`MAX_AMOUNT`].
    pub amount: i64,
    /// 新規コード (91).
    pub new_code: NewCode,
    /// 顧客番号 (92–111); the system stores the bill id here.
    pub customer_number: CustomerNumber,
    /// 振替結果コード (112): `None` in a request file (written as `0`),
    /// `Some` in a result file. Ignored by [`write_request_file`].
    pub result_code: Option<ResultCode>,
}

/// Trailer record (データ区分 8). In a request file the result totals are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Trailer {
    /// 合計件数 (2–7).
    pub record_count: u32,
    /// 合計金額 (8–19).
    pub total_amount: i64,
    /// 振替済件数 (20–25).
    pub collected_count: u32,
    /// 振替済金額 (26–37).
    pub collected_amount: i64,
    /// 振替不能件数 (38–43).
    pub failed_count: u32,
    /// 振替不能金額 (44–55).
    pub failed_amount: i64,
}

/// End record (データ区分 9): no fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct End;

/// What kind of 91 file is expected by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expectation {
    /// 依頼ファイル: result codes 0 or blank, trailer result totals 0.
    Request,
    /// 結果ファイル: every record has a result code, trailer result totals filled.
    Result,
}

/// A complete, validated 91 file. Only [`parse_file`] builds one, so its
/// contents always satisfy the format (counts, totals, ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitFile {
    kind: Expectation,
    header: Header,
    records: Vec<DataRecord>,
    trailer: Trailer,
}

impl DebitFile {
    /// Request or result.
    pub fn kind(&self) -> Expectation {
        self.kind
    }
    /// The header record.
    pub fn header(&self) -> &Header {
        &self.header
    }
    /// The data records in file order.
    pub fn records(&self) -> &[DataRecord] {
        &self.records
    }
    /// The trailer (checked against the records).
    pub fn trailer(&self) -> &Trailer {
        &self.trailer
    }
    /// Takes the file apart.
    pub fn into_parts(self) -> (Header, Vec<DataRecord>, Trailer) {
        (self.header, self.records, self.trailer)
    }
}

/// Line break after each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LineEnding {
    /// CR+LF after every record (122 bytes per record).
    #[default]
    Crlf,
    /// No line breaks (120 bytes per record).
    None,
}

impl LineEnding {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Crlf => b"\r\n",
            LineEnding::None => b"",
        }
    }
}

/// Options for the writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WriteOptions {
    /// Line break after each record.
    pub line_ending: LineEnding,
}

/// An error writing a file; nothing is written when one occurs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// 引落金額 outside 0..=9,999,999,999.
    #[error("{record}件目のデータの引落金額{amount}円は範囲外です（0〜9,999,999,999円）。")]
    AmountOutOfRange {
        /// 1-based data record index.
        record: usize,
        /// The amount given.
        amount: i64,
    },
    /// More than 999,999 data records.
    #[error("1ファイルのデータレコードは999,999件までです。ファイルを分けてください。")]
    TooManyRecords,
    /// 合計金額 over 12 digits.
    #[error("合計金額が999,999,999,999円を超えます。ファイルを分けてください。")]
    TotalOverflow,
    /// 納税準備預金 as the originator's account type.
    #[error("委託者の預金種目に納税準備預金(3)は指定できません。")]
    HeaderAccountType,
}

/// Streaming writer for a request file: one pre-sized buffer, records
/// appended in place. Use it when records come from a database cursor;
/// [`write_request_file`] is the slice convenience.
#[derive(Debug)]
pub struct RequestWriter {
    buf: Vec<u8>,
    eol: &'static [u8],
    count: usize,
    total: i64,
}

impl RequestWriter {
    /// Starts a file with `header`; `expected_records` only sizes the buffer.
    pub fn new(
        header: &Header,
        options: &WriteOptions,
        expected_records: usize,
    ) -> Result<Self, WriteError> {
        if header
            .account
            .is_some_and(|a| a.account_type == AccountType::TaxReserve)
        {
            return Err(WriteError::HeaderAccountType);
        }
        let eol = options.line_ending.bytes();
        let per = RECORD_LEN + eol.len();
        let mut buf = Vec::with_capacity(per * (expected_records.min(MAX_RECORDS) + 3));
        buf.extend_from_slice(&header_bytes(header));
        buf.extend_from_slice(eol);
        Ok(Self {
            buf,
            eol,
            count: 0,
            total: 0,
        })
    }

    /// Appends one data record (its `result_code` is ignored: written as 0).
    pub fn push(&mut self, record: &DataRecord) -> Result<(), WriteError> {
        if !(0..=MAX_AMOUNT).contains(&record.amount) {
            return Err(WriteError::AmountOutOfRange {
                record: self.count + 1,
                amount: record.amount,
            });
        }
        if self.count >= MAX_RECORDS {
            return Err(WriteError::TooManyRecords);
        }
        let total = self.total + record.amount;
        if total > MAX_TOTAL {
            return Err(WriteError::TotalOverflow);
        }
        self.total = total;
        self.count += 1;
        self.buf.extend_from_slice(&data_bytes(record, None));
        self.buf.extend_from_slice(self.eol);
        Ok(())
    }

    /// Number of data records so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no data record was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Writes trailer and end records and returns the file bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let trailer = Trailer {
            record_count: self.count as u32,
            total_amount: self.total,
            ..Trailer::default()
        };
        self.buf.extend_from_slice(&trailer_bytes(&trailer));
        self.buf.extend_from_slice(self.eol);
        self.buf.extend_from_slice(&end_bytes());
        self.buf.extend_from_slice(self.eol);
        self.buf
    }
}

/// Writes a complete request file (header, data, computed trailer, end).
/// Deterministic: the same input always gives the same bytes.
pub fn write_request_file(
    header: &Header,
    records: &[DataRecord],
    options: &WriteOptions,
) -> Result<Vec<u8>, WriteError> {
    let mut w = RequestWriter::new(header, options, records.len())?;
    for r in records {
        w.push(r)?;
    }
    Ok(w.finish())
}

/// Produces the bank's result file for a parsed file: same records, result
/// code from `results`, trailer result totals filled. Used by the bank
/// simulator. Infallible because a [`DebitFile`] is always within limits.
pub fn make_result_file(
    request: &DebitFile,
    results: impl Fn(&DataRecord) -> ResultCode,
    options: &WriteOptions,
) -> Vec<u8> {
    let eol = options.line_ending.bytes();
    let per = RECORD_LEN + eol.len();
    let mut buf = Vec::with_capacity(per * (request.records.len() + 3));
    buf.extend_from_slice(&header_bytes(&request.header));
    buf.extend_from_slice(eol);
    let mut trailer = Trailer::default();
    for r in &request.records {
        let code = results(r);
        trailer.record_count += 1;
        trailer.total_amount += r.amount;
        if code.is_collected() {
            trailer.collected_count += 1;
            trailer.collected_amount += r.amount;
        } else {
            trailer.failed_count += 1;
            trailer.failed_amount += r.amount;
        }
        buf.extend_from_slice(&data_bytes(r, Some(code)));
        buf.extend_from_slice(eol);
    }
    buf.extend_from_slice(&trailer_bytes(&trailer));
    buf.extend_from_slice(eol);
    buf.extend_from_slice(&end_bytes());
    buf.extend_from_slice(eol);
    buf
}

/// Copies `src` to the 1-based `column` of `rec`.
#[inline]
fn put(rec: &mut [u8; RECORD_LEN], column: usize, src: &[u8]) {
    rec[column - 1..column - 1 + src.len()].copy_from_slice(src);
}

#[inline]
fn put_n(rec: &mut [u8; RECORD_LEN], column: usize, len: usize, v: u64) {
    put_num(&mut rec[column - 1..column - 1 + len], v);
}

fn header_bytes(h: &Header) -> [u8; RECORD_LEN] {
    let mut r = [b' '; RECORD_LEN];
    r[0] = b'1';
    put(&mut r, 2, TYPE_CODE.as_bytes());
    r[3] = b'0';
    put(&mut r, 5, h.originator_code.as_bytes());
    put(&mut r, 15, h.originator_name.as_bytes());
    put_n(&mut r, 55, 2, u64::from(h.debit_date.month));
    put_n(&mut r, 57, 2, u64::from(h.debit_date.day));
    put(&mut r, 59, h.bank_code.as_bytes());
    put(&mut r, 63, h.bank_name.as_bytes());
    put(&mut r, 78, h.branch_code.as_bytes());
    put(&mut r, 81, h.branch_name.as_bytes());
    if let Some(a) = h.account {
        r[95] = b'0' + a.account_type.digit();
        put(&mut r, 97, a.account_number.as_bytes());
    }
    r
}

fn data_bytes(d: &DataRecord, result: Option<ResultCode>) -> [u8; RECORD_LEN] {
    let mut r = [b' '; RECORD_LEN];
    r[0] = b'2';
    put(&mut r, 2, d.bank_code.as_bytes());
    put(&mut r, 6, d.bank_name.as_bytes());
    put(&mut r, 21, d.branch_code.as_bytes());
    put(&mut r, 24, d.branch_name.as_bytes());
    r[42] = b'0' + d.account_type.digit();
    put(&mut r, 44, d.account_number.as_bytes());
    put(&mut r, 51, d.holder_name.as_bytes());
    put_n(&mut r, 81, 10, d.amount.unsigned_abs());
    r[90] = b'0' + d.new_code.digit();
    put(&mut r, 92, d.customer_number.as_bytes());
    r[111] = b'0' + result.map_or(0, ResultCode::code);
    r
}

fn trailer_bytes(t: &Trailer) -> [u8; RECORD_LEN] {
    let mut r = [b' '; RECORD_LEN];
    r[0] = b'8';
    put_n(&mut r, 2, 6, u64::from(t.record_count));
    put_n(&mut r, 8, 12, t.total_amount.unsigned_abs());
    put_n(&mut r, 20, 6, u64::from(t.collected_count));
    put_n(&mut r, 26, 12, t.collected_amount.unsigned_abs());
    put_n(&mut r, 38, 6, u64::from(t.failed_count));
    put_n(&mut r, 44, 12, t.failed_amount.unsigned_abs());
    r
}

fn end_bytes() -> [u8; RECORD_LEN] {
    let mut r = [b' '; RECORD_LEN];
    r[0] = b'9';
    r
}

// ---------------------------------------------------------------- parsing

/// Where a parser is in the record order header → data* → trailer → end
/// (shared by the 91 and 21 parsers, whose order rules are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Start,
    Data,
    AfterTrailer,
    AfterEnd,
}

struct Totals {
    data_records: u64,
    amount: i128,
    collected_count: u64,
    collected_amount: i128,
    failed_count: u64,
    failed_amount: i128,
    /// False once any amount or result code could not be read.
    complete: bool,
}

impl Totals {
    fn new() -> Self {
        Self {
            data_records: 0,
            amount: 0,
            collected_count: 0,
            collected_amount: 0,
            failed_count: 0,
            failed_amount: 0,
            complete: true,
        }
    }
}

/// Parses a 91 file. Either the complete valid file or a report listing
/// every problem (record number, byte position, code, Japanese message).
///
/// Accepts 120-byte records without line breaks, or 122-byte records with
/// CR+LF; rejects CR-only/LF-only breaks. Checks record order, lengths,
/// numeric fields, allowed characters (including fillers), code values,
/// result codes as `expectation` requires, and every trailer total.
pub fn parse_file(bytes: &[u8], expectation: Expectation) -> Result<DebitFile, FileReport> {
    let mut ctx = Ctx::new();
    let mut state = State::Start;
    let mut header: Option<Header> = None;
    let mut trailer: Option<(Trailer, usize, usize)> = None;
    let mut records = Vec::with_capacity(bytes.len() / RECORD_LEN);
    let mut totals = Totals::new();
    let mut last_number = 0usize;

    split_records(bytes, &mut ctx, |ctx, raw| {
        last_number = raw.number;
        let rec = Rec {
            number: raw.number,
            offset: raw.offset,
            bytes: raw.bytes,
        };
        let Some(&kind) = raw.bytes.first() else {
            return;
        };
        if !matches!(kind, b'1' | b'2' | b'8' | b'9') {
            ctx.at(
                &rec,
                ProblemCode::RecordType,
                1,
                "データ区分",
                format!(
                    "データ区分{}は不明です（1:ヘッダー、2:データ、8:トレーラー、9:エンドのいずれか）。",
                    crate::encoding::describe_bad_bytes(raw.bytes)
                ),
            );
            if raw.bytes.len() == RECORD_LEN && state == State::Data {
                // Most likely a damaged data record: keep counting it so the
                // trailer check does not add noise.
                totals.data_records += 1;
                totals.complete = false;
            }
            return;
        }
        let prev = state;
        state = advance(ctx, &rec, state, kind);
        // Data records after the trailer are reported as out of order and not
        // added to the totals of the trailer they follow.
        let counts = matches!(prev, State::Start | State::Data);
        if raw.bytes.len() != RECORD_LEN {
            if kind == b'2' && counts {
                totals.data_records += 1;
                totals.complete = false;
            }
            return;
        }
        match kind {
            b'1' => {
                let h = parse_header(ctx, &rec);
                if header.is_none() {
                    header = h;
                }
            }
            b'2' => {
                let mut ignored = Totals::new();
                let t = if counts { &mut totals } else { &mut ignored };
                t.data_records += 1;
                if let Some(d) = parse_data(ctx, &rec, expectation, t) {
                    records.push(d);
                }
            }
            b'8' => {
                let t = parse_trailer(ctx, &rec, expectation);
                if trailer.is_none() {
                    trailer = t.map(|t| (t, rec.number, rec.offset));
                }
            }
            _ => ctx.filler(&rec, 2, 119, "ダミー"),
        }
    });

    if !bytes.is_empty() {
        let missing = match state {
            State::Start => Some("ヘッダーレコード"),
            State::Data => Some("トレーラーレコード"),
            State::AfterTrailer => Some("エンドレコード"),
            State::AfterEnd => None,
        };
        if let Some(what) = missing {
            ctx.push(
                ProblemCode::Sequence,
                last_number + 1,
                0,
                bytes.len(),
                "",
                format!("ファイルの終わりまでに{what}がありません。"),
            );
        }
    }

    if let Some((t, number, offset)) = trailer {
        check_trailer(&mut ctx, &t, number, offset, expectation, &totals);
        if let (true, Some(header)) = (ctx.is_clean(), header) {
            return Ok(DebitFile {
                kind: expectation,
                header,
                records,
                trailer: t,
            });
        }
    }
    if ctx.is_clean() {
        // Defensive: a structurally complete file always has both records.
        ctx.push(
            ProblemCode::Sequence,
            last_number,
            0,
            bytes.len(),
            "",
            "ヘッダーまたはトレーラーが読めませんでした。".to_string(),
        );
    }
    Err(ctx.report)
}

/// Moves the record-order state on by one record of データ区分 `kind`
/// (one of `1`, `2`, `8`, `9`), reporting a [`ProblemCode::Sequence`] problem
/// when the record is out of order.
pub(crate) fn advance(ctx: &mut Ctx, rec: &Rec<'_>, state: State, kind: u8) -> State {
    let (ok, next, msg) = match (kind, state) {
        (_, State::AfterEnd) => (
            false,
            State::AfterEnd,
            "エンドレコードの後にレコードがあります。",
        ),
        (b'1', State::Start) => (true, State::Data, ""),
        (b'1', _) => (
            false,
            State::Data,
            "ヘッダーレコードはファイルの先頭に1件だけ置けます。",
        ),
        (b'2', State::Data) => (true, State::Data, ""),
        (b'2', State::Start) => (
            false,
            State::Data,
            "ヘッダーレコードより前にデータレコードがあります。",
        ),
        (b'2', _) => (
            false,
            state,
            "トレーラーレコードの後にデータレコードがあります。",
        ),
        (b'8', State::Data) => (true, State::AfterTrailer, ""),
        (b'8', State::Start) => (
            false,
            State::AfterTrailer,
            "ヘッダーレコードより前にトレーラーレコードがあります。",
        ),
        (b'8', _) => (
            false,
            State::AfterTrailer,
            "トレーラーレコードが2件以上あります。",
        ),
        (_, State::AfterTrailer) => (true, State::AfterEnd, ""),
        (_, _) => (
            false,
            State::AfterEnd,
            "トレーラーレコードの前にエンドレコードがあります。",
        ),
    };
    if !ok {
        ctx.at(
            rec,
            ProblemCode::Sequence,
            1,
            "データ区分",
            format!("{msg}（順序はヘッダー(1)→データ(2)…→トレーラー(8)→エンド(9)です）"),
        );
    }
    next
}

fn parse_header(ctx: &mut Ctx, rec: &Rec<'_>) -> Option<Header> {
    let type_code = rec.field(2, 2);
    if type_code != TYPE_CODE.as_bytes() {
        if type_code.iter().all(u8::is_ascii_digit) {
            ctx.at(
                rec,
                ProblemCode::FieldValue,
                2,
                "種別コード",
                format!(
                    "種別コードが「{}」です。預金口座振替のファイルは91です。",
                    String::from_utf8_lossy(type_code)
                ),
            );
        } else {
            ctx.number(rec, 2, 2, "種別コード");
        }
    }
    match rec.bytes[3] {
        b'0' => {}
        b'1' => ctx.at(
            rec,
            ProblemCode::FieldValue,
            4,
            "コード区分",
            "コード区分が1（EBCDIC）です。JIS（0）のファイルだけを扱えます。".to_string(),
        ),
        _ => {
            if ctx.number(rec, 4, 1, "コード区分").is_some() {
                ctx.at(
                    rec,
                    ProblemCode::FieldValue,
                    4,
                    "コード区分",
                    "コード区分は0（JIS）でなければなりません。".to_string(),
                );
            }
        }
    }
    let originator_code = ctx.digits::<10>(rec, 5, "委託者コード");
    let originator_name = ctx.text::<40, Party>(rec, 15, "委託者名");
    let month = ctx.number(rec, 55, 2, "引落日");
    let day = ctx.number(rec, 57, 2, "引落日");
    let debit_date = match (month, day) {
        (Some(m), Some(d)) => match DebitDate::new(m as u8, d as u8) {
            Ok(date) => Some(date),
            Err(_) => {
                ctx.at(
                    rec,
                    ProblemCode::FieldValue,
                    55,
                    "引落日",
                    format!("引落日「{m:02}{d:02}」は存在しない日付です（MMDD）。"),
                );
                None
            }
        },
        _ => None,
    };
    let bank_code = ctx.digits::<4>(rec, 59, "取引銀行番号");
    let bank_name = ctx.text::<15, Bank>(rec, 63, "取引銀行名");
    let branch_code = ctx.digits::<3>(rec, 78, "取引支店番号");
    let branch_name = ctx.text::<15, Bank>(rec, 81, "取引支店名");
    let account = if rec.field(96, 8).iter().all(|&b| b == b' ') {
        Some(None)
    } else {
        let ty = ctx.number(rec, 96, 1, "預金種目").and_then(|d| {
            let t = AccountType::from_digit(d as u8).filter(|t| *t != AccountType::TaxReserve);
            if t.is_none() {
                ctx.at(
                    rec,
                    ProblemCode::FieldValue,
                    96,
                    "預金種目",
                    format!("委託者の預金種目「{d}」は使えません（1:普通、2:当座、9:その他）。"),
                );
            }
            t
        });
        let number = ctx.digits::<7>(rec, 97, "口座番号");
        match (ty, number) {
            (Some(account_type), Some(account_number)) => Some(Some(OriginatorAccount {
                account_type,
                account_number,
            })),
            _ => None,
        }
    };
    ctx.filler(rec, 104, 17, "ダミー");
    Some(Header {
        originator_code: originator_code?,
        originator_name: originator_name?,
        debit_date: debit_date?,
        bank_code: bank_code?,
        bank_name: bank_name?,
        branch_code: branch_code?,
        branch_name: branch_name?,
        account: account?,
    })
}

fn parse_data(
    ctx: &mut Ctx,
    rec: &Rec<'_>,
    expectation: Expectation,
    totals: &mut Totals,
) -> Option<DataRecord> {
    let bank_code = ctx.digits::<4>(rec, 2, "引落銀行番号");
    let bank_name = ctx.text::<15, Bank>(rec, 6, "引落銀行名");
    let branch_code = ctx.digits::<3>(rec, 21, "引落支店番号");
    let branch_name = ctx.text::<15, Bank>(rec, 24, "引落支店名");
    ctx.filler(rec, 39, 4, "ダミー");
    let account_type = ctx.number(rec, 43, 1, "預金種目").and_then(|d| {
        let t = AccountType::from_digit(d as u8);
        if t.is_none() {
            ctx.at(
                rec,
                ProblemCode::FieldValue,
                43,
                "預金種目",
                format!("預金種目「{d}」は使えません（1:普通、2:当座、3:納税準備、9:その他）。"),
            );
        }
        t
    });
    let account_number = ctx.digits::<7>(rec, 44, "口座番号");
    let holder_name = ctx.text::<30, Party>(rec, 51, "預金者名");
    let amount = ctx.number(rec, 81, 10, "引落金額").map(|a| a as i64);
    let new_code = ctx.number(rec, 91, 1, "新規コード").and_then(|d| {
        let c = NewCode::from_digit(d as u8);
        if c.is_none() {
            ctx.at(
                rec,
                ProblemCode::FieldValue,
                91,
                "新規コード",
                format!("新規コード「{d}」は使えません（0:その他、1:第1回引落分、2:変更分）。"),
            );
        }
        c
    });
    let customer_number = ctx.digits::<20>(rec, 92, "顧客番号");
    let raw_result = rec.bytes[111];
    let result_code = match expectation {
        Expectation::Request => {
            if !matches!(raw_result, b'0' | b' ') {
                ctx.at(
                    rec,
                    ProblemCode::ResultCode,
                    112,
                    "振替結果コード",
                    format!(
                        "依頼ファイルの振替結果コードは0か空白でなければなりません（{}）。",
                        crate::encoding::describe_bad_bytes(&[raw_result])
                    ),
                );
            }
            Some(None)
        }
        Expectation::Result => {
            let c = raw_result.checked_sub(b'0').and_then(ResultCode::from_code);
            if c.is_none() {
                ctx.at(
                    rec,
                    ProblemCode::ResultCode,
                    112,
                    "振替結果コード",
                    format!(
                        "振替結果コード{}は不明です（0, 1, 2, 3, 4, 8, 9のいずれか）。",
                        crate::encoding::describe_bad_bytes(&[raw_result])
                    ),
                );
            }
            c.map(Some)
        }
    };
    ctx.filler(rec, 113, 8, "ダミー");

    match (amount, result_code) {
        (Some(a), Some(code)) => {
            totals.amount += i128::from(a);
            if let Some(code) = code {
                if code.is_collected() {
                    totals.collected_count += 1;
                    totals.collected_amount += i128::from(a);
                } else {
                    totals.failed_count += 1;
                    totals.failed_amount += i128::from(a);
                }
            }
        }
        _ => totals.complete = false,
    }

    Some(DataRecord {
        bank_code: bank_code?,
        bank_name: bank_name?,
        branch_code: branch_code?,
        branch_name: branch_name?,
        account_type: account_type?,
        account_number: account_number?,
        holder_name: holder_name?,
        amount: amount?,
        new_code: new_code?,
        customer_number: customer_number?,
        result_code: result_code?,
    })
}

fn parse_trailer(ctx: &mut Ctx, rec: &Rec<'_>, expectation: Expectation) -> Option<Trailer> {
    let record_count = ctx.number(rec, 2, 6, "合計件数");
    let total_amount = ctx.number(rec, 8, 12, "合計金額");
    // A request file may leave the result totals blank.
    let blank_results =
        expectation == Expectation::Request && rec.field(20, 36).iter().all(|&b| b == b' ');
    let (cc, ca, fc, fa) = if blank_results {
        (Some(0), Some(0), Some(0), Some(0))
    } else {
        (
            ctx.number(rec, 20, 6, "振替済件数"),
            ctx.number(rec, 26, 12, "振替済金額"),
            ctx.number(rec, 38, 6, "振替不能件数"),
            ctx.number(rec, 44, 12, "振替不能金額"),
        )
    };
    ctx.filler(rec, 56, 65, "ダミー");
    Some(Trailer {
        record_count: record_count? as u32,
        total_amount: total_amount? as i64,
        collected_count: cc? as u32,
        collected_amount: ca? as i64,
        failed_count: fc? as u32,
        failed_amount: fa? as i64,
    })
}

fn check_trailer(
    ctx: &mut Ctx,
    t: &Trailer,
    number: usize,
    offset: usize,
    expectation: Expectation,
    totals: &Totals,
) {
    let mut check = |column: usize, field: &'static str, declared: i128, actual: i128| {
        if declared != actual {
            ctx.push(
                ProblemCode::TrailerTotal,
                number,
                column,
                offset + column - 1,
                field,
                format!(
                    "トレーラーの{field}は{declared}ですが、データレコードから計算すると{actual}です。"
                ),
            );
        }
    };
    check(
        2,
        "合計件数",
        i128::from(t.record_count),
        i128::from(totals.data_records),
    );
    if !totals.complete {
        // Amounts or result codes of some records could not be read; those
        // problems are already reported.
        return;
    }
    check(8, "合計金額", i128::from(t.total_amount), totals.amount);
    let (cc, ca, fc, fa) = match expectation {
        Expectation::Request => (0, 0, 0, 0),
        Expectation::Result => (
            i128::from(totals.collected_count),
            totals.collected_amount,
            i128::from(totals.failed_count),
            totals.failed_amount,
        ),
    };
    check(20, "振替済件数", i128::from(t.collected_count), cc);
    check(26, "振替済金額", i128::from(t.collected_amount), ca);
    check(38, "振替不能件数", i128::from(t.failed_count), fc);
    check(44, "振替不能金額", i128::from(t.failed_amount), fa);
}
