//! Uploaded evidence is recognised by its first bytes only: whatever is accepted really starts
//! with the magic number of the kind it is stored as.
#![no_main]

use kyosai_app::evidence::FileKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Some(kind) = FileKind::sniff(bytes) {
        let magic: &[u8] = match kind {
            FileKind::Pdf => b"%PDF-",
            FileKind::Jpeg => &[0xFF, 0xD8, 0xFF],
            FileKind::Png => &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        };
        assert!(bytes.starts_with(magic));
    }
});
