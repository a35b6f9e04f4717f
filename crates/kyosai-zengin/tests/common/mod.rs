// Not `expect`: a binary that happens to use every item would then warn.
#![allow(dead_code, reason = "each test binary uses part of this module")]

use kyosai_zengin::debit::{
    AccountType, DataRecord, DebitDate, Header, NewCode, OriginatorAccount,
};
use kyosai_zengin::{Digits, ZenginText};

pub fn header() -> Header {
    Header {
        originator_code: Digits::new("1234567890").unwrap(),
        originator_name: ZenginText::new("ｷﾖｳｻｲｷｷﾝ").unwrap(),
        debit_date: DebitDate::new(4, 27).unwrap(),
        bank_code: Digits::new("0005").unwrap(),
        bank_name: ZenginText::new("ﾐﾂﾋﾞｼUFJ").unwrap(),
        branch_code: Digits::new("001").unwrap(),
        branch_name: ZenginText::new("ﾎﾝﾃﾝ").unwrap(),
        account: Some(OriginatorAccount {
            account_type: AccountType::Ordinary,
            account_number: Digits::new("0123456").unwrap(),
        }),
    }
}

pub fn record(bill_id: u64, amount: i64) -> DataRecord {
    DataRecord {
        bank_code: Digits::new("9900").unwrap(),
        bank_name: ZenginText::new("ﾕｳﾁﾖ").unwrap(),
        branch_code: Digits::new("019").unwrap(),
        branch_name: ZenginText::new("ｾﾞﾛｲﾁｷﾕｳ").unwrap(),
        account_type: AccountType::Ordinary,
        account_number: Digits::new("7654321").unwrap(),
        holder_name: ZenginText::new("ﾔﾏﾀﾞ ﾀﾛｳ").unwrap(),
        amount,
        new_code: NewCode::First,
        customer_number: Digits::from_u64(bill_id).unwrap(),
        result_code: None,
    }
}

/// Shift_JIS through encoding_rs: an oracle independent of the crate's
/// direct JIS X 0201 mapping.
pub fn sjis(s: &str) -> Vec<u8> {
    let (b, _, err) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!err, "unmappable: {s}");
    b.into_owned()
}

/// `s` encoded and space-padded to `width`.
pub fn c_field(s: &str, width: usize) -> Vec<u8> {
    let mut v = sjis(s);
    assert!(v.len() <= width);
    v.resize(width, b' ');
    v
}

/// Splits a CRLF file into 120-byte records (asserting the framing).
pub fn records_crlf(file: &[u8]) -> Vec<&[u8]> {
    assert_eq!(file.len() % 122, 0);
    file.chunks(122)
        .map(|c| {
            assert_eq!(&c[120..], b"\r\n");
            &c[..120]
        })
        .collect()
}
