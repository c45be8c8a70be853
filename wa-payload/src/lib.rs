#![doc = include_str!("../README.md")]
//!
//! # Crate features
//! None: the crate always depends on `serde`, `serde_json` (`raw_value`) and `thiserror`, and
//! `serde_path_to_error` (used only to name the path of an error).
// No unsafe code anywhere in this crate.
#![forbid(unsafe_code)]
// Every public item is documented.
#![deny(missing_docs)]

pub mod cloud;
mod error;
mod items;
mod json;
mod pii;
pub mod wasender;

pub use error::Error;
pub use items::{Business, Item, ItemKind, Items, Party, Role};
pub use json::{Extra, OneOrMany, Raw, Redacted, StrOrNum};
pub use pii::{Body, Jid, Name, Phone, UserId};

use json::FromJson;
use serde::{Deserializer, Serialize, Serializer};

/// A webhook provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Meta WhatsApp Cloud API.
    CloudApi,
    /// WASenderApi.
    Wasender,
}

impl Provider {
    /// `"cloud_api"` or `"wasender"`.
    ///
    /// ```
    /// assert_eq!(wa_payload::Provider::CloudApi.as_str(), "cloud_api");
    /// assert_eq!(wa_payload::Provider::Wasender.as_str(), "wasender");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudApi => "cloud_api",
            Self::Wasender => "wasender",
        }
    }
}

/// Bounds applied before parsing untrusted bodies.
///
/// ```
/// let limits = wa_payload::Limits { max_body_bytes: 10, ..Default::default() };
/// let err = wa_payload::parse_with(br#"{"event":"session.status"}"#, &limits).unwrap_err();
/// assert!(matches!(err, wa_payload::Error::TooLarge { size: 26, limit: 10 }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted body in bytes (default 3 MB, Meta's maximum webhook size).
    pub max_body_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (default 64).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 3 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// A parsed webhook body of either provider.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Webhook<'a> {
    /// A Cloud API notification.
    CloudApi(cloud::Notification<'a>),
    /// A WASender event.
    Wasender(wasender::Event<'a>),
}

impl<'a> Webhook<'a> {
    /// The provider of this body.
    pub fn provider(&self) -> Provider {
        match self {
            Webhook::CloudApi(_) => Provider::CloudApi,
            Webhook::Wasender(_) => Provider::Wasender,
        }
    }

    /// Every routable item of the body, in document order (see the rules in the crate docs).
    pub fn items(&self) -> Items<'_, 'a> {
        Items::new(self)
    }

    /// Detaches the model from the input body.
    pub fn into_owned(self) -> Webhook<'static> {
        match self {
            Webhook::CloudApi(n) => Webhook::CloudApi(n.into_owned()),
            Webhook::Wasender(e) => Webhook::Wasender(e.into_owned()),
        }
    }
}

impl Serialize for Webhook<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Webhook::CloudApi(n) => n.serialize(s),
            Webhook::Wasender(e) => e.serialize(s),
        }
    }
}

/// Parses a body of either provider with the default [`Limits`].
///
/// ```
/// let w = wa_payload::parse(br#"{"event":"session.status","timestamp":1633456789,"data":{"status":"connected"}}"#)?;
/// assert_eq!(w.provider(), wa_payload::Provider::Wasender);
/// # Ok::<(), wa_payload::Error>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Webhook<'_>, Error> {
    parse_with(body, &Limits::default())
}

/// Parses a body of either provider with the given limits.
pub fn parse_with<'a>(body: &'a [u8], limits: &Limits) -> Result<Webhook<'a>, Error> {
    precheck(body, limits)?;
    match detect(body) {
        Some(Provider::CloudApi) => {
            cloud::Notification::parse_with(body, limits).map(Webhook::CloudApi)
        }
        Some(Provider::Wasender) => {
            wasender::Event::parse_with(body, limits).map(Webhook::Wasender)
        }
        None => Err(Error::UnknownProvider),
    }
}

/// Guesses the provider from the top-level keys, without a full parse: a top-level `event`
/// key means WASender, a top-level `object` or `entry` key means Cloud API (the first of these
/// keys decides). `None` when the root is not an object or has none of these keys.
///
/// ```
/// use wa_payload::{detect, Provider};
/// assert_eq!(detect(br#"{"object":"whatsapp_business_account","entry":[]}"#), Some(Provider::CloudApi));
/// assert_eq!(detect(br#" {"data":{"event":"x"},"event":"messages.upsert"}"#), Some(Provider::Wasender));
/// assert_eq!(detect(b"[1]"), None);
/// ```
pub fn detect(body: &[u8]) -> Option<Provider> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if body.get(start) != Some(&b'{') {
        return None;
    }
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut i = start;
    while let Some(&b) = body.get(i) {
        match b {
            b'{' | b'[' => {
                depth += 1;
                expect_key = b == b'{' && depth == 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return None;
                }
            }
            b',' => expect_key = depth == 1,
            b'"' => {
                let end = string_end(body, i)?;
                if depth == 1 && expect_key {
                    let key = body.get(i + 1..end)?;
                    match key {
                        b"event" => return Some(Provider::Wasender),
                        b"object" | b"entry" => return Some(Provider::CloudApi),
                        _ => {}
                    }
                }
                expect_key = false;
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Index of the closing quote of the string opening at `open`.
fn string_end(body: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while let Some(&b) = body.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Size, UTF-8, root and depth checks before any parsing.
pub(crate) fn precheck<'a>(body: &'a [u8], limits: &Limits) -> Result<&'a str, Error> {
    if body.len() > limits.max_body_bytes {
        return Err(Error::TooLarge {
            size: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    let text = std::str::from_utf8(body).map_err(|e| Error::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        return Err(Error::NotAnObject);
    }
    check_depth(body, limits.max_depth)?;
    Ok(text)
}

/// Fails when arrays/objects nest deeper than `limit` (strings are skipped). An unterminated
/// string ends the scan: the parser reports it.
fn check_depth(body: &[u8], limit: usize) -> Result<(), Error> {
    // Fast path: with no more opening brackets than the bound, the bound cannot be exceeded
    // (this count vectorizes; typical single-item bodies have a dozen brackets).
    if body.iter().filter(|&&b| b == b'{' || b == b'[').count() <= limit {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&b) = body.get(i) {
        match b {
            b'"' => {
                // Jump to the closing quote, hopping over escapes.
                i += 1;
                loop {
                    let Some(rest) = body.get(i..) else {
                        return Ok(());
                    };
                    match find_quote_or_backslash(rest) {
                        Some(p) if rest.get(p) == Some(&b'\\') => i += p + 2,
                        Some(p) => {
                            i += p;
                            break;
                        }
                        None => return Ok(()),
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Err(Error::TooDeep { limit, offset: i });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Bytes with their high bit set where `x` has a byte equal to `b` (exact for the lowest one).
fn bytes_equal(x: u64, b: u8) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let y = x ^ (LO * u64::from(b));
    y.wrapping_sub(LO) & !y & HI
}

/// Position of the first `"` or `\` in `s`, eight bytes at a time.
fn find_quote_or_backslash(s: &[u8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut offset = 0usize;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let hits = bytes_equal(x, b'"') | bytes_equal(x, b'\\');
        if hits != 0 {
            return Some(offset + (hits.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| offset + p)
}

/// Something that reads a value from any deserializer over the same text (so the error path
/// can re-run it with path tracking).
pub(crate) trait Parse<'a> {
    type Out;
    fn run<D: Deserializer<'a>>(&self, d: D) -> Result<Self::Out, D::Error>;
}

struct ParseFromJson<T>(std::marker::PhantomData<T>);

impl<'a, T: FromJson<'a>> Parse<'a> for ParseFromJson<T> {
    type Out = T;
    fn run<D: Deserializer<'a>>(&self, d: D) -> Result<T, D::Error> {
        T::from_json(d)
    }
}

/// Parses a model from text; errors carry the path (prefixed by `prefix`).
pub(crate) fn parse_json<'a, T: FromJson<'a>>(
    text: &'a str,
    prefix: &str,
    limits: &Limits,
) -> Result<T, Error> {
    run_parse(
        text,
        prefix,
        limits,
        &ParseFromJson::<T>(std::marker::PhantomData),
    )
}

/// Runs a parser; on failure re-runs it with path tracking to name the failing field.
pub(crate) fn run_parse<'a, P: Parse<'a>>(
    text: &'a str,
    prefix: &str,
    limits: &Limits,
    parser: &P,
) -> Result<P::Out, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let first = parser.run(&mut de).and_then(|v| de.end().map(|()| v));
    let err = match first {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let mut track = serde_path_to_error::Track::new();
    let tracked = parser.run(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    let (err, path) = match tracked {
        Err(e) => (e, track.path().to_string()),
        Ok(_) => (err, String::new()),
    };
    Err(Error::from_json(&err, prefix, &path, limits.max_depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_scan_skips_strings_and_escapes() {
        assert!(check_depth(br#"{"a":"[[[[\"[[[\\","b":[1]}"#, 2).is_ok());
        assert_eq!(
            check_depth(br#"{"a":"\\","b":[[1]]}"#, 2),
            Err(Error::TooDeep {
                limit: 2,
                offset: 15
            })
        );
        assert!(check_depth(br#"{"a":"unterminated [[[["#, 1).is_ok());
        assert!(check_depth(br#"{"a":"\"#, 1).is_ok());
    }

    #[test]
    fn finds_quotes_like_a_plain_search() {
        let text = br#"abcdefghij"klmn\\opq"#;
        for start in 0..text.len() {
            let s = &text[start..];
            let plain = s.iter().position(|&c| c == b'"' || c == b'\\');
            assert_eq!(find_quote_or_backslash(s), plain, "from {start}");
        }
        assert_eq!(
            find_quote_or_backslash(&[0xff, 0xfe, 0x80, 0x7f, b'"', 0, 1, 2, 3]),
            Some(4)
        );
        assert_eq!(find_quote_or_backslash(&[0x22 ^ 0x80; 16]), None);
    }

    #[test]
    fn detect_reads_only_top_level_keys() {
        assert_eq!(
            detect(br#"{"data":{"object":1},"event":"x"}"#),
            Some(Provider::Wasender)
        );
        assert_eq!(
            detect(br#"{"a":"\"event\"","entry":[]}"#),
            Some(Provider::CloudApi)
        );
        assert_eq!(detect(br#"{"a":1}"#), None);
        assert_eq!(detect(br#"{"a":"#), None);
        assert_eq!(detect(b""), None);
    }
}
