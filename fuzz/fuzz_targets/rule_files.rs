//! Rule files and special measures staged by staff: any text gives a rule set or an error,
//! never a panic.
#![no_main]

use kyosai_domain::rules::RuleSet;
use kyosai_domain::special_measures::SpecialMeasure;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = RuleSet::from_toml(text);
        let _ = SpecialMeasure::from_toml(text);
    }
});
