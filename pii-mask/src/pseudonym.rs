//! Keyed pseudonyms: short, stable, key-scoped tokens that stand in for personal data.
//!
//! A token is `{tag}_{key id}_{16 hex digits}`, e.g. `ph_k1_3f9a0c1d2e4b5a69`, where the hex
//! digits are the first 64 bits of
//! `HMAC-SHA256(key, "pii-mask/v1\0" || kind || "\0" || value)`.
//!
//! - **Domain separation.** The kind is inside the MAC input, so a phone number and a user
//!   id that happen to share their text get unrelated tokens.
//! - **Normalization.** Phone numbers are reduced to their digits first, as ASCII (digits of
//!   other scripts, such as `٤٩١٥١`, count as their [value](crate::phone::decimal_digit)),
//!   so `+49 151 2345-6789`, `+٤٩ ١٥١ ٢٣٤٥-٦٧٨٩` and `4915123456789` get the same token (an
//!   international `00` prefix is not removed: pass E.164 digits, as both providers send
//!   them). Other kinds are taken as they are.
//! - **Collisions.** With 64-bit tags, the chance that any two of `n` distinct values share
//!   a token is about `n² / 2⁶⁵`: 3 × 10⁻⁸ for a million values, 3 × 10⁻⁴ for a hundred
//!   million. Joins over sets of that size stay exact in practice.
//! - **No unkeyed hashing.** Every token needs the operator's key: the phone-number space is
//!   small enough to brute-force any plain hash of it.

use std::fmt;

use hmac::Mac;

use crate::PseudonymKey;
use crate::key::{HmacSha256, push_hex};
use crate::phone::decimal_digit;

/// Domain separation prefix of every MAC input.
pub(crate) const DOMAIN: &[u8] = b"pii-mask/v1\0";

/// Number of MAC bytes kept in a token (64 bits, 16 hex digits).
pub const TAG_BYTES: usize = 8;

/// What a pseudonymized value is; each kind has its own MAC domain and token tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A phone number (normalized to its digits first). Tag `ph`.
    Phone,
    /// A business-scoped user id, a LID or another platform user id. Tag `uid`.
    UserId,
    /// A person's name, push name or username. Tag `nm`.
    Name,
    /// Free text: message bodies, captions, addresses. Tag `tx`.
    Text,
    /// An e-mail address. Tag `em`.
    Email,
    /// A payment card number. Tag `cc`.
    Card,
    /// An IBAN. Tag `ib`.
    Iban,
    /// An IP address. Tag `ip`.
    Ip,
    /// Any other identifier: click ids, identity hashes, media keys, URLs. Tag `id`.
    Opaque,
}

impl Kind {
    /// The short tag that starts this kind's tokens.
    ///
    /// ```
    /// assert_eq!(pii_mask::pseudonym::Kind::Phone.tag(), "ph");
    /// ```
    pub const fn tag(self) -> &'static str {
        match self {
            Self::Phone => "ph",
            Self::UserId => "uid",
            Self::Name => "nm",
            Self::Text => "tx",
            Self::Email => "em",
            Self::Card => "cc",
            Self::Iban => "ib",
            Self::Ip => "ip",
            Self::Opaque => "id",
        }
    }

    /// The domain name mixed into the MAC input.
    const fn domain(self) -> &'static [u8] {
        match self {
            Self::Phone => b"phone",
            Self::UserId => b"user_id",
            Self::Name => b"name",
            Self::Text => b"text",
            Self::Email => b"email",
            Self::Card => b"card",
            Self::Iban => b"iban",
            Self::Ip => b"ip",
            Self::Opaque => b"opaque",
        }
    }
}

/// A pseudonym: a token such as `ph_k1_3f9a0c1d2e4b5a69`, or a message id in the shape of
/// one ([`PseudonymKey::pseudonymize_message_id`]).
///
/// A pseudonym is not personal data on its own, but it is linkable under one key by design,
/// so it still counts as pseudonymous (not anonymous) data under GDPR.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym(String);

impl Pseudonym {
    pub(crate) fn new(text: String) -> Self {
        Self(text)
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonym({})", self.0)
    }
}

impl PseudonymKey {
    /// The pseudonym of `value` as a `kind`, under this key.
    ///
    /// ```
    /// use pii_mask::PseudonymKey;
    /// use pii_mask::pseudonym::Kind;
    ///
    /// let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
    /// let a = key.pseudonymize(Kind::Phone, "+49 151 2345 6789");
    /// let b = key.pseudonymize(Kind::Phone, "4915123456789");
    /// assert_eq!(a, b);
    /// assert!(a.as_str().starts_with("ph_k1_"));
    /// assert_eq!(a.as_str().len(), "ph_k1_".len() + 16);
    /// assert_ne!(a, key.pseudonymize(Kind::UserId, "4915123456789"));
    /// # Ok::<(), pii_mask::MaskError>(())
    /// ```
    pub fn pseudonymize(&self, kind: Kind, value: &str) -> Pseudonym {
        let tag = self.tag(kind, value.as_bytes());
        let mut out = String::with_capacity(kind.tag().len() + self.id().len() + 2 + 2 * TAG_BYTES);
        out.push_str(kind.tag());
        out.push('_');
        out.push_str(self.id());
        out.push('_');
        push_hex(&mut out, &tag);
        Pseudonym::new(out)
    }

    /// The truncated MAC of `value` as a `kind` (phones normalized to digits).
    fn tag(&self, kind: Kind, value: &[u8]) -> [u8; TAG_BYTES] {
        let mut mac = self.mac();
        mac.update(DOMAIN);
        mac.update(kind.domain());
        mac.update(b"\0");
        if kind == Kind::Phone {
            feed_phone_digits(&mut mac, value);
        } else {
            mac.update(value);
        }
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; TAG_BYTES];
        for (dst, src) in out.iter_mut().zip(full.iter()) {
            *dst = *src;
        }
        out
    }
}

/// Feeds the digits of a phone number, in order and as ASCII (digits of other scripts
/// normalized by [`decimal_digit`]), without allocating.
fn feed_phone_digits(mac: &mut HmacSha256, value: &[u8]) {
    if value.is_ascii() {
        for run in value.split(|b| !b.is_ascii_digit()) {
            mac.update(run);
        }
        return;
    }
    let mut buf = [0u8; 32];
    let mut len = 0;
    for c in String::from_utf8_lossy(value).chars() {
        if let Some(d) = decimal_digit(c) {
            if let Some(slot) = buf.get_mut(len) {
                *slot = b'0' + d;
                len += 1;
            } else {
                mac.update(&buf);
                buf[0] = b'0' + d;
                len = 1;
            }
        }
    }
    mac.update(buf.get(..len).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, secret: &[u8]) -> PseudonymKey {
        PseudonymKey::new(id, secret).unwrap()
    }

    #[test]
    fn known_answer_matches_the_documented_construction() {
        use hmac::KeyInit;
        let k = key("k1", b"key");
        let mut mac = crate::key::HmacSha256::new_from_slice(b"key").unwrap();
        mac.update(b"pii-mask/v1\x00phone\x00491511234567");
        let full = mac.finalize().into_bytes();
        let mut hex = String::new();
        push_hex(&mut hex, &full[..8]);
        assert_eq!(
            k.pseudonymize(Kind::Phone, "+49 151 1234567").as_str(),
            format!("ph_k1_{hex}")
        );
    }

    #[test]
    fn phones_get_one_token_whatever_their_script() {
        let k = key("k1", b"key");
        let ascii = k.pseudonymize(Kind::Phone, "+49 151 23456789");
        for other in [
            "+٤٩ ١٥١ ٢٣٤٥٦٧٨٩",
            "+۴۹ ۱۵۱ ۲۳۴۵۶۷۸۹",
            "+४९ १५१ २३४५६७८९",
            "＋４９ １５１ ２３４５６７８９",
            "+49 151 २३४५६७८९",
        ] {
            assert_eq!(k.pseudonymize(Kind::Phone, other), ascii, "{other}");
        }
        // Long inputs cross the buffer without losing or reordering a digit.
        let long_arabic: String = "٠١٢٣٤٥٦٧٨٩".repeat(5);
        let long_ascii = "0123456789".repeat(5);
        assert_eq!(
            k.pseudonymize(Kind::Phone, &long_arabic),
            k.pseudonymize(Kind::Phone, &long_ascii)
        );
        assert_ne!(
            k.pseudonymize(Kind::Phone, "+49 151 23456789"),
            k.pseudonymize(Kind::Phone, "+49 151 23456798")
        );
    }

    #[test]
    fn tokens_differ_across_keys_ids_and_kinds() {
        let a = key("k1", b"one");
        let b = key("k1", b"two");
        let c = key("k2", b"one");
        let v = "Sheena Nelson";
        let ta = a.pseudonymize(Kind::Name, v);
        assert_ne!(ta, b.pseudonymize(Kind::Name, v));
        assert_ne!(ta, c.pseudonymize(Kind::Name, v));
        assert_ne!(
            ta.as_str()[6..],
            a.pseudonymize(Kind::Text, v).as_str()[6..]
        );
        assert_eq!(ta, a.pseudonymize(Kind::Name, v));
    }

    #[test]
    fn tags_are_distinct() {
        let all = [
            Kind::Phone,
            Kind::UserId,
            Kind::Name,
            Kind::Text,
            Kind::Email,
            Kind::Card,
            Kind::Iban,
            Kind::Ip,
            Kind::Opaque,
        ];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x.tag(), y.tag());
                assert_ne!(x.domain(), y.domain());
            }
        }
    }
}
