//! archive-hash's RFC 8785 canonicalization: it accepts exactly the JSON texts that
//! `serde_json` reads (UTF-8, no lone surrogate, every number a finite double) and that have
//! no duplicate member names (compared after unescaping, checked here); its output is a fixed
//! point (`canon(canon(x)) == canon(x)`), reads as the same JSON value, and
//! `canonicalize_to` writes the same bytes.
#![no_main]

use std::collections::HashSet;
use std::fmt;

use libfuzzer_sys::fuzz_target;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value read by `serde_json` only to check it: the deserializer fails on a duplicate
/// member name in any object.
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Check)
    }
}

struct Check;

impl<'de> Visitor<'de> for Check {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<NoDuplicateKeys, E> {
        if v.is_finite() {
            Ok(NoDuplicateKeys)
        } else {
            Err(E::custom("not a finite number"))
        }
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_unit<E: de::Error>(self) -> Result<NoDuplicateKeys, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoDuplicateKeys, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NoDuplicateKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(de::Error::custom("duplicate member name"));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }
}

/// The deepest nesting of arrays and objects in `json`, read as far as it is JSON-shaped
/// (brackets outside strings).
fn depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

fuzz_target!(|json: &[u8]| {
    let canon = archive_hash::canonicalize(json);
    // Both parsers bound nesting near 128 levels, each counting in its own way: compare
    // verdicts only well below that.
    if depth(json) < 120 {
        let valid = serde_json::from_slice::<NoDuplicateKeys>(json).is_ok();
        assert_eq!(
            canon.is_ok(),
            valid,
            "canonicalize and the oracle disagree (oracle: valid = {valid})"
        );
    }
    let Ok(canon) = canon else {
        return;
    };
    let again = archive_hash::canonicalize(&canon).expect("canonical output is accepted");
    assert_eq!(again, canon, "canonicalization is not idempotent");
    let mut streamed = Vec::new();
    let n = archive_hash::canonicalize_to(json, &mut streamed).expect("accepted twice");
    assert_eq!(streamed, canon);
    assert_eq!(n, canon.len() as u64);
    // The same JSON value, numbers aside (their text changes, and integers beyond 2^53 are
    // rounded to doubles).
    if depth(json) < 120 {
        let a: serde_json::Value = serde_json::from_slice(json).expect("valid JSON");
        let b: serde_json::Value = serde_json::from_slice(&canon).expect("valid JSON");
        assert!(same_shape(&a, &b), "canonical output is another value");
    }
});

/// Equal values, comparing numbers as doubles and objects as sets of members.
fn same_shape(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        // serde_json's default float parsing may be one unit in the last place off, where
        // archive-hash rounds correctly.
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => {
                x == y || (x - y).abs() <= 2.0 * f64::EPSILON * x.abs().max(y.abs())
            }
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_shape(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
        }
        _ => a == b,
    }
}
