//! Webhook bodies read from a corpus folder: `cloud-api/*.json` and `wasender/*.json`.
//!
//! The provider of a body is the folder it lies in, not a guess from its bytes: a body the
//! router refuses must still go to the endpoint its provider posts to (where the edge answers
//! 400).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use wa_payload::Provider;

use crate::sim::SimError;

/// One body of the corpus.
#[derive(Clone, PartialEq, Eq)]
pub struct CorpusBody {
    /// The file name (`status-read.pywa.json`), which names the case and never a person.
    pub name: String,
    /// The provider, from the folder.
    pub provider: Provider,
    /// The file's bytes, as published.
    pub body: Bytes,
}

impl std::fmt::Debug for CorpusBody {
    /// Name, provider and size; not the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorpusBody")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The folders read, and the provider of each.
const FOLDERS: &[(&str, Provider)] = &[
    ("cloud-api", Provider::CloudApi),
    ("wasender", Provider::Wasender),
];

/// The shared corpus, when it is where the workspace keeps it: `../shared/corpus` from the
/// current directory, or beside the repository this crate was built from.
pub fn default_dir() -> Option<PathBuf> {
    let here = PathBuf::from("../shared/corpus");
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    [here, built]
        .into_iter()
        .find(|p| p.join("cloud-api").is_dir())
}

/// Reads every `*.json` file of `dir/cloud-api` and `dir/wasender`, sorted by folder and
/// name (other folders, such as `malformed/`, are left out).
///
/// # Errors
/// [`SimError::Corpus`] when `dir` has neither folder or a file cannot be read.
pub fn load(dir: &Path) -> Result<Vec<CorpusBody>, SimError> {
    let mut out = Vec::new();
    let mut found = false;
    for &(folder, provider) in FOLDERS {
        let path = dir.join(folder);
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        found = true;
        let mut names: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        for p in names {
            let body = std::fs::read(&p).map_err(|e| SimError::Corpus(e.kind().to_string()))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(CorpusBody {
                name,
                provider,
                body: Bytes::from(body),
            });
        }
    }
    if !found {
        return Err(SimError::Corpus(
            "no cloud-api or wasender folder in the corpus directory".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_folders_sorted_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        for (folder, file, text) in [
            ("cloud-api", "b.json", "{}"),
            ("cloud-api", "a.json", "[]"),
            ("cloud-api", "notes.md", "x"),
            ("wasender", "c.json", "{\"event\":\"x\"}"),
            ("malformed", "d.json", "{"),
        ] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
            std::fs::write(dir.path().join(folder).join(file), text).unwrap();
        }
        let bodies = load(dir.path()).unwrap();
        let names: Vec<_> = bodies
            .iter()
            .map(|b| (b.name.as_str(), b.provider))
            .collect();
        assert_eq!(
            names,
            [
                ("a.json", Provider::CloudApi),
                ("b.json", Provider::CloudApi),
                ("c.json", Provider::Wasender)
            ]
        );
        assert!(!format!("{:?}", bodies[2]).contains("event"));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(load(empty.path()), Err(SimError::Corpus(_))));
    }
}
