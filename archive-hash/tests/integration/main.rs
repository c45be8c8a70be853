//! Integration tests of `archive-hash`: one test binary, one module per area.
//!
//! `conformance` reads the shared vectors in `../shared/data` (relative to the workspace
//! root); the other modules are self-contained.

mod conformance;
mod known_answers;
mod properties;

use std::path::PathBuf;

/// Reads `../shared/<rel>` from the workspace root.
///
/// When the file is missing: with `CI` set the test fails, otherwise it is skipped with a
/// printed note (so a plain clone still runs `cargo test`).
pub(crate) fn shared(rel: &str) -> Option<Vec<u8>> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "shared", rel]
        .iter()
        .collect();
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {} cannot be read: {e}",
                path.display()
            );
            println!("note: skipping, {} not found ({e})", path.display());
            None
        }
    }
}

/// Decodes a hex string of any even length.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length in a vector");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex in a vector"))
        .collect()
}
