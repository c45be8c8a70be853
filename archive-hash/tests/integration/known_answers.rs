//! The crate's own known answers: SHA-256 of the empty input and of `abc`, one webhook
//! checksum in base64 and one in hex, and template snapshot stability.

use archive_hash::{
    ExpectedChecksum, Hasher, Sha256, TemplateSnapshot, Verification, canonicalize,
    verify_cloud_media,
};

const EMPTY_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const EMPTY_B64: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const ABC_HEX: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const ABC_B64: &str = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

#[test]
fn sha256_of_empty_and_abc() {
    for (input, hex, b64) in [(&b""[..], EMPTY_HEX, EMPTY_B64), (b"abc", ABC_HEX, ABC_B64)] {
        let mut h = Hasher::new();
        h.read_from(&mut &input[..]).expect("in-memory read");
        let d = h.finish().expect("no bound");
        assert_eq!(d.sha256.to_string(), hex);
        assert_eq!(d.sha256.to_base64(), b64);
        assert_eq!(d.size, input.len() as u64);
        assert_eq!(hex.parse::<Sha256>(), Ok(d.sha256));
        assert_eq!(b64.parse::<Sha256>(), Ok(d.sha256));
    }
}

#[test]
fn million_a_streamed_in_odd_chunks() {
    // FIPS 180-2 appendix B.3: one million 'a'.
    let data = vec![b'a'; 1_000_000];
    let mut h = Hasher::new();
    for chunk in data.chunks(999) {
        h.update(chunk).expect("no bound");
    }
    assert_eq!(
        h.finish().expect("no bound").sha256.to_string(),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
}

#[test]
fn webhook_checksums_base64_and_hex() {
    // Cloud API webhook form (base64) and media endpoint form (hex) of SHA-256("abc").
    let actual = Sha256::digest(b"abc");
    assert_eq!(
        verify_cloud_media(Some(ABC_B64), &actual),
        Verification::Match
    );
    assert_eq!(
        verify_cloud_media(Some(ABC_HEX), &actual),
        Verification::Match
    );
    assert_eq!(
        verify_cloud_media(Some(EMPTY_B64), &actual),
        Verification::Mismatch
    );
    assert!(matches!(
        ExpectedChecksum::parse("a1b2c3d4e5f6..."),
        ExpectedChecksum::Unverifiable(_)
    ));
}

#[test]
fn template_snapshot_ids_follow_content_only() {
    let a = TemplateSnapshot::from_json(
        br#"{"name":"order_update","language":"en_US","components":[{"type":"BODY","text":"Hi {{1}}"}]}"#,
    )
    .expect("valid");
    let reordered = TemplateSnapshot::from_json(
        b"{\n  \"components\": [ { \"text\": \"Hi {{1}}\", \"type\": \"BODY\" } ],\n  \"language\": \"en_US\", \"name\": \"order_update\"\n}",
    )
    .expect("valid");
    assert_eq!(a.id(), reordered.id());
    assert_eq!(a.canonical(), reordered.canonical());
    let changed = TemplateSnapshot::from_json(
        br#"{"name":"order_update","language":"en_US","components":[{"type":"BODY","text":"Hi {{1}}!"}]}"#,
    )
    .expect("valid");
    assert_ne!(a.id(), changed.id());
    assert_eq!(
        a.canonical(),
        br#"{"components":[{"text":"Hi {{1}}","type":"BODY"}],"language":"en_US","name":"order_update"}"#
    );
}

#[test]
fn non_canonicalizable_json_is_refused() {
    for bad in [
        &br#"{"a":1,"a":1}"#[..],
        br#"["\udfff"]"#,
        br#"[1e999]"#,
        br#"[-1e999]"#,
        b"[NaN]",
        b"[Infinity]",
        b"{'a':1}",
    ] {
        assert!(
            canonicalize(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}
