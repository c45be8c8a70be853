//! From a routed body to the rows the node stores: one [`NewItem`] per routable item, with
//! its own JSON, its facts (kind, status, country, region), the keyed pseudonyms of its party
//! for subject requests, and the archive task it needs.
//!
//! The items come from `wa_payload::parse` (the router's scan and typed model), in the order
//! of the routing decision, of `KeyScheme::keys` and of pii-mask's records: every list is
//! checked to have the same length before they are zipped. Each item's JSON is its typed
//! object (`Webhook::source`), found by the same rules that routed it.

use pii_mask::PseudonymKey;
use pii_mask::pseudonym::Kind as PseudonymKind;
use residency_core::route::{Decision, RouteError, Router};
use residency_delivery::ItemKey;
use serde_json::Value;
use wa_payload::{Address, ItemKind, Provider, Role};

use super::store::{NewItem, Task};

/// Why a body's items could not be read (positions only, never values).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ItemsError {
    /// The routing scan refused the body.
    #[error(transparent)]
    Route(#[from] residency_core::route::RouteError),
    /// pii-mask refused the body.
    #[error(transparent)]
    Mask(#[from] pii_mask::MaskError),
    /// The body's parts disagree on the number of items.
    #[error("the body's item lists disagree")]
    Inconsistent,
    /// The body is not JSON.
    #[error("body is not json")]
    Json,
}

/// A user id or LID as a lookup key: a LID's user part (`wa_payload::Address`: without
/// `@lid`, agent and device), a business-scoped user id as it is.
pub fn normalize_user_id(raw: &str) -> &str {
    let raw = raw.trim();
    match Address::parse(raw) {
        Address::Lid(user) => user,
        // A LID typed without its domain, maybe with its device (`118273645546372:12`).
        Address::Phone(bare) if !bare.contains('.') => {
            bare.split_once(':').map_or(bare, |(user, _)| user)
        }
        _ => raw,
    }
}

/// The pseudonyms of a party: (phone, user id or LID).
pub fn subject_pseudonyms(
    key: &PseudonymKey,
    party: &wa_payload::Party<'_>,
) -> (Option<String>, Option<String>) {
    if party.role == Role::Business {
        return (None, None);
    }
    let phone = party
        .phone
        .filter(|p| p.bytes().any(|b| b.is_ascii_digit()))
        .map(|p| key.pseudonymize(PseudonymKind::Phone, p).into_string());
    let uid = party.user_id.or(party.lid).map(|u| {
        key.pseudonymize(PseudonymKind::UserId, normalize_user_id(u))
            .into_string()
    });
    (phone, uid)
}

/// The Cloud API media types the worker archives.
pub const CLOUD_MEDIA_TYPES: &[&str] = &["image", "audio", "video", "document", "sticker"];

/// The WASender media message fields, with the HKDF info string of their media type.
pub const WASENDER_MEDIA: &[(&str, &str)] = &[
    ("imageMessage", "WhatsApp Image Keys"),
    ("stickerMessage", "WhatsApp Image Keys"),
    ("videoMessage", "WhatsApp Video Keys"),
    ("audioMessage", "WhatsApp Audio Keys"),
    ("documentMessage", "WhatsApp Document Keys"),
];

/// The archive task an item needs, if any.
fn task_of(provider: Provider, kind: ItemKind, object: &Value) -> Option<Task> {
    match (provider, kind) {
        (Provider::CloudApi, ItemKind::Message | ItemKind::Echo) => {
            let t = object.get("type")?.as_str()?;
            (CLOUD_MEDIA_TYPES.contains(&t) && object.get(t)?.get("id").is_some())
                .then_some(Task::CloudMedia)
        }
        (Provider::CloudApi, ItemKind::Account) => object
            .get("value")?
            .as_object()?
            .keys()
            .any(|k| k.starts_with("message_template_"))
            .then_some(Task::Template),
        (Provider::CloudApi, _) => None,
        // WASender items are `event`s (or messages): any record with media content.
        _ => {
            let message = object.get("message")?;
            WASENDER_MEDIA
                .iter()
                .any(|(field, _)| {
                    message
                        .get(field)
                        .is_some_and(|m| m.get("url").is_some() && m.get("mediaKey").is_some())
                })
                .then_some(Task::WasenderMedia)
        }
    }
}

/// The rows of a routed body.
///
/// `masked` marks a masked copy: no pseudonyms (it holds none of the party's identity) and
/// no archive task. `media` says whether media archiving is configured.
///
/// # Errors
/// [`ItemsError`] when the body's parts disagree or pii-mask refuses it.
pub fn rows(
    router: &Router,
    decision: &Decision,
    keys: &[ItemKey],
    pseudonyms: &PseudonymKey,
    masked: bool,
    media: bool,
) -> Result<Vec<NewItem>, ItemsError> {
    let body = decision.original();
    let webhook = wa_payload::parse_with(body, router.limits()).map_err(RouteError::from)?;
    let scanned: Vec<wa_payload::Item<'_>> = webhook.items().collect();
    let records = pii_mask::record::anonymize(body, router.policy())?;
    if scanned.len() != decision.items().len()
        || records.len() != scanned.len()
        || keys.len() != scanned.len()
    {
        return Err(ItemsError::Inconsistent);
    }
    let provider = decision.provider();
    let mut out = Vec::with_capacity(scanned.len());
    for (((item, routed), record), key) in
        scanned.iter().zip(decision.items()).zip(&records).zip(keys)
    {
        // The item's own object, found by the routing rules.
        let object = webhook
            .source(item)
            .map(serde_json::to_value)
            .transpose()
            .map_err(|_| ItemsError::Json)?
            .unwrap_or(Value::Null);
        let object = &object;
        let (subject_phone, subject_uid) = if masked {
            (None, None)
        } else {
            subject_pseudonyms(pseudonyms, &item.party)
        };
        let task = if masked {
            None
        } else {
            task_of(provider, item.kind, object).filter(|t| media || *t == Task::Template)
        };
        out.push(NewItem {
            key: *key,
            item_id: routed.id().map(str::to_owned),
            kind: item.kind.as_str().to_owned(),
            status: record.status.map(str::to_owned),
            country: routed.country().map(|c| c.as_str().to_owned()),
            region: routed.region().as_str().to_owned(),
            masked,
            provider: provider.as_str().to_owned(),
            message_type: record.message_type.map(str::to_owned),
            subject_phone,
            subject_uid,
            json: serde_json::to_string(object).map_err(|_| ItemsError::Json)?,
            task,
        });
    }
    Ok(out)
}

/// Whether a message id is one of pii-mask's pseudonyms: its prefix, then
/// [`pii_mask::message_id::BODY_LEN`] URL-safe base64 characters decoding to bytes that all
/// have their high bit set (no ASCII, so no digit of a phone number).
pub fn is_id_pseudonym(id: &str) -> bool {
    use base64::Engine as _;
    let body = id
        .get(pii_mask::message_id::prefix_len(id)..)
        .unwrap_or_default();
    body.len() == pii_mask::message_id::BODY_LEN
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .is_ok_and(|bytes| bytes.iter().all(|b| *b >= 0x80))
}

/// What strip mode leaves of a phone, a JID or a user id: a calling code (at most three
/// digits, possibly none) with an optional `@server` part, or a user id's country prefix
/// (`US.`).
fn is_calling_code_form(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() == 3 && b[2] == b'.' && b[..2].iter().all(u8::is_ascii_uppercase) {
        return true;
    }
    let local = s.split_once('@').map_or(s, |(l, _)| l);
    local.len() <= 3 && local.bytes().all(|b| b.is_ascii_digit())
}

/// Checks that `body` is what pii-mask's strip masker makes: masking it again with `masker`
/// (strip mode, any key) changes nothing but message ids that are already id pseudonyms,
/// and calling codes or user-id country prefixes (what strip leaves of a phone, a JID or a
/// user id).
///
/// Strip mode is not a fixed point as such: it pseudonymizes every message id, and a
/// pseudonym of a pseudonym is another pseudonym; and a calling code alone (`49`) or a
/// country prefix alone (`US.`) has no calling code or country, so stripping it again
/// empties it. Everything else it writes
/// (emptied names and texts, zeroed coordinates) is a fixed point. So a full body (a phone
/// number, a name, a text, a raw id) is told apart from a stripped one.
///
/// # Errors
/// [`ItemsError::Mask`] when the masker refuses the body.
pub fn is_stripped(masker: &pii_mask::Masker, body: &[u8]) -> Result<bool, ItemsError> {
    let again = masker.mask(body)?;
    let a: Value = serde_json::from_slice(body).map_err(|_| ItemsError::Json)?;
    let b: Value = serde_json::from_slice(&again).map_err(|_| ItemsError::Json)?;
    Ok(same_but_ids(&a, &b))
}

fn same_but_ids(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_but_ids(va, vb))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_but_ids(p, q))
        }
        (Value::String(x), Value::String(y)) => {
            x == y || (is_id_pseudonym(x) && is_id_pseudonym(y)) || is_calling_code_form(x)
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PseudonymKey {
        PseudonymKey::new("t1", b"a test secret of at least 32 b!!").unwrap()
    }

    #[test]
    fn stripped_samples_are_fixed_points_and_full_ones_are_not() {
        let strip = pii_mask::Masker::strip(key());
        let other = pii_mask::Masker::strip(
            PseudonymKey::new("n1", b"another key, also 32 bytes long!").unwrap(),
        );
        for sample in crate::samples::SAMPLES {
            let stripped = strip.mask(sample.body).unwrap();
            assert!(is_stripped(&other, &stripped).unwrap(), "{}", sample.name);
            let has_personal = sample.name != "cloud-template-update.json";
            if has_personal {
                assert!(
                    !is_stripped(&other, sample.body).unwrap(),
                    "{}",
                    sample.name
                );
            }
        }
    }

    #[test]
    fn user_ids_normalize_for_lookups() {
        assert_eq!(normalize_user_id("118273645546372@lid"), "118273645546372");
        assert_eq!(
            normalize_user_id("118273645546372:12@lid"),
            "118273645546372"
        );
        assert_eq!(
            normalize_user_id("US.13491208655302741918"),
            "US.13491208655302741918"
        );
        let k = key();
        let id = k.pseudonymize_message_id(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        );
        assert!(is_id_pseudonym(id.as_str()));
        assert!(!is_id_pseudonym(
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
        ));
        assert!(!is_id_pseudonym("3EB0A1B2C3D4E5F60718"));
    }
}
