//! Access to `../shared` (the corpus and the reference data), for the conformance tests.

use std::path::{Path, PathBuf};

/// `../shared`, or `None` with a note when it is absent outside CI. Under CI (`CI` set) a
/// missing folder fails the test: conformance must never be skipped silently there.
pub(crate) fn shared_dir(what: &str) -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    if dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared is missing and CI is set: the conformance data must be present"
    );
    eprintln!("note: ../shared not found, skipping {what}");
    None
}

/// Every `*.json` body under `../shared/corpus/<sub>`, sorted by file name.
pub(crate) fn corpus(sub: &str) -> Vec<(String, Vec<u8>)> {
    let Some(dir) = shared_dir("the corpus tests") else {
        return Vec::new();
    };
    let mut out: Vec<_> = std::fs::read_dir(dir.join("corpus").join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}
