//! Render benchmark for the mass issue of 控除証明書 (issue #13: 1,660,000 certificates in ≤ 2 h,
//! goal ≥ 460/s with the signed XML, peak memory < 2 GiB).
//!
//! `cargo run --release -p kyosai-docs --example render_bench -- --count N [--threads T]`
//!
//! 1. one page in a loop: the same certificate rendered repeatedly on one thread (the floor);
//! 2. N different certificates (distinct contract numbers, document numbers, QR codes) on T
//!    threads (default: every core), sharing one cached renderer, as the mass issue does.
//!
//! Prints certificates per second, the ratio of (2) to (1), the mean PDF size and the peak
//! resident memory (VmHWM).

#[path = "../tests/support/samples.rs"]
#[expect(
    dead_code,
    reason = "the benchmark renders certificates only; the letters are for the tests"
)]
mod samples;

/// The allocator of the `kyosai` binary (see the workspace's Cargo.toml), so this measures what
/// production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kyosai_docs::pdf::{Renderer, fonts};

struct Args {
    count: usize,
    threads: usize,
    single: usize,
    /// Also write one certificate here, to look at.
    write: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        count: 200,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        single: 20,
        write: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a positive number"))
        };
        match flag.as_str() {
            "--count" => args.count = value("--count")?,
            "--threads" => args.threads = value("--threads")?.max(1),
            "--single" => args.single = value("--single")?.max(1),
            "--write" => args.write = Some(it.next().ok_or("--write needs a file name")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Peak resident set size of this process, in KiB (Linux `/proc/self/status`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let started = Instant::now();
    let renderer = Renderer::new(&fonts::default_dir())?;
    println!(
        "renderer ready in {:.0} ms (fonts + templates, once)",
        started.elapsed().as_secs_f64() * 1e3
    );

    let one = samples::certificate(1);
    let sample = renderer.deduction_certificate(&one)?; // warm-up: fills typst's caches
    if let Some(path) = &args.write {
        std::fs::write(path, &sample)?;
    }
    let t = Instant::now();
    for _ in 0..args.single {
        renderer.deduction_certificate(&one)?;
    }
    let per_page = t.elapsed().as_secs_f64() / args.single as f64;
    println!(
        "one page in a loop: {:.2} ms/page ({:.0} pages/s on one thread, {} renders)",
        per_page * 1e3,
        1.0 / per_page,
        args.single
    );

    let next = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|scope| -> Result<(), String> {
        let workers: Vec<_> = (0..args.threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= args.count {
                            return Ok(());
                        }
                        let serial = 1_000_000 + i as u32;
                        let pdf = renderer
                            .deduction_certificate(&samples::certificate(serial))
                            .map_err(|e| e.to_string())?;
                        bytes.fetch_add(pdf.len(), Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().map_err(|_| "a worker panicked".to_string())??;
        }
        Ok(())
    })?;
    let elapsed = t.elapsed().as_secs_f64();
    let rate = args.count as f64 / elapsed;
    println!(
        "{} certificates on {} threads: {:.1} s, {:.1} certificates/s ({:.2}× one thread's page loop), mean {:.1} KiB per PDF",
        args.count,
        args.threads,
        elapsed,
        rate,
        rate * per_page,
        bytes.load(Ordering::Relaxed) as f64 / args.count as f64 / 1024.0
    );
    println!(
        "projected for 1,660,000 certificates (PDF only): {:.1} h",
        1_660_000.0 / rate / 3600.0
    );
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS (VmHWM): {:.0} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS: unavailable (no /proc/self/status)"),
    }
    Ok(())
}
