//! Byte-exact golden tests against REFERENCE §8 positions (1-based in the
//! comments; Rust indices are 0-based, so position p is index p-1).
#![expect(clippy::unwrap_used, reason = "test helpers and proptest closures")]

mod common;

use common::{c_field, header, record, records_crlf, sjis};
use kyosai_zengin::debit::{
    Expectation, LineEnding, ResultCode, WriteOptions, make_result_file, parse_file,
    write_request_file,
};

fn expected_header() -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(b"1"); // 1 データ区分
    e.extend_from_slice(b"91"); // 2-3 種別コード
    e.extend_from_slice(b"0"); // 4 コード区分
    e.extend_from_slice(b"1234567890"); // 5-14 委託者コード
    e.extend(c_field("ｷﾖｳｻｲｷｷﾝ", 40)); // 15-54 委託者名
    e.extend_from_slice(b"0427"); // 55-58 引落日
    e.extend_from_slice(b"0005"); // 59-62 取引銀行番号
    e.extend(c_field("ﾐﾂﾋﾞｼUFJ", 15)); // 63-77
    e.extend_from_slice(b"001"); // 78-80
    e.extend(c_field("ﾎﾝﾃﾝ", 15)); // 81-95
    e.extend_from_slice(b"1"); // 96 預金種目
    e.extend_from_slice(b"0123456"); // 97-103 口座番号
    e.extend_from_slice(&[b' '; 17]); // 104-120
    assert_eq!(e.len(), 120);
    e
}

fn expected_data(bill_id: &str, amount: &str, result: u8) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(b"2"); // 1
    e.extend_from_slice(b"9900"); // 2-5
    e.extend(c_field("ﾕｳﾁﾖ", 15)); // 6-20
    e.extend_from_slice(b"019"); // 21-23
    e.extend(c_field("ｾﾞﾛｲﾁｷﾕｳ", 15)); // 24-38
    e.extend_from_slice(b"    "); // 39-42 ダミー
    e.extend_from_slice(b"1"); // 43 預金種目
    e.extend_from_slice(b"7654321"); // 44-50
    e.extend(c_field("ﾔﾏﾀﾞ ﾀﾛｳ", 30)); // 51-80
    e.extend_from_slice(amount.as_bytes()); // 81-90
    e.extend_from_slice(b"1"); // 91 新規コード
    e.extend_from_slice(bill_id.as_bytes()); // 92-111
    e.push(result); // 112 振替結果コード
    e.extend_from_slice(&[b' '; 8]); // 113-120
    assert_eq!(e.len(), 120);
    e
}

fn expected_trailer(count: &str, total: &str, results: &[&str; 4]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(b"8"); // 1
    e.extend_from_slice(count.as_bytes()); // 2-7 合計件数
    e.extend_from_slice(total.as_bytes()); // 8-19 合計金額
    e.extend_from_slice(results[0].as_bytes()); // 20-25 振替済件数
    e.extend_from_slice(results[1].as_bytes()); // 26-37 振替済金額
    e.extend_from_slice(results[2].as_bytes()); // 38-43 振替不能件数
    e.extend_from_slice(results[3].as_bytes()); // 44-55 振替不能金額
    e.extend_from_slice(&[b' '; 65]); // 56-120
    assert_eq!(e.len(), 120);
    e
}

fn expected_end() -> Vec<u8> {
    let mut e = vec![b'9'];
    e.extend_from_slice(&[b' '; 119]);
    e
}

#[test]
fn request_file_is_byte_exact() {
    let recs = [record(1, 10_000), record(98_765_432_109, 1_070_000)];
    let file = write_request_file(&header(), &recs, &WriteOptions::default()).unwrap();
    let r = records_crlf(&file);
    assert_eq!(r.len(), 5);
    assert_eq!(r[0], expected_header().as_slice());
    assert_eq!(
        r[1],
        expected_data("00000000000000000001", "0000010000", b'0').as_slice()
    );
    assert_eq!(
        r[2],
        expected_data("00000000098765432109", "0001070000", b'0').as_slice()
    );
    assert_eq!(
        r[3],
        expected_trailer(
            "000002",
            "000001080000",
            &["000000", "000000000000", "000000", "000000000000"]
        )
        .as_slice()
    );
    assert_eq!(r[4], expected_end().as_slice());

    // The same file without line breaks is the plain concatenation.
    let plain = write_request_file(
        &header(),
        &recs,
        &WriteOptions {
            line_ending: LineEnding::None,
        },
    )
    .unwrap();
    assert_eq!(plain, r.concat());
}

#[test]
fn field_offsets_match_reference_positions() {
    let recs = [record(42, 1_234_567_890)];
    let file = write_request_file(
        &header(),
        &recs,
        &WriteOptions {
            line_ending: LineEnding::None,
        },
    )
    .unwrap();
    let h = &file[0..120];
    let d = &file[120..240];
    let t = &file[240..360];
    let e = &file[360..480];
    assert_eq!(file.len(), 480);
    // Header
    assert_eq!(&h[0..1], b"1");
    assert_eq!(&h[1..3], b"91"); // 2-3
    assert_eq!(&h[3..4], b"0"); // 4
    assert_eq!(&h[4..14], b"1234567890"); // 5-14
    assert_eq!(&h[14..22], sjis("ｷﾖｳｻｲｷｷﾝ").as_slice()); // 15-
    assert!(h[22..54].iter().all(|&b| b == b' ')); // padding to 54
    assert_eq!(&h[54..58], b"0427"); // 55-58
    assert_eq!(&h[58..62], b"0005"); // 59-62
    assert_eq!(&h[62..70], sjis("ﾐﾂﾋﾞｼUFJ").as_slice()); // 63-
    assert_eq!(&h[77..80], b"001"); // 78-80
    assert_eq!(&h[80..84], sjis("ﾎﾝﾃﾝ").as_slice()); // 81-
    assert_eq!(h[95], b'1'); // 96
    assert_eq!(&h[96..103], b"0123456"); // 97-103
    // Data
    assert_eq!(&d[1..5], b"9900"); // 2-5
    assert_eq!(&d[20..23], b"019"); // 21-23
    assert_eq!(&d[38..42], b"    "); // 39-42
    assert_eq!(d[42], b'1'); // 43
    assert_eq!(&d[43..50], b"7654321"); // 44-50
    assert_eq!(&d[50..58], sjis("ﾔﾏﾀﾞ ﾀﾛｳ").as_slice()); // 51-
    // Hand-computed JIS X 0201: ﾔ ﾏ ﾀ ﾞ SP ﾀ ﾛ ｳ, then padding to 80.
    assert_eq!(
        &d[50..58],
        &[0xD4, 0xCF, 0xC0, 0xDE, 0x20, 0xC0, 0xDB, 0xB3]
    );
    assert!(d[58..80].iter().all(|&b| b == b' '));
    assert_eq!(&d[80..90], b"1234567890"); // 81-90
    assert_eq!(d[90], b'1'); // 91
    assert_eq!(&d[91..111], b"00000000000000000042"); // 92-111
    assert_eq!(d[111], b'0'); // 112 振替結果コード
    assert_eq!(&d[112..120], b"        "); // 113-120
    // Trailer
    assert_eq!(&t[1..7], b"000001"); // 2-7
    assert_eq!(&t[7..19], b"001234567890"); // 8-19
    assert_eq!(&t[19..55], b"000000000000000000000000000000000000"); // 20-55
    // End
    assert_eq!(e[0], b'9');
    assert!(e[1..].iter().all(|&b| b == b' '));
}

#[test]
fn result_file_is_byte_exact_and_parses() {
    let recs = [
        record(1, 10_000),
        record(2, 20_000),
        record(3, 30_000),
        record(4, 5),
    ];
    let req = write_request_file(&header(), &recs, &WriteOptions::default()).unwrap();
    let parsed = parse_file(&req, Expectation::Request).unwrap();
    let out = make_result_file(
        &parsed,
        |r| match r.customer_number.to_u64() {
            Some(2) => ResultCode::InsufficientFunds,
            Some(4) => ResultCode::StoppedByOriginator,
            _ => ResultCode::Collected,
        },
        &WriteOptions::default(),
    );
    let r = records_crlf(&out);
    assert_eq!(r.len(), 7);
    assert_eq!(r[0], expected_header().as_slice());
    assert_eq!(r[1][111], b'0');
    assert_eq!(r[2][111], b'1');
    assert_eq!(r[3][111], b'0');
    assert_eq!(r[4][111], b'8');
    assert_eq!(
        r[2],
        expected_data("00000000000000000002", "0000020000", b'1').as_slice()
    );
    assert_eq!(
        r[5],
        expected_trailer(
            "000004",
            "000000060005",
            &["000002", "000000040000", "000002", "000000020005"]
        )
        .as_slice()
    );
    assert_eq!(r[6], expected_end().as_slice());

    let result = parse_file(&out, Expectation::Result).unwrap();
    let codes: Vec<_> = result.records().iter().map(|r| r.result_code).collect();
    assert_eq!(
        codes,
        vec![
            Some(ResultCode::Collected),
            Some(ResultCode::InsufficientFunds),
            Some(ResultCode::Collected),
            Some(ResultCode::StoppedByOriginator)
        ]
    );
    assert_eq!(result.trailer().collected_amount, 40_000);
    assert_eq!(result.trailer().failed_count, 2);
    // A result file is not a valid request file (codes and totals filled).
    assert!(parse_file(&out, Expectation::Request).is_err());
}

#[test]
fn writing_is_deterministic() {
    let recs: Vec<_> = (0..50).map(|i| record(i, i as i64 * 1000)).collect();
    let a = write_request_file(&header(), &recs, &WriteOptions::default()).unwrap();
    let b = write_request_file(&header(), &recs, &WriteOptions::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn header_without_originator_account_is_blank() {
    let mut h = header();
    h.account = None;
    let file = write_request_file(&h, &[], &WriteOptions::default()).unwrap();
    assert_eq!(&file[95..120], &[b' '; 25]);
    let parsed = parse_file(&file, Expectation::Request).unwrap();
    assert_eq!(parsed.header(), &h);
    assert!(parsed.records().is_empty());
}

#[test]
fn transfer_file_is_byte_exact() {
    use kyosai_zengin::debit::{DebitDate, NewCode};
    use kyosai_zengin::transfer::{
        TransferAccountType, TransferCategory, TransferHeader, TransferRecord, write_transfer_file,
    };
    use kyosai_zengin::{Digits, ZenginText};
    let h = TransferHeader {
        originator_code: Digits::new("1234567890").unwrap(),
        originator_name: ZenginText::new("ｷﾖｳｻｲｷｷﾝ").unwrap(),
        transfer_date: DebitDate::new(4, 27).unwrap(),
        bank_code: Digits::new("0005").unwrap(),
        bank_name: ZenginText::new("ﾐﾂﾋﾞｼUFJ").unwrap(),
        branch_code: Digits::new("001").unwrap(),
        branch_name: ZenginText::new("ﾎﾝﾃﾝ").unwrap(),
        account_type: TransferAccountType::Ordinary,
        account_number: Digits::new("0123456").unwrap(),
    };
    let rec = TransferRecord {
        bank_code: Digits::new("9900").unwrap(),
        bank_name: ZenginText::new("ﾕｳﾁﾖ").unwrap(),
        branch_code: Digits::new("019").unwrap(),
        branch_name: ZenginText::new("ｾﾞﾛｲﾁｷﾕｳ").unwrap(),
        clearing_house: None,
        account_type: TransferAccountType::Savings,
        account_number: Digits::new("7654321").unwrap(),
        payee_name: ZenginText::new("ﾔﾏﾀﾞ ﾀﾛｳ").unwrap(),
        amount: 1_070_000,
        new_code: NewCode::Other,
        customer_code1: Some(Digits::from_u64(77).unwrap()),
        customer_code2: None,
        category: Some(TransferCategory::Telegraphic),
    };
    let file = write_transfer_file(&h, &[rec, rec], &WriteOptions::default()).unwrap();
    let r = records_crlf(&file);
    assert_eq!(r.len(), 5);
    let mut want_h = expected_header();
    want_h[1..3].copy_from_slice(b"21");
    assert_eq!(r[0], want_h.as_slice());
    let mut d = Vec::new();
    d.extend_from_slice(b"2"); // 1
    d.extend_from_slice(b"9900"); // 2-5
    d.extend(c_field("ﾕｳﾁﾖ", 15)); // 6-20
    d.extend_from_slice(b"019"); // 21-23
    d.extend(c_field("ｾﾞﾛｲﾁｷﾕｳ", 15)); // 24-38
    d.extend_from_slice(b"    "); // 39-42 手形交換所番号
    d.extend_from_slice(b"4"); // 43
    d.extend_from_slice(b"7654321"); // 44-50
    d.extend(c_field("ﾔﾏﾀﾞ ﾀﾛｳ", 30)); // 51-80
    d.extend_from_slice(b"0001070000"); // 81-90
    d.extend_from_slice(b"0"); // 91
    d.extend_from_slice(b"0000000077"); // 92-101
    d.extend_from_slice(b"          "); // 102-111
    d.extend_from_slice(b"7"); // 112 振込指定区分
    d.extend_from_slice(b" "); // 113 識別表示
    d.extend_from_slice(&[b' '; 7]); // 114-120
    assert_eq!(d.len(), 120);
    assert_eq!(r[1], d.as_slice());
    let mut t = Vec::new();
    t.extend_from_slice(b"8000002000002140000");
    t.extend_from_slice(&[b' '; 101]);
    assert_eq!(r[3], t.as_slice());
    assert_eq!(r[4], expected_end().as_slice());
}
