//! The crate's error type.

/// Everything that can go wrong in `pii-mask`.
///
/// Messages name fields and positions, never the values involved, so an error can be logged
/// next to personal data without leaking it.
///
/// ```
/// let err = pii_mask::PseudonymKey::new("k1", b"").unwrap_err();
/// assert_eq!(err.to_string(), "empty pseudonym key");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// A pseudonym key was built from zero bytes of secret.
    #[error("empty pseudonym key")]
    EmptyKey,
    /// A key id is empty, longer than 16 bytes, or not lowercase ASCII letters and digits.
    #[error("invalid key id: expected 1 to 16 lowercase ascii letters or digits")]
    InvalidKeyId,
    /// A hex-encoded key has an odd length or a non-hex character.
    #[error("invalid hex key at position {position}")]
    InvalidHex {
        /// Byte offset of the first offending character (or the length, for an odd length).
        position: usize,
    },
    /// A masking mode name is not `partial`, `pseudonym` or `strip`.
    #[error("unknown masking mode: expected partial, pseudonym or strip")]
    UnknownMode,
    /// Pseudonym or strip mode was asked for without a key.
    #[error("{mode} mode needs a key")]
    MissingKey {
        /// The mode asked for.
        mode: crate::Mode,
    },
    /// The body is not JSON.
    #[error("payload is not valid json at line {line}, column {column}")]
    Json {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
    },
    /// The body is JSON but not a webhook that `wa-payload` accepts.
    #[error(transparent)]
    Payload(#[from] wa_payload::PayloadError),
    /// The document is valid JSON but its root is not an object.
    #[error("payload root is not a json object")]
    NotAnObject,
}

impl MaskError {
    /// Builds [`MaskError::Json`] from a `serde_json` error, keeping only its position: the
    /// message of a `serde_json` error can quote the input.
    pub(crate) fn json(e: &serde_json::Error) -> Self {
        Self::Json {
            line: e.line(),
            column: e.column(),
        }
    }
}
