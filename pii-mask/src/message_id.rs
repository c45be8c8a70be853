//! Message ids are personal data: keyed pseudonyms that keep an id's shape.
//!
//! A Cloud API message id (`wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=`)
//! is base64 of a record that holds the user's phone number (`16503879439` in that one).
//! Call ids (`wacid.…`) and group ids are built the same way. Passing one on raw passes the
//! phone number on.
//!
//! [`PseudonymKey::pseudonymize_message_id`] replaces an id with one of the same shape, so
//! that code which stores, dedupes or correlates ids keeps working:
//!
//! - the id's own prefix is kept: one to eight lowercase ASCII letters and a dot (`wamid.`,
//!   `wacid.`), or nothing when the id has none;
//! - the rest becomes [`BODY_LEN`] characters of URL-safe base64 (the length of a typical
//!   message id; no padding, and `-` and `_` rather than `+` and `/`, so the id needs no
//!   escaping in a URL or an object key) encoding 42 bytes: the first 32 bytes of
//!   `HMAC-SHA256(key, "pii-mask/v1\0message_id\0" || 0x01 || id)`, then the first 10 of the
//!   same with `0x02`, each byte with its high bit set.
//!
//! Properties:
//!
//! - **Stable.** The same id gives the same pseudonym under one key, wherever it appears: a
//!   message's `id`, a status `id`, a reply's `context.id`, a reaction's `message_id`, an
//!   edit's `original_message_id`. Deduplication by id and the correlation of a message with
//!   its statuses work on masked bodies as on raw ones.
//! - **Keyed.** Without the key nothing links a pseudonym to its id; rotating the key changes
//!   every pseudonym, so ids masked before and after a rotation no longer match (rotate
//!   between deduplication windows).
//! - **No phone number.** Every decoded byte is 0x80 or above, so a pseudonym decodes to no
//!   ASCII at all: no digit, let alone a phone number. (This is also how
//!   `archive-hash` tells a pseudonymized id from a raw one.)
//! - **Collisions.** 294 bits of MAC remain: two ids never share a pseudonym in practice.
//!
//! ```
//! use pii_mask::PseudonymKey;
//!
//! let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
//! let id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
//! let masked = key.pseudonymize_message_id(id);
//! assert!(masked.as_str().starts_with("wamid."));
//! assert_eq!(masked.as_str().len(), "wamid.".len() + pii_mask::message_id::BODY_LEN);
//! assert_eq!(masked, key.pseudonymize_message_id(id));
//! assert_ne!(masked, key.pseudonymize_message_id("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA"));
//! # Ok::<(), pii_mask::MaskError>(())
//! ```

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;

use crate::PseudonymKey;
use crate::pseudonym::{DOMAIN, Pseudonym};

/// Characters of a pseudonymized id after its prefix.
pub const BODY_LEN: usize = 56;

/// Bytes behind [`BODY_LEN`] base64 characters.
const BODY_BYTES: usize = BODY_LEN / 4 * 3;

/// The MAC domain of message ids.
const MESSAGE_ID_DOMAIN: &[u8] = b"message_id\0";

/// Longest prefix kept, in letters (`wamid` has five).
const MAX_PREFIX_LETTERS: usize = 8;

/// The prefix at which a Cloud API message id is recognized inside other text.
pub const CLOUD_API_PREFIX: &str = "wamid.";

/// The length of `id`'s prefix: one to eight lowercase ASCII letters and a dot, or 0.
///
/// ```
/// use pii_mask::message_id::prefix_len;
///
/// assert_eq!(prefix_len("wamid.HBgL"), 6);
/// assert_eq!(prefix_len("wacid.ABGG"), 6);
/// assert_eq!(prefix_len("HBgLMTY1"), 0);
/// assert_eq!(prefix_len("WAMID.x"), 0);
/// ```
pub fn prefix_len(id: &str) -> usize {
    let letters = id.bytes().take_while(u8::is_ascii_lowercase).count();
    if (1..=MAX_PREFIX_LETTERS).contains(&letters) && id.as_bytes().get(letters) == Some(&b'.') {
        letters + 1
    } else {
        0
    }
}

impl PseudonymKey {
    /// The pseudonym of a message id (or a call or group id) under this key: its prefix, then
    /// [`BODY_LEN`] base64 characters that decode to no ASCII byte. See the
    /// [module](crate::message_id) for the construction.
    pub fn pseudonymize_message_id(&self, id: &str) -> Pseudonym {
        let mut body = [0u8; BODY_BYTES];
        for (counter, chunk) in (1u8..).zip(body.chunks_mut(32)) {
            let mut mac = self.mac();
            mac.update(DOMAIN);
            mac.update(MESSAGE_ID_DOMAIN);
            mac.update(&[counter]);
            mac.update(id.as_bytes());
            let tag = mac.finalize().into_bytes();
            for (dst, src) in chunk.iter_mut().zip(tag.iter()) {
                // The high bit makes every byte non-ASCII: no digit can be decoded.
                *dst = src | 0x80;
            }
        }
        let prefix = id.get(..prefix_len(id)).unwrap_or_default();
        let mut out = String::with_capacity(prefix.len() + BODY_LEN);
        out.push_str(prefix);
        URL_SAFE_NO_PAD.encode_string(body, &mut out);
        Pseudonym::new(out)
    }
}

/// `text` with every Cloud API message id inside it (`wamid.` at a word start, then base64
/// characters) replaced by its pseudonym; `None` when it holds none.
pub(crate) fn replace_within(text: &str, key: &PseudonymKey) -> Option<String> {
    if !text.contains(CLOUD_API_PREFIX) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + BODY_LEN);
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text
        .get(search..)
        .and_then(|rest| rest.find(CLOUD_API_PREFIX))
    {
        let start = search + found;
        let after_prefix = start + CLOUD_API_PREFIX.len();
        let at_word_start = start == 0
            || !bytes
                .get(start - 1)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let end = after_prefix
            + bytes
                .get(after_prefix..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
                })
                .count();
        if at_word_start {
            out.push_str(text.get(copied..start).unwrap_or_default());
            let id = text.get(start..end).unwrap_or_default();
            out.push_str(key.pseudonymize_message_id(id).as_str());
            copied = end;
        }
        search = end.max(after_prefix);
    }
    if copied == 0 {
        return None;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    Some(out)
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::key::HmacSha256;

    fn key() -> PseudonymKey {
        PseudonymKey::new("k1", b"message id test key").unwrap()
    }

    #[test]
    fn known_answer_matches_the_documented_construction() {
        use hmac::KeyInit;
        let id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
        let mut expected = Vec::new();
        for counter in [1u8, 2] {
            let mut mac = HmacSha256::new_from_slice(b"message id test key").unwrap();
            mac.update(b"pii-mask/v1\0message_id\0");
            mac.update(&[counter]);
            mac.update(id.as_bytes());
            expected.extend(mac.finalize().into_bytes());
        }
        expected.truncate(42);
        let expected: Vec<u8> = expected.iter().map(|b| b | 0x80).collect();
        assert_eq!(
            key().pseudonymize_message_id(id).as_str(),
            format!("wamid.{}", URL_SAFE_NO_PAD.encode(expected))
        );
    }

    #[test]
    fn the_shape_is_kept_and_nothing_ascii_decodes() {
        for id in [
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh",
            "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA",
            "wamid.ID",
            "",
            "M1",
        ] {
            let masked = key().pseudonymize_message_id(id);
            let prefix = &id[..prefix_len(id)];
            let body = masked.as_str().strip_prefix(prefix).unwrap();
            assert_eq!(body.len(), BODY_LEN, "{id}");
            assert!(
                body.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            let decoded = URL_SAFE_NO_PAD.decode(body).unwrap();
            assert_eq!(decoded.len(), 42);
            assert!(decoded.iter().all(|b| *b >= 0x80), "{id}");
        }
    }

    #[test]
    fn stable_per_key_and_distinct_per_id_and_key() {
        let a = key().pseudonymize_message_id("wamid.A");
        assert_eq!(a, key().pseudonymize_message_id("wamid.A"));
        assert_ne!(a, key().pseudonymize_message_id("wamid.B"));
        let other = PseudonymKey::new("k1", b"another key").unwrap();
        assert_ne!(a, other.pseudonymize_message_id("wamid.A"));
        // Not the token of any other kind either.
        assert!(!a.as_str().contains("_k1_"));
    }

    #[test]
    fn ids_inside_text_are_replaced_at_word_starts() {
        let k = key();
        let id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
        let text = format!("message {id} not found; retry {id}.");
        let masked = k.pseudonymize_message_id(id);
        assert_eq!(
            replace_within(&text, &k).unwrap(),
            format!("message {masked} not found; retry {masked}.")
        );
        assert_eq!(replace_within("no ids here", &k), None);
        assert_eq!(replace_within("xwamid.ABC", &k), None);
        assert_eq!(
            replace_within("wamid.", &k).unwrap(),
            k.pseudonymize_message_id("wamid.").into_string()
        );
    }
}
