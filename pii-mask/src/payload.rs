//! Shape-preserving masking of whole webhook bodies, for both providers.
//!
//! [`Masker::mask`] parses a body, rewrites every personal-data field according to its
//! [`Mode`], and serializes it back as compact JSON. The output has the same shape as the
//! input: the same keys in the same order, the same JSON types (a string stays a string, a
//! number a number), arrays of the same length. Fields that carry no personal data
//! (timestamps, types, statuses, business ids, pricing, error codes) are left as they are,
//! so the masked body still parses with `wa-payload` and still routes.
//!
//! Which fields hold personal data is read from wa-payload's model, the one list of them
//! ([`wa_payload::schema`]): a field whose model type is a phone, JID, user id, message id,
//! name, text, link or other redacted value is masked as its type says, and a field the model
//! holds as plain data (a type, a status, a time, the business's own number) is kept. Fields
//! the model does not describe, which a provider may add at any time, are masked by their
//! key, failing closed. The classes:
//!
//! | field class | examples | `partial` | `pseudonym` | `strip` |
//! | --- | --- | --- | --- | --- |
//! | phone | `from`, `wa_id`, `recipient_id`, `to`, contact-card `phone`, WASender `cleanedSenderPn` | `4915****89` | `ph_k1_…` (`id_k1_…` for a value not shaped like a phone number) | calling code `49` (`+` when there is none) |
//! | JID | WASender `remoteJid`, `senderPn`, `participant`, `jid`, `owner`, chat and participant ids | `4915****89@s.whatsapp.net` | `ph_k1_…@s.whatsapp.net` | `49@s.whatsapp.net` |
//! | other address | a phone or JID field holding `user@domain` of another domain | `****@[REDACTED]` | `id_k1_…@id_k1_…` | `@` |
//! | LID, group | WASender `senderLid`, `…@lid`, `…@g.us` | `****89@lid` | `uid_k1_…@lid`, `id_k1_…@g.us` | `@lid`, `@g.us` |
//! | user id | `*user_id` (`US.1349…`; a malformed id, which names no country, is masked whole) | `US.****18` | `US.uid_k1_…` | `US.` |
//! | name | profile `name`, `username`, contact-card names, `pushName`, `notify`, `verifiedName`, group `subject` | `[REDACTED]` | `nm_k1_…` | `""` |
//! | text | `body`, `caption`, `text`, `conversation`, `messageBody`, `filename`, `vcard`, order text, `response_json`, system bodies, error `details`, addresses, e-mails | `[REDACTED]` | `tx_k1_…` | `""` |
//! | opaque | `ctwa_clid`, identity `hash`, `biz_opaque_callback_data`, `mediaKey`, `jpegThumbnail`, `sdp`, `qr` | `[REDACTED]` | `id_k1_…` | `""` |
//! | URL | media `url`, `image_url`, `imgUrl`, `directPath`, `source_url` | `https://host/[REDACTED]` | same as partial | `""` |
//! | coordinate | `latitude`, `longitude`, `degreesLatitude` | rounded to 0.1° | rounded to 0.1° | `0` |
//! | message id | Cloud API message, status, echo and call `id`, `context.id`, reaction `message_id`, edit and revoke `original_message_id`, `group_id`, and any `wamid.…` in another field | kept | [pseudonym](crate::message_id) `wamid.…` of the same shape | same as pseudonym |
//! | client message id | WASender `key.id` | kept | kept, unless a `wamid.…` or shaped like a phone number: then a [pseudonym](crate::message_id) | same as pseudonym |
//!
//! Numbers found in a phone, id, name or text field become `0`; booleans and nulls are kept.
//!
//! # Message ids
//!
//! A Cloud API message id is base64 of a record that holds the user's phone number, so
//! [`Mode::Pseudonym`] and [`Mode::Strip`] replace every one with its keyed pseudonym
//! ([`PseudonymKey::pseudonymize_message_id`]): the same id gives the same pseudonym under
//! one key, so deduplication and the correlation of a message with its statuses, replies
//! and reactions still work, and the pseudonym decodes to no phone number. That is why
//! strip mode needs a key too. Use one key per deployment, kept as long as ids must match
//! (Meta redelivers for up to 7 days): every node that masks a copy of the same webhook must
//! produce the same ids. [`Mode::Partial`] keeps message ids as they are: its output is for
//! the region's own logs, and holds the phone number inside each id.
//!
//! WASender message ids (`key.id`, such as `3EB0C431C26A1916E6B4`) are chosen at random by
//! the sending client and hold no phone number or other identifier of a person, so they are
//! kept in every mode and WASender bodies dedupe on them as before. As a safeguard, one that
//! is a Cloud API id or is shaped like a phone number is pseudonymized like a Cloud API id.
//!
//! ```
//! use pii_mask::{Masker, PseudonymKey};
//!
//! let body = br#"{"event":"messages.upsert","timestamp":1,"data":{"messages":{"key":{"id":"M1","fromMe":false,"remoteJid":"4915123456789@s.whatsapp.net"},"pushName":"Jo","message":{"conversation":"hi there"}}}}"#;
//! let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
//! let out = Masker::strip(key).mask(body)?;
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     r#"{"event":"messages.upsert","timestamp":1,"data":{"messages":{"key":{"id":"M1","fromMe":false,"remoteJid":"49@s.whatsapp.net"},"pushName":"","message":{"conversation":""}}}}"#
//! );
//! # Ok::<(), pii_mask::MaskError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use residency_core::attribution::attribute_phone;
use serde_json::{Map, Value};
use wa_payload::schema::{self, Object, Personal, Shape};
use wa_payload::{Address, Provider};

use crate::phone::{PhoneMask, STARS};
use crate::pseudonym::Kind;
use crate::{MaskError, PseudonymKey, message_id};

/// What replaces the personal data of a masked payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mode {
    /// For logs: phones keep a few digits (the seed's `4915****89`), everything else
    /// personal is replaced by `[REDACTED]`. Message ids are kept as they are, and a Cloud
    /// API message id holds the user's phone number: keep this output in the region. The
    /// default.
    #[default]
    Partial,
    /// For analytics: each value becomes its keyed [pseudonym](crate::pseudonym), so the
    /// same person gets the same token across payloads under one key; message ids become
    /// keyed [pseudonyms of the same shape](crate::message_id).
    Pseudonym,
    /// For failover into a region the data may not live in: personal fields are emptied,
    /// phone fields keep only their calling code, and message ids become keyed
    /// [pseudonyms of the same shape](crate::message_id), so the receiving region can
    /// still deduplicate them. Needs a key for that.
    Strip,
}

impl Mode {
    /// The mode's name: `partial`, `pseudonym` or `strip`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::Pseudonym => "pseudonym",
            Self::Strip => "strip",
        }
    }
}

impl FromStr for Mode {
    type Err = MaskError;

    /// ```
    /// assert_eq!("strip".parse::<pii_mask::Mode>().unwrap(), pii_mask::Mode::Strip);
    /// assert!("STRIP".parse::<pii_mask::Mode>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, MaskError> {
        match s {
            "partial" => Ok(Self::Partial),
            "pseudonym" => Ok(Self::Pseudonym),
            "strip" => Ok(Self::Strip),
            _ => Err(MaskError::UnknownMode),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Placeholder for personal text in [`Mode::Partial`].
pub const REDACTED: &str = "[REDACTED]";

/// Masks webhook bodies in one [`Mode`].
///
/// `Debug` shows the mode and the key id, never the key.
#[derive(Debug, Clone)]
pub struct Masker {
    mode: Mode,
    key: Option<PseudonymKey>,
    phone: PhoneMask,
}

impl Masker {
    /// A masker for logs ([`Mode::Partial`]) with the seed's phone format.
    pub fn partial() -> Self {
        Self {
            mode: Mode::Partial,
            key: None,
            phone: PhoneMask::SEED,
        }
    }

    /// A masker for analytics ([`Mode::Pseudonym`]) under `key`.
    pub fn pseudonym(key: PseudonymKey) -> Self {
        Self {
            mode: Mode::Pseudonym,
            key: Some(key),
            phone: PhoneMask::SEED,
        }
    }

    /// A masker for failover ([`Mode::Strip`]); `key` pseudonymizes message ids (see
    /// [Message ids](self#message-ids)).
    ///
    /// The key must be the same on every node that may mask a copy of the same webhook, for
    /// as long as the receiving region deduplicates ids. A caller that only needs ids to
    /// match within one process (a one-off export, a CLI run) can draw a key at random; this
    /// crate reads no random source itself.
    pub fn strip(key: PseudonymKey) -> Self {
        Self {
            mode: Mode::Strip,
            key: Some(key),
            phone: PhoneMask::SEED,
        }
    }

    /// A masker in `mode`; [`Mode::Pseudonym`] and [`Mode::Strip`] need a key
    /// ([`MaskError::MissingKey`]), [`Mode::Partial`] ignores it.
    ///
    /// ```
    /// use pii_mask::{MaskError, Masker, Mode};
    ///
    /// let err = Masker::new(Mode::Strip, None).unwrap_err();
    /// assert!(matches!(err, MaskError::MissingKey { mode: Mode::Strip }));
    /// assert_eq!(err.to_string(), "strip mode needs a key");
    /// assert!(Masker::new(Mode::Partial, None).is_ok());
    /// ```
    pub fn new(mode: Mode, key: Option<PseudonymKey>) -> Result<Self, MaskError> {
        match (mode, key) {
            (Mode::Pseudonym, Some(key)) => Ok(Self::pseudonym(key)),
            (Mode::Strip, Some(key)) => Ok(Self::strip(key)),
            (Mode::Pseudonym | Mode::Strip, None) => Err(MaskError::MissingKey { mode }),
            (Mode::Partial, _) => Ok(Self::partial()),
        }
    }

    /// The same masker with another phone format for [`Mode::Partial`].
    pub fn with_phone_mask(mut self, phone: PhoneMask) -> Self {
        self.phone = phone;
        self
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Masks one webhook body of either provider and returns it as compact JSON.
    ///
    /// The body must parse with [`wa_payload::parse`] (which also tells the provider); a
    /// body that does not is refused with [`MaskError::Payload`], whose message names a JSON
    /// path and position but none of the input.
    pub fn mask(&self, body: &[u8]) -> Result<Vec<u8>, MaskError> {
        let provider = wa_payload::parse(body)
            .map_err(MaskError::Payload)?
            .provider();
        let mut value: Value = serde_json::from_slice(body).map_err(|e| MaskError::json(&e))?;
        self.mask_value(&mut value, provider)?;
        serde_json::to_vec(&value).map_err(|e| MaskError::json(&e))
    }

    /// Masks an already parsed webhook body of `provider` in place.
    ///
    /// Use this when the body is already a [`serde_json::Value`]; unlike [`Masker::mask`]
    /// it does not check the body against the `wa-payload` models.
    pub fn mask_value(&self, value: &mut Value, provider: Provider) -> Result<(), MaskError> {
        let Value::Object(map) = value else {
            return Err(MaskError::NotAnObject);
        };
        let contacts_event = provider == Provider::Wasender
            && map
                .get("event")
                .and_then(Value::as_str)
                .is_some_and(|e| e.starts_with("contacts."));
        let ctx = Ctx {
            provider,
            contacts_event,
        };
        let root = match provider {
            Provider::CloudApi => Some(schema::cloud()),
            Provider::Wasender => Some(schema::wasender()),
            // A provider a later wa-payload adds: no model to follow, the unmodeled rules
            // alone.
            _ => None,
        };
        self.walk_map(map, None, root, ctx);
        Ok(())
    }

    /// Walks an object whose model is `object` (`None` when the model does not describe it).
    fn walk_map(
        &self,
        map: &mut Map<String, Value>,
        parent: Option<&str>,
        object: Option<Object>,
        ctx: Ctx,
    ) {
        for (key, child) in map.iter_mut() {
            let shape = object.and_then(|o| o.field(key));
            self.walk(child, key, parent, shape, ctx);
        }
    }

    /// Walks the value of field `key` of an object reached as `parent`; `shape` is what the
    /// model says the field holds (`None` when it does not model it).
    fn walk(&self, v: &mut Value, key: &str, parent: Option<&str>, shape: Option<Shape>, ctx: Ctx) {
        match v {
            Value::Object(map) => {
                self.walk_map(map, Some(key), shape.and_then(|s| s.object()), ctx)
            }
            // An array field has the shape of its elements.
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(_) | Value::Array(_) => {
                            self.walk(item, key, parent, shape, ctx);
                        }
                        _ => {
                            let class = match class_of(ctx, parent, key, shape) {
                                // A WASender list of ids (`chats.delete`) may hold addresses.
                                Class::Keep if ctx.provider == Provider::Wasender => {
                                    Class::MaybeAddress
                                }
                                class => class,
                            };
                            self.scalar(item, class);
                        }
                    }
                }
            }
            _ => self.scalar(v, class_of(ctx, parent, key, shape)),
        }
    }

    fn scalar(&self, v: &mut Value, class: Class) {
        match v {
            Value::String(s) => {
                if let Some(new) = self.string(class, s) {
                    *s = new;
                }
            }
            Value::Number(n) => {
                if let Some(new) = self.number(class, n) {
                    *n = new;
                }
            }
            Value::Bool(_) | Value::Null | Value::Object(_) | Value::Array(_) => {}
        }
    }

    fn string(&self, class: Class, s: &str) -> Option<String> {
        Some(match class {
            Class::Keep => return self.message_ids_within(s),
            Class::MaybeAddress => {
                // The routing scan reads any such string of a chat, contact or participant
                // as its party: whatever could hold a phone number is masked as one.
                if s.contains('@') || looks_like_phone(s) || longest_digit_run(s) >= 5 {
                    self.address(s)
                } else {
                    return self.message_ids_within(s);
                }
            }
            Class::MessageId => self.message_id(s)?,
            Class::ClientMessageId => {
                if s.starts_with(message_id::CLOUD_API_PREFIX) || looks_like_phone(s) {
                    self.message_id(s)?
                } else {
                    return None;
                }
            }
            Class::Phone => self.address(s),
            Class::UserId => self.user_id(s),
            Class::Name => self.opaque(Kind::Name, s),
            Class::Text | Class::Coord => self.opaque(Kind::Text, s),
            Class::Opaque => self.opaque(Kind::Opaque, s),
            Class::Url => match self.mode {
                Mode::Strip => String::new(),
                Mode::Partial | Mode::Pseudonym => url_origin(s),
            },
        })
    }

    fn number(&self, class: Class, n: &serde_json::Number) -> Option<serde_json::Number> {
        match class {
            Class::Keep | Class::MaybeAddress => None,
            // Ids are strings: a number where one belongs is kept where ids are kept, and
            // zeroed otherwise.
            Class::MessageId | Class::ClientMessageId if self.mode == Mode::Partial => None,
            Class::Coord => {
                let x = n.as_f64()?;
                let coarse = match self.mode {
                    Mode::Strip => 0.0,
                    Mode::Partial | Mode::Pseudonym => (x * 10.0).round() / 10.0,
                };
                serde_json::Number::from_f64(coarse).or_else(|| Some(0.into()))
            }
            _ => Some(0.into()),
        }
    }

    /// A phone number, or a JID whose user part is a phone number or a LID.
    ///
    /// The value is read with [`wa_payload::Address`], the routing scan's own reading, so the
    /// masked value addresses a person exactly when the original did: a phone number stays a
    /// phone number (its mask), a LID a LID, and anything else stays something that names
    /// no one. A device or agent suffix (`:12`, `.0`) is dropped.
    fn address(&self, s: &str) -> String {
        let domain = s.split_once('@').map(|(_, d)| d);
        let masked = match Address::parse(s) {
            Address::Phone(p) => self.phone_number(p),
            Address::Lid(l) => match self.mode {
                Mode::Partial => tail_mask(l),
                Mode::Pseudonym => self.token(Kind::UserId, l),
                Mode::Strip => String::new(),
            },
            // Nothing to mask, or a WhatsApp address with an empty user part (`:1@c.us`):
            // keep naming no one.
            Address::Other(_) if domain.is_none_or(|d| matches!(d, "s.whatsapp.net" | "c.us")) => {
                String::new()
            }
            // Groups (whose legacy ids start with the creator's number), lists, channels and
            // any other address: an opaque identifier.
            _ => {
                let user = s.split_once('@').map_or(s, |(u, _)| u);
                match self.mode {
                    Mode::Partial => tail_mask(user),
                    Mode::Pseudonym => self.token(Kind::Opaque, user),
                    Mode::Strip => String::new(),
                }
            }
        };
        match domain {
            Some(d) => format!("{masked}@{}", self.domain(d)),
            None => masked,
        }
    }

    /// A phone number (the user part of a phone JID, or a bare value).
    fn phone_number(&self, user: &str) -> String {
        match self.mode {
            Mode::Partial => self.phone.mask(user),
            // A phone token is keyed on the digits alone, so that one number written two
            // ways gets one token; a value that is no phone number (a placeholder such as
            // `<USER_PHONE_NUMBER>`) is tokenized whole, or every such value would become
            // the same "person".
            Mode::Pseudonym if looks_like_phone(user) => self.token(Kind::Phone, user),
            Mode::Pseudonym => self.token(Kind::Opaque, user),
            // The calling code attribution reads (`residency_core::attribution`), so the
            // stripped value routes as the number did at the calling-code level: one of a
            // number, or a bare code (`36`) kept as it is; never one read out of the digits
            // of a placeholder (`q234567890` is no number `234`). Without a code, a number
            // still leaves a mark (`+`): an emptied address names no one, and the item it
            // made would vanish.
            Mode::Strip => match attribute_phone(user).calling_code {
                Some(c) => c.get().to_string(),
                None => "+".to_owned(),
            },
        }
    }

    /// The domain of an address: WhatsApp's own (`s.whatsapp.net`, `c.us`, `lid`, `g.us`,
    /// `broadcast`, `newsletter`) say only what kind of address it is and are kept; any other
    /// (an e-mail address, a crafted value) is personal like the user part.
    fn domain(&self, d: &str) -> String {
        match d {
            "" | "s.whatsapp.net" | "c.us" | "lid" | "g.us" | "broadcast" | "newsletter" => {
                d.to_owned()
            }
            _ => self.opaque(Kind::Opaque, d),
        }
    }

    /// A business-scoped user id: the `CC.` country prefix survives every mode, when the id
    /// is one attribution reads (well formed, a known country). A malformed id names no
    /// country and is masked whole, so that its mask is no well-formed id either: a mask
    /// must not give an id a country, or make two ids that named no one conflict.
    fn user_id(&self, s: &str) -> String {
        let b = s.as_bytes();
        let prefix_len = if b.len() > 3
            && b.get(2) == Some(&b'.')
            && residency_core::attribution::attribute_user_id(s).is_attributed()
        {
            3
        } else {
            0
        };
        let (prefix, rest) = s.split_at(prefix_len);
        let masked = match self.mode {
            Mode::Partial => tail_mask(rest),
            Mode::Pseudonym => self.token(Kind::UserId, s),
            Mode::Strip => String::new(),
        };
        format!("{prefix}{masked}")
    }

    fn opaque(&self, kind: Kind, s: &str) -> String {
        match self.mode {
            Mode::Partial => REDACTED.to_owned(),
            Mode::Pseudonym => self.token(kind, s),
            Mode::Strip => String::new(),
        }
    }

    /// A message id: kept in partial mode (`None`), its keyed pseudonym otherwise.
    fn message_id(&self, s: &str) -> Option<String> {
        match (self.mode, &self.key) {
            (Mode::Partial, _) => None,
            (Mode::Pseudonym | Mode::Strip, Some(key)) => {
                Some(key.pseudonymize_message_id(s).into_string())
            }
            // Unreachable by construction (these modes always have a key); empty it anyway.
            (Mode::Pseudonym | Mode::Strip, None) => Some(String::new()),
        }
    }

    /// `s` with every Cloud API message id inside it pseudonymized, outside partial mode;
    /// `None` when nothing changes.
    fn message_ids_within(&self, s: &str) -> Option<String> {
        match (self.mode, &self.key) {
            (Mode::Pseudonym | Mode::Strip, Some(key)) => message_id::replace_within(s, key),
            _ => None,
        }
    }

    fn token(&self, kind: Kind, s: &str) -> String {
        match &self.key {
            Some(key) => key.pseudonymize(kind, s).into_string(),
            // Unreachable by construction (pseudonym mode always has a key); redact anyway.
            None => REDACTED.to_owned(),
        }
    }
}

/// `****` and the last two characters, when at least eight characters hide behind it.
pub(crate) fn tail_mask(s: &str) -> String {
    let n = s.chars().count();
    if n >= 8 {
        let tail: String = s.chars().skip(n - 2).collect();
        format!("{STARS}{tail}")
    } else {
        STARS.to_owned()
    }
}

/// `scheme://host/[REDACTED]`, or `[REDACTED]` when `s` is not an absolute URL.
fn url_origin(s: &str) -> String {
    if let Some((scheme, rest)) = s.split_once("://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // Userinfo (`user:pass@host`) is personal too.
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        if !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'-')
            && !host.is_empty()
        {
            return format!("{scheme}://{host}/{REDACTED}");
        }
    }
    REDACTED.to_owned()
}

/// The length of the longest run of ASCII digits in `s`.
fn longest_digit_run(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// An optional leading `+`, then digits and the separators a phone number is read with
/// (space, `-`, `.`, `(`, `)`: what `residency_core::attribution::normalize_phone` accepts),
/// with at least five digits. Exactly these values get a phone token keyed on their digits:
/// two of them with the same digits are one number to the routing scan too.
fn looks_like_phone(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    digits >= 5
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')'))
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    provider: Provider,
    /// A WASender `contacts.*` event, whose `status` is the contact's about text.
    contacts_event: bool,
}

/// What a field holds, which decides how each mode rewrites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// No personal data: left as it is.
    Keep,
    /// A phone number or a JID.
    Phone,
    /// A WASender id that may be a JID or phone (chat ids, participants), or a message id.
    MaybeAddress,
    /// A business-scoped user id with a country prefix.
    UserId,
    /// A person's name.
    Name,
    /// Free text.
    Text,
    /// An identifier or secret with no useful structure.
    Opaque,
    /// A URL: its origin survives partial masking.
    Url,
    /// A latitude or longitude.
    Coord,
    /// A Cloud API message, call or group id: base64 of a record that holds a phone number.
    MessageId,
    /// A WASender message id (`key.id`): random, chosen by the sending client.
    ClientMessageId,
}

/// The class of a string or number in field `key` of an object reached as `parent`, whose
/// model says the field holds `shape`.
///
/// The model is the one list of personal fields: a field it types as personal data is masked
/// as its type says ([`class_of_personal`]); a field it models as plain data is kept. The
/// key rules of [`classify_unmodeled`] apply only where the model has nothing to say: fields
/// it does not model (kept verbatim in `extra`), values of another JSON kind than the
/// model's, and providers it does not describe.
fn class_of(ctx: Ctx, parent: Option<&str>, key: &str, shape: Option<Shape>) -> Class {
    // The one rule the model cannot state: one WASender record type carries a call's or
    // delivery's status and, in `contacts.*` events, the contact's about text.
    if ctx.contacts_event && key == "status" {
        return Class::Text;
    }
    match shape {
        Some(shape) => match shape.personal() {
            // A WASender record's `id`, or an id given as `data` itself, is a call or message
            // id or a chat's JID: an item id that must survive, unless it is shaped as an
            // address.
            Some(Personal::Jid) if matches!(key, "id" | "data") => Class::MaybeAddress,
            Some(kind) => class_of_personal(ctx.provider, key, kind),
            None if shape.object().is_none() && !shape.is_verbatim() => Class::Keep,
            // An object field holding a scalar, or a field kept verbatim.
            None => classify_unmodeled(ctx, parent, key),
        },
        None => classify_unmodeled(ctx, parent, key),
    }
}

/// How a field the model types as `kind` is masked.
pub(crate) fn class_of_personal(provider: Provider, key: &str, kind: Personal) -> Class {
    match kind {
        Personal::Phone | Personal::Jid => Class::Phone,
        Personal::UserId => Class::UserId,
        Personal::MessageId => match provider {
            Provider::CloudApi => Class::MessageId,
            _ => Class::ClientMessageId,
        },
        Personal::Name => Class::Name,
        Personal::Body => Class::Text,
        Personal::Link => Class::Url,
        Personal::Other if is_coordinate(key) => Class::Coord,
        // `Other`, and any kind a later wa-payload adds: opaque, so nothing of it survives.
        _ => Class::Opaque,
    }
}

/// A latitude or longitude, which masking rounds instead of removing.
fn is_coordinate(key: &str) -> bool {
    matches!(
        key,
        "latitude" | "longitude" | "degreesLatitude" | "degreesLongitude"
    )
}

/// The key rules for fields the model does not describe: the class of `key` under `parent`.
///
/// Forward compatibility, failing closed: a provider adds fields before wa-payload models
/// them, and those that name a person must still be masked.
fn classify_unmodeled(ctx: Ctx, parent: Option<&str>, key: &str) -> Class {
    match key {
        // Phones and JIDs (both providers).
        "from"
        | "wa_id"
        | "new_wa_id"
        | "recipient_id"
        | "recipient_participant_id"
        | "to"
        | "phone"
        | "phone_number"
        | "customer"
        | "cleanedSenderPn"
        | "cleanedParticipantPn"
        | "remoteJid"
        | "remoteJidAlt"
        | "senderPn"
        | "senderLid"
        | "participant"
        | "participantPn"
        | "participantLid"
        | "participantAlt"
        | "userJid"
        | "owner"
        | "caller"
        | "jid"
        | "lid"
        | "phoneNumber" => Class::Phone,
        "id" => match (ctx.provider, parent) {
            (Provider::CloudApi, Some("threads")) => Class::Phone,
            // Messages (history threads' too), statuses, replies, echoes and calls.
            (
                Provider::CloudApi,
                Some("messages" | "statuses" | "context" | "message_echoes" | "calls"),
            ) => Class::MessageId,
            (Provider::CloudApi, _) => Class::Keep,
            // A message key, alone or in a `keys` list (`messages.delete`).
            (Provider::Wasender, Some("key" | "keys")) => Class::ClientMessageId,
            // WASender, and any provider a later version adds: an id may be an address.
            (_, _) => Class::MaybeAddress,
        },
        // Reactions' `message_id`, edits' and revokes' `original_message_id`.
        k if k == "message_id" || k.ends_with("_message_id") => match ctx.provider {
            Provider::CloudApi => Class::MessageId,
            _ => Class::ClientMessageId,
        },
        "group_id" if ctx.provider == Provider::CloudApi => Class::MessageId,
        k if k.ends_with("user_id") => Class::UserId,
        // Names.
        "name" if parent == Some("location") => Class::Text,
        "name" | "first_name" | "last_name" | "middle_name" | "formatted_name" | "full_name"
        | "username" | "pushName" | "notify" | "verifiedName" | "verifiedBizName" | "subject"
        | "displayName" | "company" | "department" => Class::Name,
        "prefix" | "suffix" if parent == Some("name") => Class::Name,
        // Free text.
        "body"
        | "caption"
        | "text"
        | "conversation"
        | "messageBody"
        | "filename"
        | "fileName"
        | "vcard"
        | "response_json"
        | "details"
        | "payload"
        | "description"
        | "desc"
        | "address"
        | "street"
        | "city"
        | "state"
        | "zip"
        | "email"
        | "birthday"
        | "headline"
        | "emoji"
        | "matchedText"
        | "selectedDisplayText"
        | "contentText" => Class::Text,
        "title" if matches!(parent, Some("org" | "button_reply" | "list_reply")) => Class::Text,
        "title" if ctx.provider == Provider::Wasender => Class::Text,
        "country" | "country_code" if parent == Some("addresses") => Class::Text,
        // Opaque identifiers and secrets.
        "ctwa_clid"
        | "hash"
        | "identity_key_hash"
        | "biz_opaque_callback_data"
        | "mediaKey"
        | "jpegThumbnail"
        | "thumbnail"
        | "sdp"
        | "qr" => Class::Opaque,
        // URLs.
        "url" if parent == Some("urls") => Class::Text,
        "url"
        | "image_url"
        | "video_url"
        | "thumbnail_url"
        | "source_url"
        | "imgUrl"
        | "directPath"
        | "thumbnailDirectPath" => Class::Url,
        // Coordinates.
        k if is_coordinate(k) => Class::Coord,
        _ => Class::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(m: &Masker, json: &str) -> String {
        String::from_utf8(m.mask(json.as_bytes()).unwrap()).unwrap()
    }

    const CLOUD: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234","user_id":"US.13491208655302741918"}],"messages":[{"from":"16505551234","id":"wamid.X","timestamp":"1744344496","type":"location","location":{"latitude":37.4611978,"longitude":-122.16165924072,"name":"Philz Coffee","url":"https://philzcoffee.com/menu"}}]},"field":"messages"}]}]}"#;

    #[test]
    fn partial_mode_on_a_cloud_payload() {
        let out = masked(&Masker::partial(), CLOUD);
        assert!(out.contains(r#""wa_id":"165****34""#), "{out}");
        assert!(out.contains(r#""from":"165****34""#));
        assert!(out.contains(r#""name":"[REDACTED]""#));
        assert!(out.contains(r#""user_id":"US.****18""#));
        assert!(out.contains(r#""latitude":37.5,"longitude":-122.2"#));
        // The model types a shared location's `url` as text the user sent.
        assert!(out.contains(r#""url":"[REDACTED]""#), "{out}");
        assert!(out.contains(r#""display_phone_number":"15550783881""#));
        assert!(out.contains(r#""id":"wamid.X","timestamp":"1744344496","type":"location""#));
    }

    fn key() -> PseudonymKey {
        PseudonymKey::new("k1", b"secret").unwrap()
    }

    #[test]
    fn strip_mode_keeps_calling_codes_and_country_prefixes() {
        let out = masked(&Masker::strip(key()), CLOUD);
        assert!(out.contains(r#""wa_id":"1""#), "{out}");
        assert!(out.contains(r#""user_id":"US.""#));
        assert!(out.contains(r#""name":"""#));
        assert!(out.contains(r#""latitude":0.0"#));
    }

    #[test]
    fn pseudonym_mode_needs_a_key_and_is_stable() {
        assert!(matches!(
            Masker::new(Mode::Pseudonym, None),
            Err(MaskError::MissingKey {
                mode: Mode::Pseudonym
            })
        ));
        let key = key();
        let m = Masker::new(Mode::Pseudonym, Some(key.clone())).unwrap();
        let out = masked(&m, CLOUD);
        let token = key.pseudonymize(Kind::Phone, "16505551234");
        assert_eq!(out.matches(token.as_str()).count(), 2, "{out}");
        assert!(out.contains(r#""user_id":"US.uid_k1_"#));
        assert_eq!(out, masked(&m, CLOUD));
    }

    #[test]
    fn wasender_jids_lids_and_chat_ids() {
        let body = r#"{"event":"chats.upsert","timestamp":1,"data":[{"id":"4915123456789","name":"Jo"}],"x":{"key":{"id":"4915123456789","remoteJid":"123456789012@lid"}}}"#;
        let out = masked(&Masker::partial(), body);
        assert_eq!(
            out,
            r#"{"event":"chats.upsert","timestamp":1,"data":[{"id":"4915****89","name":"[REDACTED]"}],"x":{"key":{"id":"4915123456789","remoteJid":"****12@lid"}}}"#
        );
        let body = r#"{"event":"messages.upsert","data":{"key":{"id":"M","remoteJid":"120363041234567890@g.us","participant":"4915123456789@s.whatsapp.net"}}}"#;
        assert_eq!(
            masked(&Masker::strip(key()), body),
            r#"{"event":"messages.upsert","data":{"key":{"id":"M","remoteJid":"@g.us","participant":"49@s.whatsapp.net"}}}"#
        );
        assert!(masked(&Masker::partial(), body).contains(r#""remoteJid":"****90@g.us""#));
        let body = r#"{"event":"chats.delete","data":["4915123456789","MSG1"]}"#;
        assert_eq!(
            masked(&Masker::strip(key()), body),
            r#"{"event":"chats.delete","data":["49","MSG1"]}"#
        );
    }

    /// A message, a reply to it, a reaction, an edit, and a failed status of it whose error
    /// text quotes the id: every id of one message, wherever it appears.
    const IDS: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"2"},"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1","type":"text","text":{"body":"hi"}},{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=","timestamp":"2","type":"text","text":{"body":"re"},"context":{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="}},{"from":"16505551234","id":"wamid.R","timestamp":"3","type":"reaction","reaction":{"message_id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","emoji":"x"}},{"from":"16505551234","id":"wamid.E","timestamp":"4","type":"edit","edit":{"original_message_id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","message":{"type":"text","text":{"body":"hi!"}}}}],"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","status":"failed","timestamp":"5","recipient_id":"16505551234","errors":[{"code":131026,"title":"Message undeliverable","message":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA= was not delivered"}]}]}}]}]}"#;
    const FIRST_ID: &str = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";

    #[test]
    fn message_ids_become_one_pseudonym_each_in_pseudonym_and_strip_modes() {
        let pseudonym = key().pseudonymize_message_id(FIRST_ID);
        for masker in [Masker::pseudonym(key()), Masker::strip(key())] {
            let out = masked(&masker, IDS);
            assert!(!out.contains("HBgL"), "{}: {out}", masker.mode());
            // The message, the reply's context, the reaction, the edit, the status and the
            // error text all name the same pseudonym, so they still correlate.
            assert_eq!(out.matches(pseudonym.as_str()).count(), 6, "{out}");
            let v: Value = serde_json::from_str(&out).unwrap();
            let value = &v["entry"][0]["changes"][0]["value"];
            assert_eq!(value["messages"][0]["id"], pseudonym.as_str());
            assert_eq!(value["statuses"][0]["id"], pseudonym.as_str());
            assert_eq!(
                value["statuses"][0]["errors"][0]["message"],
                format!("{pseudonym} was not delivered")
            );
            // Another id gets another pseudonym.
            assert_ne!(value["messages"][1]["id"], pseudonym.as_str());
            assert!(
                value["messages"][1]["id"]
                    .as_str()
                    .unwrap()
                    .starts_with("wamid.")
            );
        }
    }

    #[test]
    fn partial_mode_keeps_message_ids() {
        let out = masked(&Masker::partial(), IDS);
        assert_eq!(out.matches(FIRST_ID).count(), 6, "{out}");
    }

    #[test]
    fn a_message_and_its_status_correlate_across_bodies() {
        let status = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"2"},"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","status":"read","timestamp":"9","recipient_id":"16505551234"}]}}]}]}"#;
        let m = Masker::strip(key());
        let message: Value = serde_json::from_str(&masked(&m, IDS)).unwrap();
        let status: Value = serde_json::from_str(&masked(&m, status)).unwrap();
        let value = |v: &Value| v["entry"][0]["changes"][0]["value"].clone();
        assert_eq!(
            value(&message)["messages"][0]["id"],
            value(&status)["statuses"][0]["id"]
        );
    }

    #[test]
    fn wasender_message_ids_are_kept_unless_they_hold_a_number() {
        let body = |id: &str| {
            format!(
                r#"{{"event":"messages.update","data":{{"key":{{"id":"{id}","remoteJid":"4915123456789@s.whatsapp.net","fromMe":false}},"update":{{"status":3}}}}}}"#
            )
        };
        for m in [
            Masker::partial(),
            Masker::pseudonym(key()),
            Masker::strip(key()),
        ] {
            assert!(
                masked(&m, &body("3EB0C431C26A1916E6B4"))
                    .contains(r#""id":"3EB0C431C26A1916E6B4""#)
            );
        }
        for id in ["4915123456789", FIRST_ID] {
            let pseudonym = key().pseudonymize_message_id(id);
            for m in [Masker::pseudonym(key()), Masker::strip(key())] {
                let out = masked(&m, &body(id));
                assert!(out.contains(&format!(r#""id":"{pseudonym}""#)), "{out}");
            }
            assert!(masked(&Masker::partial(), &body(id)).contains(id));
        }
    }

    #[test]
    fn bad_input_is_refused_without_echo() {
        let e = Masker::partial()
            .mask(b"{\"from\":\"4915123456789\"")
            .unwrap_err();
        assert!(!e.to_string().contains("4915"));
        let e = Masker::partial()
            .mask(br#"{"from":"4915123456789"}"#)
            .unwrap_err();
        assert!(matches!(e, MaskError::Payload(_)));
        assert!(!e.to_string().contains("4915"));
        // Transparent: the payload error's own message, printed once.
        assert_eq!(
            e.to_string(),
            wa_payload::PayloadError::UnknownProvider.to_string()
        );
        assert!(matches!(
            Masker::partial().mask(b"[1]"),
            Err(MaskError::Payload(_))
        ));
        let mut v = serde_json::json!([1]);
        assert!(matches!(
            Masker::partial().mask_value(&mut v, Provider::CloudApi),
            Err(MaskError::NotAnObject)
        ));
    }

    /// Every field the model types as personal data, reached from either root along its
    /// path, is masked: the list of personal fields is the model's, and a field wa-payload
    /// starts to type as personal is masked without a change here (or this fails).
    #[test]
    fn every_personal_field_of_the_model_is_masked() {
        const SENTINEL: &str = "4915123456789";
        let masker = Masker::strip(key());
        let mut checked = 0;
        for (provider, root) in [
            (Provider::CloudApi, schema::cloud()),
            (Provider::Wasender, schema::wasender()),
        ] {
            let mut seen: Vec<&str> = Vec::new();
            let mut todo: Vec<(Object, Vec<&str>)> = vec![(root, Vec::new())];
            while let Some((object, path)) = todo.pop() {
                if seen.contains(&object.name()) {
                    continue;
                }
                seen.push(object.name());
                for (key, shape) in object.fields() {
                    let mut here = path.clone();
                    here.push(key);
                    if let Some(kind) = shape.personal() {
                        let mut value = Value::String(SENTINEL.to_owned());
                        for k in here.iter().rev() {
                            value = Value::Object(Map::from_iter([((*k).to_owned(), value)]));
                        }
                        masker.mask_value(&mut value, provider).unwrap();
                        let out = here
                            .iter()
                            .fold(&value, |v, k| &v[*k])
                            .as_str()
                            .unwrap_or_default();
                        assert!(
                            !out.contains(&SENTINEL[2..]),
                            "{provider:?} {} ({kind:?}) kept: {out}",
                            here.join(".")
                        );
                        checked += 1;
                    }
                    if let Some(child) = shape.object() {
                        todo.push((child, here));
                    }
                }
            }
        }
        assert!(checked > 60, "{checked}");
    }

    #[test]
    fn plain_fields_of_the_model_are_kept_and_unmodeled_ones_masked_by_key() {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"2"},"messages":[{"from":"16505551234","id":"wamid.X","timestamp":"1","type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent","response_json":"{}"}},"hologram":{"caller":"4915123456789","name":"Jo"}}]}}]}]}"#;
        let out = masked(&Masker::strip(key()), body);
        // The model: a flow's name and the business's own number are plain data.
        assert!(out.contains(r#""name":"flow""#), "{out}");
        assert!(
            out.contains(r#""display_phone_number":"15550783881""#),
            "{out}"
        );
        // A field the model does not know: masked by its key, failing closed.
        assert!(
            out.contains(r#""hologram":{"caller":"49","name":""}"#),
            "{out}"
        );
    }

    #[test]
    fn url_origins() {
        assert_eq!(
            url_origin("https://u:p@h.example/x?y"),
            "https://h.example/[REDACTED]"
        );
        assert_eq!(url_origin("RAW_IMAGE_URL"), REDACTED);
        assert_eq!(url_origin("://x"), REDACTED);
    }

    #[test]
    fn modes_parse_and_print() {
        for m in [Mode::Partial, Mode::Pseudonym, Mode::Strip] {
            assert_eq!(m.as_str().parse::<Mode>().unwrap(), m);
        }
        assert_eq!(Mode::default(), Mode::Partial);
        assert!(matches!("x".parse::<Mode>(), Err(MaskError::UnknownMode)));
    }
}
