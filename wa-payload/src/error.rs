//! The crate's error type: names the field path and position, never a value.

/// Why a body could not be parsed.
///
/// Messages are lowercase, name the JSON path (`entry[0].changes[1].value.messages[3].timestamp`)
/// and position, and never contain a value from the body.
///
/// ```
/// let err = wa_payload::parse(br#"{"object":"x","entry":[{"changes":[{"value":{}}]}]}"#)
///     .unwrap_err();
/// assert_eq!(err.to_string(), "missing field `entry[0].changes[0].field` at line 1, column 47");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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
    #[error("unknown provider: no top-level `object`, `entry` or `event` field")]
    UnknownProvider,
    /// Not JSON.
    #[error("json syntax error at line {line}, column {column}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The JSON ends early (truncated body).
    #[error("unexpected end of json at line {line}, column {column}")]
    Truncated {
        /// 1-based line.
        line: usize,
        /// 1-based column.
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
    /// A field has the wrong JSON type.
    #[error("wrong type at `{path}`: expected {expected}, at line {line}, column {column}")]
    WrongType {
        /// JSON path of the field.
        path: String,
        /// What the model expects there (`a string`, `an array`, ...).
        expected: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

/// The path to report: `serde_path_to_error` prints the root as `.`.
fn clean_path(path: &str) -> &str {
    if path == "." { "" } else { path }
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    }
}

impl Error {
    /// Maps a serde_json error, with the path where it happened, to our error, dropping
    /// serde_json's message text (it can quote values).
    pub(crate) fn from_json(
        err: &serde_json::Error,
        prefix: &str,
        path: &str,
        limit: usize,
    ) -> Self {
        use serde_json::error::Category;
        let (line, column) = (err.line(), err.column());
        let path = join(prefix, clean_path(path));
        match err.classify() {
            Category::Eof => Self::Truncated { line, column },
            Category::Syntax | Category::Io => {
                if err.to_string().starts_with("recursion limit exceeded") {
                    Self::TooDeep { limit, offset: 0 }
                } else {
                    Self::Syntax { line, column }
                }
            }
            Category::Data => {
                let text = err.to_string();
                if let Some(rest) = text.strip_prefix("missing field `") {
                    let field = rest.split('`').next().unwrap_or_default();
                    return Self::MissingField {
                        path: join(&path, field),
                        line,
                        column,
                    };
                }
                // "invalid type: <what was found>, expected <our expectation> at line L column C":
                // keep only our expectation, never what was found.
                let body = text
                    .rfind(" at line ")
                    .map_or(text.as_str(), |i| &text[..i]);
                let expected = body
                    .rfind(", expected ")
                    .map(|i| &body[i + ", expected ".len()..])
                    .filter(|e| EXPECTATIONS.contains(e))
                    .unwrap_or("another type");
                Self::WrongType {
                    path,
                    expected: expected.to_owned(),
                    line,
                    column,
                }
            }
        }
    }
}

/// The expectations our models (and serde's primitives) print; anything else is not echoed.
const EXPECTATIONS: &[&str] = &[
    "a string",
    "a string or a number",
    "an object",
    "an array",
    "an object or an array of objects",
    "a value or null",
    "a boolean",
    "u64",
    "i64",
    "f64",
    "any valid JSON value",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_type_drops_the_found_value() {
        let err = serde_json::from_str::<bool>(r#""+4915112345678""#).unwrap_err();
        let mapped = Error::from_json(&err, "", "entry[0].id", 64);
        let text = mapped.to_string();
        assert!(!text.contains("4915"), "{text}");
        assert_eq!(
            text,
            "wrong type at `entry[0].id`: expected a boolean, at line 1, column 16"
        );
    }

    #[test]
    fn joins_paths() {
        assert_eq!(join("data", "[0].key"), "data[0].key");
        assert_eq!(join("data", "key"), "data.key");
        assert_eq!(join("", "key"), "key");
        assert_eq!(join("data", ""), "data");
    }

    #[test]
    fn messages_are_lowercase_without_period() {
        let all = [
            Error::TooLarge { size: 2, limit: 1 },
            Error::TooDeep {
                limit: 1,
                offset: 0,
            },
            Error::InvalidUtf8 { offset: 0 },
            Error::NotAnObject,
            Error::UnknownProvider,
            Error::Syntax { line: 1, column: 1 },
            Error::Truncated { line: 1, column: 1 },
        ];
        for e in all {
            let s = e.to_string();
            assert!(s.chars().next().unwrap().is_lowercase(), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
    }
}
