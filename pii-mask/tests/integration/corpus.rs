//! Conformance over the shared corpus: every Cloud API and WASender payload, in every mode,
//! masks to a body that `wa-payload` still parses and routes, with the same JSON shape, and
//! without any of the payload's phone numbers, user ids, names or message bodies; its
//! anonymized records and compliance log lines carry none of them either.
//!
//! The personal values are collected from the original with this test's own field list
//! (not the masker's rules). Values are skipped as trivial when they are shorter than four
//! characters (emoji reactions, `""`: too short to be a meaningful substring check) or when
//! they are documentation placeholders with no lowercase letter and no digit
//! (`PHONE_NUMBER`, `<BSUID>`, `CONTACT_FIRST_NAME`): those are not personal data. Leaves
//! that the masker keeps by design (message ids, business numbers, timestamps) are not
//! searched, so a message id that happens to contain a LID's digits is not a leak.

use std::path::PathBuf;

use pii_mask::{Masker, PseudonymKey};
use residency_core::Policy;
use serde_json::Value;

fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "shared corpus missing at {} (required when CI is set)",
        dir.display()
    );
    eprintln!(
        "note: skipping corpus conformance: {} not found",
        dir.display()
    );
    None
}

fn bodies() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for sub in ["cloud-api", "wasender"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub))
            .expect("corpus folder is readable")
            .map(|e| e.expect("corpus entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let name = format!("{sub}/{}", f.file_name().unwrap().to_string_lossy());
            out.push((name, std::fs::read(&f).expect("corpus file is readable")));
        }
    }
    out
}

fn maskers() -> Vec<Masker> {
    let key = PseudonymKey::new("k1", b"conformance test key, 32 bytes!!").unwrap();
    vec![Masker::partial(), Masker::pseudonym(key), Masker::strip()]
}

/// The test's own list of fields that hold personal data.
fn is_personal(key: &str, parent: Option<&str>, wasender: bool) -> bool {
    match key {
        "from"
        | "to"
        | "wa_id"
        | "recipient_id"
        | "recipient_participant_id"
        | "phone"
        | "phone_number"
        | "customer"
        | "cleanedSenderPn"
        | "senderPn"
        | "remoteJid"
        | "participant"
        | "userJid"
        | "owner"
        | "caller"
        | "jid"
        | "senderLid" => true,
        k if k.ends_with("user_id") => true,
        "name" | "first_name" | "last_name" | "formatted_name" | "username" | "pushName"
        | "notify" | "verifiedName" | "subject" | "full_name" => true,
        "body" | "caption" | "text" | "conversation" | "messageBody" | "desc" | "filename"
        | "description" | "details" | "response_json" => true,
        "id" => (parent == Some("threads")) || (wasender && parent != Some("key")),
        "[]" => wasender,
        _ => false,
    }
}

fn is_trivial(v: &str) -> bool {
    v.chars().count() < 4
        || !v
            .bytes()
            .any(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A JID's user part, or the value itself.
fn personal_part(v: &str) -> &str {
    v.split('@').next().unwrap_or(v)
}

#[derive(Default)]
struct Walk {
    secrets: Vec<String>,
    /// Output leaves that are not kept verbatim by design.
    haystack: String,
    unchanged_personal: Vec<String>,
}

fn shape_and_collect(
    orig: &Value,
    masked: &Value,
    key: &str,
    parent: Option<&str>,
    wasender: bool,
    path: &str,
    w: &mut Walk,
) {
    match (orig, masked) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: Vec<_> = a.keys().collect();
            let kb: Vec<_> = b.keys().collect();
            assert_eq!(ka, kb, "keys differ at {path}");
            for (k, va) in a {
                shape_and_collect(va, &b[k], k, Some(key), wasender, &format!("{path}.{k}"), w);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "array length differs at {path}");
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                // Elements inherit the array's key; strings directly in an array are "[]".
                let k = if va.is_string() && !is_personal(key, parent, wasender) {
                    "[]"
                } else {
                    key
                };
                shape_and_collect(va, vb, k, parent, wasender, &format!("{path}[{i}]"), w);
            }
        }
        (Value::String(a), Value::String(b)) => {
            // WASender ids and bare array strings are personal when they are a JID or a
            // number (chat ids, participants), not when they are message ids or labels.
            let address_like =
                a.contains('@') || a.bytes().all(|c| c.is_ascii_digit() || c == b'+');
            let personal = is_personal(key, parent, wasender)
                && (!matches!(key, "[]" | "id")
                    || !wasender
                    || key == "id" && parent == Some("threads")
                    || address_like);
            if personal {
                let part = personal_part(a);
                if !is_trivial(part) {
                    w.secrets.push(part.to_owned());
                    if a == b {
                        w.unchanged_personal.push(path.to_owned());
                    }
                }
                w.haystack.push_str(b);
                w.haystack.push('\n');
            } else if a != b {
                w.haystack.push_str(b);
                w.haystack.push('\n');
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => {}
        _ => panic!("json type differs at {path}"),
    }
}

#[test]
fn every_corpus_payload_masks_to_the_same_shape_without_personal_data() {
    let bodies = bodies();
    if bodies.is_empty() {
        return;
    }
    assert!(
        bodies.len() >= 150,
        "corpus looks incomplete: {}",
        bodies.len()
    );
    let mut checked_secrets = 0usize;
    for masker in maskers() {
        for (name, body) in &bodies {
            let out = masker
                .mask(body)
                .unwrap_or_else(|e| panic!("{name} ({}): {e}", masker.mode()));
            let ctx = format!("{name} ({})", masker.mode());

            // Still a webhook that parses and routes the same items.
            let before = wa_payload::parse(body).unwrap();
            let after = wa_payload::parse(&out).unwrap_or_else(|e| panic!("{ctx}: reparse: {e}"));
            assert_eq!(before.provider(), after.provider(), "{ctx}");
            // Contacts aside: two identities can mask to one value (placeholders, or numbers
            // sharing their visible digits), so a contact routed on its own before masking
            // may ride with the item it now matches.
            let kinds = |w: &wa_payload::Webhook<'_>| {
                w.items()
                    .filter(|i| i.kind != wa_payload::ItemKind::Contact)
                    .map(|i| (i.kind, i.party.role, i.id.map(str::to_owned)))
                    .collect::<Vec<_>>()
            };
            assert_eq!(kinds(&before), kinds(&after), "{ctx}: routed items differ");

            // Same shape, and no personal value left.
            let orig: Value = serde_json::from_slice(body).unwrap();
            let masked: Value = serde_json::from_slice(&out).unwrap();
            let wasender = before.provider() == wa_payload::Provider::Wasender;
            let mut w = Walk::default();
            shape_and_collect(&orig, &masked, "", None, wasender, "$", &mut w);
            assert!(
                w.unchanged_personal.is_empty(),
                "{ctx}: unchanged {:?}",
                w.unchanged_personal
            );
            for s in &w.secrets {
                assert!(
                    !w.haystack.contains(s.as_str()),
                    "{ctx}: a personal value survived"
                );
                checked_secrets += 1;
            }

            // The anonymized records of the same body carry none of them either, and there is
            // one per routed item.
            let records = pii_mask::record::anonymize(body, Policy::seed())
                .unwrap_or_else(|e| panic!("{ctx}: anonymize: {e}"));
            assert_eq!(records.len(), before.items().count(), "{ctx}");
            let json = serde_json::to_string(&records).unwrap();
            for s in &w.secrets {
                assert!(
                    !json.contains(s.as_str()),
                    "{ctx}: a personal value in a record"
                );
            }
            let lines = pii_mask::record::log_entries(body, &pii_mask::PhoneMask::SEED)
                .unwrap_or_else(|e| panic!("{ctx}: log: {e}"));
            for line in lines.iter().map(pii_mask::LogEntry::to_json_line) {
                for s in &w.secrets {
                    assert!(
                        !line.contains(s.as_str()),
                        "{ctx}: a personal value in a log line"
                    );
                }
            }
        }
    }
    assert!(
        checked_secrets > 500,
        "too few personal values checked: {checked_secrets}"
    );
}

#[test]
fn malformed_corpus_bodies_are_refused_without_echo() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.join("malformed")).expect("malformed folder") {
        let path = entry.unwrap().path();
        let body = std::fs::read(&path).unwrap();
        for masker in maskers() {
            let err = masker.mask(&body).expect_err("malformed body is refused");
            let msg = err.to_string();
            // The message names a path and a position, never a value of the body.
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                let mut leaves = Vec::new();
                collect_strings(&v, &mut leaves);
                for leaf in leaves.iter().filter(|l| l.len() >= 4) {
                    assert!(!msg.contains(leaf.as_str()), "{msg}");
                }
            }
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// A stripped body (the failover mode) still routes by country: every item whose original
/// country came from a phone number keeps its calling code's main country, and every item
/// attributed by a user id keeps that id's country.
#[test]
fn stripped_corpus_bodies_route_at_the_calling_code_level() {
    use residency_core::attribution::{Basis, attribute};
    use residency_core::numbering;

    let mut compared = 0usize;
    for (name, body) in bodies() {
        let out = Masker::strip().mask(&body).unwrap();
        let before = wa_payload::parse(&body).unwrap();
        let after = wa_payload::parse(&out).unwrap();
        for (b, a) in before.items().zip(after.items()) {
            let was = attribute(b.party.phone, b.party.user_id);
            let now = attribute(a.party.phone, a.party.user_id);
            let expected = match was.basis {
                Basis::CallingCode | Basis::LeadingDigits => was
                    .calling_code
                    .and_then(numbering::CallingCode::main_country),
                Basis::UserIdPrefix => was.country,
                _ => continue,
            };
            assert_eq!(now.country, expected, "{name}: item {:?}", b.id);
            compared += 1;
        }
    }
    if corpus_dir().is_some() {
        assert!(compared > 100, "too few attributed items: {compared}");
    }
}
