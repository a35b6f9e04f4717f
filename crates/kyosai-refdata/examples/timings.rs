//! Prints the cost of the first (decompress + index) access to each dataset
//! and of typical look-ups. Run in release mode:
//!
//! ```sh
//! cargo run --release -p kyosai-refdata --example timings
//! ```

use std::time::{Duration, Instant};

use jiff::civil::date;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let before = rss_kib();
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let after = rss_kib();
    println!(
        "{label:<40} {:>9.2} ms   RSS +{:>6} KiB",
        took.as_secs_f64() * 1e3,
        after.saturating_sub(before)
    );
    out
}

fn per_call(label: &str, n: u32, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    let each: Duration = start.elapsed() / n;
    println!("{label:<40} {:>9.2} µs per call", each.as_secs_f64() * 1e6);
}

fn main() {
    println!("RSS at start: {} KiB", rss_kib());
    timed("first holiday_name (holidays)", || {
        kyosai_refdata::holiday_name(date(2026, 1, 1))
    });
    timed("first bank (banks)", || kyosai_refdata::bank("0001"));
    timed("first branch (branches)", || {
        kyosai_refdata::branch("0001", "001")
    });
    timed("first postcode (postcodes)", || {
        kyosai_refdata::postcode("1000001").len()
    });
    for d in kyosai_refdata::datasets() {
        println!(
            "{:<10} {:>8} bytes gzip  {:>7}/{:<7} rows  {}",
            d.name, d.compressed_bytes, d.parsed_rows, d.expected_rows, d.source
        );
    }
    per_call("holiday_name", 100_000, || {
        std::hint::black_box(kyosai_refdata::holiday_name(std::hint::black_box(date(
            2026, 9, 22,
        ))));
    });
    per_call("postcode(\"105-8453\")", 100_000, || {
        std::hint::black_box(kyosai_refdata::postcode(std::hint::black_box("105-8453")));
    });
    per_call("branch(\"0001\", \"001\")", 100_000, || {
        std::hint::black_box(kyosai_refdata::branch("0001", std::hint::black_box("001")));
    });
    per_call("search_banks(\"しんきん\", 10)", 200, || {
        std::hint::black_box(kyosai_refdata::search_banks(
            std::hint::black_box("しんきん"),
            10,
        ));
    });
    per_call(
        "search_branches(\"0001\", \"しんじゅく\", 10)",
        2_000,
        || {
            std::hint::black_box(kyosai_refdata::search_branches(
                "0001",
                std::hint::black_box("しんじゅく"),
                10,
            ));
        },
    );
    println!("RSS at end: {} KiB", rss_kib());
}
