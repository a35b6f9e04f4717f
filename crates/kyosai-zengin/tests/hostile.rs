//! Malformed and hostile input: every problem reported, nothing partial.
#![expect(clippy::unwrap_used, reason = "test helpers and proptest closures")]

mod common;

use common::{header, record};
use kyosai_zengin::debit::{
    Expectation, LineEnding, MAX_AMOUNT, RequestWriter, WriteError, WriteOptions, parse_file,
    write_request_file,
};
use kyosai_zengin::report::{FileReport, ProblemCode};
use proptest::prelude::*;

fn valid(n: u64, ending: LineEnding) -> Vec<u8> {
    let recs: Vec<_> = (1..=n).map(|i| record(i, 1000 * i as i64)).collect();
    write_request_file(
        &header(),
        &recs,
        &WriteOptions {
            line_ending: ending,
        },
    )
    .unwrap()
}

fn report(bytes: &[u8]) -> FileReport {
    parse_file(bytes, Expectation::Request).unwrap_err()
}

fn codes(r: &FileReport) -> Vec<&'static str> {
    r.problems.iter().map(|p| p.code.as_str()).collect()
}

#[test]
fn valid_files_parse_with_both_framings() {
    for ending in [LineEnding::Crlf, LineEnding::None] {
        let f = parse_file(&valid(3, ending), Expectation::Request).unwrap();
        assert_eq!(f.records().len(), 3);
        assert_eq!(f.trailer().total_amount, 6000);
    }
    // CRLF file whose last record lacks the final CRLF is accepted.
    let mut v = valid(2, LineEnding::Crlf);
    v.truncate(v.len() - 2);
    assert!(parse_file(&v, Expectation::Request).is_ok());
}

#[test]
fn empty_file() {
    let r = report(b"");
    assert_eq!(codes(&r), vec!["empty"]);
}

#[test]
fn truncated_file() {
    let v = valid(2, LineEnding::None);
    let r = report(&v[..300]); // header, data, 60 bytes of data
    assert!(r.has(ProblemCode::RecordLength));
    assert!(r.has(ProblemCode::Sequence)); // no trailer
    let p = r
        .problems
        .iter()
        .find(|p| p.code == ProblemCode::RecordLength)
        .unwrap();
    assert_eq!((p.record, p.offset), (3, 240));
    assert!(p.message.contains("60バイト"), "{}", p.message);
}

#[test]
fn records_of_121_bytes() {
    // Each record gets one extra byte and no line break.
    let v = valid(1, LineEnding::None);
    let mut bad = Vec::new();
    for rec in v.chunks(120) {
        bad.extend_from_slice(rec);
        bad.push(b' ');
    }
    let r = report(&bad);
    assert!(r.has(ProblemCode::RecordLength));
    // With CRLF framing a 121-byte line is reported by record number.
    let mut bad = Vec::new();
    for rec in v.chunks(120) {
        bad.extend_from_slice(rec);
        bad.extend_from_slice(b" \r\n");
    }
    let r = report(&bad);
    let lens: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.code == ProblemCode::RecordLength)
        .map(|p| (p.record, p.offset))
        .collect();
    assert_eq!(lens, vec![(1, 0), (2, 123), (3, 246), (4, 369)]);
    assert!(r.problems[0].message.contains("121バイト"));
}

#[test]
fn lf_only_and_cr_only_are_rejected() {
    let v = valid(1, LineEnding::Crlf);
    let lf: Vec<u8> = v.iter().copied().filter(|&b| b != b'\r').collect();
    let r = report(&lf);
    let le: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.code == ProblemCode::LineEnding)
        .map(|p| (p.record, p.offset, p.column))
        .collect();
    assert_eq!(
        le,
        vec![(1, 120, 121), (2, 241, 121), (3, 362, 121), (4, 483, 121)]
    );
    assert!(r.problems[0].message.contains("LFのみ"));

    let cr: Vec<u8> = v.iter().copied().filter(|&b| b != b'\n').collect();
    let r = report(&cr);
    assert_eq!(
        r.problems
            .iter()
            .filter(|p| p.code == ProblemCode::LineEnding)
            .count(),
        4
    );
    assert!(r.problems[0].message.contains("CRのみ"));
}

#[test]
fn kanji_bytes_in_name() {
    let mut v = valid(1, LineEnding::None);
    // 預金者名 starts at position 51 of record 2 (file offset 120 + 50).
    v[170] = 0x8E; // 山 in Shift_JIS
    v[171] = 0x52;
    let r = report(&v);
    assert_eq!(codes(&r), vec!["character"]);
    let p = &r.problems[0];
    assert_eq!(
        (p.record, p.column, p.offset, p.field),
        (2, 51, 170, "預金者名")
    );
    assert!(p.message.contains("「山」"), "{}", p.message);
}

#[test]
fn nul_bytes_and_small_kana() {
    let mut v = valid(1, LineEnding::None);
    v[119] = 0; // header filler position 120
    v[120 + 5] = 0xAF; // ｯ in 引落銀行名 (position 6)
    v[240 + 100] = 0; // trailer filler
    let r = report(&v);
    let got: Vec<_> = r
        .problems
        .iter()
        .map(|p| (p.code.as_str(), p.record, p.column, p.field))
        .collect();
    assert_eq!(
        got,
        vec![
            ("character", 1, 120, "ダミー"),
            ("character", 2, 6, "引落銀行名"),
            ("character", 3, 101, "ダミー"),
        ]
    );
}

#[test]
fn bank_name_rejects_party_symbols() {
    let mut v = valid(1, LineEnding::None);
    v[120 + 5] = b'(';
    let r = report(&v);
    assert_eq!(codes(&r), vec!["character"]);
}

#[test]
fn totals_off_by_one_yen() {
    let mut v = valid(2, LineEnding::None);
    // Trailer is record 4 (offset 360); 合計金額 at positions 8–19.
    assert_eq!(&v[367..379], b"000000003000");
    v[378] = b'1';
    let r = report(&v);
    assert_eq!(codes(&r), vec!["trailer_total"]);
    let p = &r.problems[0];
    assert_eq!(
        (p.record, p.column, p.offset, p.field),
        (4, 8, 367, "合計金額")
    );
    assert!(p.message.contains("3001") && p.message.contains("3000"));
}

#[test]
fn count_mismatch() {
    let mut v = valid(2, LineEnding::None);
    v[366] = b'3';
    let r = report(&v);
    assert_eq!(codes(&r), vec!["trailer_total"]);
    assert_eq!(r.problems[0].field, "合計件数");
}

#[test]
fn non_numeric_fields_and_unknown_codes() {
    let mut v = valid(1, LineEnding::None);
    v[120 + 85] = b'A'; // 引落金額 (81–90) position 86
    v[120 + 42] = b'5'; // 預金種目 5
    v[120 + 90] = b'7'; // 新規コード 7
    v[54] = b'1'; // 引落日 1327
    v[55] = b'3';
    let r = report(&v);
    let got: Vec<_> = r
        .problems
        .iter()
        .map(|p| (p.code.as_str(), p.record, p.column))
        .collect();
    assert_eq!(
        got,
        vec![
            ("field_value", 1, 55),
            ("field_value", 2, 43),
            ("numeric_field", 2, 86),
            ("field_value", 2, 91),
        ]
    );
}

#[test]
fn unknown_record_type_and_bad_order() {
    let v = valid(2, LineEnding::None);
    let recs: Vec<&[u8]> = v.chunks(120).collect();
    // Data before header.
    let swapped = [recs[1], recs[0], recs[2], recs[3], recs[4]].concat();
    let r = report(&swapped);
    assert!(r.has(ProblemCode::Sequence));
    assert_eq!(r.problems[0].record, 1);
    // Record after end.
    let after = [&v[..], recs[1]].concat();
    let r = report(&after);
    assert_eq!(codes(&r), vec!["sequence"]);
    assert_eq!(r.problems[0].record, 6);
    // Missing end.
    let r = report(&v[..480]);
    assert_eq!(codes(&r), vec!["sequence"]);
    assert!(r.problems[0].message.contains("エンドレコード"));
    // Unknown データ区分.
    let mut bad = v.clone();
    bad[120] = b'3';
    let r = report(&bad);
    assert!(r.has(ProblemCode::RecordType));
    assert!(!r.has(ProblemCode::TrailerTotal), "{r}");
    // Two headers.
    let two = [recs[0], &v[..]].concat();
    assert!(report(&two).has(ProblemCode::Sequence));
    // Wrong 種別コード and EBCDIC.
    let mut bad = v.clone();
    bad[1] = b'2';
    bad[2] = b'1';
    bad[3] = b'1';
    let r = report(&bad);
    assert_eq!(codes(&r), vec!["field_value", "field_value"]);
}

#[test]
fn result_code_checks() {
    let mut v = valid(1, LineEnding::None);
    v[120 + 111] = b'1';
    let r = report(&v);
    assert_eq!(codes(&r), vec!["result_code"]);
    assert_eq!(r.problems[0].column, 112);

    // A blank result code is fine in a request.
    let mut v = valid(1, LineEnding::None);
    v[120 + 111] = b' ';
    assert!(parse_file(&v, Expectation::Request).is_ok());
    // ...but not in a result file.
    let r = parse_file(&v, Expectation::Result).unwrap_err();
    assert!(r.has(ProblemCode::ResultCode));

    // Unknown code 5 in a result file.
    let mut v = valid(1, LineEnding::None);
    v[120 + 111] = b'5';
    let r = parse_file(&v, Expectation::Result).unwrap_err();
    assert!(r.has(ProblemCode::ResultCode));
    assert!(r.problems[0].message.contains("「5」"));
}

#[test]
fn result_trailer_totals_are_checked() {
    // Request file read as a result file: codes are 0 → collected, but the
    // trailer says nothing was collected.
    let v = valid(2, LineEnding::None);
    let r = parse_file(&v, Expectation::Result).unwrap_err();
    let fields: Vec<_> = r.problems.iter().map(|p| p.field).collect();
    assert_eq!(fields, vec!["振替済件数", "振替済金額"]);
    // Request trailer with result totals filled is rejected.
    let mut v = valid(1, LineEnding::None);
    v[240 + 24] = b'1';
    assert!(report(&v).has(ProblemCode::TrailerTotal));
}

#[test]
fn many_problems_are_all_listed() {
    let mut v = valid(5, LineEnding::None);
    for i in 0..5 {
        v[120 * (i + 1) + 50] = 0x00;
    }
    let r = report(&v);
    let recs: Vec<_> = r.problems.iter().map(|p| p.record).collect();
    assert_eq!(recs, vec![2, 3, 4, 5, 6]);
    assert!(r.to_string().contains("5件の問題"));
}

#[test]
fn garbage_is_capped_not_exploding() {
    let garbage = vec![0u8; 120 * 20_000];
    let r = report(&garbage);
    assert_eq!(r.problems.len(), kyosai_zengin::report::MAX_PROBLEMS);
    assert!(r.omitted > 0);
}

#[test]
fn writer_rejects_bad_amounts_and_overflow() {
    let h = header();
    let opts = WriteOptions::default();
    assert_eq!(
        write_request_file(&h, &[record(1, -1)], &opts),
        Err(WriteError::AmountOutOfRange {
            record: 1,
            amount: -1
        })
    );
    assert!(write_request_file(&h, &[record(1, MAX_AMOUNT)], &opts).is_ok());
    assert!(matches!(
        write_request_file(&h, &[record(1, 1), record(2, MAX_AMOUNT + 1)], &opts),
        Err(WriteError::AmountOutOfRange { record: 2, .. })
    ));
    let mut w = RequestWriter::new(&h, &opts, 0).unwrap();
    for i in 0..99 {
        w.push(&record(i, MAX_AMOUNT)).unwrap();
    }
    // 99 × 9,999,999,999 fits in 12 digits; 101 would not.
    w.push(&record(100, MAX_AMOUNT)).unwrap();
    assert_eq!(
        w.push(&record(101, MAX_AMOUNT)),
        Err(WriteError::TotalOverflow)
    );
    assert_eq!(w.len(), 100);
    let bytes = w.finish();
    let f = parse_file(&bytes, Expectation::Request).unwrap();
    assert_eq!(f.trailer().total_amount, 100 * MAX_AMOUNT);
}

#[test]
fn too_many_records() {
    let h = header();
    let mut w = RequestWriter::new(&h, &WriteOptions::default(), 0).unwrap();
    let r = record(1, 0);
    for _ in 0..999_999 {
        w.push(&r).unwrap();
    }
    assert_eq!(w.push(&r), Err(WriteError::TooManyRecords));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        let _ = parse_file(&bytes, Expectation::Request);
        let _ = parse_file(&bytes, Expectation::Result);
    }

    #[test]
    fn single_byte_corruption_is_reported_or_harmless(
        pos in 0usize..610,
        byte in any::<u8>(),
        crlf in any::<bool>(),
    ) {
        let ending = if crlf { LineEnding::Crlf } else { LineEnding::None };
        let v = valid(3, ending);
        let pos = pos % v.len();
        let mut bad = v.clone();
        bad[pos] = byte;
        match parse_file(&bad, Expectation::Request) {
            // Accepted only if the change is one the format cannot see
            // (e.g. a different kana, digit or filler character).
            Ok(f) => prop_assert_eq!(f.records().len(), 3),
            Err(r) => prop_assert!(!r.problems.is_empty()),
        }
    }
}
