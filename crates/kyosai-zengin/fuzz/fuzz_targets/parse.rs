//! Fuzz the 91 parser: never panic; anything accepted must re-serialise to a
//! file that parses to the same content.
#![no_main]

use kyosai_zengin::debit::{
    Expectation, LineEnding, WriteOptions, make_result_file, parse_file, write_request_file,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = WriteOptions {
        line_ending: LineEnding::Crlf,
    };
    if let Ok(f) = parse_file(data, Expectation::Request) {
        let again = write_request_file(f.header(), f.records(), &opts)
            .expect("a parsed file is within the writer's limits");
        let g = parse_file(&again, Expectation::Request).expect("re-written file parses");
        assert_eq!(f, g);
    }
    if let Ok(f) = parse_file(data, Expectation::Result) {
        let again = make_result_file(
            &f,
            |r| {
                r.result_code
                    .unwrap_or(kyosai_zengin::debit::ResultCode::Other)
            },
            &opts,
        );
        let g = parse_file(&again, Expectation::Result).expect("re-written result parses");
        assert_eq!(f.records(), g.records());
        assert_eq!(f.trailer(), g.trailer());
    }
});
