//! Property tests: any valid records → write → parse → equal.
#![expect(clippy::unwrap_used, reason = "test helpers and proptest closures")]

use kyosai_zengin::debit::{
    AccountType, DataRecord, DebitDate, Expectation, Header, LineEnding, MAX_AMOUNT, NewCode,
    OriginatorAccount, ResultCode, WriteOptions, make_result_file, parse_file, write_request_file,
};
use kyosai_zengin::text::Charset;
use kyosai_zengin::{Digits, ZenginText};
use proptest::prelude::*;

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

fn account_type() -> impl Strategy<Value = AccountType> {
    prop_oneof![
        Just(AccountType::Ordinary),
        Just(AccountType::Current),
        Just(AccountType::TaxReserve),
        Just(AccountType::Other),
    ]
}

fn header() -> impl Strategy<Value = Header> {
    (
        digits::<10>(),
        text::<40, _>(),
        (1u8..=12, 1u8..=28),
        digits::<4>(),
        text::<15, _>(),
        digits::<3>(),
        text::<15, _>(),
        proptest::option::of((
            prop_oneof![
                Just(AccountType::Ordinary),
                Just(AccountType::Current),
                Just(AccountType::Other)
            ],
            digits::<7>(),
        )),
    )
        .prop_map(|(oc, on, (m, d), bc, bn, brc, brn, acct)| Header {
            originator_code: oc,
            originator_name: on,
            debit_date: DebitDate::new(m, d).unwrap(),
            bank_code: bc,
            bank_name: bn,
            branch_code: brc,
            branch_name: brn,
            account: acct.map(|(account_type, account_number)| OriginatorAccount {
                account_type,
                account_number,
            }),
        })
}

fn record() -> impl Strategy<Value = DataRecord> {
    (
        (
            digits::<4>(),
            text::<15, _>(),
            digits::<3>(),
            text::<15, _>(),
        ),
        (account_type(), digits::<7>(), text::<30, _>()),
        (
            0i64..=MAX_AMOUNT,
            prop_oneof![
                Just(NewCode::Other),
                Just(NewCode::First),
                Just(NewCode::Changed)
            ],
            digits::<20>(),
        ),
    )
        .prop_map(
            |((bc, bn, brc, brn), (at, an, name), (amount, nc, cn))| DataRecord {
                bank_code: bc,
                bank_name: bn,
                branch_code: brc,
                branch_name: brn,
                account_type: at,
                account_number: an,
                holder_name: name,
                amount,
                new_code: nc,
                customer_number: cn,
                result_code: None,
            },
        )
}

fn ending() -> impl Strategy<Value = LineEnding> {
    prop_oneof![Just(LineEnding::Crlf), Just(LineEnding::None)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn request_round_trip(h in header(), recs in proptest::collection::vec(record(), 0..30), e in ending()) {
        let opts = WriteOptions { line_ending: e };
        let bytes = write_request_file(&h, &recs, &opts).unwrap();
        let per = if e == LineEnding::Crlf { 122 } else { 120 };
        prop_assert_eq!(bytes.len(), per * (recs.len() + 3));
        let f = parse_file(&bytes, Expectation::Request).unwrap();
        prop_assert_eq!(f.header(), &h);
        prop_assert_eq!(f.records(), &recs[..]);
        prop_assert_eq!(f.trailer().record_count as usize, recs.len());
        prop_assert_eq!(f.trailer().total_amount, recs.iter().map(|r| r.amount).sum::<i64>());
    }

    #[test]
    fn result_round_trip(
        h in header(),
        recs in proptest::collection::vec(record(), 0..30),
        codes in proptest::collection::vec(proptest::sample::select(ResultCode::ALL.to_vec()), 30),
        e in ending(),
    ) {
        let opts = WriteOptions { line_ending: e };
        let bytes = write_request_file(&h, &recs, &opts).unwrap();
        let req = parse_file(&bytes, Expectation::Request).unwrap();
        // The bill id (customer number) picks the result code.
        let pick = |r: &DataRecord| {
            let i = recs.iter().position(|x| x == r).unwrap();
            codes[i]
        };
        let out = make_result_file(&req, pick, &opts);
        let res = parse_file(&out, Expectation::Result).unwrap();
        prop_assert_eq!(res.header(), &h);
        prop_assert_eq!(res.records().len(), recs.len());
        let mut collected = 0i64;
        for (got, want) in res.records().iter().zip(&recs) {
            let code = pick(want);
            prop_assert_eq!(got.result_code, Some(code));
            prop_assert_eq!(&DataRecord { result_code: None, ..*got }, want);
            if code.is_collected() { collected += want.amount; }
        }
        let t = res.trailer();
        prop_assert_eq!(t.collected_amount, collected);
        prop_assert_eq!(t.collected_amount + t.failed_amount, t.total_amount);
        prop_assert_eq!(t.collected_count + t.failed_count, t.record_count);
    }
}
