//! 総合振込 (種別コード 21): bulk credit transfer request writer.
//!
//! Layout as published by the JBA standard §8 and corroborated by
//! zengin4j `docs/formats/sougou-furikomi.md` (positions 1-based). Writer
//! only; EDI情報 (識別表示 `Y`) is not supported.

use crate::debit::{
    DebitDate, MAX_AMOUNT, MAX_RECORDS, MAX_TOTAL, NewCode, WriteError, WriteOptions,
};
use crate::report::{RECORD_LEN, put_num};
use crate::text::{
    AccountNumber, BankCode, BankName, BranchCode, Digits, HolderName, OriginatorCode,
    OriginatorName,
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
}

/// 振込指定区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferCategory {
    /// 7 テレ振込 (電信)
    Telegraphic,
    /// 8 文書振込
    Document,
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
        r[111] = match c {
            TransferCategory::Telegraphic => b'7',
            TransferCategory::Document => b'8',
        };
    }
    r
}
