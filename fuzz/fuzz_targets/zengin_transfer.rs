//! 総合振込 (21) files (returns of payouts): the parser never panics, and an accepted file
//! written back by our writer parses to the same contents.
#![no_main]

use kyosai_zengin::debit::WriteOptions;
use kyosai_zengin::transfer::{parse_transfer_file, write_transfer_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(file) = parse_transfer_file(bytes) {
        let records: Vec<_> = file.records().iter().map(|r| r.record).collect();
        if let Ok(written) = write_transfer_file(file.header(), &records, &WriteOptions::default()) {
            let again = parse_transfer_file(&written).expect("our own file parses");
            assert_eq!(again.header(), file.header());
            assert_eq!(again.records(), file.records());
        }
    }
});
