//! The bank simulator (`kyosai dev simulate-bank`, tests, benchmarks): turns a request file into a
//! result file with a chosen share of failures, deterministically from a seed.

use kyosai_zengin::FileReport;
use kyosai_zengin::debit::{Expectation, LineEnding, ResultCode, WriteOptions, parse_file};

/// A small deterministic PRNG (SplitMix64) so simulated results depend only on the seed.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Share of each failure code among failures in the simulator (insufficient funds dominate).
pub const SIMULATED_FAILURE_MIX: [(ResultCode, f64); 6] = [
    (ResultCode::InsufficientFunds, 0.70),
    (ResultCode::NoAccount, 0.08),
    (ResultCode::StoppedByDepositor, 0.08),
    (ResultCode::NoMandate, 0.04),
    (ResultCode::StoppedByOriginator, 0.04),
    (ResultCode::Other, 0.06),
];

/// The bank simulator: turns a request file into a result file in which `fail_rate` of the
/// records failed, spread over the codes by `mix` (shares summing to 1).
pub fn simulate_bank(
    request: &[u8],
    fail_rate: f64,
    mix: &[(ResultCode, f64)],
    seed: u64,
) -> Result<Vec<u8>, FileReport> {
    let file = parse_file(request, Expectation::Request)?;
    let crlf = request.len() >= 122 && request.get(120..122) == Some(b"\r\n");
    let mut rng = SplitMix::new(seed);
    let pick = std::cell::RefCell::new(move || {
        if rng.next_f64() >= fail_rate {
            return ResultCode::Collected;
        }
        let mut x = rng.next_f64();
        for (code, share) in mix {
            if x < *share {
                return *code;
            }
            x -= share;
        }
        mix.last().map_or(ResultCode::Other, |(c, _)| *c)
    });
    Ok(kyosai_zengin::debit::make_result_file(
        &file,
        |_| (pick.borrow_mut())(),
        &WriteOptions {
            line_ending: if crlf {
                LineEnding::Crlf
            } else {
                LineEnding::None
            },
        },
    ))
}
