//! pii-mask's free-text scanner never panics, and its findings are non-empty, in bounds,
//! sorted, non-overlapping, and lie on character boundaries (each is valid UTF-8, and on
//! valid UTF-8 input starts and ends on a `char` boundary). Redaction and pseudonymization
//! never panic, and redaction removes what the scan found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pii_mask::{PseudonymKey, scan};

fuzz_target!(|text: &[u8]| {
    let as_str = std::str::from_utf8(text).ok();
    let mut last = 0usize;
    let mut found = 0usize;
    for f in scan::scan(text) {
        assert!(f.start() < f.end(), "an empty finding");
        assert!(f.end() <= text.len(), "a finding out of bounds");
        assert!(f.start() >= last, "findings out of order or overlapping");
        assert_eq!(f.range(), f.start()..f.end());
        let bytes = &text[f.range()];
        assert!(
            std::str::from_utf8(bytes).is_ok(),
            "a finding splits a character"
        );
        if let Some(s) = as_str {
            assert!(s.is_char_boundary(f.start()) && s.is_char_boundary(f.end()));
        }
        last = f.end();
        found += 1;
    }
    let redacted = scan::redact(text);
    if found == 0 {
        assert_eq!(
            redacted, text,
            "redaction without findings changes the text"
        );
    }
    if as_str.is_some() {
        assert!(
            std::str::from_utf8(&redacted).is_ok(),
            "redaction breaks UTF-8"
        );
    }
    let key = PseudonymKey::new("fz", b"fuzz key").expect("a valid key");
    let pseudonymized = scan::pseudonymize(text, &key);
    if found == 0 {
        assert_eq!(pseudonymized, text);
    }
});
