//! Paper batches from the data-entry contractor: every file gets a count of forms or a report
//! of problems, never a panic, and a report always names a place and a message.
#![no_main]

use kyosai_app::paper::check_batch_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Err(problems) = check_batch_file(bytes) {
        assert!(!problems.is_empty());
        for p in problems {
            assert!(!p.place.is_empty() && !p.message.is_empty());
        }
    }
});
