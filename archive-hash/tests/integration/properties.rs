//! Properties that must hold for every input.

use archive_hash::key::is_raw_message_id;
use archive_hash::merkle::{self, MerkleLog};
use archive_hash::{
    ArchiveKey, Recipient, RegionPrefix, Sha256, UnixSeconds, canonicalize, canonicalize_to,
    escape_message_id, format_number, unescape_message_id,
};
use proptest::prelude::*;

fn log_of(n: u64) -> MerkleLog {
    let mut log = MerkleLog::new();
    for i in 0..n {
        log.append(&i.to_le_bytes());
    }
    log
}

fn flip(bytes: &mut [u8], bit: usize) {
    let bit = bit % (bytes.len() * 8);
    bytes[bit / 8] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any single-bit change in the leaf, any proof element or the root fails verification.
    #[test]
    fn inclusion_fails_on_any_bit_flip(size in 1u64..70, idx in any::<u64>(), target in any::<usize>(), bit in any::<usize>()) {
        let log = log_of(size);
        let index = idx % size;
        let proof: Vec<[u8; 32]> = log.inclusion_proof(index, size).unwrap()
            .iter().map(|h| *h.as_bytes()).collect();
        let mut leaf = *log.leaf_hash(index).unwrap().as_bytes();
        let mut root = *log.root_at(size).unwrap().as_bytes();
        prop_assert!(merkle::verify_inclusion(index, size, leaf, &proof, root).is_ok());
        let mut proof = proof;
        let slots = proof.len() + 2;
        match target % slots {
            0 => flip(&mut leaf, bit),
            1 => flip(&mut root, bit),
            k => flip(&mut proof[k - 2], bit),
        }
        prop_assert!(merkle::verify_inclusion(index, size, leaf, &proof, root).is_err());
    }

    /// Any single-bit change in either root or any proof element fails verification.
    #[test]
    fn consistency_fails_on_any_bit_flip(new in 2u64..70, old_seed in any::<u64>(), target in any::<usize>(), bit in any::<usize>()) {
        let log = log_of(new);
        let old = 1 + old_seed % (new - 1);
        let mut proof: Vec<[u8; 32]> = log.consistency_proof(old, new).unwrap()
            .iter().map(|h| *h.as_bytes()).collect();
        let mut r1 = *log.root_at(old).unwrap().as_bytes();
        let mut r2 = *log.root_at(new).unwrap().as_bytes();
        prop_assert!(merkle::verify_consistency(old, new, &proof, r1, r2).is_ok());
        let slots = proof.len() + 2;
        match target % slots {
            0 => flip(&mut r1, bit),
            1 => flip(&mut r2, bit),
            k => flip(&mut proof[k - 2], bit),
        }
        prop_assert!(merkle::verify_consistency(old, new, &proof, r1, r2).is_err());
    }

    /// A changed leaf's data gives a different root.
    #[test]
    fn changing_one_leaf_changes_the_root(size in 1u64..50, idx in any::<u64>(), bit in 0usize..64) {
        let index = idx % size;
        let mut log = MerkleLog::new();
        let mut altered = MerkleLog::new();
        for i in 0..size {
            log.append(&i.to_le_bytes());
            let mut data = i.to_le_bytes();
            if i == index {
                flip(&mut data, bit);
            }
            altered.append(&data);
        }
        prop_assert_ne!(log.root(), altered.root());
    }

    /// Verification never panics on arbitrary proofs, indices and sizes.
    #[test]
    fn verification_never_panics(index in any::<u64>(), size in any::<u64>(), old in any::<u64>(),
                                 proof in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..70),
                                 root in prop::collection::vec(any::<u8>(), 0..40)) {
        let _ = merkle::verify_inclusion(index, size, &root, &proof, &root);
        let _ = merkle::verify_consistency(old, size, &proof, &root, &root);
    }

    /// Escaping is reversible and its output is one safe segment.
    #[test]
    fn escaped_ids_round_trip_and_stay_safe(id in "\\PC{1,64}|[./%\\\\\\x00-\\x1f]{1,16}") {
        let e = escape_message_id(&id).unwrap();
        prop_assert_eq!(unescape_message_id(&e).unwrap(), id);
        prop_assert!(!e.contains('/'));
        prop_assert!(!e.contains(".."));
        prop_assert!(!e.starts_with('.'));
        prop_assert!(e.bytes().all(|b| b.is_ascii_graphic()));
    }

    /// Distinct message ids never share a key, and every key stays under its prefix.
    #[test]
    fn keys_never_collide_or_escape(a in "[\\PC./%]{1,40}", b in "[\\PC./%]{1,40}", ts in 0u64..4_102_444_800) {
        // Ids that decode to a phone number are refused (tested on their own).
        prop_assume!(!is_raw_message_id(&a) && !is_raw_message_id(&b));
        let r: Recipient = "p1:k1:0a1b2c".parse().unwrap();
        let region: RegionPrefix = "eu".parse().unwrap();
        let ka = ArchiveKey::new(Some(&region), UnixSeconds::new(ts), &r, &a, "image/jpeg").unwrap();
        let kb = ArchiveKey::new(Some(&region), UnixSeconds::new(ts), &r, &b, "image/jpeg").unwrap();
        prop_assert_eq!(a == b, ka == kb);
        for k in [&ka, &kb] {
            let s = k.as_str();
            let prefix = "eu/archive/";
            prop_assert!(s.starts_with(prefix));
            let segments: Vec<&str> = s.split('/').collect();
            prop_assert_eq!(segments.len(), 7);
            prop_assert_eq!(segments[5], "p1:k1:0a1b2c");
            prop_assert!(segments.iter().all(|seg| !seg.is_empty() && *seg != "." && *seg != ".."));
            prop_assert!(!s.contains(".."));
        }
        prop_assert_eq!(ka.message_id().unwrap(), a);
    }

    /// Canonicalization never panics, and its output is a fixed point.
    #[test]
    fn canonicalize_is_idempotent(input in "[\\[\\]{}\",:0-9a-z.eE+\\- \\\\u]{0,40}") {
        if let Ok(c) = canonicalize(input.as_bytes()) {
            prop_assert_eq!(canonicalize(&c).unwrap(), c);
        }
    }

    /// Canonical form does not depend on member order or whitespace.
    #[test]
    fn canonical_form_ignores_order(entries in prop::collection::btree_map("[a-zé😀]{0,6}", -1e6f64..1e6, 0..8)) {
        let forward: Vec<String> = entries.iter()
            .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
            .collect();
        let mut backward = forward.clone();
        backward.reverse();
        let a = canonicalize(format!("{{{}}}", forward.join(",")).as_bytes()).unwrap();
        let b = canonicalize(format!("{{ {} }}", backward.join(" , ")).as_bytes()).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(Sha256::digest(&a), Sha256::digest(&b));
    }

    /// Arbitrary bytes never panic the canonicalizer.
    #[test]
    fn canonicalize_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = canonicalize(&bytes);
    }

    /// Canonical output parses back to the same JSON value (numbers as doubles).
    #[test]
    fn canonical_form_preserves_the_value(v in json_value()) {
        let text = serde_json::to_vec(&v).unwrap();
        let c = canonicalize(&text).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&c).unwrap();
        prop_assert!(same(&v, &back), "{} vs {}", v, back);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The index-based canonicalizer writes what a plain tree walk writes (keys sorted by
    /// UTF-16 units, minimal escapes, ECMAScript numbers), whether the input spells
    /// characters raw or as `\u` escapes, and `canonicalize_to` writes the same bytes.
    #[test]
    fn canonical_form_matches_a_tree_walk(v in keyed_value(), escape_all in any::<bool>(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        let text = if escape_all { escape_non_ascii(&text) } else { text };
        let mut want = Vec::new();
        reference(&v, &mut want);
        let got = canonicalize(text.as_bytes()).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        let mut streamed = Vec::new();
        prop_assert_eq!(canonicalize_to(text.as_bytes(), &mut streamed).unwrap(), got.len() as u64);
        prop_assert_eq!(streamed, got);
    }
}

/// JSON values whose keys and strings crowd the places where UTF-16 and code point order
/// differ (U+E000..U+FFFF against the supplementary planes), with controls and quotes.
fn keyed_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    const CHARS: &str =
        "[ab\\x00\\x1f\"\\\\/é\u{7ff}\u{d7ff}\u{e000}\u{fffd}\u{10000}\u{1f600}]{0,4}";
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        CHARS.prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((CHARS, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Spells every non-ASCII character of JSON text as `\u` escapes (they only occur in strings).
fn escape_non_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch);
        } else {
            for unit in ch.encode_utf16(&mut [0u16; 2]) {
                out.push_str(&format!("\\u{unit:04X}"));
            }
        }
    }
    out
}

/// RFC 8785 written the obvious way, over a tree of owned values.
fn reference(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    fn string(s: &str, out: &mut Vec<u8>) {
        out.push(b'"');
        for ch in s.chars() {
            match ch {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                '\r' => out.extend_from_slice(b"\\r"),
                c if c < ' ' => {
                    out.extend_from_slice(format!("\\u{:04x}", u32::from(c)).as_bytes())
                }
                c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        out.push(b'"');
    }
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            let text = format_number(n.as_f64().expect("finite")).expect("finite");
            out.extend_from_slice(text.as_bytes());
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                reference(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(k, out);
                out.push(b':');
                reference(item, out);
            }
            out.push(b'}');
        }
    }
}

/// Random JSON values without duplicate keys (maps come from `serde_json::Map`).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,8}|[\\x00-\\x1f\"\\\\]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec(("\\PC{0,6}", inner), 0..4)
                .prop_map(|kv| { serde_json::Value::Object(kv.into_iter().collect()) }),
        ]
    })
}

/// Structural equality with numbers compared as doubles (JCS writes every number as one).
///
/// Numbers may differ in the last bits: without its `float_roundtrip` feature `serde_json`
/// parses some decimals one ULP off (`4.5493648930921835e-100` reads as
/// `4.549364893092183e-100`), on the way in and on the way back. The exact digits are
/// checked against ECMAScript by the RFC 8785 vectors instead.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => (p - q).abs() <= p.abs().max(q.abs()) * 4.0 * f64::EPSILON,
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
