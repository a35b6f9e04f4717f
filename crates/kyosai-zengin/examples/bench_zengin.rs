//! Rough throughput of the 91 writer and parser.
//!
//! Run: `cargo run --release -p kyosai-zengin --example bench_zengin [records]`
//! (default 1,000,000 records, split into files of 250,000 because one file
//! holds at most 999,999). Prints records/s; not a test.

use std::hint::black_box;
use std::time::Instant;

use kyosai_zengin::debit::{
    AccountType, DataRecord, DebitDate, Expectation, Header, LineEnding, NewCode, ResultCode,
    WriteOptions, make_result_file, parse_file, write_request_file,
};
use kyosai_zengin::{Digits, ZenginText};

const PER_FILE: usize = 250_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 1_000_000,
    };
    let header = Header {
        originator_code: Digits::new("1234567890")?,
        originator_name: ZenginText::new("ﾄﾞｸ)ﾁﾕｳｼﾖｳｷｷﾞﾖｳｷﾊﾞﾝｾｲﾋﾞｷｺｳ")?,
        debit_date: DebitDate::new(4, 27)?,
        bank_code: Digits::new("0005")?,
        bank_name: ZenginText::new("ﾐﾂﾋﾞｼUFJ")?,
        branch_code: Digits::new("001")?,
        branch_name: ZenginText::new("ﾎﾝﾃﾝ")?,
        account: None,
    };
    let names = ["ﾔﾏﾀﾞ ﾀﾛｳ", "ｶ)ｽｽﾞｷｼﾖｳﾃﾝ", "ﾀﾅｶ ﾊﾅｺ", "ｻﾄｳ ｹﾝｲﾁ"];
    let holder: Vec<_> = names
        .iter()
        .map(|n| ZenginText::new(n))
        .collect::<Result<_, _>>()?;

    // Build records (what billing does from database rows).
    let t0 = Instant::now();
    let mut records = Vec::with_capacity(total);
    for i in 0..total {
        records.push(DataRecord {
            bank_code: Digits::from_u64((i % 2000) as u64)?,
            bank_name: ZenginText::new("ﾐｽﾞﾎ")?,
            branch_code: Digits::from_u64((i % 999) as u64)?,
            branch_name: ZenginText::new("ｼﾌﾞﾔ")?,
            account_type: AccountType::Ordinary,
            account_number: Digits::from_u64((i * 7 % 9_999_999) as u64)?,
            holder_name: holder[i % holder.len()],
            amount: 1_000 + (i % 70_000) as i64,
            new_code: NewCode::Other,
            customer_number: Digits::from_u64(i as u64)?,
            result_code: None,
        });
    }
    let build = t0.elapsed();

    let opts = WriteOptions {
        line_ending: LineEnding::Crlf,
    };
    let t1 = Instant::now();
    let mut files = Vec::new();
    for chunk in records.chunks(PER_FILE) {
        files.push(write_request_file(&header, chunk, &opts)?);
    }
    let write = t1.elapsed();
    let bytes: usize = files.iter().map(Vec::len).sum();

    let t2 = Instant::now();
    let mut parsed = Vec::new();
    for f in &files {
        parsed.push(parse_file(f, Expectation::Request).map_err(|r| r.to_string())?);
    }
    let parse = t2.elapsed();
    let n: usize = parsed.iter().map(|f| f.records().len()).sum();
    assert_eq!(n, total);

    let t3 = Instant::now();
    let mut results = Vec::new();
    for f in &parsed {
        results.push(make_result_file(
            f,
            |r| {
                if r.amount % 17 == 0 {
                    ResultCode::InsufficientFunds
                } else {
                    ResultCode::Collected
                }
            },
            &opts,
        ));
    }
    let make = t3.elapsed();

    let t4 = Instant::now();
    for f in &results {
        black_box(parse_file(f, Expectation::Result).map_err(|r| r.to_string())?);
    }
    let parse_result = t4.elapsed();

    let rate = |d: std::time::Duration| total as f64 / d.as_secs_f64();
    println!(
        "records: {total} in {} files, {:.1} MiB",
        files.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "build DataRecord : {:>8.1} ms  {:>12.0} records/s",
        build.as_secs_f64() * 1e3,
        rate(build)
    );
    println!(
        "write request    : {:>8.1} ms  {:>12.0} records/s",
        write.as_secs_f64() * 1e3,
        rate(write)
    );
    println!(
        "parse request    : {:>8.1} ms  {:>12.0} records/s",
        parse.as_secs_f64() * 1e3,
        rate(parse)
    );
    println!(
        "make result file : {:>8.1} ms  {:>12.0} records/s",
        make.as_secs_f64() * 1e3,
        rate(make)
    );
    println!(
        "parse result     : {:>8.1} ms  {:>12.0} records/s",
        parse_result.as_secs_f64() * 1e3,
        rate(parse_result)
    );
    Ok(())
}
