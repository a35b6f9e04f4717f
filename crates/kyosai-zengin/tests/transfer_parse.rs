//! 総合振込 (種別 21) parser: writer → parser round trip, and hostile input
//! each reported with its stable code, record and column.
#![expect(clippy::unwrap_used, reason = "test helpers and proptest closures")]

mod common;

use common::{c_field, sjis};
use kyosai_zengin::debit::{DebitDate, LineEnding, MAX_AMOUNT, NewCode, WriteOptions};
use kyosai_zengin::report::{FileReport, Problem, ProblemCode};
use kyosai_zengin::text::Charset;
use kyosai_zengin::transfer::{
    NumberedTransferRecord, TransferAccountType, TransferCategory, TransferHeader, TransferRecord,
    parse_transfer_file, write_transfer_file,
};
use kyosai_zengin::{Digits, ZenginText};
use proptest::prelude::*;

// ------------------------------------------------------------ fixtures

fn header() -> TransferHeader {
    TransferHeader {
        originator_code: Digits::new("1234567890").unwrap(),
        originator_name: ZenginText::new("ｷﾖｳｻｲｷｷﾝ").unwrap(),
        transfer_date: DebitDate::new(4, 27).unwrap(),
        bank_code: Digits::new("0005").unwrap(),
        bank_name: ZenginText::new("ﾐﾂﾋﾞｼUFJ").unwrap(),
        branch_code: Digits::new("001").unwrap(),
        branch_name: ZenginText::new("ﾎﾝﾃﾝ").unwrap(),
        account_type: TransferAccountType::Ordinary,
        account_number: Digits::new("0123456").unwrap(),
    }
}

fn payee(i: u64, amount: i64) -> TransferRecord {
    TransferRecord {
        bank_code: Digits::new("9900").unwrap(),
        bank_name: ZenginText::new("ﾕｳﾁﾖ").unwrap(),
        branch_code: Digits::new("019").unwrap(),
        branch_name: ZenginText::new("ｾﾞﾛｲﾁｷﾕｳ").unwrap(),
        clearing_house: None,
        account_type: TransferAccountType::Ordinary,
        account_number: Digits::new("7654321").unwrap(),
        payee_name: ZenginText::new("ﾔﾏﾀﾞ ﾀﾛｳ").unwrap(),
        amount,
        new_code: NewCode::Other,
        customer_code1: Some(Digits::from_u64(i).unwrap()),
        customer_code2: None,
        category: Some(TransferCategory::Telegraphic),
    }
}

/// A valid file: header, `n` data records of 1,000 × i yen, trailer, end.
fn valid(n: u64, ending: LineEnding) -> Vec<u8> {
    let recs: Vec<_> = (1..=n).map(|i| payee(i, 1000 * i as i64)).collect();
    write_transfer_file(
        &header(),
        &recs,
        &WriteOptions {
            line_ending: ending,
        },
    )
    .unwrap()
}

/// The records of a file without line breaks, to mutate one by one.
fn records(file: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(file.len() % 120, 0);
    file.chunks(120).map(<[u8]>::to_vec).collect()
}

fn join(records: &[Vec<u8>]) -> Vec<u8> {
    records.concat()
}

/// Sets bytes at the 1-based `column` of record `rec` (1-based).
fn poke(recs: &mut [Vec<u8>], rec: usize, column: usize, bytes: &[u8]) {
    recs[rec - 1][column - 1..column - 1 + bytes.len()].copy_from_slice(bytes);
}

fn report(bytes: &[u8]) -> FileReport {
    parse_transfer_file(bytes).unwrap_err()
}

/// The only problem of the report (the test input has exactly one).
fn only(r: &FileReport) -> &Problem {
    assert_eq!(r.total(), 1, "{r}");
    &r.problems[0]
}

fn at(p: &Problem) -> (ProblemCode, usize, usize) {
    (p.code, p.record, p.column)
}

// ------------------------------------------------------------ valid files

#[test]
fn valid_file_gives_numbered_records_and_trailer() {
    for ending in [LineEnding::Crlf, LineEnding::None] {
        let f = parse_transfer_file(&valid(3, ending)).unwrap();
        assert_eq!(f.header(), &header());
        let numbers: Vec<usize> = f.records().iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![2, 3, 4]);
        assert_eq!(f.records()[2].record, payee(3, 3000));
        assert_eq!(f.trailer().record_count, 3);
        assert_eq!(f.trailer().total_amount, 6000);
    }
    // A CRLF file whose last record lacks the final CRLF is accepted.
    let mut v = valid(2, LineEnding::Crlf);
    v.truncate(v.len() - 2);
    assert_eq!(parse_transfer_file(&v).unwrap().records().len(), 2);
}

#[test]
fn blank_optional_fields_read_as_none() {
    let mut r = payee(1, 500);
    r.clearing_house = Some(Digits::new("1234").unwrap());
    r.customer_code1 = None;
    r.customer_code2 = Some(Digits::new("42").unwrap());
    r.category = None;
    r.account_type = TransferAccountType::Savings;
    r.new_code = NewCode::Changed;
    let bytes = write_transfer_file(&header(), &[r], &WriteOptions::default()).unwrap();
    let (_, recs, _) = parse_transfer_file(&bytes).unwrap().into_parts();
    assert_eq!(
        recs,
        vec![NumberedTransferRecord {
            number: 2,
            record: r
        }]
    );
}

// ------------------------------------------------------------ hostile input

#[test]
fn empty_file() {
    let r = report(b"");
    assert_eq!(at(only(&r)), (ProblemCode::Empty, 1, 0));
}

#[test]
fn record_of_wrong_length() {
    // CRLF framing, data record one byte short.
    let v = valid(2, LineEnding::Crlf);
    let mut bad = v[..122].to_vec();
    bad.extend_from_slice(&v[122..241]);
    bad.extend_from_slice(b"\r\n");
    bad.extend_from_slice(&v[244..]);
    let r = report(&bad);
    let p = r
        .problems
        .iter()
        .find(|p| p.code == ProblemCode::RecordLength)
        .unwrap();
    assert_eq!((p.record, p.column, p.offset), (2, 0, 122));
    assert!(p.message.contains("119バイト"), "{}", p.message);
    // The short record still counts as a data record: the trailer count
    // does not add a second, misleading problem.
    assert!(!r.has(ProblemCode::TrailerTotal), "{r}");
    // Without line breaks a file that is not a multiple of 120 is reported.
    let v = valid(1, LineEnding::None);
    let r = report(&v[..v.len() - 1]);
    let p = r
        .problems
        .iter()
        .find(|p| p.code == ProblemCode::RecordLength)
        .unwrap();
    assert_eq!((p.record, p.offset), (4, 360));
}

#[test]
fn lf_only_line_breaks() {
    let v = valid(1, LineEnding::None);
    let mut bad = Vec::new();
    for rec in v.chunks(120) {
        bad.extend_from_slice(rec);
        bad.push(b'\n');
    }
    let r = report(&bad);
    let lf: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.code == ProblemCode::LineEnding)
        .collect();
    assert_eq!(lf.len(), 4, "{r}");
    assert_eq!((lf[0].record, lf[0].column, lf[0].offset), (1, 121, 120));
    assert_eq!((lf[3].record, lf[3].offset), (4, 3 * 121 + 120));
    assert!(lf[0].message.contains("LFのみ"));
}

#[test]
fn data_record_after_trailer() {
    let mut recs = records(&valid(2, LineEnding::None));
    let stray = recs[1].clone();
    recs.insert(4, stray); // header, data, data, trailer, [data], end
    let r = report(&join(&recs));
    // Reported once, where it is; not added to the trailer's totals.
    assert_eq!(at(only(&r)), (ProblemCode::Sequence, 5, 1));
    assert!(r.problems[0].message.contains("トレーラーレコードの後"));
}

#[test]
fn debit_file_has_the_wrong_type_code() {
    use kyosai_zengin::debit::{
        AccountType, DataRecord, Header, OriginatorAccount, write_request_file,
    };
    let h = Header {
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
    };
    let d = DataRecord {
        bank_code: Digits::new("9900").unwrap(),
        bank_name: ZenginText::new("ﾕｳﾁﾖ").unwrap(),
        branch_code: Digits::new("019").unwrap(),
        branch_name: ZenginText::new("ｾﾞﾛｲﾁｷﾕｳ").unwrap(),
        account_type: AccountType::Ordinary,
        account_number: Digits::new("7654321").unwrap(),
        holder_name: ZenginText::new("ﾔﾏﾀﾞ ﾀﾛｳ").unwrap(),
        amount: 1000,
        new_code: NewCode::First,
        customer_number: Digits::from_u64(1).unwrap(),
        result_code: None,
    };
    let bytes = write_request_file(&h, &[d], &WriteOptions::default()).unwrap();
    let r = report(&bytes);
    let first = &r.problems[0];
    assert_eq!(at(first), (ProblemCode::FieldValue, 1, 2));
    assert_eq!(first.field, "種別コード");
    assert!(first.message.contains("「91」"), "{}", first.message);
    // Its data record's result code (column 112, '0') is no 振込指定区分.
    assert!(
        r.problems
            .iter()
            .any(|p| at(p) == (ProblemCode::FieldValue, 2, 112)),
        "{r}"
    );
}

#[test]
fn non_digit_amount() {
    let mut recs = records(&valid(2, LineEnding::None));
    poke(&mut recs, 3, 85, b"A");
    let r = report(&join(&recs));
    // One problem: the unreadable amount makes no trailer-total noise.
    let p = only(&r);
    assert_eq!(at(p), (ProblemCode::NumericField, 3, 85));
    assert_eq!(p.field, "振込金額");
    assert_eq!(p.offset, 2 * 120 + 84);
}

#[test]
fn trailer_total_off_by_one() {
    let mut recs = records(&valid(2, LineEnding::None));
    // 3,000 yen declared as 3,001.
    poke(&mut recs, 4, 8, b"000000003001");
    let r = report(&join(&recs));
    let p = only(&r);
    assert_eq!(at(p), (ProblemCode::TrailerTotal, 4, 8));
    assert!(p.message.contains("3001") && p.message.contains("3000"));
    // The count, likewise.
    let mut recs = records(&valid(2, LineEnding::None));
    poke(&mut recs, 4, 2, b"000003");
    assert_eq!(
        at(only(&report(&join(&recs)))),
        (ProblemCode::TrailerTotal, 4, 2)
    );
}

#[test]
fn lower_case_or_full_width_in_a_kana_field() {
    // Lower case in 受取人名.
    let mut recs = records(&valid(1, LineEnding::None));
    poke(&mut recs, 2, 53, b"a");
    let p = only(&report(&join(&recs))).clone();
    assert_eq!(at(&p), (ProblemCode::Character, 2, 53));
    assert_eq!(p.field, "受取人名");
    // A full-width (Shift_JIS double-byte) katakana in 被仕向支店名.
    let mut recs = records(&valid(1, LineEnding::None));
    poke(&mut recs, 2, 24, &sjis("ア"));
    let p = only(&report(&join(&recs))).clone();
    assert_eq!(at(&p), (ProblemCode::Character, 2, 24));
    assert!(p.message.contains("ア"), "{}", p.message);
    // A half-width small kana (ｧ) in 委託者名 is not allowed either.
    let mut recs = records(&valid(1, LineEnding::None));
    poke(&mut recs, 1, 15, &c_field("ｧ", 1));
    assert_eq!(
        at(only(&report(&join(&recs)))),
        (ProblemCode::Character, 1, 15)
    );
}

#[test]
fn edi_identification_y_is_refused() {
    let mut recs = records(&valid(1, LineEnding::None));
    poke(&mut recs, 2, 113, b"Y");
    // With Y, 92–111 hold EDI text: reported once, as the 識別表示.
    poke(&mut recs, 2, 92, b"INV-2026-11 ABC     ");
    let p = only(&report(&join(&recs))).clone();
    assert_eq!(at(&p), (ProblemCode::FieldValue, 2, 113));
    assert_eq!(p.field, "識別表示");
    assert!(p.message.contains("EDI"), "{}", p.message);
}

#[test]
fn missing_end_record() {
    let v = valid(1, LineEnding::Crlf);
    let cut = &v[..v.len() - 122];
    let p = only(&report(cut)).clone();
    assert_eq!(at(&p), (ProblemCode::Sequence, 4, 0));
    assert_eq!(p.offset, cut.len());
    assert!(p.message.contains("エンドレコード"));
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let mut recs = records(&valid(3, LineEnding::None));
    poke(&mut recs, 1, 96, b"4"); // 貯蓄 as the originator's account
    poke(&mut recs, 2, 43, b"3"); // 納税準備 is no 総合振込 account type
    poke(&mut recs, 3, 91, b"5"); // 新規コード
    poke(&mut recs, 4, 112, b"X"); // 振込指定区分
    poke(&mut recs, 4, 120, b"*"); // filler
    poke(&mut recs, 6, 2, b"Z"); // end-record filler
    let r = report(&join(&recs));
    let got: Vec<_> = r.problems.iter().map(at).collect();
    assert_eq!(
        got,
        vec![
            (ProblemCode::FieldValue, 1, 96),
            (ProblemCode::FieldValue, 2, 43),
            (ProblemCode::FieldValue, 3, 91),
            (ProblemCode::NumericField, 4, 112),
            (ProblemCode::Character, 4, 120),
        ],
        "{r}"
    );
    // 'Z' is allowed filler; a lower-case byte is not.
    poke(&mut recs, 6, 2, b"z");
    let r = report(&join(&recs));
    assert_eq!(
        at(r.problems.last().unwrap()),
        (ProblemCode::Character, 6, 2)
    );
}

// ------------------------------------------------------------ properties

fn text<const N: usize, C: Charset>() -> impl Strategy<Value = ZenginText<N, C>> {
    let allowed: Vec<u8> = (0u8..=255).filter(|&b| C::CLASS.allows_byte(b)).collect();
    proptest::collection::vec(proptest::sample::select(allowed), 0..=N).prop_map(|mut v| {
        v.resize(N, b' ');
        ZenginText::<N, C>::from_bytes(&v).unwrap()
    })
}

fn digits<const N: usize>() -> impl Strategy<Value = Digits<N>> {
    proptest::collection::vec(0u8..10, N).prop_map(|v| {
        let s: String = v.iter().map(|d| char::from(b'0' + d)).collect();
        Digits::<N>::new(&s).unwrap()
    })
}

fn header_strategy() -> impl Strategy<Value = TransferHeader> {
    (
        (digits::<10>(), text::<40, _>(), (1u8..=12, 1u8..=28)),
        (
            digits::<4>(),
            text::<15, _>(),
            digits::<3>(),
            text::<15, _>(),
        ),
        (
            prop_oneof![
                Just(TransferAccountType::Ordinary),
                Just(TransferAccountType::Current),
                Just(TransferAccountType::Other),
            ],
            digits::<7>(),
        ),
    )
        .prop_map(
            |((oc, on, (m, d)), (bc, bn, brc, brn), (at, an))| TransferHeader {
                originator_code: oc,
                originator_name: on,
                transfer_date: DebitDate::new(m, d).unwrap(),
                bank_code: bc,
                bank_name: bn,
                branch_code: brc,
                branch_name: brn,
                account_type: at,
                account_number: an,
            },
        )
}

fn record_strategy() -> impl Strategy<Value = TransferRecord> {
    (
        (
            digits::<4>(),
            text::<15, _>(),
            digits::<3>(),
            text::<15, _>(),
        ),
        (
            proptest::option::of(digits::<4>()),
            prop_oneof![
                Just(TransferAccountType::Ordinary),
                Just(TransferAccountType::Current),
                Just(TransferAccountType::Savings),
                Just(TransferAccountType::Other),
            ],
            digits::<7>(),
            text::<30, _>(),
        ),
        (
            0i64..=MAX_AMOUNT,
            prop_oneof![
                Just(NewCode::Other),
                Just(NewCode::First),
                Just(NewCode::Changed)
            ],
            proptest::option::of(digits::<10>()),
            proptest::option::of(digits::<10>()),
            proptest::option::of(prop_oneof![
                Just(TransferCategory::Telegraphic),
                Just(TransferCategory::Document)
            ]),
        ),
    )
        .prop_map(
            |((bc, bn, brc, brn), (ch, at, an, name), (amount, nc, c1, c2, cat))| TransferRecord {
                bank_code: bc,
                bank_name: bn,
                branch_code: brc,
                branch_name: brn,
                clearing_house: ch,
                account_type: at,
                account_number: an,
                payee_name: name,
                amount,
                new_code: nc,
                customer_code1: c1,
                customer_code2: c2,
                category: cat,
            },
        )
}

fn ending() -> impl Strategy<Value = LineEnding> {
    prop_oneof![Just(LineEnding::Crlf), Just(LineEnding::None)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The parser gives back exactly what the writer was given.
    #[test]
    fn writer_parser_round_trip(
        h in header_strategy(),
        recs in proptest::collection::vec(record_strategy(), 0..30),
        e in ending(),
    ) {
        let bytes = write_transfer_file(&h, &recs, &WriteOptions { line_ending: e }).unwrap();
        let f = parse_transfer_file(&bytes).unwrap();
        prop_assert_eq!(f.header(), &h);
        let back: Vec<TransferRecord> = f.records().iter().map(|r| r.record).collect();
        prop_assert_eq!(&back, &recs);
        let numbers: Vec<usize> = f.records().iter().map(|r| r.number).collect();
        prop_assert_eq!(numbers, (2..recs.len() + 2).collect::<Vec<_>>());
        prop_assert_eq!(f.trailer().record_count as usize, recs.len());
        prop_assert_eq!(f.trailer().total_amount, recs.iter().map(|r| r.amount).sum::<i64>());
    }

    /// Arbitrary bytes never panic: the parser answers with a report.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        let r = parse_transfer_file(&bytes);
        prop_assert!(r.is_err());
    }

    /// Random damage to a valid file never panics, and whatever it reports
    /// lies inside the file.
    #[test]
    fn damaged_files_never_panic(
        n in 0u64..4,
        e in ending(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut v = valid(n, e);
        for (i, b) in edits {
            let i = i.index(v.len());
            v[i] = b;
        }
        if truncate {
            v.truncate(cut.index(v.len() + 1));
        }
        if let Err(r) = parse_transfer_file(&v) {
            prop_assert!(r.total() > 0);
            for p in &r.problems {
                prop_assert!(p.offset <= v.len(), "{p}");
            }
        }
    }
}
