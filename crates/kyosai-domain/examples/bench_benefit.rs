//! Benchmark (a program, not a test): a 小規模 benefit for a 40-year history with 10 premium
//! changes. Target: under 10 µs per computation (issue #3).
//!
//! Run: `cargo run --release -p kyosai-domain --example bench_benefit`
//!
//! Prints the time per call of the calculator alone and of the full simulation function (input
//! validation, rule-set lookup, response building), against a floor measured in the same run:
//! summing the same history's premiums (the least any benefit computation must do).

use std::hint::black_box;
use std::time::Instant;

use jiff::civil::date;
use kyosai_domain::money::Yen;
use kyosai_domain::program::Program;
use kyosai_domain::rules::RuleBook;
use kyosai_domain::simulation::{
    BenefitReason, BenefitRequest, HistoryEntry, small_enterprise_benefit,
};
use kyosai_domain::small_enterprise::{self, ClaimReason, PremiumSegment};

/// 480 months in 11 segments: increases and decreases, so tranches both grow and stop.
const HISTORY: [(i64, u32); 11] = [
    (10_000, 48),
    (20_000, 48),
    (30_000, 48),
    (25_000, 36),
    (40_000, 48),
    (70_000, 60),
    (50_000, 36),
    (60_000, 48),
    (35_000, 36),
    (45_000, 36),
    (70_000, 36),
];

fn time<F: FnMut() -> i64>(name: &str, iterations: u32, mut f: F) -> f64 {
    // Warm up.
    let mut sink = 0i64;
    for _ in 0..iterations / 10 {
        sink = sink.wrapping_add(f());
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..iterations {
            sink = sink.wrapping_add(f());
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);
        best = best.min(ns);
    }
    black_box(sink);
    println!("{name:<58} {best:>9.1} ns/call  ({:.3} µs)", best / 1000.0);
    best
}

fn main() {
    let months: u32 = HISTORY.iter().map(|(_, m)| m).sum();
    assert_eq!(months, 480, "40 years");
    let book = match RuleBook::embedded() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let today = date(2026, 11, 26);
    let Some(rules) = book
        .in_force(Program::SmallEnterprise, today)
        .and_then(|s| s.small_enterprise.as_ref())
    else {
        eprintln!("no small_enterprise rules");
        std::process::exit(1);
    };
    let history: Vec<PremiumSegment> = HISTORY
        .iter()
        .map(|&(p, m)| PremiumSegment {
            monthly_premium: Yen::new(p),
            months: m,
        })
        .collect();
    let request = BenefitRequest {
        reason: BenefitReason::A,
        history: HISTORY
            .iter()
            .map(|&(p, m)| HistoryEntry {
                monthly_premium_yen: p,
                months: i64::from(m),
            })
            .collect(),
        fiscal_year: Some(2022),
    };
    if let Ok(r) = small_enterprise::benefit(rules, ClaimReason::A, &history, Some(2022)) {
        println!(
            "history: 480 months, 10 changes → {} tranches; 共済金A {} (base {}, bonus {}), paid {}, estimate {}",
            r.tranches.len(),
            r.amount,
            r.base,
            r.bonus,
            r.total_paid,
            r.estimate
        );
    }
    let n = 200_000;
    let floor = time("floor: sum of premiums over the history", n, || {
        black_box(&history)
            .iter()
            .map(|s| s.monthly_premium.get() * i64::from(s.months))
            .sum()
    });
    let calc = time("small_enterprise::benefit (A, with FY bonus)", n, || {
        small_enterprise::benefit(rules, ClaimReason::A, black_box(&history), Some(2022))
            .map_or(0, |r| r.amount.get())
    });
    time("small_enterprise::cancellation_refund", n, || {
        small_enterprise::cancellation_refund(rules, black_box(&history))
            .map_or(0, |r| r.amount.get())
    });
    let full = time(
        "simulation::small_enterprise_benefit (validate + compute)",
        n,
        || small_enterprise_benefit(black_box(&request), &book, today).map_or(0, |r| r.amount_yen),
    );
    println!(
        "ratio to floor: calculator {:.1}×, simulation function {:.1}×; target < 10 µs: {}",
        calc / floor.max(0.1),
        full / floor.max(0.1),
        if full < 10_000.0 { "met" } else { "NOT met" }
    );
}
