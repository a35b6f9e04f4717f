//! Fuzz kana conversion: never panic; output is idempotent and Zengin-only.
#![no_main]

use kyosai_zengin::kana::CharClass;
use kyosai_zengin::to_zengin_kana;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(out) = to_zengin_kana(input) {
        assert!(out.chars().all(|c| CharClass::Party.allows_char(c)));
        assert_eq!(to_zengin_kana(&out).as_deref(), Ok(out.as_str()));
    }
});
