//! 預金口座振替 (91) files from banks: the parser never panics, and a file it accepts as a
//! request is written back by our own writer into bytes it accepts again with the same contents.
#![no_main]

use kyosai_zengin::debit::{Expectation, WriteOptions, parse_file, write_request_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = parse_file(bytes, Expectation::Result);
    if let Ok(file) = parse_file(bytes, Expectation::Request) {
        let written = write_request_file(file.header(), file.records(), &WriteOptions::default())
            .expect("an accepted file is within the writer's limits");
        let again = parse_file(&written, Expectation::Request).expect("our own file parses");
        assert_eq!(again.header(), file.header());
        assert_eq!(again.records(), file.records());
        assert_eq!(again.trailer(), file.trailer());
    }
});
