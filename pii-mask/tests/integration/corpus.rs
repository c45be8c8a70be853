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

fn key() -> PseudonymKey {
    PseudonymKey::new("k1", b"conformance test key, 32 bytes!!").unwrap()
}

fn maskers() -> Vec<Masker> {
    vec![
        Masker::partial(),
        Masker::pseudonym(key()),
        Masker::strip(key()),
    ]
}

/// `+`, digits, spaces, dashes and parentheses, with at least five digits: this test's own
/// reading of "shaped like a phone number".
fn phone_shaped(s: &str) -> bool {
    s.bytes().filter(u8::is_ascii_digit).count() >= 5
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b' ' | b'-' | b'(' | b')'))
}

/// The id a routed item should carry after masking: kept in partial mode; otherwise the
/// keyed pseudonym of every Cloud API id, and of WASender ids that are Cloud API ids or
/// shaped like a phone number (random WASender ids are kept).
fn expected_id(masker: &Masker, wasender: bool, id: &str) -> String {
    let pseudonymized = match masker.mode() {
        pii_mask::Mode::Partial => false,
        _ => !wasender || id.starts_with("wamid.") || phone_shaped(id),
    };
    if pseudonymized {
        key().pseudonymize_message_id(id).into_string()
    } else {
        id.to_owned()
    }
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
        // A Flow's name (`nfm_reply.name`, always `flow`) names no one.
        "name" if parent == Some("nfm_reply") => false,
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

            // Still a webhook that parses and routes the same items, each with its id or the
            // id's pseudonym.
            let before = wa_payload::parse(body).unwrap();
            let after = wa_payload::parse(&out).unwrap_or_else(|e| panic!("{ctx}: reparse: {e}"));
            assert_eq!(before.provider(), after.provider(), "{ctx}");
            // Contacts aside: two identities can mask to one value (placeholders, or numbers
            // sharing their visible digits), so a contact routed on its own before masking
            // may ride with the item it now matches.
            let wasender = before.provider() == wa_payload::Provider::Wasender;
            let expected: Vec<_> = before
                .items()
                .filter(|i| i.kind != wa_payload::ItemKind::Contact)
                .map(|i| {
                    let id = i.id.map(|id| expected_id(&masker, wasender, id));
                    (i.kind, i.party.role, id)
                })
                .collect();
            let routed: Vec<_> = after
                .items()
                .filter(|i| i.kind != wa_payload::ItemKind::Contact)
                .map(|i| (i.kind, i.party.role, i.id.map(str::to_owned)))
                .collect();
            assert_eq!(expected, routed, "{ctx}: routed items differ");

            // Same shape, and no personal value left.
            let orig: Value = serde_json::from_slice(body).unwrap();
            let masked: Value = serde_json::from_slice(&out).unwrap();
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

            // The anonymized records of the same body carry none of them either, nor a
            // message id, and there is one per routed item.
            let ids: Vec<&str> = before
                .items()
                .filter_map(|i| i.id)
                .filter(|id| id.len() >= 4)
                .collect();
            let records = pii_mask::record::anonymize(body, Policy::seed())
                .unwrap_or_else(|e| panic!("{ctx}: anonymize: {e}"));
            assert_eq!(records.len(), before.items().count(), "{ctx}");
            let json = serde_json::to_string(&records).unwrap();
            for s in w
                .secrets
                .iter()
                .map(String::as_str)
                .chain(ids.iter().copied())
            {
                assert!(
                    !json.contains(s),
                    "{ctx}: a personal value or id in a record"
                );
            }
            assert!(!json.contains("wamid"), "{ctx}: a message id in a record");
            let lines = pii_mask::record::log_entries(body, &pii_mask::PhoneMask::SEED)
                .unwrap_or_else(|e| panic!("{ctx}: log: {e}"));
            for line in lines.iter().map(pii_mask::LogEntry::to_json_line) {
                for s in w
                    .secrets
                    .iter()
                    .map(String::as_str)
                    .chain(ids.iter().copied())
                {
                    assert!(
                        !line.contains(s),
                        "{ctx}: a personal value or id in a log line"
                    );
                }
                assert!(!line.contains("wamid"), "{ctx}: a message id in a log line");
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
        let out = Masker::strip(key()).mask(&body).unwrap();
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

/// The base64 body of each `wamid.`/`wacid.` id in `text`, decoded as leniently as a reader
/// would (either alphabet, padding or not); the raw bytes when they are not base64.
fn decoded_ids(text: &str) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engines = [
        GeneralPurpose::new(&alphabet::STANDARD, config),
        GeneralPurpose::new(&alphabet::URL_SAFE, config),
    ];
    let mut out = Vec::new();
    for prefix in ["wamid.", "wacid."] {
        for (start, _) in text.match_indices(prefix) {
            let body: String = text[start + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_'))
                .collect();
            // A last character that makes no whole byte is dropped.
            let usable = &body[..body.len() - usize::from(body.len() % 4 == 1)];
            let bytes = engines
                .iter()
                .find_map(|e| e.decode(usable).ok())
                .unwrap_or_else(|| body.clone().into_bytes());
            out.push((format!("{prefix}{body}"), bytes));
        }
    }
    out
}

/// Whether `bytes` hold a run of at least six ASCII digits.
fn has_digit_run(bytes: &[u8]) -> bool {
    bytes
        .split(|b| !b.is_ascii_digit())
        .any(|run| run.len() >= 6)
}

/// Issue 9 item 7: every `wamid.` (and `wacid.`) id in the masked corpus, in every mode but
/// partial, decodes (as base64) to no run of six or more digits and to none of the body's
/// phone numbers. The same check finds phone numbers in the raw ids, so it is not vacuous.
#[test]
fn masked_message_ids_decode_to_no_phone_number() {
    let bodies = bodies();
    if bodies.is_empty() {
        return;
    }
    let mut raw_with_digits = 0usize;
    let mut checked = 0usize;
    for (name, body) in &bodies {
        let webhook = wa_payload::parse(body).unwrap();
        let phones: Vec<String> = webhook
            .items()
            .filter_map(|i| i.party.phone)
            .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|p| p.len() >= 7)
            .collect();
        let raw = String::from_utf8_lossy(body);
        raw_with_digits += decoded_ids(&raw)
            .iter()
            .filter(|(_, bytes)| has_digit_run(bytes))
            .count();
        for masker in [Masker::pseudonym(key()), Masker::strip(key())] {
            let out = String::from_utf8(masker.mask(body).unwrap()).unwrap();
            for (id, bytes) in decoded_ids(&out) {
                let ctx = format!("{name} ({}): {id}", masker.mode());
                assert!(!has_digit_run(&bytes), "{ctx} decodes to digits");
                let decoded = String::from_utf8_lossy(&bytes);
                for phone in &phones {
                    assert!(!decoded.contains(phone.as_str()), "{ctx} holds a phone");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "too few masked ids checked: {checked}");
    assert!(
        raw_with_digits >= 30,
        "the check finds too few raw ids with a phone: {raw_with_digits}"
    );
}

/// The same message id gives the same pseudonym in every body of the corpus (a message, its
/// statuses, replies and reactions stay correlated), and different ids different ones.
#[test]
fn masked_message_ids_correlate_across_the_corpus() {
    use std::collections::HashMap;

    fn walk(orig: &Value, masked: &Value, pairs: &mut Vec<(String, String)>) {
        match (orig, masked) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in a {
                    walk(v, &b[k], pairs);
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                for (x, y) in a.iter().zip(b) {
                    walk(x, y, pairs);
                }
            }
            (Value::String(a), Value::String(b)) if a.starts_with("wamid.") => {
                pairs.push((a.clone(), b.clone()));
            }
            _ => {}
        }
    }

    let mut forward: HashMap<String, String> = HashMap::new();
    let mut backward: HashMap<String, String> = HashMap::new();
    let masker = Masker::strip(key());
    for (name, body) in bodies() {
        let orig: Value = serde_json::from_slice(&body).unwrap();
        let masked: Value = serde_json::from_slice(&masker.mask(&body).unwrap()).unwrap();
        let mut pairs = Vec::new();
        walk(&orig, &masked, &mut pairs);
        for (raw, pseudonym) in pairs {
            assert_ne!(raw, pseudonym, "{name}");
            assert!(pseudonym.starts_with("wamid."), "{name}");
            assert_eq!(
                forward
                    .entry(raw.clone())
                    .or_insert_with(|| pseudonym.clone()),
                &pseudonym,
                "{name}: one id, two pseudonyms"
            );
            assert_eq!(
                backward.entry(pseudonym).or_insert_with(|| raw.clone()),
                &raw,
                "{name}: two ids, one pseudonym"
            );
        }
    }
    if corpus_dir().is_some() {
        assert!(forward.len() >= 25, "too few ids: {}", forward.len());
    }
}

/// Archive keys (`archive-hash`, which depends on nothing of this crate) refuse the raw
/// message ids of the corpus that hold a phone number and take every pseudonym the masker
/// puts in their place.
#[test]
fn archive_keys_take_masked_message_ids_and_refuse_raw_ones() {
    use archive_hash::{ArchiveError, ArchiveKey, UnixSeconds, is_raw_message_id};

    let recipient = "p1:k1:0a1b2c".parse().unwrap();
    let mut refused = 0usize;
    let mut taken = 0usize;
    for (name, body) in bodies() {
        let raw = String::from_utf8_lossy(&body);
        for (id, bytes) in decoded_ids(&raw) {
            if has_digit_run(&bytes) {
                assert!(is_raw_message_id(&id), "{name}: {id}");
                let refusal =
                    ArchiveKey::new(None, UnixSeconds::new(0), &recipient, &id, "image/png");
                assert!(matches!(refusal, Err(ArchiveError::RawMessageId)), "{name}");
                refused += 1;
            }
        }
        let out = String::from_utf8(Masker::strip(key()).mask(&body).unwrap()).unwrap();
        for (id, _) in decoded_ids(&out) {
            let archive_key =
                ArchiveKey::new(None, UnixSeconds::new(0), &recipient, &id, "image/png")
                    .unwrap_or_else(|e| panic!("{name}: {id}: {e}"));
            assert_eq!(archive_key.message_id().unwrap(), id);
            taken += 1;
        }
    }
    if corpus_dir().is_some() {
        assert!(
            refused >= 30 && taken >= 100,
            "refused {refused}, taken {taken}"
        );
    }
}
