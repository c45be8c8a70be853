//! Idempotency keys: [`ItemKey`], one per routable item, made by a [`KeyScheme`].
//!
//! A provider redelivers a webhook it did not see acknowledged, and a batch may be split
//! differently across regions from one delivery to the next, so a node dedupes **items**,
//! not bodies. An item's key is a keyed digest of:
//!
//! * the provider, the item's kind and its change `field` (Cloud API) or event name
//!   (WASender);
//! * its id (wamid, call id, WASender `key.id`), when it has one;
//! * the canonical bytes of the item's own JSON object (keys sorted, no insignificant
//!   whitespace, strings re-escaped one way): so each status of a message (`sent`,
//!   `delivered`, `read`) is its own update, and an item without an id is keyed by its
//!   content alone.
//!
//! The item's object is the same bytes in the original batch and in any split of it (a split
//! splices the original bytes), so keys survive a split. The digest is HMAC-SHA256 under the
//! deployment's secret, truncated to 128 bits: a key reveals nothing about the item without
//! the secret, and a node can store it as is (16 bytes, or 32 hex digits).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::Sha256;
use wa_payload::{ItemKind, Provider};

use crate::DeliveryError;

type HmacSha256 = Hmac<Sha256>;

/// Domain separation of every key's MAC input.
const DOMAIN: &[u8] = b"residency-delivery/item-key/v1\0";

/// Shortest secret accepted by [`KeyScheme::new`], in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// The idempotency key of one item: 128 bits of a keyed digest.
///
/// Fixed size, with a stable byte form ([`ItemKey::as_bytes`], [`ItemKey::from_bytes`]) and
/// text form (32 lowercase hex digits: `Display`, `FromStr`, serde), to store in a `BLOB(16)`,
/// `BYTEA` or `CHAR(32)` column. `Debug` shows the first four bytes only.
///
/// ```
/// use residency_delivery::ItemKey;
///
/// let key: ItemKey = "00112233445566778899aabbccddeeff".parse()?;
/// assert_eq!(key.as_bytes()[15], 0xff);
/// assert_eq!(key.to_string(), "00112233445566778899aabbccddeeff");
/// assert_eq!(ItemKey::from_bytes(*key.as_bytes()), key);
/// assert_eq!(format!("{key:?}"), "ItemKey(00112233…)");
/// assert!("0011".parse::<ItemKey>().is_err());
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ItemKey([u8; 16]);

impl ItemKey {
    /// A key from its 16 bytes (e.g. read back from storage).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The key's 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The first 64 bits, for hashing (the key is already uniformly distributed).
    pub(crate) fn fold(&self) -> u64 {
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&self.0[..8]);
        hi.copy_from_slice(&self.0[8..]);
        u64::from_le_bytes(lo) ^ u64::from_le_bytes(hi).rotate_left(29)
    }
}

impl Hash for ItemKey {
    /// One `u64` write: the key is a digest, so its bits are already uniform.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.fold());
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ItemKey(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…)")
    }
}

impl FromStr for ItemKey {
    type Err = DeliveryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 32 {
            return Err(DeliveryError::InvalidItemKey {
                position: b.len().min(32),
            });
        }
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            let hex = |p: usize| {
                b.get(p)
                    .and_then(|c| char::from(*c).to_digit(16))
                    .and_then(|d| u8::try_from(d).ok())
                    .ok_or(DeliveryError::InvalidItemKey { position: p })
            };
            *o = (hex(2 * i)? << 4) | hex(2 * i + 1)?;
        }
        Ok(Self(out))
    }
}

impl Serialize for ItemKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Makes [`ItemKey`]s under one secret. Every node that shares a dedupe store must use the
/// same secret (it is part of the region's configuration, like its database).
///
/// `Debug` prints `[REDACTED]`; the keyed HMAC state is zeroized on drop.
///
/// ```
/// use residency_delivery::KeyScheme;
///
/// let scheme = KeyScheme::new(b"a region secret, 32 bytes long!!")?;
/// let sent = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
///   "value":{"statuses":[{"id":"wamid.A","status":"sent","recipient_id":"4915112345678"}]}}]}]}"#;
/// let read = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
///   "value":{"statuses":[{"id":"wamid.A","status":"read","recipient_id":"4915112345678"}]}}]}]}"#;
/// let a = scheme.keys(sent)?;
/// assert_eq!(a.len(), 1);
/// assert_ne!(a, scheme.keys(read)?); // each status of a message is its own update
/// assert_eq!(a, scheme.keys(sent)?); // a redelivery has the same key
/// assert_eq!(format!("{scheme:?}"), "KeyScheme([REDACTED])");
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
#[derive(Clone)]
pub struct KeyScheme {
    mac: HmacSha256,
}

impl KeyScheme {
    /// A scheme keyed by `secret` (at least 16 bytes; use 32 random bytes).
    ///
    /// # Errors
    /// [`DeliveryError::ShortSecret`] for a secret under [`MIN_SECRET_LEN`] bytes.
    pub fn new(secret: &[u8]) -> Result<Self, DeliveryError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(DeliveryError::ShortSecret);
        }
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| DeliveryError::ShortSecret)?;
        Ok(Self { mac })
    }

    /// The key of one item from its parts: provider, kind, `field` (Cloud API change field
    /// or WASender event name), id, and the canonical bytes of its JSON object.
    ///
    /// [`KeyScheme::keys`] calls this for every item of a body; call it directly when the
    /// parts come from elsewhere (each part is length-prefixed, so no two tuples collide).
    pub fn key(
        &self,
        provider: Provider,
        kind: ItemKind,
        field: Option<&str>,
        id: Option<&str>,
        canonical: &[u8],
    ) -> ItemKey {
        let mut mac = self.mac.clone();
        mac.update(DOMAIN);
        for part in [
            Some(provider.as_str().as_bytes()),
            Some(kind.as_str().as_bytes()),
            field.map(str::as_bytes),
            id.map(str::as_bytes),
            Some(canonical),
        ] {
            match part {
                Some(bytes) => {
                    mac.update(&[1]);
                    mac.update(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_le_bytes());
                    mac.update(bytes);
                }
                None => mac.update(&[0]),
            }
        }
        let tag = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag[..16]);
        ItemKey(out)
    }

    /// The key of every routable item of `body`, in document order (the order of
    /// [`wa_payload::Webhook::items`] and of `residency_core`'s routing decision).
    ///
    /// # Errors
    /// [`DeliveryError::Payload`] for a body `wa_payload::parse` refuses; the message names
    /// a JSON path and position, never a value.
    pub fn keys(&self, body: &[u8]) -> Result<Vec<ItemKey>, DeliveryError> {
        let webhook = wa_payload::parse(body).map_err(DeliveryError::Payload)?;
        let provider = webhook.provider();
        let mut canonical = Vec::new();
        Ok(webhook
            .items()
            .map(|item| {
                canonical.clear();
                // The item's own object, found by the routing rules (`Webhook::source`).
                if let Some(object) = webhook
                    .source(&item)
                    .and_then(|s| serde_json::to_value(s).ok())
                {
                    write_canonical(&object, &mut canonical);
                }
                self.key(provider, item.kind, item.field, item.id, &canonical)
            })
            .collect())
    }
}

impl fmt::Debug for KeyScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyScheme([REDACTED])")
    }
}

/// Appends the canonical form of `v`: object keys sorted by their bytes, no whitespace,
/// strings and numbers as `serde_json` writes them.
fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (n, (k, child)) in entries.into_iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(k.clone()), out);
                out.push(b':');
                write_canonical(child, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (n, child) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_canonical(child, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(v: &Value, out: &mut Vec<u8>) {
    // Writing a scalar `Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme() -> KeyScheme {
        KeyScheme::new(&[9; 32]).unwrap()
    }

    const BATCH: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"messages":[{"from":"4915112345678","id":"wamid.DE","timestamp":"1","type":"text","text":{"body":"hallo"}},{"from":"5511987654321","id":"wamid.BR","timestamp":"1","type":"text","text":{"body":"oi"}}],"user_preferences":[{"wa_id":"4915112345678","detail":"x","category":"marketing_messages","value":"stop","timestamp":1}]}}]}]}"#;

    #[test]
    fn keys_survive_a_split_and_whitespace() {
        let decision = residency_core::route::Router::seed()
            .route(bytes::Bytes::from_static(BATCH))
            .unwrap();
        assert!(decision.is_split());
        let all = scheme().keys(BATCH).unwrap();
        assert_eq!(all.len(), 3);
        let mut split: Vec<ItemKey> = Vec::new();
        for body in decision.bodies() {
            split.extend(scheme().keys(body.body()).unwrap());
        }
        split.sort_unstable();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(
            split, sorted,
            "the same keys, whichever body carries the items"
        );
        let spaced = String::from_utf8(BATCH.to_vec())
            .unwrap()
            .replace("\"type\":\"text\"", "\"type\" : \"text\"");
        assert_eq!(scheme().keys(spaced.as_bytes()).unwrap(), all);
    }

    #[test]
    fn keys_depend_on_the_secret_content_and_parts() {
        let a = scheme().keys(BATCH).unwrap();
        let other = KeyScheme::new(&[8; 32]).unwrap().keys(BATCH).unwrap();
        assert!(a.iter().zip(&other).all(|(x, y)| x != y));
        let edited = String::from_utf8(BATCH.to_vec())
            .unwrap()
            .replace("oi", "ola");
        let b = scheme().keys(edited.as_bytes()).unwrap();
        assert_eq!(a[0], b[0]);
        assert_ne!(a[1], b[1]);
        let s = scheme();
        let k = |field, id| s.key(Provider::CloudApi, ItemKind::Message, field, id, b"{}");
        assert_ne!(k(Some("ab"), None), k(Some("a"), Some("b")));
        assert_ne!(k(None, Some("x")), k(Some("x"), None));
        assert_ne!(
            s.key(Provider::Wasender, ItemKind::Message, None, None, b"{}"),
            k(None, None)
        );
    }

    #[test]
    fn wasender_records_are_found_by_id() {
        let body = br#"{"event":"messages.update","sessionId":"s","data":[{"key":{"id":"A","remoteJid":"4915112345678@s.whatsapp.net"},"update":{"status":3}},{"key":{"id":"B","remoteJid":"4915112345678@s.whatsapp.net"},"update":{"status":3}}]}"#;
        let keys = scheme().keys(body).unwrap();
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], keys[1]);
        let later =
            String::from_utf8(body.to_vec())
                .unwrap()
                .replacen("\"status\":3", "\"status\":4", 1);
        let later = scheme().keys(later.as_bytes()).unwrap();
        assert_ne!(keys[0], later[0], "a later status update is a new update");
        assert_eq!(keys[1], later[1]);
    }

    #[test]
    fn canonical_form_sorts_keys_and_reescapes() {
        let v: Value =
            serde_json::from_str(r#"{"b":[1, {"z":"\u00e9","a":null}],"a":"x"}"#).unwrap();
        let mut out = Vec::new();
        write_canonical(&v, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":"x","b":[1,{"a":null,"z":"é"}]}"#
        );
    }

    #[test]
    fn bad_input_and_short_secrets_are_typed_errors() {
        assert!(matches!(
            KeyScheme::new(b"short"),
            Err(DeliveryError::ShortSecret)
        ));
        let err = scheme().keys(br#"{"from":"4915112345678"}"#).unwrap_err();
        assert!(matches!(err, DeliveryError::Payload(_)));
        assert!(!err.to_string().contains("4915"));
        assert!(matches!(
            "zz112233445566778899aabbccddeeff".parse::<ItemKey>(),
            Err(DeliveryError::InvalidItemKey { position: 0 })
        ));
        let key = scheme().keys(BATCH).unwrap()[0];
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(serde_json::from_str::<ItemKey>(&json).unwrap(), key);
    }
}
