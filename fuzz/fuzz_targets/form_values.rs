//! The form edge: amounts, counts and dates typed by members in any width and script.
#![no_main]

use kyosai_domain::input::{parse_count, parse_date, parse_yen};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(yen) = parse_yen(text) {
        assert!(yen >= 0, "a typed amount is never negative");
    }
    let _ = parse_count(text);
    let _ = parse_date(text);
});
