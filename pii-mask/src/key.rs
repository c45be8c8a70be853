//! Operator keys for keyed pseudonyms.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::MaskError;

/// The MAC behind every pseudonym.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Longest key id, in bytes.
pub const MAX_KEY_ID_LEN: usize = 16;

/// A secret HMAC-SHA256 key with a short public id, used for [pseudonyms](crate::pseudonym).
///
/// The id is part of every token the key makes (`ph_k1_…`), so tokens made under an old key
/// stay recognisable when the operator rotates to a new one. The secret never leaves this
/// type: `Debug` prints `[REDACTED]`, and the keyed HMAC state is zeroized on drop (the raw
/// secret bytes are not kept after construction).
///
/// ```
/// use pii_mask::PseudonymKey;
///
/// let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
/// assert_eq!(key.id(), "k1");
/// assert_eq!(format!("{key:?}"), r#"PseudonymKey { id: "k1", secret: [REDACTED] }"#);
/// # Ok::<(), pii_mask::MaskError>(())
/// ```
#[derive(Clone)]
pub struct PseudonymKey {
    id: KeyId,
    mac: HmacSha256,
}

/// A validated key id: 1 to 16 lowercase ASCII letters or digits.
#[derive(Clone, Copy, PartialEq, Eq)]
struct KeyId {
    bytes: [u8; MAX_KEY_ID_LEN],
    len: u8,
}

impl KeyId {
    fn parse(id: &str) -> Result<Self, MaskError> {
        let raw = id.as_bytes();
        if raw.is_empty()
            || raw.len() > MAX_KEY_ID_LEN
            || !raw
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(MaskError::InvalidKeyId);
        }
        let mut bytes = [0u8; MAX_KEY_ID_LEN];
        for (dst, src) in bytes.iter_mut().zip(raw) {
            *dst = *src;
        }
        // `raw.len() <= 16` was checked above.
        Ok(Self {
            bytes,
            len: raw.len() as u8,
        })
    }

    fn as_str(&self) -> &str {
        let n = usize::from(self.len).min(MAX_KEY_ID_LEN);
        // Only ASCII letters and digits were stored, so this cannot fail.
        std::str::from_utf8(self.bytes.get(..n).unwrap_or_default()).unwrap_or_default()
    }
}

impl PseudonymKey {
    /// A key named `id` (1 to 16 lowercase ASCII letters or digits) with the given secret.
    ///
    /// Use at least 32 random bytes. An empty secret is refused with [`MaskError::EmptyKey`].
    ///
    /// ```
    /// use pii_mask::{MaskError, PseudonymKey};
    ///
    /// assert!(matches!(PseudonymKey::new("k1", b""), Err(MaskError::EmptyKey)));
    /// assert!(matches!(PseudonymKey::new("K 1", b"x"), Err(MaskError::InvalidKeyId)));
    /// ```
    pub fn new(id: &str, secret: &[u8]) -> Result<Self, MaskError> {
        let id = KeyId::parse(id)?;
        if secret.is_empty() {
            return Err(MaskError::EmptyKey);
        }
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| MaskError::EmptyKey)?;
        Ok(Self { id, mac })
    }

    /// A key named `id` whose secret is given in hex (upper or lower case).
    ///
    /// ```
    /// use pii_mask::{MaskError, PseudonymKey};
    ///
    /// let key = PseudonymKey::from_hex("k2", "00ff10ab")?;
    /// assert_eq!(key.id(), "k2");
    /// assert!(matches!(
    ///     PseudonymKey::from_hex("k2", "00fg"),
    ///     Err(MaskError::InvalidHex { position: 3 })
    /// ));
    /// # Ok::<(), MaskError>(())
    /// ```
    pub fn from_hex(id: &str, hex: &str) -> Result<Self, MaskError> {
        let secret = zeroize::Zeroizing::new(decode_hex(hex)?);
        Self::new(id, &secret)
    }

    /// A key whose id is derived from the secret itself: `k` and the first 6 hex digits of
    /// `HMAC(secret, "pii-mask/v1\0key-id")`.
    ///
    /// Handy where an operator passes only a secret (the `residency mask --key` flag): a
    /// rotated secret gets a new id without anyone naming it. The 24-bit fingerprint reveals
    /// nothing usable about a secret of normal strength.
    ///
    /// ```
    /// use pii_mask::PseudonymKey;
    ///
    /// let a = PseudonymKey::from_secret(b"secret one")?;
    /// let b = PseudonymKey::from_secret(b"secret two")?;
    /// assert_eq!(a.id().len(), 7);
    /// assert_ne!(a.id(), b.id());
    /// # Ok::<(), pii_mask::MaskError>(())
    /// ```
    pub fn from_secret(secret: &[u8]) -> Result<Self, MaskError> {
        if secret.is_empty() {
            return Err(MaskError::EmptyKey);
        }
        let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| MaskError::EmptyKey)?;
        mac.update(b"pii-mask/v1\0key-id");
        let tag = mac.finalize().into_bytes();
        let mut id = String::with_capacity(7);
        id.push('k');
        push_hex(&mut id, &tag[..3]);
        Self::new(&id, secret)
    }

    /// [`PseudonymKey::from_secret`] with the secret given in hex: what `residency mask
    /// --key HEX` uses.
    ///
    /// ```
    /// use pii_mask::PseudonymKey;
    ///
    /// let a = PseudonymKey::from_secret_hex("00ff10ab")?;
    /// assert_eq!(a.id(), PseudonymKey::from_secret(&[0x00, 0xff, 0x10, 0xab])?.id());
    /// assert!(PseudonymKey::from_secret_hex("").is_err());
    /// # Ok::<(), pii_mask::MaskError>(())
    /// ```
    pub fn from_secret_hex(hex: &str) -> Result<Self, MaskError> {
        let secret = zeroize::Zeroizing::new(decode_hex(hex)?);
        Self::from_secret(&secret)
    }

    /// The key's public id, as it appears in tokens.
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// A fresh copy of the keyed MAC state.
    pub(crate) fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PseudonymKey")
            .field("id", &self.id())
            .field("secret", &format_args!("[REDACTED]"))
            .finish()
    }
}

/// Appends the lowercase hex of `bytes` (constant time: the bytes may be MAC output).
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(buf.len() / 2) {
        // Cannot fail: a chunk of 32 bytes needs exactly the 64 bytes of `buf`.
        if let Ok(hex) = base16ct::lower::encode_str(chunk, &mut buf) {
            out.push_str(hex);
        }
    }
}

/// Decodes a secret given in hex (either case) in constant time; on failure the error
/// names the first offending position, never the digits.
fn decode_hex(hex: &str) -> Result<Vec<u8>, MaskError> {
    base16ct::mixed::decode_vec(hex).map_err(|_| {
        // Only on the error path: the position of the first non-hex digit, or the end
        // when the length is odd.
        let position = hex
            .bytes()
            .position(|c| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        MaskError::InvalidHex { position }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let key = PseudonymKey::from_hex("k1", "73656372657431323334").unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, r#"PseudonymKey { id: "k1", secret: [REDACTED] }"#);
        assert!(!shown.contains("7365"));
        assert!(!shown.contains("secret1234"));
    }

    #[test]
    fn keyed_state_is_wiped_on_drop() {
        // The keyed MAC holds two SHA-256 states derived from the secret (ipad and opad);
        // with the `zeroize` features on, the state type wipes itself when dropped.
        fn wipes_on_drop<T: hmac::digest::zeroize::ZeroizeOnDrop>() {}
        wipes_on_drop::<sha2::block_api::Sha256VarCore>();
    }

    #[test]
    fn rejects_empty_and_malformed_keys() {
        assert!(matches!(
            PseudonymKey::new("k1", b""),
            Err(MaskError::EmptyKey)
        ));
        assert!(matches!(
            PseudonymKey::from_hex("k1", ""),
            Err(MaskError::EmptyKey)
        ));
        assert!(matches!(
            PseudonymKey::from_secret(b""),
            Err(MaskError::EmptyKey)
        ));
        assert!(matches!(
            PseudonymKey::from_hex("k1", "abc"),
            Err(MaskError::InvalidHex { position: 3 })
        ));
        assert!(matches!(
            PseudonymKey::from_hex("k1", "zz"),
            Err(MaskError::InvalidHex { position: 0 })
        ));
        for bad in ["", "K1", "k_1", "k1k1k1k1k1k1k1k1k", "é"] {
            assert!(
                matches!(PseudonymKey::new(bad, b"x"), Err(MaskError::InvalidKeyId)),
                "{bad:?}"
            );
        }
        assert_eq!(
            PseudonymKey::new("abcdefgh12345678", b"x").unwrap().id(),
            "abcdefgh12345678"
        );
    }

    #[test]
    fn error_messages_do_not_echo_the_input() {
        let e = PseudonymKey::from_hex("k1", "deadbeefXY").unwrap_err();
        assert_eq!(e.to_string(), "invalid hex key at position 8");
    }

    #[test]
    fn hex_decoding_accepts_both_cases() {
        assert_eq!(decode_hex("00fFaA").unwrap(), vec![0x00, 0xff, 0xaa]);
    }

    #[test]
    fn derived_ids_are_stable_and_well_formed() {
        let a = PseudonymKey::from_secret(b"s").unwrap();
        let b = PseudonymKey::from_secret(b"s").unwrap();
        assert_eq!(a.id(), b.id());
        assert!(a.id().starts_with('k'));
        assert!(a.id()[1..].bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
