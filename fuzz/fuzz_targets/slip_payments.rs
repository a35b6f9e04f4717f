//! Convenience-store / bank slip payment files for arrears: never a panic.
#![no_main]

use kyosai_domain::arrears::parse_payment_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = parse_payment_file(bytes);
});
