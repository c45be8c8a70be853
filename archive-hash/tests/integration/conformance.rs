//! The shared RFC 6962 / RFC 9162 and RFC 8785 vectors, every one, negatives included.

use archive_hash::merkle::{self, MerkleLog};
use archive_hash::{ArchiveError, Sha256, canonicalize, format_number};
use serde_json::Value;

use crate::{shared, unhex};

fn load(rel: &str) -> Option<Value> {
    shared(rel).map(|b| serde_json::from_slice(&b).expect("vectors file is JSON"))
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string in vectors")
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("unsigned integer in vectors")
}

fn hexes(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .expect("array in vectors")
        .iter()
        .map(|h| unhex(s(h)))
        .collect()
}

fn digest(v: &Value) -> Sha256 {
    s(v).parse().expect("32-byte hash in vectors")
}

/// The log over the reference tree's eight leaf inputs.
fn reference_log(tree: &Value) -> MerkleLog {
    let mut log = MerkleLog::new();
    for input in hexes(&tree["leaf_inputs_hex"]) {
        log.append(&input);
    }
    log
}

#[test]
fn rfc6962_hasher_known_answers() {
    let Some(v) = load("data/rfc6962-vectors.json") else {
        return;
    };
    let cases = v["hasher_known_answers"].as_array().expect("array");
    assert_eq!(cases.len(), 4);
    for c in cases {
        let got = match s(&c["kind"]) {
            "empty_root" => merkle::empty_root(),
            "leaf" => merkle::leaf_hash(&unhex(s(&c["input_hex"]))),
            "node" => merkle::node_hash(&unhex(s(&c["left_hex"])), &unhex(s(&c["right_hex"]))),
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(got, digest(&c["expected"]), "{}", s(&c["desc"]));
    }
}

#[test]
fn rfc6962_reference_tree() {
    let Some(v) = load("data/rfc6962-vectors.json") else {
        return;
    };
    let tree = &v["reference_tree"];
    let log = reference_log(tree);
    for (i, h) in tree["leaf_hashes_hex"]
        .as_array()
        .expect("array")
        .iter()
        .enumerate()
    {
        assert_eq!(log.leaf_hash(i as u64), Some(digest(h)), "leaf {i}");
    }
    let roots = tree["roots_by_tree_size"].as_object().expect("object");
    assert_eq!(roots.len(), 9);
    for (size, root) in roots {
        let size: u64 = size.parse().expect("size key");
        assert_eq!(
            log.root_at(size).expect("size within log"),
            digest(root),
            "size {size}"
        );
    }
    assert_eq!(log.root(), digest(&tree["level_3_root_hex"][0]));
    // Incremental: the root after each append equals the root_at of that size.
    let mut growing = MerkleLog::new();
    for (i, input) in hexes(&tree["leaf_inputs_hex"]).iter().enumerate() {
        growing.append(input);
        assert_eq!(growing.root(), digest(&roots[&(i + 1).to_string()]));
    }
}

#[test]
fn rfc6962_inclusion_proofs() {
    let Some(v) = load("data/rfc6962-vectors.json") else {
        return;
    };
    let log = reference_log(&v["reference_tree"]);
    let cases = v["inclusion_proofs"].as_array().expect("array");
    assert!(!cases.is_empty());
    for c in cases {
        let (index, size) = (u(&c["leaf_index"]), u(&c["tree_size"]));
        let expected = hexes(&c["proof"]);
        let produced = log.inclusion_proof(index, size).expect("proof in range");
        let produced: Vec<Vec<u8>> = produced.iter().map(|h| h.as_bytes().to_vec()).collect();
        assert_eq!(produced, expected, "proof for {index} in {size}");
        assert_eq!(
            merkle::leaf_hash(&unhex(s(&c["leaf_input_hex"]))),
            digest(&c["leaf_hash"])
        );
        merkle::verify_inclusion(
            index,
            size,
            unhex(s(&c["leaf_hash"])),
            &expected,
            unhex(s(&c["root"])),
        )
        .unwrap_or_else(|e| panic!("{index} in {size}: {e}"));
    }
}

#[test]
fn rfc6962_consistency_proofs() {
    let Some(v) = load("data/rfc6962-vectors.json") else {
        return;
    };
    let log = reference_log(&v["reference_tree"]);
    let cases = v["consistency_proofs"].as_array().expect("array");
    assert!(!cases.is_empty());
    for c in cases {
        let (old, new) = (u(&c["size1"]), u(&c["size2"]));
        let expected = hexes(&c["proof"]);
        let produced = log.consistency_proof(old, new).expect("sizes in range");
        let produced: Vec<Vec<u8>> = produced.iter().map(|h| h.as_bytes().to_vec()).collect();
        assert_eq!(produced, expected, "proof {old} -> {new}");
        merkle::verify_consistency(
            old,
            new,
            &expected,
            unhex(s(&c["root1"])),
            unhex(s(&c["root2"])),
        )
        .unwrap_or_else(|e| panic!("{old} -> {new}: {e}"));
    }
}

#[test]
fn rfc6962_inclusion_probes_including_negatives() {
    let Some(v) = load("data/rfc6962-vectors.json") else {
        return;
    };
    let probes = v["negative_inclusion_probes"].as_array().expect("array");
    assert_eq!(probes.len(), 22);
    let mut failures = 0;
    for p in probes {
        let res = merkle::verify_inclusion(
            u(&p["leaf_index"]),
            u(&p["tree_size"]),
            unhex(s(&p["leaf_hash"])),
            &hexes(&p["proof"]),
            unhex(s(&p["root"])),
        );
        let want_error = p["want_error"].as_bool().expect("bool");
        assert_eq!(res.is_err(), want_error, "{}: {res:?}", s(&p["desc"]));
        failures += usize::from(res.is_err());
    }
    assert_eq!(failures, 20);
}

#[test]
fn rfc6962_consistency_probes_including_negatives() {
    let Some(v) = load("data/rfc6962-vectors.json") else {
        return;
    };
    let probes = v["negative_consistency_probes"].as_array().expect("array");
    assert_eq!(probes.len(), 35);
    for p in probes {
        let res = merkle::verify_consistency(
            u(&p["size1"]),
            u(&p["size2"]),
            &hexes(&p["proof"]),
            unhex(s(&p["root1"])),
            unhex(s(&p["root2"])),
        );
        let want_error = p["want_error"].as_bool().expect("bool");
        assert_eq!(res.is_err(), want_error, "{}: {res:?}", s(&p["desc"]));
    }
}

#[test]
fn rfc6962_probe_errors_are_the_right_kind() {
    let Some(v) = load("data/rfc6962-vectors.json") else {
        return;
    };
    let find = |list: &str, desc: &str| {
        v[list]
            .as_array()
            .expect("array")
            .iter()
            .find(|p| s(&p["desc"]) == desc)
            .unwrap_or_else(|| panic!("probe {desc}"))
            .clone()
    };
    let incl = |p: &Value| {
        merkle::verify_inclusion(
            u(&p["leaf_index"]),
            u(&p["tree_size"]),
            unhex(s(&p["leaf_hash"])),
            &hexes(&p["proof"]),
            unhex(s(&p["root"])),
        )
    };
    let list = "negative_inclusion_probes";
    assert!(matches!(
        incl(&find(list, "leafIdx sub @1")),
        Err(ArchiveError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        incl(&find(list, "removed component")),
        Err(ArchiveError::ProofLength { .. })
    ));
    assert!(matches!(
        incl(&find(list, "preceding garbage")),
        Err(ArchiveError::ProofLength { .. })
    ));
    assert!(matches!(
        incl(&find(list, "empty leaf")),
        Err(ArchiveError::HashLength { .. })
    ));
    assert!(matches!(
        incl(&find(list, "wrong leaf")),
        Err(ArchiveError::HashLength { .. })
    ));
    assert!(matches!(
        incl(&find(list, "random root")),
        Err(ArchiveError::RootMismatch { .. })
    ));
    assert!(matches!(
        incl(&find(list, "modified proof[1] bit @3")),
        Err(ArchiveError::RootMismatch { .. })
    ));
    let cons = |p: &Value| {
        merkle::verify_consistency(
            u(&p["size1"]),
            u(&p["size2"]),
            &hexes(&p["proof"]),
            unhex(s(&p["root1"])),
            unhex(s(&p["root2"])),
        )
    };
    let list = "negative_consistency_probes";
    assert!(matches!(
        cons(&find(list, "sizes are equal (zero) and proof is empty")),
        Err(ArchiveError::ConsistencySizes {
            reason: "old size is zero",
            ..
        })
    ));
    assert!(matches!(
        cons(&find(list, "truncated proof")),
        Err(ArchiveError::ProofLength { .. })
    ));
    assert!(matches!(
        cons(&find(list, "swapped roots")),
        Err(ArchiveError::RootMismatch { .. })
    ));
}

#[test]
fn jcs_canonicalization_cases() {
    let Some(v) = load("data/jcs-vectors.json") else {
        return;
    };
    let cases = v["cases"].as_array().expect("array");
    assert_eq!(cases.len(), 6);
    for c in cases {
        let name = s(&c["name"]);
        let out = canonicalize(s(&c["input_json_text"]).as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out, unhex(s(&c["expected_canonical_hex"])), "{name}");
        assert_eq!(out, s(&c["expected_canonical_utf8"]).as_bytes(), "{name}");
        assert_eq!(out.len() as u64, u(&c["expected_canonical_length_bytes"]));
        assert_eq!(
            Sha256::digest(&out),
            digest(&c["sha256_of_canonical_bytes"]),
            "{name}"
        );
        // Canonical output is a fixed point.
        assert_eq!(canonicalize(&out).expect("canonical input"), out, "{name}");
    }
}

fn double(hex: &str) -> f64 {
    f64::from_bits(u64::from_str_radix(hex, 16).expect("ieee hex"))
}

#[test]
fn jcs_number_vectors() {
    let Some(v) = load("data/jcs-vectors.json") else {
        return;
    };
    let cases = v["number_vectors_rfc8785_appendix_b"]
        .as_array()
        .expect("array");
    assert_eq!(cases.len(), 24);
    for c in cases {
        let x = double(s(&c["ieee754_hex"]));
        let want = s(&c["expected"]);
        assert_eq!(
            format_number(x).expect("finite"),
            want,
            "{}",
            s(&c["ieee754_hex"])
        );
        // And through the parser: the expected text, and Rust's own rendering, both
        // canonicalize to the expected text.
        assert_eq!(
            canonicalize(want.as_bytes()).expect("number"),
            want.as_bytes()
        );
        let rust = format!("{x:e}");
        assert_eq!(
            canonicalize(rust.as_bytes()).expect("number"),
            want.as_bytes()
        );
    }
    let must_fail = v["number_vectors_must_fail"].as_array().expect("array");
    assert_eq!(must_fail.len(), 2);
    for c in must_fail {
        assert!(
            format_number(double(s(&c["ieee754_hex"]))).is_err(),
            "{}",
            s(&c["value"])
        );
    }
}

/// Collects every string under a checksum field name anywhere in `v`.
fn checksums<'a>(v: &'a Value, out: &mut Vec<(&'a str, &'a str)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                match (k.as_str(), child) {
                    ("sha256" | "fileSha256" | "fileEncSha256", Value::String(s)) => {
                        out.push((k.as_str(), s.as_str()));
                    }
                    _ => checksums(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|c| checksums(c, out)),
        _ => {}
    }
}

#[test]
fn corpus_checksums_decode_or_are_unverifiable() {
    use archive_hash::{ChecksumEncoding, ExpectedChecksum};
    let root: std::path::PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "shared", "corpus"]
        .iter()
        .collect();
    let mut seen = 0;
    let mut decoded = 0;
    for provider in ["cloud-api", "wasender"] {
        let Ok(dir) = std::fs::read_dir(root.join(provider)) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the corpus is missing"
            );
            println!("note: skipping, corpus not found");
            return;
        };
        for entry in dir {
            let path = entry.expect("corpus entry").path();
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
                continue;
            };
            let mut found = Vec::new();
            checksums(&v, &mut found);
            for (field, value) in found {
                seen += 1;
                match ExpectedChecksum::parse(value) {
                    ExpectedChecksum::Digest { sha256, encoding } => {
                        decoded += 1;
                        let again = match encoding {
                            ChecksumEncoding::Base64 => sha256.to_base64(),
                            _ => sha256.to_hex(),
                        };
                        assert!(
                            again.eq_ignore_ascii_case(value.trim()),
                            "{field} in {} does not round-trip",
                            path.display()
                        );
                    }
                    ExpectedChecksum::Unverifiable(_) => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }
    println!("corpus checksums: {seen} seen, {decoded} decoded to 32 bytes");
    assert!(seen > 0, "the corpus has media checksums");
    assert!(decoded > 0, "some corpus checksums are real base64 digests");
}
