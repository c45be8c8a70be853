//! Archive object keys: `[{region}/]archive/YYYY/MM/DD/{recipient}/{message_id}.{ext}`.
//!
//! - The date is the message's UTC date, from the webhook's Unix `timestamp`.
//! - The recipient segment is a [`Recipient`] pseudonym the caller computes (for example with
//!   `pii-mask`); something that looks like a raw phone number is refused.
//! - The message id is escaped reversibly ([`escape_message_id`]): distinct ids always give
//!   distinct keys, and no key contains `/`, `..`, `%` outside an escape, whitespace or a
//!   control character, so a key never escapes its prefix. A raw Cloud API message id is
//!   refused (see below).
//! - The extension follows the MIME type ([`extension_for_mime`]), `bin` when unknown.
//!
//! # Message ids
//!
//! A Cloud API message id (`wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRB…`) is base64 of a record
//! that holds the user's phone number, and escaping does not hide it. An object key is seen
//! by far more systems than the object (listings, access logs, URLs), so
//! [`ArchiveKey::new`] refuses an id that [looks raw](is_raw_message_id) with
//! [`ArchiveError::RawMessageId`], as [`Recipient`] refuses a raw phone number.
//!
//! Build the key from the id's pseudonym instead: `pii-mask`'s
//! `PseudonymKey::pseudonymize_message_id` turns `wamid.HBgL…` into `wamid.` and 56 URL-safe
//! base64 characters that decode to no ASCII byte. It is the function `pii-mask`'s `Masker`
//! applies to every message id in its `pseudonym` and `strip` modes, so under one key the
//! archive key, the masked webhook, and the message's statuses all name the same id. Store
//! the same pseudonym in the [`ArchiveRecord`](crate::ArchiveRecord)'s `message_id`.
//!
//! ```
//! use archive_hash::{ArchiveKey, ArchiveError, UnixSeconds};
//!
//! let recipient = "p1:k1:8f2a61c0d4".parse()?;
//! let raw = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=";
//! let err = ArchiveKey::new(None, UnixSeconds::new(1_714_521_600), &recipient, raw, "image/png").unwrap_err();
//! assert!(matches!(err, ArchiveError::RawMessageId));
//! assert!(!err.to_string().contains("HBgL"));
//!
//! // pii_mask::PseudonymKey::pseudonymize_message_id(raw), under the operator's key:
//! let pseudonym = "wamid._af7itq_gqXG05CC06a1tYX2nOK9_rau1sP51aWIgNLSibGeg6yil-7H";
//! let key = ArchiveKey::new(None, UnixSeconds::new(1_714_521_600), &recipient, pseudonym, "image/png")?;
//! assert_eq!(key.message_id()?, pseudonym);
//! # Ok::<(), archive_hash::ArchiveError>(())
//! ```
//!
//! Keys are case-sensitive, as object stores (S3, GCS, Azure Blob) are; WhatsApp message ids
//! are mixed-case base64, so do not store these keys on a case-insensitive file system.

use std::fmt;
use std::str::FromStr;

use crate::{ArchiveError, UnixSeconds};

/// Longest message id accepted, in bytes (escaped it is at most three times as long).
pub const MAX_MESSAGE_ID_LEN: usize = 256;
/// Longest recipient pseudonym accepted, in bytes.
pub const MAX_RECIPIENT_LEN: usize = 128;
/// Longest region prefix accepted, in bytes.
pub const MAX_REGION_LEN: usize = 63;
/// Latest timestamp accepted: 9999-12-31T23:59:59Z.
pub const MAX_TIMESTAMP: UnixSeconds = UnixSeconds::new(253_402_300_799);

/// The pseudonym of a message's recipient (or sender), used as a path segment.
///
/// 1 to 128 ASCII characters among letters, digits and `-_.:=`, with at least one letter,
/// not starting with `.`. Its `Debug` shows only the last two characters.
///
/// ```
/// use archive_hash::Recipient;
///
/// let r: Recipient = "p1:k1:8f2a61c0d4".parse()?;
/// assert_eq!(format!("{r:?}"), "Recipient(••••d4)");
/// assert!("+4915123456789".parse::<Recipient>().is_err());
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Recipient(String);

impl Recipient {
    /// The pseudonym as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Recipient {
    type Err = ArchiveError;

    fn from_str(s: &str) -> Result<Self, ArchiveError> {
        let reason = if s.is_empty() {
            Some("is empty")
        } else if s.len() > MAX_RECIPIENT_LEN {
            Some("exceeds 128 bytes")
        } else if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:=".contains(&b))
        {
            Some("has a character outside letters, digits and -_.:=")
        } else if s.starts_with('.') {
            Some("starts with a dot")
        } else if !s.bytes().any(|b| b.is_ascii_alphabetic()) {
            Some("looks like a raw phone number, pass a pseudonym")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(ArchiveError::Segment {
                field: "recipient",
                reason,
            }),
            None => Ok(Self(s.to_owned())),
        }
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = self.0.get(self.0.len().saturating_sub(2)..).unwrap_or("");
        write!(f, "Recipient(••••{tail})")
    }
}

/// An optional leading region segment such as `eu` or `latam-1`.
///
/// 1 to 63 characters among lowercase ASCII letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegionPrefix(String);

impl RegionPrefix {
    /// The prefix as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RegionPrefix {
    type Err = ArchiveError;

    fn from_str(s: &str) -> Result<Self, ArchiveError> {
        let reason = if s.is_empty() {
            Some("is empty")
        } else if s.len() > MAX_REGION_LEN {
            Some("exceeds 63 bytes")
        } else if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            Some("has a character outside lowercase letters, digits and -")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(ArchiveError::Segment {
                field: "region",
                reason,
            }),
            None => Ok(Self(s.to_owned())),
        }
    }
}

/// An object key in the archive.
///
/// ```
/// use archive_hash::{ArchiveKey, UnixSeconds};
///
/// let key = ArchiveKey::new(
///     Some(&"eu".parse()?),
///     UnixSeconds::new(1_714_521_600), // 2024-05-01T00:00:00Z
///     &"p1:k1:8f2a61c0d4".parse()?,
///     "wamid.HBgL/+ab==",
///     "audio/ogg; codecs=opus",
/// )?;
/// assert_eq!(
///     key.as_str(),
///     "eu/archive/2024/05/01/p1:k1:8f2a61c0d4/wamid.HBgL%2F%2Bab==.ogg"
/// );
/// assert_eq!(key.message_id()?, "wamid.HBgL/+ab==");
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArchiveKey {
    key: String,
    id_start: usize,
    id_end: usize,
}

impl ArchiveKey {
    /// Builds the key for a message sent at `timestamp` (the webhook's Unix seconds).
    ///
    /// `message_id` is the id's pseudonym: a raw Cloud API message id is refused with
    /// [`ArchiveError::RawMessageId`] (see [Message ids](self#message-ids)).
    pub fn new(
        region: Option<&RegionPrefix>,
        timestamp: UnixSeconds,
        recipient: &Recipient,
        message_id: &str,
        mime_type: &str,
    ) -> Result<Self, ArchiveError> {
        let (y, m, d) = civil_date(timestamp)?;
        let id = escape_message_id(message_id)?;
        if is_raw_message_id(message_id) {
            return Err(ArchiveError::RawMessageId);
        }
        let mut key = String::with_capacity(64 + id.len() + recipient.0.len());
        if let Some(r) = region {
            key.push_str(&r.0);
            key.push('/');
        }
        key.push_str(&format!("archive/{y:04}/{m:02}/{d:02}/"));
        key.push_str(&recipient.0);
        key.push('/');
        let id_start = key.len();
        key.push_str(&id);
        let id_end = key.len();
        key.push('.');
        key.push_str(extension_for_mime(mime_type));
        Ok(Self {
            key,
            id_start,
            id_end,
        })
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The original message id, unescaped.
    pub fn message_id(&self) -> Result<String, ArchiveError> {
        unescape_message_id(self.key.get(self.id_start..self.id_end).unwrap_or(""))
    }
}

impl fmt::Display for ArchiveKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// `Debug` hides the recipient pseudonym segment.
impl fmt::Debug for ArchiveKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.key.get(..self.id_start).unwrap_or("");
        let head = head.trim_end_matches('/');
        let prefix = head.rsplit_once('/').map_or("", |(p, _)| p);
        let tail = self.key.get(self.id_start..).unwrap_or("");
        write!(f, "ArchiveKey(\"{prefix}/[REDACTED]/{tail}\")")
    }
}

impl serde::Serialize for ArchiveKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key)
    }
}

/// Shortest run of ASCII digits that counts as a phone number inside a decoded id.
const MIN_DIGIT_RUN: usize = 6;
/// Shortest id body (after its prefix) that can hold such a run in base64.
const MIN_ENCODED_RUN: usize = 8;
/// Longest id prefix, in letters (`wamid` has five).
const MAX_PREFIX_LETTERS: usize = 8;

/// Whether `id` looks like a raw Cloud API message id (or call or group id): after an
/// optional prefix of lowercase letters and a dot (`wamid.`), its base64 (standard or
/// URL-safe, padded or not) decodes to a record with a run of six or more ASCII digits, as
/// the phone number inside a real one is.
///
/// Pseudonyms made by `pii-mask` decode to no ASCII byte at all, and random ids such as
/// WASender's (`3EB0C431C26A1916E6B4`) to no such run, so neither is taken for raw. Older
/// id formats that hold the number in another encoding are not recognized: always key by
/// the pseudonym.
///
/// ```
/// use archive_hash::key::is_raw_message_id;
///
/// assert!(is_raw_message_id("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="));
/// assert!(is_raw_message_id("HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA"));
/// assert!(!is_raw_message_id("wamid._af7itq_gqXG05CC06a1tYX2nOK9_rau1sP51aWIgNLSibGeg6yil-7H"));
/// assert!(!is_raw_message_id("3EB0C431C26A1916E6B4"));
/// ```
pub fn is_raw_message_id(id: &str) -> bool {
    use base64::Engine;
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

    let letters = id.bytes().take_while(u8::is_ascii_lowercase).count();
    let prefix = if (1..=MAX_PREFIX_LETTERS).contains(&letters)
        && id.as_bytes().get(letters) == Some(&b'.')
    {
        letters + 1
    } else {
        0
    };
    let body = id.get(prefix..).unwrap_or_default().trim_end_matches('=');
    // Only the base64 characters up to the first other one; a last character that makes no
    // whole byte is left out.
    let len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
        .count();
    let len = len - usize::from(len % 4 == 1);
    let Some(body) = body.get(..len).filter(|b| b.len() >= MIN_ENCODED_RUN) else {
        return false;
    };
    [STANDARD, URL_SAFE]
        .iter()
        .filter_map(|engine| engine.decode(body).ok())
        .any(|decoded| {
            decoded
                .split(|b| !b.is_ascii_digit())
                .any(|run| run.len() >= MIN_DIGIT_RUN)
        })
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'='
}

/// Escapes a message id into one safe path segment, reversibly.
///
/// Letters, digits and `-_=` stay; a `.` stays unless it comes first, comes last (the
/// extension's dot follows it) or follows another `.`; every other byte becomes `%XX` (uppercase hex). So `/`, `%`, control characters and
/// `..` never appear, and [`unescape_message_id`] gives back the exact input. Empty ids and
/// ids longer than [`MAX_MESSAGE_ID_LEN`] bytes are refused.
///
/// ```
/// use archive_hash::{escape_message_id, unescape_message_id};
///
/// assert_eq!(escape_message_id("../a/b")?, "%2E%2E%2Fa%2Fb");
/// assert_eq!(unescape_message_id("%2E%2E%2Fa%2Fb")?, "../a/b");
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
pub fn escape_message_id(id: &str) -> Result<String, ArchiveError> {
    if id.is_empty() {
        return Err(ArchiveError::MessageId { reason: "is empty" });
    }
    if id.len() > MAX_MESSAGE_ID_LEN {
        return Err(ArchiveError::MessageId {
            reason: "exceeds 256 bytes",
        });
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(id.len() + 8);
    let mut prev: Option<u8> = None;
    for (i, b) in id.bytes().enumerate() {
        let last = i + 1 == id.len();
        let keep = is_plain(b) || (b == b'.' && !last && prev.is_some_and(|p| p != b'.'));
        if keep {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        prev = Some(b);
    }
    Ok(out)
}

/// Reverses [`escape_message_id`].
pub fn unescape_message_id(escaped: &str) -> Result<String, ArchiveError> {
    let b = escaped.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hi = b.get(i + 1).and_then(|h| char::from(*h).to_digit(16));
            let lo = b.get(i + 2).and_then(|l| char::from(*l).to_digit(16));
            match (hi, lo) {
                (Some(h), Some(l)) => out.push(u8::try_from(h * 16 + l).unwrap_or(0)),
                _ => return Err(ArchiveError::Escape { position: i }),
            }
            i += 3;
        } else if is_plain(c) || c == b'.' {
            out.push(c);
            i += 1;
        } else {
            return Err(ArchiveError::Escape { position: i });
        }
    }
    String::from_utf8(out).map_err(|e| ArchiveError::Escape {
        position: e.utf8_error().valid_up_to(),
    })
}

/// The file extension for a MIME type (parameters and case ignored), `bin` when unknown.
///
/// Covers the media types WhatsApp accepts: images, stickers, video, audio (voice notes are
/// `audio/ogg; codecs=opus`), documents and Office formats.
///
/// ```
/// use archive_hash::extension_for_mime;
///
/// assert_eq!(extension_for_mime("image/JPEG"), "jpg");
/// assert_eq!(extension_for_mime("audio/ogg; codecs=opus"), "ogg");
/// assert_eq!(extension_for_mime("application/x-unknown"), "bin");
/// ```
pub fn extension_for_mime(mime: &str) -> &'static str {
    let essence = mime.split(';').next().unwrap_or("").trim();
    let lower = essence.to_ascii_lowercase();
    match lower.as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "image/heic" => "heic",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "video/3gpp2" => "3g2",
        "video/quicktime" => "mov",
        "audio/ogg" => "ogg",
        "audio/opus" => "opus",
        "audio/aac" => "aac",
        "audio/amr" => "amr",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        "text/csv" => "csv",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        "application/zip" => "zip",
        "application/json" => "json",
        _ => "bin",
    }
}

/// The UTC calendar date of a Unix timestamp, for years 1970 to 9999.
fn civil_date(timestamp: UnixSeconds) -> Result<(u64, u64, u64), ArchiveError> {
    if timestamp > MAX_TIMESTAMP {
        return Err(ArchiveError::Timestamp { field: "timestamp" });
    }
    // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days),
    // shifted so all arithmetic is unsigned: day 0 of the shifted era is 0000-03-01.
    let z = timestamp.get() / 86_400 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    Ok((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rcpt() -> Recipient {
        "p1:k1:abcdef".parse().unwrap()
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(UnixSeconds::new(0)).unwrap(), (1970, 1, 1));
        assert_eq!(
            civil_date(UnixSeconds::new(951_782_400)).unwrap(),
            (2000, 2, 29)
        );
        assert_eq!(
            civil_date(UnixSeconds::new(1_709_251_199)).unwrap(),
            (2024, 2, 29)
        );
        assert_eq!(
            civil_date(UnixSeconds::new(1_709_251_200)).unwrap(),
            (2024, 3, 1)
        );
        assert_eq!(
            civil_date(UnixSeconds::new(1_735_689_599)).unwrap(),
            (2024, 12, 31)
        );
        assert_eq!(civil_date(MAX_TIMESTAMP).unwrap(), (9999, 12, 31));
        assert!(matches!(
            civil_date(UnixSeconds::new(MAX_TIMESTAMP.get() + 1)),
            Err(ArchiveError::Timestamp { .. })
        ));
    }

    #[test]
    fn key_layout_with_and_without_region() {
        let k = ArchiveKey::new(
            None,
            UnixSeconds::new(1_700_000_000),
            &rcpt(),
            "wamid.ABC",
            "image/png",
        )
        .unwrap();
        assert_eq!(k.as_str(), "archive/2023/11/14/p1:k1:abcdef/wamid.ABC.png");
        let eu: RegionPrefix = "eu".parse().unwrap();
        let k = ArchiveKey::new(
            Some(&eu),
            UnixSeconds::new(0),
            &rcpt(),
            "x",
            "application/x-foo",
        )
        .unwrap();
        assert_eq!(k.as_str(), "eu/archive/1970/01/01/p1:k1:abcdef/x.bin");
    }

    #[test]
    fn dangerous_ids_are_escaped() {
        assert_eq!(escape_message_id("..").unwrap(), "%2E%2E");
        assert_eq!(escape_message_id(".a").unwrap(), "%2Ea");
        assert_eq!(escape_message_id("a..b").unwrap(), "a.%2Eb");
        assert_eq!(escape_message_id("a.").unwrap(), "a%2E");
        assert_eq!(escape_message_id("a\nb").unwrap(), "a%0Ab");
        assert_eq!(escape_message_id("%2F").unwrap(), "%252F");
        assert_eq!(escape_message_id("é").unwrap(), "%C3%A9");
        assert!(matches!(
            escape_message_id(""),
            Err(ArchiveError::MessageId { reason: "is empty" })
        ));
        assert!(escape_message_id(&"a".repeat(257)).is_err());
        assert!(escape_message_id(&"a".repeat(256)).is_ok());
    }

    #[test]
    fn unescape_rejects_malformed_escapes() {
        assert!(matches!(
            unescape_message_id("a%2"),
            Err(ArchiveError::Escape { position: 1 })
        ));
        assert!(unescape_message_id("a/b").is_err());
        assert!(unescape_message_id("%FF").is_err());
    }

    #[test]
    fn segments_are_validated() {
        for bad in ["", "4915123456789", "+49 151", "a/b", ".hidden", "ü"] {
            assert!(bad.parse::<Recipient>().is_err(), "{bad}");
        }
        for bad in ["", "EU", "eu/west", &"a".repeat(64)] {
            assert!(bad.parse::<RegionPrefix>().is_err(), "{bad}");
        }
        let e = "4915123456789"
            .parse::<Recipient>()
            .unwrap_err()
            .to_string();
        assert!(!e.contains("4915"), "{e}");
    }

    #[test]
    fn raw_message_ids_are_refused_and_pseudonyms_taken() {
        for raw in [
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA",
            "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
            "wamid.HBgLMTIzNDU2Nzg5MA==",
            "HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA",
            // URL-safe, and junk after the base64 part.
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA-_",
            "wamid.HBgLMTIzNDU2Nzg5MA==.jpg",
        ] {
            assert!(is_raw_message_id(raw), "{raw}");
            let e =
                ArchiveKey::new(None, UnixSeconds::new(0), &rcpt(), raw, "image/png").unwrap_err();
            assert!(matches!(e, ArchiveError::RawMessageId), "{raw}");
            assert!(!e.to_string().contains("HBgL"), "{e}");
        }
        for fine in [
            // Pseudonyms from pii-mask (every decoded byte is 0x80 or above).
            "wamid._af7itq_gqXG05CC06a1tYX2nOK9_rau1sP51aWIgNLSibGeg6yil-7H",
            "wamid.r7ep7Lbc2aeWmYLg74DlmZP2rNmy4tD7ppCo_u7QuMLNnb3XnpeE3ZHe",
            // WASender ids, short and placeholder ids.
            "3EB0C431C26A1916E6B4",
            "BAE5A93B52084A3B",
            "message-id-123",
            "wamid.ID",
            "wamid.A",
            "m1",
            "..",
        ] {
            assert!(!is_raw_message_id(fine), "{fine}");
            assert!(ArchiveKey::new(None, UnixSeconds::new(0), &rcpt(), fine, "image/png").is_ok());
        }
    }

    #[test]
    fn debug_redacts_the_pseudonym() {
        let k = ArchiveKey::new(None, UnixSeconds::new(0), &rcpt(), "m1", "image/png").unwrap();
        let dbg = format!("{k:?}");
        assert_eq!(dbg, "ArchiveKey(\"archive/1970/01/01/[REDACTED]/m1.png\")");
        assert!(!format!("{:?}", rcpt()).contains("abcd"));
    }

    #[test]
    fn extensions() {
        let cases = [
            ("image/webp", "webp"),
            ("video/3gpp", "3gp"),
            ("audio/amr", "amr"),
            ("audio/aac", "aac"),
            ("audio/mpeg", "mp3"),
            ("audio/OGG ; codecs=opus", "ogg"),
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            ("", "bin"),
        ];
        for (mime, ext) in cases {
            assert_eq!(extension_for_mime(mime), ext, "{mime}");
        }
    }
}
