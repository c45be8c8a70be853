//! The crate's one error type, [`ArchiveError`].

use std::io;

/// Everything that can go wrong in `archive-hash`.
///
/// Messages are lowercase fragments without a trailing period. They name the field, the
/// position or the limit involved, never the value that was refused, so an error can be
/// logged without leaking personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A digest string was neither 64 hex digits nor 44 characters of padded base64.
    #[error(transparent)]
    DigestParse(#[from] crate::digest::DigestParseError),

    /// A byte slice that should hold a SHA-256 digest had another length.
    #[error("{what} must be 32 bytes, got {len}")]
    HashLength {
        /// What the slice was meant to be (`leaf hash`, `proof element 3`, ...).
        what: String,
        /// Its actual length in bytes.
        len: usize,
    },

    /// A stream went past the size bound set on the hasher.
    #[error("stream exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The bound, in bytes.
        limit: u64,
    },

    /// A stream ended before the length the caller announced.
    #[error("stream truncated: expected {expected} bytes, got {actual}")]
    Truncated {
        /// The announced length.
        expected: u64,
        /// The bytes actually seen.
        actual: u64,
    },

    /// The reader failed; `offset` is the number of bytes read before the failure.
    #[error("read failed after {offset} bytes: {kind}")]
    Read {
        /// Bytes successfully consumed before the failure.
        offset: u64,
        /// The kind of I/O failure.
        kind: io::ErrorKind,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The writer failed; `offset` is the number of bytes written before the failure.
    #[error("write failed after {offset} bytes: {kind}")]
    Write {
        /// Bytes successfully written before the failure.
        offset: u64,
        /// The kind of I/O failure.
        kind: io::ErrorKind,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A message id cannot be used in an archive key.
    #[error("message id {reason}")]
    MessageId {
        /// Why (`is empty`, `exceeds 256 bytes`, ...).
        reason: &'static str,
    },

    /// A message id is a raw Cloud API message id, which holds a phone number: an archive
    /// key takes its pseudonym ([`crate::key::is_raw_message_id`]).
    #[error("message id is a raw whatsapp message id holding a phone number: pass its pseudonym")]
    RawMessageId,

    /// A path segment (recipient pseudonym or region prefix) is not allowed in an archive key.
    #[error("{field} {reason}")]
    Segment {
        /// Which segment: `recipient` or `region`.
        field: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },

    /// An escaped message id in an archive key is malformed.
    #[error("escaped message id is malformed at byte {position}")]
    Escape {
        /// Byte offset of the bad escape.
        position: usize,
    },

    /// A timestamp is outside the years 1970 to 9999.
    #[error("{field} is out of range (1970 to 9999)")]
    Timestamp {
        /// The field holding it.
        field: &'static str,
    },

    /// JSON input is not valid JSON, or not I-JSON as RFC 8785 requires.
    #[error("json {reason} at byte {position}")]
    Json {
        /// What was wrong (`duplicate key`, `lone surrogate`, `number out of range`, ...).
        reason: &'static str,
        /// Byte offset in the input where the problem starts.
        position: usize,
    },

    /// A value could not be serialized to JSON.
    #[error("cannot serialize {what} to json")]
    Serialize {
        /// What was being serialized.
        what: &'static str,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },

    /// A leaf index is not below the tree size.
    #[error("leaf index {index} is beyond tree size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },

    /// A tree size is larger than the log.
    #[error("tree size {size} is beyond the log size {len}")]
    SizeOutOfRange {
        /// The requested size.
        size: u64,
        /// How many leaves the log holds.
        len: u64,
    },

    /// A consistency proof was asked for or checked between sizes that do not allow one.
    #[error("no consistency proof from size {old} to size {new}: {reason}")]
    ConsistencySizes {
        /// The older tree size.
        old: u64,
        /// The newer tree size.
        new: u64,
        /// Why (`old size is zero`, `old size exceeds new size`).
        reason: &'static str,
    },

    /// A proof has the wrong number of hashes for its index and sizes.
    #[error("proof has {actual} hashes, expected {expected}")]
    ProofLength {
        /// The length the index and sizes imply.
        expected: usize,
        /// The length given.
        actual: usize,
    },

    /// A proof is well formed but does not lead to the given root.
    #[error("{which} does not match the proof")]
    RootMismatch {
        /// Which root failed (`root`, `old root`, `new root`).
        which: &'static str,
    },

    /// A retention policy document failed validation.
    #[error("retention policy: {field} {reason}")]
    Policy {
        /// The offending field, dotted (`retention_policy.media_storage_days`).
        field: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
}

/// Shorthand for results whose error is [`ArchiveError`].
pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_period() {
        let errs = [
            ArchiveError::TooLarge { limit: 10 },
            ArchiveError::Truncated {
                expected: 5,
                actual: 3,
            },
            ArchiveError::Json {
                reason: "duplicate key",
                position: 7,
            },
            ArchiveError::ProofLength {
                expected: 3,
                actual: 4,
            },
            ArchiveError::RootMismatch { which: "root" },
        ];
        for e in errs {
            let m = e.to_string();
            assert!(m.chars().next().is_some_and(|c| c.is_lowercase()), "{m}");
            assert!(!m.ends_with('.'), "{m}");
        }
    }

    #[test]
    fn read_error_keeps_its_source() {
        let e = ArchiveError::Read {
            offset: 4,
            kind: io::ErrorKind::UnexpectedEof,
            source: io::Error::from(io::ErrorKind::UnexpectedEof),
        };
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.to_string().starts_with("read failed after 4 bytes"));
    }
}
