//! `residency hash`, `residency canon` and `residency merkle` against the contract, the
//! bundled media samples and the shared RFC 6962 / RFC 8785 vectors.

use crate::support::{residency, sample};

fn manifest(stem: &str) -> serde_json::Value {
    let path = sample(&format!("media/{stem}.manifest.json"));
    serde_json::from_slice(&std::fs::read(path).expect("bundled manifest")).expect("json")
}

/// Reads a shared vectors file; fails under CI when it is missing, else skips with a note.
fn shared(rel: &str) -> Option<serde_json::Value> {
    let path = format!("{}/../../shared/{rel}", env!("CARGO_MANIFEST_DIR"));
    match std::fs::read(&path) {
        Ok(b) => Some(serde_json::from_slice(&b).expect("vectors are json")),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {path} is missing: {e}"
            );
            println!("note: skipping, {path} not found");
            None
        }
    }
}

#[test]
fn hash_prints_hex_base64_and_size() {
    let run = residency(&["hash", &sample("media/delivery-photo.png")], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.text();
    let fields: Vec<&str> = text.trim_end().split(' ').collect();
    assert_eq!(fields.len(), 3, "{text}");
    let m = manifest("delivery-photo");
    assert_eq!(
        fields[1],
        m["sha256"].as_str().unwrap(),
        "base64 equals the webhook's"
    );
    assert_eq!(fields[0].len(), 64);
    assert_eq!(fields[2], m["size"].to_string());
    assert!(text.ends_with('\n'));
}

#[test]
fn hash_of_stdin_known_answers() {
    let run = residency(&["hash", "-"], b"abc");
    assert_eq!(
        run.text(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad \
         ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0= 3\n"
    );
    let run = residency(&["hash"], b"");
    assert!(
        run.text()
            .starts_with("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ")
    );
}

#[test]
fn hash_expect_match_mismatch_and_malformed() {
    // Hex form (media endpoint) matches.
    let m = manifest("invoice-48213");
    let file = sample("media/invoice-48213.pdf");
    let run = residency(
        &["hash", "--expect", m["sha256"].as_str().unwrap(), &file],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Base64 form (webhook) deliberately wrong: exit 1.
    let m = manifest("voice-note");
    let file = sample("media/voice-note.ogg");
    let run = residency(
        &["hash", "--expect", m["sha256"].as_str().unwrap(), &file],
        b"",
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.text().split(' ').count(), 3, "still prints the digest");
    // A placeholder is bad input: exit 2 with one stderr line naming the flag, not the value.
    let run = residency(
        &[
            "hash",
            "--expect",
            "STICKER_HASH",
            &sample("media/sticker.webp"),
        ],
        b"",
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("--expect"), "{}", run.stderr);
    assert!(!run.stderr.contains("STICKER_HASH"), "{}", run.stderr);
}

#[test]
fn hash_of_a_missing_file_is_bad_input() {
    let run = residency(&["hash", "/nonexistent/file.bin"], b"");
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(run.stdout.is_empty());
}

#[test]
fn canon_writes_exact_bytes_without_newline() {
    let run = residency(&["canon"], br#"{ "b": [1.0, 1e21, -0], "a": "\u00e9\n" }"#);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "{\"a\":\"é\\n\",\"b\":[1,1e+21,0]}".as_bytes());
}

#[test]
fn canon_rejects_non_i_json() {
    for bad in [
        &br#"{"a":1,"a":2}"#[..],
        br#"["\ud800"]"#,
        b"[1e999]",
        b"[NaN]",
        b"{",
    ] {
        let run = residency(&["canon", "-"], bad);
        assert_eq!(run.code, 2, "{}", String::from_utf8_lossy(bad));
        assert_eq!(run.stderr.lines().count(), 1);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn canon_passes_the_jcs_vectors() {
    let Some(v) = shared("data/jcs-vectors.json") else {
        return;
    };
    for c in v["cases"].as_array().unwrap() {
        let run = residency(
            &["canon"],
            c["input_json_text"].as_str().unwrap().as_bytes(),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stdout,
            c["expected_canonical_utf8"].as_str().unwrap().as_bytes(),
            "{}",
            c["name"]
        );
    }
}

fn leaves(v: &serde_json::Value, n: usize) -> String {
    let mut s = String::new();
    for l in v["reference_tree"]["leaf_inputs_hex"]
        .as_array()
        .unwrap()
        .iter()
        .take(n)
    {
        s.push_str(l.as_str().unwrap());
        s.push('\n');
    }
    s
}

fn lines(v: &serde_json::Value) -> String {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}\n", h.as_str().unwrap()))
        .collect()
}

#[test]
fn merkle_root_for_every_reference_size() {
    let Some(v) = shared("data/rfc6962-vectors.json") else {
        return;
    };
    for n in 0..=8usize {
        let run = residency(&["merkle", "root"], leaves(&v, n).as_bytes());
        assert_eq!(run.code, 0, "{}", run.stderr);
        let want = v["reference_tree"]["roots_by_tree_size"][n.to_string()]
            .as_str()
            .unwrap();
        assert_eq!(run.text(), format!("{want}\n"), "size {n}");
    }
}

#[test]
fn merkle_inclusion_and_consistency_match_the_vectors() {
    let Some(v) = shared("data/rfc6962-vectors.json") else {
        return;
    };
    for c in v["inclusion_proofs"].as_array().unwrap() {
        let size = c["tree_size"].as_u64().unwrap() as usize;
        let index = c["leaf_index"].to_string();
        let run = residency(
            &["merkle", "inclusion", "--index", &index],
            leaves(&v, size).as_bytes(),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.text(), lines(&c["proof"]), "{index} in {size}");
    }
    for c in v["consistency_proofs"].as_array().unwrap() {
        let size = c["size2"].as_u64().unwrap() as usize;
        let old = c["size1"].to_string();
        let run = residency(
            &["merkle", "consistency", "--old", &old],
            leaves(&v, size).as_bytes(),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.text(), lines(&c["proof"]), "{old} -> {size}");
    }
}

#[test]
fn merkle_bad_input_and_usage() {
    let cases: [(&[&str], &[u8]); 6] = [
        (&["merkle", "root"], b"00\nzz\n"),
        (&["merkle", "inclusion", "--index", "3"], b"00\n01\n"),
        (&["merkle", "inclusion"], b"00\n"),
        (&["merkle", "consistency", "--old", "0"], b"00\n01\n"),
        (&["merkle", "consistency", "--old", "-1"], b"00\n"),
        (&["merkle", "sideways"], b"00\n"),
    ];
    for (args, stdin) in cases {
        let run = residency(args, stdin);
        assert_eq!(run.code, 2, "{args:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    let run = residency(&["merkle", "--help"], b"");
    assert_eq!(run.code, 0);
    assert!(run.text().contains("leaf DATA"));
}

#[test]
fn merkle_rejects_leaves_that_are_not_hex_digits() {
    // `+a` used to be read as 0x0a (`u8::from_str_radix` accepts a sign).
    for (leaf, line) in [
        ("+a", 2),
        ("-1", 2),
        ("0x", 2),
        ("+0a1", 2),
        ("a+", 2),
        ("4915112345678+", 2),
    ] {
        let input = format!("00\n{leaf}\n01\n");
        for args in [
            &["merkle", "root"][..],
            &["merkle", "inclusion", "--index", "0"],
        ] {
            let run = residency(args, input.as_bytes());
            assert_eq!(run.code, 2, "{leaf}");
            assert!(run.stdout.is_empty(), "{leaf}");
            assert_eq!(
                run.stderr,
                format!("residency: line {line} is not an even-length hex string\n"),
                "{leaf}"
            );
            assert!(!run.stderr.contains(leaf), "{leaf}");
        }
    }
    // Hex of either case, with blanks around, is fine.
    let run = residency(&["merkle", "root"], b"00\n 0aFF\t\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn hash_streams_files_beyond_the_old_64_mib_limit() {
    use sha2::Digest as _;
    use std::io::Write as _;

    // 64 MiB + 1 byte, refused before; a pattern that is not all zeros.
    let len = 64 * 1024 * 1024 + 1;
    let file = TempFile(std::env::temp_dir().join(format!(
        "residency-hash-{}-{:?}.bin",
        std::process::id(),
        std::thread::current().id()
    )));
    let mut oracle = sha2::Sha256::new();
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file.0).unwrap());
        let block: Vec<u8> = (0..1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len());
            out.write_all(&block[..n]).unwrap();
            oracle.update(&block[..n]);
            left -= n;
        }
        out.flush().unwrap();
    }
    let want = archive_hash::Sha256::from_bytes(oracle.finalize().into());
    let run = residency(
        &[
            "hash",
            "--expect",
            &want.to_base64(),
            file.0.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.text(),
        format!("{} {} {len}\n", want.to_hex(), want.to_base64())
    );
}

#[test]
fn canon_streams_long_output_identical_to_the_library() {
    // Several write chunks, output longer than the input (`1e20` is written in full), keys
    // to sort at every level.
    let mut doc = String::from("{\"z\":[");
    for i in 0..20_000 {
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&format!(
            r#"{{"n":1e20,"s":"\u00e9{i}\n","b":[{i},-0,0.5e1],"a":{{"y":null,"x":true}}}}"#
        ));
    }
    doc.push_str("],\"a\":1}");
    let want = archive_hash::canonicalize(doc.as_bytes()).unwrap();
    assert!(want.len() > doc.len() && want.len() > 4 * archive_hash::jcs::WRITE_CHUNK);
    let first =
        r#"{"a":1,"z":[{"a":{"x":true,"y":null},"b":[0,0,5],"n":100000000000000000000,"s":"é0\n"}"#;
    assert!(want.starts_with(first.as_bytes()));
    let run = residency(&["canon"], doc.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, want);
}

#[test]
fn merkle_empty_input_is_the_empty_tree() {
    let run = residency(&["merkle", "root"], b"");
    assert_eq!(
        run.text(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    );
}
