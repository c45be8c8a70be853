//! The crate's error type: names the field path and position, never a value.

/// Why a body could not be parsed.
///
/// Messages are lowercase, name the JSON path (`entry[0].changes[1].value.messages[3].timestamp`)
/// and position, and never contain a value from the body.
///
/// ```
/// let err = wa_payload::parse(br#"{"object":"x","entry":[{"changes":[{"value":{}}]}]}"#)
///     .unwrap_err();
/// assert_eq!(err.to_string(), "missing field `entry[0].changes[0].field` at line 1, column 48");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The body is larger than [`Limits::max_body_bytes`](crate::Limits).
    #[error("body of {size} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// Size of the body.
        size: usize,
        /// The configured bound.
        limit: usize,
    },
    /// Arrays and objects nest deeper than [`Limits::max_depth`](crate::Limits).
    #[error("nesting deeper than {limit} levels at byte {offset}")]
    TooDeep {
        /// The configured bound.
        limit: usize,
        /// Byte offset of the bracket that went over it (0 when serde_json's own recursion
        /// limit of 128 stopped a typed part first).
        offset: usize,
    },
    /// The body is not valid UTF-8.
    #[error("invalid utf-8 at byte {offset}")]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The body is empty or its root is not a JSON object.
    #[error("the root is not a json object")]
    NotAnObject,
    /// The body is a JSON object of neither provider.
    #[error("unknown provider: no top-level `object`, `entry`, `event` or `data` field")]
    UnknownProvider,
    /// The body carries the top-level keys of both providers (`object`/`entry` and
    /// `event`/`data`): refused rather than guessed.
    #[error("ambiguous provider: top-level fields of both the cloud api and wasender")]
    AmbiguousProvider,
    /// A body of the other provider was given to a provider-specific parse.
    #[error("the body is a {found} webhook")]
    WrongProvider {
        /// The provider the body belongs to.
        found: crate::Provider,
    },
    /// Not JSON (including a lone surrogate escape, or a number beyond the range of an
    /// `f64`).
    #[error("json syntax error at line {line}, column {column}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column (in bytes).
        column: usize,
    },
    /// The JSON ends early (truncated body).
    #[error("unexpected end of json at line {line}, column {column}")]
    Truncated {
        /// 1-based line.
        line: usize,
        /// 1-based column (in bytes).
        column: usize,
    },
    /// A required field is missing.
    #[error("missing field `{path}` at line {line}, column {column}")]
    MissingField {
        /// JSON path of the missing field.
        path: String,
        /// 1-based line where its object ends.
        line: usize,
        /// 1-based column where its object ends.
        column: usize,
    },
    /// A field the routing rules read has the wrong JSON type.
    #[error("wrong type at `{path}`: expected {expected}, at line {line}, column {column}")]
    WrongType {
        /// JSON path of the field.
        path: String,
        /// What the rules expect there (`a string`, `an array`, ...).
        expected: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A field the routing rules read appears twice in one object.
    #[error("duplicate field `{path}` at line {line}, column {column}")]
    DuplicateField {
        /// JSON path of the field.
        path: String,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based column of the second occurrence.
        column: usize,
    },
    /// The body holds more routable items than [`Limits::max_items`](crate::Limits).
    #[error("more than {limit} routable items")]
    TooManyItems {
        /// The configured bound.
        limit: usize,
    },
    /// Two fields of one item name different parties (a WASender key whose
    /// `cleanedSenderPn` and `remoteJid` differ; a Cloud API contact whose `wa_id` differs
    /// from the phone of the message it describes).
    #[error(
        "fields `{first}` and `{second}` name different parties, at line {line}, column {column}"
    )]
    ConflictingParty {
        /// JSON path of the first field.
        first: String,
        /// JSON path of the second field.
        second: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A WASender object has the fields of more than one kind of record (a message key and
    /// a caller, a call and participants), or nests arrays of records inside a record.
    #[error("ambiguous record at `{path}`, line {line}, column {column}")]
    AmbiguousRecord {
        /// JSON path of the object.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

impl PayloadError {
    /// Maps a serde_json error to ours, dropping serde_json's message text (it can quote
    /// values). The model is read only from bodies the scan accepted, so this is a guard, not
    /// a path a valid body takes.
    pub(crate) fn from_json(err: &serde_json::Error) -> Self {
        let (line, column) = (err.line(), err.column());
        match err.classify() {
            serde_json::error::Category::Eof => Self::Truncated { line, column },
            _ => Self::Syntax { line, column },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_period() {
        let all = [
            PayloadError::TooLarge { size: 2, limit: 1 },
            PayloadError::TooDeep {
                limit: 1,
                offset: 0,
            },
            PayloadError::InvalidUtf8 { offset: 0 },
            PayloadError::NotAnObject,
            PayloadError::UnknownProvider,
            PayloadError::AmbiguousProvider,
            PayloadError::WrongProvider {
                found: crate::Provider::Wasender,
            },
            PayloadError::Syntax { line: 1, column: 1 },
            PayloadError::Truncated { line: 1, column: 1 },
            PayloadError::TooManyItems { limit: 1 },
            PayloadError::DuplicateField {
                path: "entry".into(),
                line: 1,
                column: 1,
            },
            PayloadError::ConflictingParty {
                first: "a".into(),
                second: "b".into(),
                line: 1,
                column: 1,
            },
            PayloadError::AmbiguousRecord {
                path: "data".into(),
                line: 1,
                column: 1,
            },
        ];
        for e in all {
            let s = e.to_string();
            assert!(s.chars().next().unwrap().is_lowercase(), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
    }
}
