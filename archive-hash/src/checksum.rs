//! Media checksums as the providers send them, and their verification.
//!
//! Cloud API webhooks carry a media object's `sha256` as padded base64 (44 characters); the
//! media endpoint (`GET /{media-id}`) answers with hex (64 characters). WASender media carry
//! `fileSha256` (of the plaintext) and `fileEncSha256` (of the encrypted blob), both base64.
//! A value that decodes to neither form is *unverifiable*: archiving goes on and the record
//! says so, because refusing to archive would lose the evidence altogether.

use std::fmt;

use crate::Sha256;

/// How an expected checksum was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChecksumEncoding {
    /// 64 hex digits.
    Hex,
    /// 44 characters of padded standard base64.
    Base64,
}

/// Why a checksum cannot be used for verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnverifiableReason {
    /// The provider sent no checksum.
    Missing,
    /// The value is neither 64 hex digits nor base64 of 32 bytes.
    Malformed,
}

impl fmt::Display for UnverifiableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
        })
    }
}

/// A checksum as a provider sent it, decoded when possible.
///
/// ```
/// use archive_hash::{ExpectedChecksum, Sha256, Verification};
///
/// let body = b"abc";
/// let webhook = ExpectedChecksum::parse("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
/// assert_eq!(webhook.verify(&Sha256::digest(body)), Verification::Match);
/// assert_eq!(
///     ExpectedChecksum::parse("STICKER_HASH").verify(&Sha256::digest(body)),
///     Verification::Unverifiable { reason: archive_hash::UnverifiableReason::Malformed },
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpectedChecksum {
    /// A usable 32-byte digest and the form it came in.
    Digest {
        /// The decoded digest.
        sha256: Sha256,
        /// Its written form.
        encoding: ChecksumEncoding,
    },
    /// Nothing to verify against.
    Unverifiable(UnverifiableReason),
}

impl ExpectedChecksum {
    /// Decodes `value` (surrounding ASCII whitespace ignored): 64 hex digits or 44 base64
    /// characters, else [`UnverifiableReason::Malformed`]. Never fails.
    pub fn parse(value: &str) -> Self {
        let v = value.trim_ascii();
        let parsed = match v.len() {
            64 => Sha256::from_hex(v).map(|d| (d, ChecksumEncoding::Hex)),
            44 => Sha256::from_base64(v).map(|d| (d, ChecksumEncoding::Base64)),
            len => Err(crate::DigestParseError::Length { len }),
        };
        match parsed {
            Ok((sha256, encoding)) => Self::Digest { sha256, encoding },
            Err(_) if v.is_empty() => Self::Unverifiable(UnverifiableReason::Missing),
            Err(_) => Self::Unverifiable(UnverifiableReason::Malformed),
        }
    }

    /// Like [`parse`](Self::parse), with an absent field as [`UnverifiableReason::Missing`].
    pub fn from_field(value: Option<&str>) -> Self {
        value.map_or(Self::Unverifiable(UnverifiableReason::Missing), Self::parse)
    }

    /// Compares against the digest of the bytes actually downloaded.
    pub fn verify(&self, actual: &Sha256) -> Verification {
        match self {
            Self::Digest { sha256, .. } if sha256 == actual => Verification::Match,
            Self::Digest { .. } => Verification::Mismatch,
            Self::Unverifiable(reason) => Verification::Unverifiable { reason: *reason },
        }
    }
}

/// The outcome of checking downloaded bytes against a provider's checksum.
///
/// Serializes as `{"outcome":"match"}`, `{"outcome":"mismatch"}` or
/// `{"outcome":"unverifiable","reason":"missing"|"malformed"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verification {
    /// The bytes hash to the expected value.
    Match,
    /// The bytes hash to something else: altered, truncated or the wrong object.
    Mismatch,
    /// There was no usable expected value.
    Unverifiable {
        /// Why.
        reason: UnverifiableReason,
    },
}

impl Verification {
    /// `match`, `mismatch` or `unverifiable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Mismatch => "mismatch",
            Self::Unverifiable { .. } => "unverifiable",
        }
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unverifiable { reason } => write!(f, "unverifiable ({reason})"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Verifies a Cloud API media object: the webhook's (or media endpoint's) `sha256` against
/// the digest of the downloaded bytes.
pub fn verify_cloud_media(sha256_field: Option<&str>, downloaded: &Sha256) -> Verification {
    ExpectedChecksum::from_field(sha256_field).verify(downloaded)
}

/// Both checks of a WASender media message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WasenderVerification {
    /// `fileSha256` against the decrypted (plaintext) bytes.
    pub plaintext: Verification,
    /// `fileEncSha256` against the encrypted blob as downloaded.
    pub encrypted: Verification,
}

/// Verifies a WASender media message: each checksum against its own bytes.
///
/// `plaintext` is the digest of the decrypted media, `encrypted` that of the blob fetched from
/// the media URL; pass `None` for a side you did not hash (it is then unverifiable).
pub fn verify_wasender_media(
    file_sha256: Option<&str>,
    plaintext: Option<&Sha256>,
    file_enc_sha256: Option<&str>,
    encrypted: Option<&Sha256>,
) -> WasenderVerification {
    let check = |field: Option<&str>, actual: Option<&Sha256>| match actual {
        Some(d) => ExpectedChecksum::from_field(field).verify(d),
        None => Verification::Unverifiable {
            reason: UnverifiableReason::Missing,
        },
    };
    WasenderVerification {
        plaintext: check(file_sha256, plaintext),
        encrypted: check(file_enc_sha256, encrypted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC_HEX: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const ABC_B64: &str = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

    #[test]
    fn webhook_base64_and_endpoint_hex_both_verify() {
        let d = Sha256::digest(b"abc");
        assert_eq!(
            ExpectedChecksum::parse(ABC_B64),
            ExpectedChecksum::Digest {
                sha256: d,
                encoding: ChecksumEncoding::Base64
            }
        );
        assert_eq!(verify_cloud_media(Some(ABC_B64), &d), Verification::Match);
        assert_eq!(verify_cloud_media(Some(ABC_HEX), &d), Verification::Match);
        assert_eq!(
            verify_cloud_media(Some(&format!(" {ABC_HEX}\n")), &d),
            Verification::Match
        );
        assert_eq!(
            verify_cloud_media(Some(ABC_HEX), &Sha256::digest(b"abd")),
            Verification::Mismatch
        );
    }

    #[test]
    fn placeholders_are_unverifiable_not_errors() {
        let d = Sha256::digest(b"x");
        for v in [
            "4654+8g=",
            "STICKER_HASH",
            "a1b2c3d4e5f6...",
            &"z".repeat(64),
        ] {
            assert_eq!(
                verify_cloud_media(Some(v), &d),
                Verification::Unverifiable {
                    reason: UnverifiableReason::Malformed
                },
                "{v}"
            );
        }
        assert_eq!(
            verify_cloud_media(None, &d),
            Verification::Unverifiable {
                reason: UnverifiableReason::Missing
            }
        );
        assert_eq!(
            verify_cloud_media(Some("  "), &d),
            Verification::Unverifiable {
                reason: UnverifiableReason::Missing
            }
        );
    }

    #[test]
    fn wasender_checks_each_side_against_its_own_bytes() {
        let plain = Sha256::digest(b"plain");
        let enc = Sha256::digest(b"encrypted");
        let v = verify_wasender_media(
            Some(&plain.to_base64()),
            Some(&plain),
            Some(&enc.to_base64()),
            Some(&enc),
        );
        assert_eq!(v.plaintext, Verification::Match);
        assert_eq!(v.encrypted, Verification::Match);
        // Swapped: each fails against the other's bytes.
        let v = verify_wasender_media(
            Some(&enc.to_base64()),
            Some(&plain),
            Some(&plain.to_base64()),
            Some(&enc),
        );
        assert_eq!(v.plaintext, Verification::Mismatch);
        assert_eq!(v.encrypted, Verification::Mismatch);
        let v = verify_wasender_media(Some(&plain.to_base64()), Some(&plain), None, None);
        assert_eq!(v.encrypted.as_str(), "unverifiable");
    }

    #[test]
    fn verification_serializes_with_an_outcome_tag() {
        let j = serde_json::to_string(&Verification::Unverifiable {
            reason: UnverifiableReason::Malformed,
        })
        .unwrap();
        assert_eq!(j, r#"{"outcome":"unverifiable","reason":"malformed"}"#);
        assert_eq!(
            serde_json::to_string(&Verification::Match).unwrap(),
            r#"{"outcome":"match"}"#
        );
        assert_eq!(Verification::Mismatch.to_string(), "mismatch");
    }
}
