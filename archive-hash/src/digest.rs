//! [`Sha256`], our 32-byte digest, with hex and base64 forms.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;

/// A SHA-256 digest: 32 bytes, shown as lowercase hex.
///
/// Parses from 64 hex digits (either case; the media endpoint's form) or from 44 characters
/// of padded standard base64 (the Cloud API webhook's form). Serializes as lowercase hex.
///
/// ```
/// use archive_hash::Sha256;
///
/// let d = Sha256::digest(b"abc");
/// assert_eq!(
///     d.to_string(),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// assert_eq!(d.to_base64(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
/// let back: Sha256 = d.to_base64().parse()?;
/// assert_eq!(back, d);
/// # Ok::<(), archive_hash::DigestParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

/// Length of a digest in bytes.
pub const DIGEST_LEN: usize = 32;

impl Sha256 {
    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The SHA-256 of `data`, in one call.
    pub fn digest(data: impl AsRef<[u8]>) -> Self {
        Self(sha2::Sha256::digest(data.as_ref()).into())
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 characters (the same as `Display`).
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// Padded standard base64, 44 characters: the form Cloud API webhooks use.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Result<Self, DigestParseError> {
        if s.len() != 64 {
            return Err(DigestParseError::Length { len: s.len() });
        }
        let mut out = [0u8; 32];
        match base16ct::mixed::decode(s, &mut out) {
            Ok(_) => Ok(Self(out)),
            // On the error path only: where the first non-hex character is.
            Err(_) => Err(DigestParseError::InvalidHex {
                position: s.bytes().position(|c| !c.is_ascii_hexdigit()).unwrap_or(0),
            }),
        }
    }

    /// Parses 44 characters of padded standard base64 that decode to 32 bytes.
    pub fn from_base64(s: &str) -> Result<Self, DigestParseError> {
        if s.len() != 44 {
            return Err(DigestParseError::Length { len: s.len() });
        }
        let mut out = [0u8; 32];
        match STANDARD.decode_slice(s, &mut out) {
            Ok(32) => Ok(Self(out)),
            _ => Err(DigestParseError::InvalidBase64),
        }
    }
}

/// Appends the lowercase hex of `bytes` to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    out.push_str(&base16ct::lower::encode_string(bytes));
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(64);
        push_hex(&mut s, &self.0);
        f.write_str(&s)
    }
}

/// Digests are not personal data: `Debug` shows the hex, like `Display`.
impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

impl FromStr for Sha256 {
    type Err = DigestParseError;

    /// Accepts 64 hex digits or 44 characters of padded base64; anything else is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.len() {
            64 => Self::from_hex(s),
            44 => Self::from_base64(s),
            len => Err(DigestParseError::Length { len }),
        }
    }
}

impl From<[u8; 32]> for Sha256 {
    fn from(b: [u8; 32]) -> Self {
        Self(b)
    }
}

impl From<Sha256> for [u8; 32] {
    fn from(d: Sha256) -> Self {
        d.0
    }
}

impl TryFrom<&[u8]> for Sha256 {
    type Error = DigestParseError;

    fn try_from(b: &[u8]) -> Result<Self, Self::Error> {
        <[u8; 32]>::try_from(b)
            .map(Self)
            .map_err(|_| DigestParseError::ByteLength { len: b.len() })
    }
}

impl AsRef<[u8]> for Sha256 {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    /// Accepts the hex form (what we write) and, for convenience, the base64 form.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Sha256;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sha-256 digest as 64 hex digits or 44 base64 characters")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sha256, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// Why a string or byte slice is not a SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestParseError {
    /// The string is neither 64 (hex) nor 44 (base64) characters long.
    #[error("digest must be 64 hex digits or 44 base64 characters, got {len} characters")]
    Length {
        /// The length seen, in bytes.
        len: usize,
    },
    /// A character of a 64-character string is not a hex digit.
    #[error("digest has a non-hex character at position {position}")]
    InvalidHex {
        /// Byte offset of the first bad character.
        position: usize,
    },
    /// A 44-character string is not padded standard base64 of 32 bytes.
    #[error("digest is not base64 of 32 bytes")]
    InvalidBase64,
    /// A byte slice is not 32 bytes long.
    #[error("digest must be 32 bytes, got {len}")]
    ByteLength {
        /// The slice length.
        len: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn known_answers() {
        assert_eq!(Sha256::digest(b"").to_string(), EMPTY);
        assert_eq!(Sha256::digest(b"abc").to_string(), ABC);
    }

    #[test]
    fn hex_and_base64_round_trip() {
        let d = Sha256::digest(b"abc");
        assert_eq!(Sha256::from_str(ABC), Ok(d));
        assert_eq!(Sha256::from_str(&ABC.to_uppercase()), Ok(d));
        assert_eq!(Sha256::from_str(&d.to_base64()), Ok(d));
        assert_eq!(d.to_hex(), ABC);
    }

    #[test]
    fn malformed_values_are_typed_errors() {
        assert_eq!(
            Sha256::from_str("abc"),
            Err(DigestParseError::Length { len: 3 })
        );
        let mut bad = ABC.to_owned();
        bad.replace_range(10..11, "g");
        assert_eq!(
            Sha256::from_str(&bad),
            Err(DigestParseError::InvalidHex { position: 10 })
        );
        // 44 characters, but not valid base64 of 32 bytes.
        assert_eq!(
            Sha256::from_str(&"*".repeat(44)),
            Err(DigestParseError::InvalidBase64)
        );
        assert_eq!(
            Sha256::try_from(&[0u8; 31][..]),
            Err(DigestParseError::ByteLength { len: 31 })
        );
        // Multi-byte characters never panic the hex parser.
        assert!(Sha256::from_str(&"é".repeat(32)).is_err());
    }

    #[test]
    fn serde_uses_hex() {
        let d = Sha256::digest(b"");
        let j = serde_json::to_string(&d).unwrap();
        assert_eq!(j, format!("\"{EMPTY}\""));
        let back: Sha256 = serde_json::from_str(&j).unwrap();
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Sha256>("\"nope\"").is_err());
    }

    #[test]
    fn debug_shows_hex() {
        assert_eq!(
            format!("{:?}", Sha256::digest(b"")),
            format!("Sha256({EMPTY})")
        );
    }
}
