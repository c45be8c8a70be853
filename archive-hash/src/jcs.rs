//! RFC 8785 JSON Canonicalization Scheme (JCS) and template snapshots.
//!
//! [`canonicalize`] turns JSON text into its canonical bytes: no whitespace, object members
//! sorted by their keys as UTF-16 code units, strings with minimal escaping, and numbers
//! written as ECMAScript's `Number.prototype.toString` writes them. The SHA-256 of those
//! bytes is a content address: [`TemplateSnapshot`] uses it as a template's version id, so
//! the same content always gets the same id, whatever its formatting or member order.
//!
//! # Why a parser of our own
//! RFC 8785 requires I-JSON input (RFC 7493): no duplicate member names and no lone
//! surrogates. `serde_json::Value` keeps the last of two duplicate keys and turns a lone
//! `\ud800` escape into U+FFFD without telling, so a snapshot built on it could silently hash
//! something other than what was sent. This module parses with a small strict parser (RFC
//! 8259 grammar) that reports both as errors, with their byte position. Nesting is bounded by
//! [`MAX_DEPTH`] so hostile input cannot overflow the stack.
//!
//! # Numbers
//! Every number is read as an IEEE-754 double (correctly rounded; integers beyond 2^53 lose
//! precision, as in any JCS implementation) and written with the ECMAScript algorithm over
//! the shortest digits that round-trip, closest to the exact value when several are equally
//! short (from `ryu`; Rust's own `{:e}` formatting does not always pick the closest). Numbers too
//! large for a double (`1e400`) are refused rather than written as infinity.

use std::fmt;

use crate::{Error, Sha256};

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;

/// The canonical form (RFC 8785) of the JSON text `json`.
///
/// ```
/// let c = archive_hash::canonicalize(br#"{ "b": [1.0, 1e21, -0], "a": "\u00e9" }"#)?;
/// assert_eq!(c, "{\"a\":\"é\",\"b\":[1,1e+21,0]}".as_bytes());
///
/// assert!(archive_hash::canonicalize(br#"{"a":1,"a":2}"#).is_err());
/// assert!(archive_hash::canonicalize(br#""\ud800""#).is_err());
/// # Ok::<(), archive_hash::Error>(())
/// ```
pub fn canonicalize(json: &[u8]) -> Result<Vec<u8>, Error> {
    let text = std::str::from_utf8(json).map_err(|e| Error::Json {
        reason: "is not utf-8",
        position: e.valid_up_to(),
    })?;
    let mut p = Parser {
        b: text.as_bytes(),
        pos: 0,
    };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.b.len() {
        return Err(p.err("has trailing characters"));
    }
    let mut out = Vec::with_capacity(json.len());
    write_value(&mut out, value)?;
    Ok(out)
}

/// The canonical form of any serializable value (serialized with `serde_json` first).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct T { name: &'static str, id: u32 }
/// let c = archive_hash::canonicalize_serialize(&T { name: "hello", id: 7 })?;
/// assert_eq!(c, br#"{"id":7,"name":"hello"}"#);
/// # Ok::<(), archive_hash::Error>(())
/// ```
pub fn canonicalize_serialize<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let json = serde_json::to_vec(value).map_err(|source| Error::Serialize {
        what: "value",
        source,
    })?;
    canonicalize(&json)
}

/// A double written as ECMAScript's `Number.prototype.toString` writes it (RFC 8785 §3.2.2.3).
///
/// NaN and infinities have no JSON form and are refused.
///
/// ```
/// use archive_hash::format_number;
///
/// assert_eq!(format_number(1e21)?, "1e+21");
/// assert_eq!(format_number(123456789012345680000.0)?, "123456789012345680000");
/// assert_eq!(format_number(0.000001)?, "0.000001");
/// assert_eq!(format_number(-0.0)?, "0");
/// assert!(format_number(f64::NAN).is_err());
/// # Ok::<(), archive_hash::Error>(())
/// ```
pub fn format_number(v: f64) -> Result<String, Error> {
    if !v.is_finite() {
        return Err(Error::Json {
            reason: "number is not finite",
            position: 0,
        });
    }
    let mut out = String::new();
    write_number(&mut out, v);
    Ok(out)
}

fn write_number(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push('0');
        return;
    }
    if v < 0.0 {
        out.push('-');
    }
    // Shortest round-trip digits, closest to the value among equally short candidates
    // (what ECMAScript requires; ryu guarantees it). Normalize whatever layout ryu picks
    // ("1.5e-7", "123.0", "1e21") to digits without leading or trailing zeros and the
    // position `n` of the decimal point relative to them.
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v.abs());
    let (mantissa, exp) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let point = mantissa.find('.').unwrap_or(mantissa.len());
    let mut n = i32::try_from(point).unwrap_or(0) + exp;
    let all: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let trimmed = all.trim_start_matches('0');
    n -= i32::try_from(all.len() - trimmed.len()).unwrap_or(0);
    let digits = trimmed.trim_end_matches('0');
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let zeros = |count: i32| "0".repeat(usize::try_from(count).unwrap_or(0));
    if k <= n && n <= 21 {
        out.push_str(digits);
        out.push_str(&zeros(n - k));
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0);
        let (int, frac) = digits.split_at(split.min(digits.len()));
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.push_str(&zeros(-n));
        out.push_str(digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        out.push_str(&(n - 1).unsigned_abs().to_string());
    }
}

/// A template's canonical content and its version id, the SHA-256 of that content.
///
/// ```
/// use archive_hash::TemplateSnapshot;
///
/// let a = TemplateSnapshot::from_json(br#"{"name":"order_update","language":"en"}"#)?;
/// let b = TemplateSnapshot::from_json(b"{ \"language\": \"en\",\n  \"name\": \"order_update\" }")?;
/// assert_eq!(a.id(), b.id());
/// let c = TemplateSnapshot::from_json(br#"{"name":"order_update","language":"de"}"#)?;
/// assert_ne!(a.id(), c.id());
/// # Ok::<(), archive_hash::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TemplateSnapshot {
    canonical: Vec<u8>,
    id: Sha256,
}

impl TemplateSnapshot {
    /// Canonicalizes a template's JSON and hashes it.
    pub fn from_json(json: &[u8]) -> Result<Self, Error> {
        let canonical = canonicalize(json)?;
        let id = Sha256::digest(&canonical);
        Ok(Self { canonical, id })
    }

    /// The version id: SHA-256 of the canonical bytes.
    pub fn id(&self) -> Sha256 {
        self.id
    }

    /// The canonical bytes (what to store next to the id).
    pub fn canonical(&self) -> &[u8] {
        &self.canonical
    }
}

/// `Debug` shows the id and length, not the content.
impl fmt::Debug for TemplateSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemplateSnapshot")
            .field("id", &self.id)
            .field("canonical_len", &self.canonical.len())
            .finish()
    }
}

enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Self>),
    Object(Vec<Member>),
}

struct Member {
    key: String,
    position: usize,
    value: Value,
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> Error {
        Error::Json {
            reason,
            position: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &'static [u8], v: Value) -> Result<Value, Error> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err("has an invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        match self.peek() {
            None => Err(self.err("ends unexpectedly")),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("nests too deeply"));
                }
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    self.skip_ws();
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => return Err(self.err("expects , or ] in array")),
                    }
                }
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("nests too deeply"));
                }
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                loop {
                    self.skip_ws();
                    let position = self.pos;
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expects a string key"));
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expects : after key"));
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let value = self.value(depth + 1)?;
                    members.push(Member {
                        key,
                        position,
                        value,
                    });
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Object(members));
                        }
                        _ => return Err(self.err("expects , or } in object")),
                    }
                }
            }
            Some(_) => Err(self.err("has an unexpected character")),
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|c| char::from(c).to_digit(16))
                .ok_or_else(|| self.err("has an invalid \\u escape"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Error> {
        // Caller checked the opening quote.
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while matches!(self.peek(), Some(c) if c != b'"' && c != b'\\' && c >= 0x20) {
                self.pos += 1;
            }
            // The run is bounded by ASCII bytes or the end, inside valid UTF-8 text.
            let run = self
                .b
                .get(run_start..self.pos)
                .and_then(|r| std::str::from_utf8(r).ok())
                .ok_or_else(|| self.err("is not utf-8"))?;
            out.push_str(run);
            match self.peek() {
                None => return Err(self.err("has an unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc_pos = self.pos;
                    self.pos += 1;
                    let c = self.peek().ok_or_else(|| self.err("ends unexpectedly"))?;
                    self.pos += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let lone = Error::Json {
                                reason: "has a lone surrogate",
                                position: esc_pos,
                            };
                            let u = self.hex4()?;
                            let cp = match u {
                                0xD800..=0xDBFF => {
                                    if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                        return Err(lone);
                                    }
                                    self.pos += 2;
                                    let lo = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&lo) {
                                        return Err(lone);
                                    }
                                    0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return Err(lone),
                                _ => u,
                            };
                            out.push(char::from_u32(cp).ok_or(lone)?);
                        }
                        _ => {
                            return Err(Error::Json {
                                reason: "has an invalid escape",
                                position: esc_pos,
                            });
                        }
                    }
                }
                Some(_) => return Err(self.err("has a control character in a string")),
            }
        }
    }

    fn number(&mut self) -> Result<f64, Error> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.err("has an invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.err("has an invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("has an invalid number"));
            }
        }
        let v: f64 = self
            .b
            .get(start..self.pos)
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.parse().ok())
            .ok_or(Error::Json {
                reason: "has an invalid number",
                position: start,
            })?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(Error::Json {
                reason: "has a number out of range",
                position: start,
            })
        }
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x00..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0x0f)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn write_value(out: &mut Vec<u8>, v: Value) -> Result<(), Error> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let mut s = String::new();
            write_number(&mut s, n);
            out.extend_from_slice(s.as_bytes());
        }
        Value::String(s) => write_string(out, &s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(mut members) => {
            members.sort_by(|a, b| {
                a.key
                    .encode_utf16()
                    .cmp(b.key.encode_utf16())
                    .then(a.position.cmp(&b.position))
            });
            if let Some(dup) = members.windows(2).find_map(|w| match w {
                [a, b] if a.key == b.key => Some(b.position),
                _ => None,
            }) {
                return Err(Error::Json {
                    reason: "has a duplicate key",
                    position: dup,
                });
            }
            out.push(b'{');
            for (i, m) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, &m.key);
                out.push(b':');
                write_value(out, m.value)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(canonicalize(s.as_bytes()).unwrap()).unwrap()
    }

    fn reason(s: &[u8]) -> (&'static str, usize) {
        match canonicalize(s) {
            Err(Error::Json { reason, position }) => (reason, position),
            other => panic!("expected a json error, got {other:?}"),
        }
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 (unlike by code point).
        let out = canon("{\"\u{1F600}\":1,\"\u{E000}\":2,\"a\":3}");
        assert_eq!(out, "{\"a\":3,\"\u{1F600}\":1,\"\u{E000}\":2}");
    }

    #[test]
    fn escapes_minimally() {
        assert_eq!(
            canon(r#""\u0041\/\u00e9\u001f\b\u007f""#),
            "\"A/é\\u001f\\b\u{7f}\""
        );
        assert_eq!(canon(r#""\ud83d\ude00""#), "\"\u{1F600}\"");
    }

    #[test]
    fn numbers() {
        assert_eq!(
            canon("[1.0,-0.0,1E2,0.1,1e-7,123e-2,5e-324]"),
            "[1,0,100,0.1,1e-7,1.23,5e-324]"
        );
    }

    #[test]
    fn rejects_non_i_json() {
        assert_eq!(
            reason(br#"{"a":1,"b":2,"a":3}"#),
            ("has a duplicate key", 13)
        );
        assert_eq!(reason(br#"["\ud800"]"#).0, "has a lone surrogate");
        assert_eq!(reason(br#"["\udc00\ud800"]"#).0, "has a lone surrogate");
        assert_eq!(reason(br#"["\ud800\u0041"]"#).0, "has a lone surrogate");
        assert_eq!(reason(b"[1e400]"), ("has a number out of range", 1));
        assert_eq!(reason(b"[NaN]").0, "has an unexpected character");
        assert_eq!(reason(b"[01]").0, "expects , or ] in array");
        assert_eq!(reason(b"[1.]").0, "has an invalid number");
        assert_eq!(reason(b"{\"a\":1} x").0, "has trailing characters");
        assert_eq!(
            reason(b"\"a\x01\"").0,
            "has a control character in a string"
        );
        assert_eq!(reason(b"\"\xff\"").0, "is not utf-8");
        assert_eq!(reason(b"").0, "ends unexpectedly");
        assert_eq!(reason(b"[\"abc").0, "has an unterminated string");
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(reason(deep.as_bytes()).0, "nests too deeply");
    }

    #[test]
    fn nan_and_infinity_are_refused() {
        assert!(format_number(f64::NAN).is_err());
        assert!(format_number(f64::INFINITY).is_err());
        assert!(format_number(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn snapshot_debug_hides_content() {
        let s = TemplateSnapshot::from_json(br#"{"body":"secret words"}"#).unwrap();
        let d = format!("{s:?}");
        assert!(!d.contains("secret"), "{d}");
        assert_eq!(s.id(), Sha256::digest(s.canonical()));
    }
}
