//! 総合振込 (種別コード 21): bulk credit transfer request writer.
//!
//! Layout as published by the JBA standard §8 and corroborated by
//! zengin4j `docs/formats/sougou-furikomi.md` (positions 1-based). Writer
//! and strict parser ([`parse_transfer_file`], used to read files the bank
//! sends back, e.g. the 振込不能 return of issue #11); EDI情報 (識別表示 `Y`)
//! is not supported by either.

use crate::debit::{
    DebitDate, MAX_AMOUNT, MAX_RECORDS, MAX_TOTAL, NewCode, State, WriteError, WriteOptions,
    advance,
};
use crate::encoding::describe_bad_bytes;
use crate::report::{Ctx, FileReport, ProblemCode, RECORD_LEN, Rec, put_num, split_records};
use crate::text::{
    AccountNumber, Bank, BankCode, BankName, BranchCode, Digits, HolderName, OriginatorCode,
    OriginatorName, Party,
};

/// 種別コード of this format.
pub const TYPE_CODE: &str = "21";

/// 預金種目 for 総合振込 (3 納税準備 is not admitted; 4 貯蓄 is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferAccountType {
    /// 1 普通
    Ordinary,
    /// 2 当座
    Current,
    /// 4 貯蓄 (not for the originator's account)
    Savings,
    /// 9 その他
    Other,
}

impl TransferAccountType {
    /// The digit written to the record.
    pub fn digit(self) -> u8 {
        match self {
            TransferAccountType::Ordinary => 1,
            TransferAccountType::Current => 2,
            TransferAccountType::Savings => 4,
            TransferAccountType::Other => 9,
        }
    }

    /// From the record digit.
    pub fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            1 => TransferAccountType::Ordinary,
            2 => TransferAccountType::Current,
            4 => TransferAccountType::Savings,
            9 => TransferAccountType::Other,
            _ => return None,
        })
    }
}

/// 振込指定区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferCategory {
    /// 7 テレ振込 (電信)
    Telegraphic,
    /// 8 文書振込
    Document,
}

impl TransferCategory {
    /// The byte written to the record.
    pub fn digit(self) -> u8 {
        match self {
            TransferCategory::Telegraphic => 7,
            TransferCategory::Document => 8,
        }
    }

    /// From the record digit.
    pub fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            7 => TransferCategory::Telegraphic,
            8 => TransferCategory::Document,
            _ => return None,
        })
    }
}

/// Header record (データ区分 1): the originator and the paying account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransferHeader {
    /// 委託者コード (5–14).
    pub originator_code: OriginatorCode,
    /// 委託者名 (15–54).
    pub originator_name: OriginatorName,
    /// 振込指定日 MMDD (55–58).
    pub transfer_date: DebitDate,
    /// 仕向銀行番号 (59–62).
    pub bank_code: BankCode,
    /// 仕向銀行名 (63–77).
    pub bank_name: BankName,
    /// 仕向支店番号 (78–80).
    pub branch_code: BranchCode,
    /// 仕向支店名 (81–95).
    pub branch_name: BankName,
    /// 預金種目 (96): 1, 2 or 9.
    pub account_type: TransferAccountType,
    /// 口座番号 (97–103).
    pub account_number: AccountNumber,
}

/// Data record (データ区分 2): one payee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransferRecord {
    /// 被仕向銀行番号 (2–5).
    pub bank_code: BankCode,
    /// 被仕向銀行名 (6–20).
    pub bank_name: BankName,
    /// 被仕向支店番号 (21–23).
    pub branch_code: BranchCode,
    /// 被仕向支店名 (24–38).
    pub branch_name: BankName,
    /// 手形交換所番号 (39–42); `None` writes spaces.
    pub clearing_house: Option<Digits<4>>,
    /// 預金種目 (43).
    pub account_type: TransferAccountType,
    /// 口座番号 (44–50).
    pub account_number: AccountNumber,
    /// 受取人名 (51–80).
    pub payee_name: HolderName,
    /// 振込金額 (81–90), 0..=[`MAX_AMOUNT`].
    pub amount: i64,
    /// 新規コード (91).
    pub new_code: NewCode,
    /// 顧客コード1 (92–101); `None` writes spaces.
    pub customer_code1: Option<Digits<10>>,
    /// 顧客コード2 (102–111); `None` writes spaces.
    pub customer_code2: Option<Digits<10>>,
    /// 振込指定区分 (112); `None` writes a space (banks differ: check yours).
    pub category: Option<TransferCategory>,
}

/// Writes a complete 総合振込 file (header, data, computed trailer, end).
pub fn write_transfer_file(
    header: &TransferHeader,
    records: &[TransferRecord],
    options: &WriteOptions,
) -> Result<Vec<u8>, WriteError> {
    if header.account_type == TransferAccountType::Savings {
        return Err(WriteError::HeaderAccountType);
    }
    if records.len() > MAX_RECORDS {
        return Err(WriteError::TooManyRecords);
    }
    let mut total = 0i64;
    for (i, r) in records.iter().enumerate() {
        if !(0..=MAX_AMOUNT).contains(&r.amount) {
            return Err(WriteError::AmountOutOfRange {
                record: i + 1,
                amount: r.amount,
            });
        }
        total += r.amount;
        if total > MAX_TOTAL {
            return Err(WriteError::TotalOverflow);
        }
    }
    let eol: &[u8] = match options.line_ending {
        crate::debit::LineEnding::Crlf => b"\r\n",
        crate::debit::LineEnding::None => b"",
    };
    let mut buf = Vec::with_capacity((RECORD_LEN + eol.len()) * (records.len() + 3));
    let mut push = |rec: [u8; RECORD_LEN]| {
        buf.extend_from_slice(&rec);
        buf.extend_from_slice(eol);
    };
    push(header_bytes(header));
    for r in records {
        push(data_bytes(r));
    }
    let mut t = [b' '; RECORD_LEN];
    t[0] = b'8';
    put_num(&mut t[1..7], records.len() as u64);
    put_num(&mut t[7..19], total.unsigned_abs());
    push(t);
    let mut e = [b' '; RECORD_LEN];
    e[0] = b'9';
    push(e);
    Ok(buf)
}

fn put(rec: &mut [u8; RECORD_LEN], column: usize, src: &[u8]) {
    rec[column - 1..column - 1 + src.len()].copy_from_slice(src);
}

fn header_bytes(h: &TransferHeader) -> [u8; RECORD_LEN] {
    let mut r = [b' '; RECORD_LEN];
    r[0] = b'1';
    put(&mut r, 2, TYPE_CODE.as_bytes());
    r[3] = b'0';
    put(&mut r, 5, h.originator_code.as_bytes());
    put(&mut r, 15, h.originator_name.as_bytes());
    put_num(&mut r[54..56], u64::from(h.transfer_date.month()));
    put_num(&mut r[56..58], u64::from(h.transfer_date.day()));
    put(&mut r, 59, h.bank_code.as_bytes());
    put(&mut r, 63, h.bank_name.as_bytes());
    put(&mut r, 78, h.branch_code.as_bytes());
    put(&mut r, 81, h.branch_name.as_bytes());
    r[95] = b'0' + h.account_type.digit();
    put(&mut r, 97, h.account_number.as_bytes());
    r
}

fn data_bytes(d: &TransferRecord) -> [u8; RECORD_LEN] {
    let mut r = [b' '; RECORD_LEN];
    r[0] = b'2';
    put(&mut r, 2, d.bank_code.as_bytes());
    put(&mut r, 6, d.bank_name.as_bytes());
    put(&mut r, 21, d.branch_code.as_bytes());
    put(&mut r, 24, d.branch_name.as_bytes());
    if let Some(c) = d.clearing_house {
        put(&mut r, 39, c.as_bytes());
    }
    r[42] = b'0' + d.account_type.digit();
    put(&mut r, 44, d.account_number.as_bytes());
    put(&mut r, 51, d.payee_name.as_bytes());
    put_num(&mut r[80..90], d.amount.unsigned_abs());
    r[90] = b'0' + d.new_code.digit();
    if let Some(c) = d.customer_code1 {
        put(&mut r, 92, c.as_bytes());
    }
    if let Some(c) = d.customer_code2 {
        put(&mut r, 102, c.as_bytes());
    }
    if let Some(c) = d.category {
        r[111] = b'0' + c.digit();
    }
    r
}

// ---------------------------------------------------------------- parsing

/// Trailer record (データ区分 8) of a 総合振込 file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TransferTrailer {
    /// 合計件数 (2–7).
    pub record_count: u32,
    /// 合計金額 (8–19).
    pub total_amount: i64,
}

/// A data record with the 1-based number of its record in the file (the
/// header is record 1), so an importer can point people at "record 5".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NumberedTransferRecord {
    /// 1-based record (line) number in the file.
    pub number: usize,
    /// The record's fields.
    pub record: TransferRecord,
}

/// A complete, validated 総合振込 file. Only [`parse_transfer_file`] builds
/// one, so its trailer always matches its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferFile {
    header: TransferHeader,
    records: Vec<NumberedTransferRecord>,
    trailer: TransferTrailer,
}

impl TransferFile {
    /// The header record.
    pub fn header(&self) -> &TransferHeader {
        &self.header
    }
    /// The data records in file order, with their record numbers.
    pub fn records(&self) -> &[NumberedTransferRecord] {
        &self.records
    }
    /// The trailer (checked against the records).
    pub fn trailer(&self) -> &TransferTrailer {
        &self.trailer
    }
    /// Takes the file apart.
    pub fn into_parts(self) -> (TransferHeader, Vec<NumberedTransferRecord>, TransferTrailer) {
        (self.header, self.records, self.trailer)
    }
}

/// Parses a 総合振込 (種別コード 21) file. Either the complete valid file or a
/// report listing every problem (record number, byte position, stable code,
/// Japanese message), never a partial result.
///
/// Same framing and order rules as [`crate::debit::parse_file`]: 120-byte
/// records without line breaks or each followed by CR+LF; header → data* →
/// trailer → end. Checks every field with the character class the writer
/// uses (fillers included), the code values (種別コード 21, コード区分 0,
/// 預金種目, 新規コード, 振込指定区分), that 識別表示 is blank (EDI情報 is not
/// supported), and that the trailer's count and total equal the data records.
pub fn parse_transfer_file(bytes: &[u8]) -> Result<TransferFile, FileReport> {
    let mut ctx = Ctx::new();
    let mut state = State::Start;
    let mut header: Option<TransferHeader> = None;
    let mut trailer: Option<(TransferTrailer, usize, usize)> = None;
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
                    describe_bad_bytes(raw.bytes)
                ),
            );
            if raw.bytes.len() == RECORD_LEN && state == State::Data {
                // Most likely a damaged data record: count it so the trailer
                // check does not add noise.
                totals.records += 1;
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
                totals.records += 1;
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
                t.records += 1;
                if let Some(record) = parse_data(ctx, &rec, t) {
                    records.push(NumberedTransferRecord {
                        number: rec.number,
                        record,
                    });
                }
            }
            b'8' => {
                let t = parse_trailer(ctx, &rec);
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
        check_trailer(&mut ctx, &t, number, offset, &totals);
        if let (true, Some(header)) = (ctx.is_clean(), header) {
            return Ok(TransferFile {
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

/// What the data records add up to, for the trailer check.
struct Totals {
    records: u64,
    amount: i128,
    /// False once any amount could not be read (that problem is reported
    /// already, so the total is not compared).
    complete: bool,
}

impl Totals {
    fn new() -> Self {
        Self {
            records: 0,
            amount: 0,
            complete: true,
        }
    }
}

/// Checks the 1-byte コード区分 at column 4: only 0 (JIS) is handled.
fn check_code_division(ctx: &mut Ctx, rec: &Rec<'_>) {
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
}

/// Reads a 預金種目 digit at `column`, admitting only `allowed` types;
/// `choices` names them for the message.
fn account_type(
    ctx: &mut Ctx,
    rec: &Rec<'_>,
    column: usize,
    allowed: &[TransferAccountType],
    choices: &str,
) -> Option<TransferAccountType> {
    let d = ctx.number(rec, column, 1, "預金種目")?;
    let t = TransferAccountType::from_digit(d as u8).filter(|t| allowed.contains(t));
    if t.is_none() {
        ctx.at(
            rec,
            ProblemCode::FieldValue,
            column,
            "預金種目",
            format!("預金種目「{d}」は使えません（{choices}）。"),
        );
    }
    t
}

/// Reads an optional N field: all spaces is `None` (the writer's blank).
fn optional_digits<const N: usize>(
    ctx: &mut Ctx,
    rec: &Rec<'_>,
    column: usize,
    field: &'static str,
) -> Option<Option<Digits<N>>> {
    if rec.field(column, N).iter().all(|&b| b == b' ') {
        Some(None)
    } else {
        ctx.digits::<N>(rec, column, field).map(Some)
    }
}

fn parse_header(ctx: &mut Ctx, rec: &Rec<'_>) -> Option<TransferHeader> {
    let type_code = rec.field(2, 2);
    if type_code != TYPE_CODE.as_bytes() {
        if type_code.iter().all(u8::is_ascii_digit) {
            ctx.at(
                rec,
                ProblemCode::FieldValue,
                2,
                "種別コード",
                format!(
                    "種別コードが「{}」です。総合振込のファイルは21です。",
                    String::from_utf8_lossy(type_code)
                ),
            );
        } else {
            ctx.number(rec, 2, 2, "種別コード");
        }
    }
    check_code_division(ctx, rec);
    let originator_code = ctx.digits::<10>(rec, 5, "委託者コード");
    let originator_name = ctx.text::<40, Party>(rec, 15, "委託者名");
    let month = ctx.number(rec, 55, 2, "振込指定日");
    let day = ctx.number(rec, 57, 2, "振込指定日");
    let transfer_date = match (month, day) {
        (Some(m), Some(d)) => match DebitDate::new(m as u8, d as u8) {
            Ok(date) => Some(date),
            Err(_) => {
                ctx.at(
                    rec,
                    ProblemCode::FieldValue,
                    55,
                    "振込指定日",
                    format!("振込指定日「{m:02}{d:02}」は存在しない日付です（MMDD）。"),
                );
                None
            }
        },
        _ => None,
    };
    let bank_code = ctx.digits::<4>(rec, 59, "仕向銀行番号");
    let bank_name = ctx.text::<15, Bank>(rec, 63, "仕向銀行名");
    let branch_code = ctx.digits::<3>(rec, 78, "仕向支店番号");
    let branch_name = ctx.text::<15, Bank>(rec, 81, "仕向支店名");
    let account_type = account_type(
        ctx,
        rec,
        96,
        &[
            TransferAccountType::Ordinary,
            TransferAccountType::Current,
            TransferAccountType::Other,
        ],
        "委託者の口座は1:普通、2:当座、9:その他",
    );
    let account_number = ctx.digits::<7>(rec, 97, "口座番号");
    ctx.filler(rec, 104, 17, "ダミー");
    Some(TransferHeader {
        originator_code: originator_code?,
        originator_name: originator_name?,
        transfer_date: transfer_date?,
        bank_code: bank_code?,
        bank_name: bank_name?,
        branch_code: branch_code?,
        branch_name: branch_name?,
        account_type: account_type?,
        account_number: account_number?,
    })
}

fn parse_data(ctx: &mut Ctx, rec: &Rec<'_>, totals: &mut Totals) -> Option<TransferRecord> {
    let bank_code = ctx.digits::<4>(rec, 2, "被仕向銀行番号");
    let bank_name = ctx.text::<15, Bank>(rec, 6, "被仕向銀行名");
    let branch_code = ctx.digits::<3>(rec, 21, "被仕向支店番号");
    let branch_name = ctx.text::<15, Bank>(rec, 24, "被仕向支店名");
    let clearing_house = optional_digits::<4>(ctx, rec, 39, "手形交換所番号");
    let account_type = account_type(
        ctx,
        rec,
        43,
        &[
            TransferAccountType::Ordinary,
            TransferAccountType::Current,
            TransferAccountType::Savings,
            TransferAccountType::Other,
        ],
        "1:普通、2:当座、4:貯蓄、9:その他",
    );
    let account_number = ctx.digits::<7>(rec, 44, "口座番号");
    let payee_name = ctx.text::<30, Party>(rec, 51, "受取人名");
    let amount = ctx.number(rec, 81, 10, "振込金額").map(|a| a as i64);
    match amount {
        Some(a) => totals.amount += i128::from(a),
        None => totals.complete = false,
    }
    let new_code = ctx.number(rec, 91, 1, "新規コード").and_then(|d| {
        let c = NewCode::from_digit(d as u8);
        if c.is_none() {
            ctx.at(
                rec,
                ProblemCode::FieldValue,
                91,
                "新規コード",
                format!("新規コード「{d}」は使えません（0:その他、1:第1回振込分、2:変更分）。"),
            );
        }
        c
    });
    // 識別表示 (113) says what 92–111 hold: blank → 顧客コード1/2, `Y` →
    // EDI情報, which this system neither writes nor reads. Otherwise the
    // customer-code positions are free text, so they are not checked as
    // digits (that would only add noise to the one real problem).
    let identification = rec.bytes[112];
    let (customer_code1, customer_code2) = if identification == b' ' {
        (
            optional_digits::<10>(ctx, rec, 92, "顧客コード1"),
            optional_digits::<10>(ctx, rec, 102, "顧客コード2"),
        )
    } else {
        (None, None)
    };
    let category = match rec.bytes[111] {
        b' ' => Some(None),
        _ => ctx.number(rec, 112, 1, "振込指定区分").and_then(|d| {
            let c = TransferCategory::from_digit(d as u8);
            if c.is_none() {
                ctx.at(
                    rec,
                    ProblemCode::FieldValue,
                    112,
                    "振込指定区分",
                    format!(
                        "振込指定区分「{d}」は使えません（7:テレ振込、8:文書振込、または空白）。"
                    ),
                );
            }
            c.map(Some)
        }),
    };
    match identification {
        b' ' => {}
        b'Y' => ctx.at(
            rec,
            ProblemCode::FieldValue,
            113,
            "識別表示",
            "識別表示が「Y」（EDI情報つき）です。EDI情報つきの総合振込は扱えません。".to_string(),
        ),
        other => ctx.at(
            rec,
            ProblemCode::FieldValue,
            113,
            "識別表示",
            format!(
                "識別表示{}は使えません（空白でなければなりません）。",
                describe_bad_bytes(&[other])
            ),
        ),
    }
    ctx.filler(rec, 114, 7, "ダミー");
    Some(TransferRecord {
        bank_code: bank_code?,
        bank_name: bank_name?,
        branch_code: branch_code?,
        branch_name: branch_name?,
        clearing_house: clearing_house?,
        account_type: account_type?,
        account_number: account_number?,
        payee_name: payee_name?,
        amount: amount?,
        new_code: new_code?,
        customer_code1: customer_code1?,
        customer_code2: customer_code2?,
        category: category?,
    })
}

fn parse_trailer(ctx: &mut Ctx, rec: &Rec<'_>) -> Option<TransferTrailer> {
    let record_count = ctx.number(rec, 2, 6, "合計件数");
    let total_amount = ctx.number(rec, 8, 12, "合計金額");
    ctx.filler(rec, 20, 101, "ダミー");
    Some(TransferTrailer {
        record_count: record_count? as u32,
        total_amount: total_amount? as i64,
    })
}

fn check_trailer(
    ctx: &mut Ctx,
    t: &TransferTrailer,
    number: usize,
    offset: usize,
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
        i128::from(totals.records),
    );
    if totals.complete {
        check(8, "合計金額", i128::from(t.total_amount), totals.amount);
    }
}
