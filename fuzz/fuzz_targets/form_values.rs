//! The form edge: amounts, counts and dates typed by members in any width and script. Never a
//! panic, and whatever is accepted means the same when written back plainly (`５万円` → 50000 →
//! `50000` → 50000; `２０２６年５月２７日` → 2026-05-27 → the same day).
#![no_main]

use kyosai_domain::input::{parse_count, parse_date, parse_yen};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(yen) = parse_yen(text) {
        assert_eq!(parse_yen(&yen.to_string()), Ok(yen), "{text:?}");
    }
    if let Ok(n) = parse_count(text) {
        assert_eq!(parse_count(&n.to_string()), Ok(n), "{text:?}");
    }
    if let Some(day) = parse_date(text) {
        assert_eq!(parse_date(&day.to_string()), Some(day), "{text:?}");
    }
});
