//! pii-mask's payload masking, in its three modes (see `pii-mask/src/payload.rs`):
//!
//! - a body is masked exactly when `wa_payload::parse` accepts it, and the output parses
//!   again, as the same provider, with the same items (contacts aside: two identities can
//!   mask to one value) and, in partial mode, the same ids;
//! - strip mode (the failover copy) routes at the calling-code level: an item attributed by a
//!   phone number goes to the region of its calling code's main country, one attributed by a
//!   user id or a business to the same region as before;
//! - no party of the output holds what its mode hides of an input party's number (partial:
//!   the middle digits the seed mask hides; pseudonym and strip: the digits after the calling
//!   code; strip keeps no party's phone number of seven digits or more), and no value the
//!   masker rewrote holds the hidden digits of an input party's number.
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use pii_mask::{Masker, Mode, PhoneMask, PseudonymKey};
use residency_core::attribution::{Basis, attribute, normalize_phone};
use residency_core::route::{RouteError, Router};
use serde_json::Value;
use wa_payload::{Address, ItemKind, Role};

fn maskers() -> &'static [Masker; 3] {
    static MASKERS: OnceLock<[Masker; 3]> = OnceLock::new();
    MASKERS.get_or_init(|| {
        let key = PseudonymKey::new("fz", b"fuzz key for the mask target").expect("a valid key");
        [
            Masker::partial(),
            Masker::pseudonym(key.clone()),
            Masker::strip(key),
        ]
    })
}

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(Router::seed)
}

/// The E.164 digits of a party's phone (a number or a phone JID), when it has seven or more.
fn digits(phone: &str) -> Option<String> {
    let number = Address::parse(phone).phone().unwrap_or(phone);
    let mut buf = [0u8; 15];
    let d = normalize_phone(number, &mut buf).ok()?;
    (d.len() >= 7).then(|| String::from_utf8_lossy(d).into_owned())
}

/// What `mode` must not show of a number's digits, when long enough to test without chance
/// matches.
fn hidden(mode: Mode, d: &str) -> Option<String> {
    let h = match mode {
        Mode::Partial => {
            let (p, s) = PhoneMask::SEED.revealed(d.len());
            &d[p..d.len() - s]
        }
        // Keyed tokens are hex: ask for seven digits so that chance matches stay rare.
        _ => d.get(3..)?,
    };
    (h.len() >= if mode == Mode::Partial { 4 } else { 7 }).then(|| h.to_owned())
}

/// `s` without the hex digits of the keyed tokens in it (`ph_fz_3f9a0c1d2e4b5a69`): their
/// digits are a MAC's, and libFuzzer's comparison tracing can steer an input's numbers
/// toward them, so they may match a number by design of the search, not by a leak.
fn without_tokens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("_fz_") {
        out.push_str(&rest[..at + 4]);
        let tail = &rest[at + 4..];
        let hex = tail
            .bytes()
            .take(16)
            .take_while(u8::is_ascii_hexdigit)
            .count();
        rest = &tail[hex..];
    }
    out.push_str(rest);
    out
}

/// Every string leaf of `masked` that differs from the same leaf of `orig`.
fn rewritten<'v>(orig: &Value, masked: &'v Value, out: &mut Vec<&'v str>) {
    match (orig, masked) {
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.len(), b.len(), "masking changes an object's members");
            for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                assert_eq!(ka, kb, "masking changes a key");
                rewritten(va, vb, out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "masking changes an array's length");
            for (va, vb) in a.iter().zip(b) {
                rewritten(va, vb, out);
            }
        }
        (Value::String(a), Value::String(b)) => {
            // A kept field is rewritten only around the message ids it quotes (an error text):
            // the rest of it is not the masker's to hide.
            if a != b && !a.contains("wamid.") && !a.contains("wacid.") {
                out.push(b);
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => {}
        _ => panic!("masking changes a JSON type"),
    }
}

fuzz_target!(|body: &[u8]| {
    let Ok(before) = wa_payload::parse(body) else {
        for masker in maskers() {
            assert!(
                masker.mask(body).is_err(),
                "a body the model refuses is masked"
            );
        }
        return;
    };
    let before_items: Vec<_> = before
        .items()
        .filter(|i| i.kind != ItemKind::Contact)
        .collect();
    let phones: Vec<String> = before
        .items()
        .filter(|i| i.party.role != Role::Business)
        .filter_map(|i| i.party.phone.and_then(digits))
        .collect();
    let orig: Value = serde_json::from_slice(body).expect("an accepted body is JSON");
    let policy = router().policy();

    for masker in maskers() {
        let mode = masker.mode();
        let out = masker
            .mask(body)
            .unwrap_or_else(|e| panic!("{mode}: an accepted body is refused: {e}"));
        let after = wa_payload::parse(&out)
            .unwrap_or_else(|e| panic!("{mode}: the masked body does not parse: {e}"));
        assert_eq!(after.provider(), before.provider());
        let after_items: Vec<_> = after
            .items()
            .filter(|i| i.kind != ItemKind::Contact)
            .collect();
        assert_eq!(
            after_items.len(),
            before_items.len(),
            "{mode}: masking changes the items"
        );
        for (b, a) in before_items.iter().zip(&after_items) {
            assert_eq!((a.kind, a.party.role), (b.kind, b.party.role), "{mode}");
            // Partial mode keeps message ids; a WASender record's `id` may be a chat's
            // address and is masked as one.
            if mode == Mode::Partial && before.provider() == wa_payload::Provider::CloudApi {
                assert_eq!(a.id, b.id, "partial mode keeps ids");
            }
        }

        // The masked body routes (a policy-dependent refusal aside).
        match router().route(Bytes::from(out.clone())) {
            Ok(_) | Err(RouteError::Inseparable(_)) => {}
            Err(e) => panic!("{mode}: the masked body does not route: {e}"),
        }

        // Strip mode routes at the calling-code level.
        if mode == Mode::Strip {
            for (b, a) in before_items.iter().zip(&after_items) {
                let (was, now) = (
                    attribute(b.party.phone, b.party.user_id),
                    attribute(a.party.phone, a.party.user_id),
                );
                let expected = match was.basis {
                    _ if b.party.business.is_some() => continue,
                    Basis::CallingCode | Basis::LeadingDigits => {
                        was.calling_code.and_then(|c| c.main_country())
                    }
                    Basis::UserIdPrefix => was.country,
                    _ => continue,
                };
                assert_eq!(now.country, expected, "strip: an item changes country");
                assert_eq!(
                    policy.region_for(&now),
                    expected.map_or(policy.default_region(), |c| policy.region_for_country(c)),
                    "strip: an item changes region"
                );
            }
            for (b, a) in before.items().zip(after.items()) {
                if let (Some(x), Some(y)) = (b.party.business, a.party.business) {
                    assert_eq!(
                        policy.region_for_business(x.waba_id, x.phone_number_id),
                        policy.region_for_business(y.waba_id, y.phone_number_id),
                        "strip: a business item changes region"
                    );
                }
            }
        }

        // No party of the output shows what the mode hides.
        let secrets: Vec<String> = phones.iter().filter_map(|d| hidden(mode, d)).collect();
        for item in after.items().filter(|i| i.party.role != Role::Business) {
            let p = item.party;
            if mode == Mode::Strip
                && let Some(d) = p.phone.and_then(digits)
            {
                panic!("strip: a party keeps a phone number of {} digits", d.len());
            }
            for s in [p.phone, p.user_id, p.lid].into_iter().flatten() {
                // Keyed tokens are compared without their MAC digits; masks and stripped
                // values without the separators of a phone number (they hide nothing).
                let shown = match mode {
                    Mode::Pseudonym => without_tokens(s),
                    _ => s
                        .chars()
                        .filter(|c| !matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'))
                        .collect(),
                };
                // A seed mask shows at most six digits (four and two), which may by chance be
                // another number's hidden ones.
                if mode == Mode::Partial && shown.bytes().filter(u8::is_ascii_digit).count() <= 6 {
                    continue;
                }
                for secret in &secrets {
                    assert!(
                        !shown.contains(secret.as_str()),
                        "{mode}: a party keeps hidden digits"
                    );
                }
            }
        }
        // No rewritten value shows them either.
        let masked: Value = serde_json::from_slice(&out).expect("masked output is JSON");
        let mut leaves = Vec::new();
        rewritten(&orig, &masked, &mut leaves);
        for leaf in leaves {
            if mode == Mode::Partial && leaf.bytes().filter(u8::is_ascii_digit).count() <= 6 {
                continue;
            }
            // A URL keeps its origin by design (`https://host/[REDACTED]`).
            if leaf.contains("://") && leaf.ends_with("/[REDACTED]") {
                continue;
            }
            // Message id pseudonyms are keyed too (and base64, steerable like tokens).
            if mode != Mode::Partial && (leaf.starts_with("wamid.") || leaf.starts_with("wacid.")) {
                continue;
            }
            let leaf = without_tokens(leaf);
            for secret in &secrets {
                assert!(
                    !leaf.contains(secret.as_str()),
                    "{mode}: a masked value keeps hidden digits: {leaf:?}"
                );
            }
        }
    }
});
