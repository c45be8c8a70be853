//! RFC 8785 JSON Canonicalization Scheme (JCS) and template snapshots.
//!
//! [`canonicalize`] turns JSON text into its canonical bytes: no whitespace, object members
//! sorted by their keys as UTF-16 code units, strings with minimal escaping, and numbers
//! written as ECMAScript's `Number.prototype.toString` writes them. The SHA-256 of those
//! bytes is a content address: [`TemplateSnapshot`] uses it as a template's version id, so
//! the same content always gets the same id, whatever its formatting or member order.
//! [`canonicalize_to`] writes the same bytes to a [`std::io::Write`] instead of returning them.
//!
//! # Why a parser of our own
//! RFC 8785 requires I-JSON input (RFC 7493): no duplicate member names and no lone
//! surrogates. `serde_json::Value` keeps the last of two duplicate keys and turns a lone
//! `\ud800` escape into U+FFFD without telling, so a snapshot built on it could silently hash
//! something other than what was sent. This module parses with a small strict parser (RFC
//! 8259 grammar) that reports both as errors, with their byte position. Nesting is bounded by
//! [`MAX_DEPTH`] so hostile input cannot overflow the stack.
//!
//! # Memory
//! The input is not turned into a tree of owned values. One pass checks the whole input and
//! records only what reordering needs: for each object with two or more members, the byte
//! offsets of its keys (4 bytes a member) and one 12-byte entry; arrays, scalars and objects
//! of one member record nothing. Each object's keys are then sorted in place, compared
//! straight from the input (escapes decoded on the fly), and a second pass writes the output
//! by reading strings and numbers from the input again. Besides the input and the output,
//! peak memory is that index (at most about 1.5 times the input, for an input made only of
//! two-member objects; far less for typical documents) and, while parsing, the key offsets
//! of the objects still open. With [`canonicalize_to`] the output is written through a
//! 64 KiB buffer rather than held whole, and nothing is written unless the whole input is
//! valid.
//!
//! # Numbers
//! Every number is read as an IEEE-754 double (correctly rounded; integers beyond 2^53 lose
//! precision, as in any JCS implementation) and written with the ECMAScript algorithm over
//! the shortest digits that round-trip, closest to the exact value when several are equally
//! short (from `ryu`; Rust's own `{:e}` formatting does not always pick the closest). Numbers too
//! large for a double (`1e400`) are refused rather than written as infinity.

use std::cmp::Ordering;
use std::fmt;
use std::io;

use crate::{ArchiveError, Sha256};

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;

/// Longest input accepted, in bytes (4 GiB - 1): offsets are kept as `u32` so that the index
/// stays small.
pub const MAX_INPUT_LEN: usize = u32::MAX as usize;

/// Size of the buffer [`canonicalize_to`] writes through: 64 KiB.
pub const WRITE_CHUNK: usize = 64 * 1024;

/// The canonical form (RFC 8785) of the JSON text `json`.
///
/// ```
/// let c = archive_hash::canonicalize(br#"{ "b": [1.0, 1e21, -0], "a": "\u00e9" }"#)?;
/// assert_eq!(c, "{\"a\":\"é\",\"b\":[1,1e+21,0]}".as_bytes());
///
/// assert!(archive_hash::canonicalize(br#"{"a":1,"a":2}"#).is_err());
/// assert!(archive_hash::canonicalize(br#""\ud800""#).is_err());
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
pub fn canonicalize(json: &[u8]) -> Result<Vec<u8>, ArchiveError> {
    let index = Index::build(json)?;
    let mut out = Vec::with_capacity(json.len());
    Writer {
        b: json,
        index: &index,
        out: &mut out,
    }
    .document();
    Ok(out)
}

/// Writes the canonical form (RFC 8785) of `json` to `out` and returns the number of bytes
/// written; `out` is flushed at the end.
///
/// The whole input is checked before the first byte is written, so invalid input leaves
/// `out` untouched. The output goes through one [`WRITE_CHUNK`] buffer: memory does not grow
/// with the output, which can be several times longer than the input (`1e20` is written
/// `100000000000000000000`). A failing writer is [`ArchiveError::Write`].
///
/// ```
/// let mut out = Vec::new();
/// let n = archive_hash::canonicalize_to(br#"{"b":2,"a":[1E2]}"#, &mut out)?;
/// assert_eq!(out, br#"{"a":[100],"b":2}"#);
/// assert_eq!(n, 17);
///
/// let mut untouched = Vec::new();
/// assert!(archive_hash::canonicalize_to(br#"[1,{"a":1,"a":2}]"#, &mut untouched).is_err());
/// assert!(untouched.is_empty());
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
pub fn canonicalize_to<W: io::Write + ?Sized>(
    json: &[u8],
    out: &mut W,
) -> Result<u64, ArchiveError> {
    let index = Index::build(json)?;
    let mut sink = IoSink {
        inner: out,
        buf: Vec::with_capacity(WRITE_CHUNK.min(json.len().saturating_add(16))),
        written: 0,
        error: None,
    };
    Writer {
        b: json,
        index: &index,
        out: &mut sink,
    }
    .document();
    sink.finish()
}

/// The canonical form of any serializable value (serialized with `serde_json` first).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct T { name: &'static str, id: u32 }
/// let c = archive_hash::canonicalize_serialize(&T { name: "hello", id: 7 })?;
/// assert_eq!(c, br#"{"id":7,"name":"hello"}"#);
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
pub fn canonicalize_serialize<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<u8>, ArchiveError> {
    let json = serde_json::to_vec(value).map_err(|source| ArchiveError::Serialize {
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
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
pub fn format_number(v: f64) -> Result<String, ArchiveError> {
    if !v.is_finite() {
        return Err(ArchiveError::Json {
            reason: "number is not finite",
            position: 0,
        });
    }
    let mut out = Vec::with_capacity(24);
    write_number(&mut out, v);
    // Only ASCII digits, signs, points and `e` are written.
    Ok(out.into_iter().map(char::from).collect())
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
/// # Ok::<(), archive_hash::ArchiveError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TemplateSnapshot {
    canonical: Vec<u8>,
    id: Sha256,
}

impl TemplateSnapshot {
    /// Canonicalizes a template's JSON and hashes it.
    pub fn from_json(json: &[u8]) -> Result<Self, ArchiveError> {
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

/// An input offset as stored in the index (inputs are at most [`MAX_INPUT_LEN`] bytes).
fn small(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

/// An offset from the index, back as a `usize` (lossless: `usize` is at least 32 bits here).
fn wide(pos: u32) -> usize {
    pos as usize
}

/// What the writer needs to reorder objects, built by one checking pass over the input.
#[derive(Debug, Default)]
struct Index {
    /// Objects with two or more members, by the offset of their `{`.
    objects: Vec<ObjectRun>,
    /// Offsets of member keys (their opening quote); each object's run is contiguous, and
    /// sorted by key once [`Index::build`] returns.
    keys: Vec<u32>,
}

/// One object of two or more members: where it starts and where its keys are in the index.
#[derive(Debug, Clone, Copy)]
struct ObjectRun {
    start: u32,
    first: u32,
    len: u32,
}

impl Index {
    /// Checks `json` entirely (grammar, I-JSON, depth) and indexes the objects to reorder,
    /// their keys sorted.
    fn build(json: &[u8]) -> Result<Self, ArchiveError> {
        if json.len() > MAX_INPUT_LEN {
            return Err(ArchiveError::Json {
                reason: "exceeds 4 GiB",
                position: MAX_INPUT_LEN,
            });
        }
        std::str::from_utf8(json).map_err(|e| ArchiveError::Json {
            reason: "is not utf-8",
            position: e.valid_up_to(),
        })?;
        let mut p = Parser {
            b: json,
            pos: 0,
            open_keys: Vec::new(),
            index: Self::default(),
        };
        p.skip_ws();
        p.value(0)?;
        p.skip_ws();
        if p.pos != p.b.len() {
            return Err(p.err("has trailing characters"));
        }
        let mut index = p.index;
        // Runs were recorded as objects closed (inner first); the writer looks them up by start.
        index.objects.sort_unstable_by_key(|o| o.start);
        index.sort_keys(json)?;
        Ok(index)
    }

    /// Sorts each object's keys; the first duplicate, in document order of objects, is an
    /// error at the later of its two occurrences.
    fn sort_keys(&mut self, b: &[u8]) -> Result<(), ArchiveError> {
        for o in &self.objects {
            let first = wide(o.first);
            let Some(run) = self.keys.get_mut(first..first.saturating_add(wide(o.len))) else {
                continue;
            };
            run.sort_unstable_by(|&x, &y| cmp_keys(b, wide(x), wide(y)).then(x.cmp(&y)));
            let dup = run.windows(2).find_map(|w| match *w {
                [x, y] if cmp_keys(b, wide(x), wide(y)) == Ordering::Equal => Some(y),
                _ => None,
            });
            if let Some(position) = dup {
                return Err(ArchiveError::Json {
                    reason: "has a duplicate key",
                    position: wide(position),
                });
            }
        }
        Ok(())
    }

    /// The sorted key offsets of the object starting at `start`, if it has two or more.
    fn members(&self, start: usize) -> Option<&[u32]> {
        let start = u32::try_from(start).ok()?;
        let i = self
            .objects
            .binary_search_by_key(&start, |o| o.start)
            .ok()?;
        let o = self.objects.get(i)?;
        let first = wide(o.first);
        self.keys.get(first..first.saturating_add(wide(o.len)))
    }
}

/// The checking pass: RFC 8259 grammar, I-JSON strings and numbers, bounded depth.
struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
    /// Key offsets of the objects still open, innermost last.
    open_keys: Vec<u32>,
    index: Index,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> ArchiveError {
        ArchiveError::Json {
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

    fn literal(&mut self, word: &'static [u8]) -> Result<(), ArchiveError> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("has an invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), ArchiveError> {
        match self.peek() {
            None => Err(self.err("ends unexpectedly")),
            Some(b'n') => self.literal(b"null"),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(_) => Err(self.err("has an unexpected character")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), ArchiveError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("nests too deeply"));
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth + 1)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expects , or ] in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), ArchiveError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("nests too deeply"));
        }
        let start = self.pos;
        let base = self.open_keys.len();
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            let key = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.err("expects a string key"));
            }
            self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expects : after key"));
            }
            self.pos += 1;
            self.skip_ws();
            self.open_keys.push(small(key));
            self.value(depth + 1)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.close(start, base);
                    return Ok(());
                }
                _ => return Err(self.err("expects , or } in object")),
            }
        }
    }

    /// Moves the keys of the object that just closed into the index, if it needs sorting.
    fn close(&mut self, start: usize, base: usize) {
        let keys = self.open_keys.get(base..).unwrap_or_default();
        if keys.len() >= 2 {
            self.index.objects.push(ObjectRun {
                start: small(start),
                first: small(self.index.keys.len()),
                len: small(keys.len()),
            });
            self.index.keys.extend_from_slice(keys);
        }
        self.open_keys.truncate(base);
    }

    fn string(&mut self) -> Result<(), ArchiveError> {
        // Caller checked the opening quote.
        self.pos += 1;
        loop {
            while matches!(self.peek(), Some(c) if c != b'"' && c != b'\\' && c >= 0x20) {
                self.pos += 1;
            }
            match self.peek() {
                None => return Err(self.err("has an unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let (_, next) = escape(self.b, self.pos)
                        .map_err(|(reason, position)| ArchiveError::Json { reason, position })?;
                    self.pos = next;
                }
                Some(_) => return Err(self.err("has a control character in a string")),
            }
        }
    }

    fn number(&mut self) -> Result<(), ArchiveError> {
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
        let integer_digits = match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                1
            }
            Some(b'1'..=b'9') => digits(self),
            _ => return Err(self.err("has an invalid number")),
        };
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.err("has an invalid number"));
            }
        }
        let mut exponent = false;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            exponent = true;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("has an invalid number"));
            }
        }
        // Without an exponent, at most 308 integer digits stay below 1e308 < f64::MAX.
        if !exponent && integer_digits <= 308 {
            return Ok(());
        }
        let v: f64 = self
            .b
            .get(start..self.pos)
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.parse().ok())
            .ok_or(ArchiveError::Json {
                reason: "has an invalid number",
                position: start,
            })?;
        if v.is_finite() {
            Ok(())
        } else {
            Err(ArchiveError::Json {
                reason: "has a number out of range",
                position: start,
            })
        }
    }
}

/// Decodes the escape starting at `pos` (a backslash) to a code point, surrogate pairs
/// joined; returns it with the offset just past the escape, or the reason and position of
/// the fault.
fn escape(b: &[u8], pos: usize) -> Result<(u32, usize), (&'static str, usize)> {
    let Some(&c) = b.get(pos + 1) else {
        return Err(("ends unexpectedly", pos + 1));
    };
    let simple = match c {
        b'"' => 0x22,
        b'\\' => 0x5c,
        b'/' => 0x2f,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => 0x0a,
        b'r' => 0x0d,
        b't' => 0x09,
        b'u' => {
            let lone = ("has a lone surrogate", pos);
            let u = hex4(b, pos + 2)?;
            return match u {
                0xD800..=0xDBFF => {
                    if b.get(pos + 6..pos + 8) != Some(b"\\u") {
                        return Err(lone);
                    }
                    let lo = hex4(b, pos + 8)?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return Err(lone);
                    }
                    Ok((0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), pos + 12))
                }
                0xDC00..=0xDFFF => Err(lone),
                _ => Ok((u, pos + 6)),
            };
        }
        _ => return Err(("has an invalid escape", pos)),
    };
    Ok((simple, pos + 2))
}

/// Four hex digits at `at`.
fn hex4(b: &[u8], at: usize) -> Result<u32, (&'static str, usize)> {
    let mut v = 0u32;
    for i in at..at + 4 {
        let d = b
            .get(i)
            .and_then(|&c| char::from(c).to_digit(16))
            .ok_or(("has an invalid \\u escape", i))?;
        v = v * 16 + d;
    }
    Ok(v)
}

/// Compares the JSON string keys whose opening quotes are at `x` and `y` as RFC 8785 orders
/// them: by their decoded text as UTF-16 code units.
///
/// While neither side has an escape the raw UTF-8 bytes are compared; their order is code
/// point order, which UTF-16 order follows except at one place, fixed by
/// [`utf16_byte_order`]. From the first escape on, both keys are decoded.
fn cmp_keys(b: &[u8], x: usize, y: usize) -> Ordering {
    let (mut i, mut j) = (x + 1, y + 1);
    loop {
        let (Some(&c), Some(&d)) = (b.get(i), b.get(j)) else {
            // Keys are checked to be terminated before any comparison.
            return Ordering::Equal;
        };
        if c == b'\\' || d == b'\\' {
            // The prefixes read so far are the same bytes, so `i` and `j` are character
            // boundaries of equal decoded prefixes.
            return SortWeights { b, pos: i }.cmp(SortWeights { b, pos: j });
        }
        if c != d {
            return match (c, d) {
                (b'"', _) => Ordering::Less,
                (_, b'"') => Ordering::Greater,
                _ => utf16_byte_order(c, d),
            };
        }
        if c == b'"' {
            return Ordering::Equal;
        }
        i += 1;
        j += 1;
    }
}

/// The UTF-16 order of two UTF-8 strings whose first difference is the bytes `c` and `d`.
///
/// Both bytes sit at the same place of the same character layout, so either both are
/// continuation bytes (same lead, byte order is right) or both lead bytes. Lead bytes
/// `EE`/`EF` start U+E000..U+FFFF, one UTF-16 unit above the surrogates; `F0`..`F4` start
/// the supplementary characters, whose first UTF-16 unit is a surrogate (D800..DBFF): those
/// sort first in UTF-16, though last in UTF-8.
fn utf16_byte_order(c: u8, d: u8) -> Ordering {
    let high_bmp = |x: u8| x == 0xEE || x == 0xEF;
    let supplementary = |x: u8| x >= 0xF0;
    if high_bmp(c) && supplementary(d) {
        Ordering::Greater
    } else if supplementary(c) && high_bmp(d) {
        Ordering::Less
    } else {
        c.cmp(&d)
    }
}

/// The characters of a JSON string read from its raw text at `pos` up to the closing quote,
/// each as a weight whose order is UTF-16 code unit order: U+E000..U+FFFF are moved above
/// the supplementary planes, everything else keeps its code point.
struct SortWeights<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Iterator for SortWeights<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let c = *self.b.get(self.pos)?;
        let cp = match c {
            b'"' => return None,
            b'\\' => {
                let (cp, next) = escape(self.b, self.pos).ok()?;
                self.pos = next;
                cp
            }
            _ => {
                let len = match c {
                    0x00..=0x7f => 1,
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    _ => 4,
                };
                let ch = self
                    .b
                    .get(self.pos..self.pos + len)
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .and_then(|s| s.chars().next())?;
                self.pos += len;
                u32::from(ch)
            }
        };
        Some(if (0xE000..=0xFFFF).contains(&cp) {
            cp + 0x11_0000
        } else {
            cp
        })
    }
}

/// Where canonical bytes go: a `Vec` (infallible) or an [`io::Write`] through a buffer.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Buffers output for an [`io::Write`]; the first write error is kept and ends writing.
struct IoSink<'w, W: io::Write + ?Sized> {
    inner: &'w mut W,
    buf: Vec<u8>,
    written: u64,
    error: Option<io::Error>,
}

impl<W: io::Write + ?Sized> IoSink<'_, W> {
    fn drain(&mut self) {
        if self.error.is_none() && !self.buf.is_empty() {
            match self.inner.write_all(&self.buf) {
                Ok(()) => {
                    self.written += u64::try_from(self.buf.len()).unwrap_or(u64::MAX);
                }
                Err(e) => self.error = Some(e),
            }
        }
        self.buf.clear();
    }

    fn finish(mut self) -> Result<u64, ArchiveError> {
        self.drain();
        if self.error.is_none()
            && let Err(e) = self.inner.flush()
        {
            self.error = Some(e);
        }
        match self.error {
            None => Ok(self.written),
            Some(source) => Err(ArchiveError::Write {
                offset: self.written,
                kind: source.kind(),
                source,
            }),
        }
    }
}

impl<W: io::Write + ?Sized> Sink for IoSink<'_, W> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= WRITE_CHUNK {
            self.drain();
        }
    }
}

/// The writing pass over input that [`Index::build`] accepted; each step returns the input
/// offset just past what it wrote.
struct Writer<'a, S: Sink + ?Sized> {
    b: &'a [u8],
    index: &'a Index,
    out: &'a mut S,
}

impl<S: Sink + ?Sized> Writer<'_, S> {
    fn skip_ws(&self, mut pos: usize) -> usize {
        while matches!(self.b.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            pos += 1;
        }
        pos
    }

    fn document(&mut self) {
        let pos = self.skip_ws(0);
        self.value(pos);
    }

    fn value(&mut self, pos: usize) -> usize {
        match self.b.get(pos) {
            None => pos,
            Some(b'n') => {
                self.out.put(b"null");
                pos + 4
            }
            Some(b't') => {
                self.out.put(b"true");
                pos + 4
            }
            Some(b'f') => {
                self.out.put(b"false");
                pos + 5
            }
            Some(b'"') => self.string(pos),
            Some(b'[') => self.array(pos),
            Some(b'{') => self.object(pos),
            Some(_) => self.number(pos),
        }
    }

    fn array(&mut self, pos: usize) -> usize {
        self.out.put(b"[");
        let mut pos = self.skip_ws(pos + 1);
        if self.b.get(pos) == Some(&b']') {
            self.out.put(b"]");
            return pos + 1;
        }
        loop {
            pos = self.value(pos);
            pos = self.skip_ws(pos);
            if self.b.get(pos) == Some(&b',') {
                self.out.put(b",");
                pos = self.skip_ws(pos + 1);
            } else {
                self.out.put(b"]");
                return pos + 1;
            }
        }
    }

    fn object(&mut self, start: usize) -> usize {
        self.out.put(b"{");
        let index = self.index;
        let end = if let Some(keys) = index.members(start) {
            // Sorted order; the object ends after the value of its last member in the input.
            let (mut last_key, mut last_end) = (0, start + 1);
            for (i, &key) in keys.iter().enumerate() {
                if i > 0 {
                    self.out.put(b",");
                }
                let end = self.member(wide(key));
                if wide(key) >= last_key {
                    (last_key, last_end) = (wide(key), end);
                }
            }
            last_end
        } else {
            // No member or one: input order is canonical order.
            let pos = self.skip_ws(start + 1);
            if self.b.get(pos) == Some(&b'"') {
                self.member(pos)
            } else {
                pos
            }
        };
        self.out.put(b"}");
        self.skip_ws(end) + 1
    }

    fn member(&mut self, key: usize) -> usize {
        let pos = self.string(key);
        self.out.put(b":");
        let colon = self.skip_ws(pos);
        let pos = self.skip_ws(colon + 1);
        self.value(pos)
    }

    fn string(&mut self, pos: usize) -> usize {
        self.out.put(b"\"");
        let mut pos = pos + 1;
        loop {
            let run = pos;
            while matches!(self.b.get(pos), Some(&c) if c != b'"' && c != b'\\') {
                pos += 1;
            }
            self.out.put(self.b.get(run..pos).unwrap_or_default());
            if self.b.get(pos) != Some(&b'\\') {
                self.out.put(b"\"");
                return pos + 1;
            }
            match escape(self.b, pos) {
                Ok((cp, next)) => {
                    self.escaped(cp);
                    pos = next;
                }
                Err(_) => pos += 1,
            }
        }
    }

    /// Writes one decoded character as RFC 8785 does: short escapes for `"`, `\` and the
    /// five controls that have one, `\u00xx` for the other controls, UTF-8 otherwise.
    fn escaped(&mut self, cp: u32) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match cp {
            0x22 => self.out.put(b"\\\""),
            0x5c => self.out.put(b"\\\\"),
            0x08 => self.out.put(b"\\b"),
            0x09 => self.out.put(b"\\t"),
            0x0a => self.out.put(b"\\n"),
            0x0c => self.out.put(b"\\f"),
            0x0d => self.out.put(b"\\r"),
            0x00..=0x1f => {
                let hi = HEX.get(wide(cp >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(wide(cp & 0x0f)).copied().unwrap_or(b'0');
                self.out.put(&[b'\\', b'u', b'0', b'0', hi, lo]);
            }
            _ => {
                let ch = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                self.out.put(ch.encode_utf8(&mut [0u8; 4]).as_bytes());
            }
        }
    }

    fn number(&mut self, pos: usize) -> usize {
        let mut end = pos;
        while matches!(
            self.b.get(end),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            end += 1;
        }
        let text = self.b.get(pos..end).unwrap_or_default();
        let digits = text.strip_prefix(b"-").unwrap_or(text);
        if text == b"-0" {
            self.out.put(b"0");
        } else if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit)
        {
            // An integer of at most 15 digits is exact in a double and ECMAScript writes it
            // as it is (the grammar already rules out leading zeros).
            self.out.put(text);
        } else {
            let v = std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .unwrap_or(0.0);
            write_number(self.out, v);
        }
        end.max(pos + 1)
    }
}

/// Writes a finite double as ECMAScript's `Number.prototype.toString` does.
fn write_number<S: Sink + ?Sized>(out: &mut S, v: f64) {
    const ZEROS: &[u8; 21] = &[b'0'; 21];
    let zeros = |count: i32| {
        ZEROS
            .get(..usize::try_from(count).unwrap_or(0))
            .unwrap_or(ZEROS)
    };
    if v == 0.0 {
        out.put(b"0");
        return;
    }
    if v < 0.0 {
        out.put(b"-");
    }
    // Shortest round-trip digits, closest to the value among equally short candidates
    // (what ECMAScript requires; ryu guarantees it). Normalize whatever layout ryu picks
    // ("1.5e-7", "123.0", "1e21") to digits without leading or trailing zeros and the
    // position `n` of the decimal point relative to them.
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v.abs()).as_bytes();
    let (mantissa, exp) = match text.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => {
            let (m, e) = text.split_at(i);
            let exp = e
                .get(1..)
                .and_then(|e| std::str::from_utf8(e).ok())
                .and_then(|e| e.parse::<i32>().ok())
                .unwrap_or(0);
            (m, exp)
        }
        None => (text, 0),
    };
    let point = mantissa
        .iter()
        .position(|&c| c == b'.')
        .unwrap_or(mantissa.len());
    let mut all = [0u8; 32];
    let mut len = 0;
    for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
        if let Some(slot) = all.get_mut(len) {
            *slot = c;
            len += 1;
        }
    }
    let all = all.get(..len).unwrap_or_default();
    let leading = all.iter().take_while(|&&c| c == b'0').count();
    let trimmed = all.get(leading..).unwrap_or_default();
    let trailing = trimmed.iter().rev().take_while(|&&c| c == b'0').count();
    let digits = trimmed.get(..trimmed.len() - trailing).unwrap_or_default();
    let n = i32::try_from(point).unwrap_or(0) + exp - i32::try_from(leading).unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if k <= n && n <= 21 {
        out.put(digits);
        out.put(zeros(n - k));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0).min(digits.len()));
        out.put(int);
        out.put(b".");
        out.put(frac);
    } else if -6 < n && n <= 0 {
        out.put(b"0.");
        out.put(zeros(-n));
        out.put(digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.put(first);
        if !rest.is_empty() {
            out.put(b".");
            out.put(rest);
        }
        out.put(if n - 1 < 0 { b"e-" } else { b"e+" });
        let mut e = [0u8; 10];
        let mut at = e.len();
        let mut x = (n - 1).unsigned_abs();
        loop {
            at -= 1;
            if let Some(slot) = e.get_mut(at) {
                // `x % 10` is a single digit.
                *slot = b'0' + u8::try_from(x % 10).unwrap_or(0);
            }
            x /= 10;
            if x == 0 || at == 0 {
                break;
            }
        }
        out.put(e.get(at..).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(canonicalize(s.as_bytes()).unwrap()).unwrap()
    }

    fn reason(s: &[u8]) -> (&'static str, usize) {
        match canonicalize(s) {
            Err(ArchiveError::Json { reason, position }) => (reason, position),
            other => panic!("expected a json error, got {other:?}"),
        }
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 (unlike by code point).
        let out = canon("{\"\u{1F600}\":1,\"\u{E000}\":2,\"a\":3}");
        assert_eq!(out, "{\"a\":3,\"\u{1F600}\":1,\"\u{E000}\":2}");
        // The same through escapes, and mixed: an escaped key against a raw one.
        let out = canon(r#"{"\ue000":2,"\ud83d\ude00":1,"\u0061":3}"#);
        assert_eq!(out, "{\"a\":3,\"\u{1F600}\":1,\"\u{E000}\":2}");
        let out = canon("{\"\\ue000\":2,\"\u{1F600}\":1,\"ab\":4,\"a\":3}");
        assert_eq!(out, "{\"a\":3,\"ab\":4,\"\u{1F600}\":1,\"\u{E000}\":2}");
    }

    #[test]
    fn escapes_minimally() {
        assert_eq!(
            canon(r#""\u0041\/\u00e9\u001f\b\u007f""#),
            "\"A/é\\u001f\\b\u{7f}\""
        );
        assert_eq!(canon(r#""\ud83d\ude00""#), "\"\u{1F600}\"");
        assert_eq!(
            canon(r#"["\u0022\"\\\u005c\n\u000a\r\t\f\u0000"]"#),
            r#"["\"\"\\\\\n\n\r\t\f\u0000"]"#
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            canon("[1.0,-0.0,1E2,0.1,1e-7,123e-2,5e-324]"),
            "[1,0,100,0.1,1e-7,1.23,5e-324]"
        );
        // Integers: up to 15 digits as written, longer ones through the double.
        assert_eq!(
            canon("[0,-0,7,-42,999999999999999,1234567890123456,12345678901234567890]"),
            "[0,0,7,-42,999999999999999,1234567890123456,12345678901234567000]"
        );
        // 309 integer digits: checked through the double, and out of range.
        let big = format!("[2{}]", "0".repeat(308));
        assert_eq!(reason(big.as_bytes()), ("has a number out of range", 1));
        let fine = format!("[1{}.5]", "0".repeat(307));
        assert_eq!(canon(&fine), "[1e+307]");
    }

    #[test]
    fn rejects_non_i_json() {
        assert_eq!(
            reason(br#"{"a":1,"b":2,"a":3}"#),
            ("has a duplicate key", 13)
        );
        // Equal after decoding escapes is a duplicate too.
        assert_eq!(
            reason(br#"{"\u0061":1,"a":2}"#),
            ("has a duplicate key", 12)
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
        assert_eq!(reason(br#"["\q"]"#), ("has an invalid escape", 2));
        assert_eq!(reason(br#"["\u12x4"]"#), ("has an invalid \\u escape", 6));
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(reason(deep.as_bytes()).0, "nests too deeply");
    }

    #[test]
    fn syntax_errors_come_before_duplicates_and_duplicates_in_document_order() {
        assert_eq!(
            reason(br#"[{"a":1,"a":2},x]"#).0,
            "has an unexpected character"
        );
        assert_eq!(
            reason(br#"[{"b":1,"b":2},{"a":1,"a":2}]"#),
            ("has a duplicate key", 8)
        );
        // Three equal keys: the second occurrence is reported.
        assert_eq!(
            reason(br#"{"a":1,"a":2,"a":3}"#),
            ("has a duplicate key", 7)
        );
    }

    #[test]
    fn index_records_only_objects_that_need_sorting() {
        let json = br#"[1,"two",[],{},{"a":{"x":1}},{"b":1,"a":[{"d":0,"c":0}]}]"#;
        let index = Index::build(json).unwrap();
        // Two objects have two members; arrays, scalars and one-member objects record nothing.
        assert_eq!(index.objects.len(), 2);
        assert_eq!(index.keys.len(), 4);
        assert!(index.members(0).is_none(), "the array records nothing");
        let text = std::str::from_utf8(json).unwrap();
        let b_object = text.find(r#"{"b""#).unwrap();
        assert_eq!(index.members(b_object).map(<[u32]>::len), Some(2));
        assert!(
            index.members(text.find(r#"{"a""#).unwrap()).is_none(),
            "one member"
        );
        assert_eq!(
            canon(std::str::from_utf8(json).unwrap()),
            r#"[1,"two",[],{},{"a":{"x":1}},{"a":[{"c":0,"d":0}],"b":1}]"#
        );
    }

    #[test]
    fn the_writer_gets_nothing_from_invalid_input() {
        let mut out = Vec::new();
        assert!(canonicalize_to(br#"[1,2,{"a":1,"a":2}]"#, &mut out).is_err());
        assert!(out.is_empty());
    }

    struct FailAfter(usize);

    impl io::Write for FailAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_writer_is_a_typed_error() {
        let long = format!("[{}]", vec!["\"abcdefgh\""; 20_000].join(","));
        assert_eq!(
            canonicalize_to(long.as_bytes(), &mut FailAfter(usize::MAX)).unwrap(),
            long.len() as u64
        );
        match canonicalize_to(long.as_bytes(), &mut FailAfter(100_000)) {
            Err(ArchiveError::Write { offset, kind, .. }) => {
                assert_eq!(kind, io::ErrorKind::BrokenPipe);
                // Whole chunks count: the first went through, the second failed midway.
                assert!((WRITE_CHUNK as u64..100_000).contains(&offset), "{offset}");
            }
            other => panic!("expected a write error, got {other:?}"),
        }
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

    fn quoted_escaped(s: &str, escape_all: bool) -> String {
        let mut out = String::from("\"");
        for ch in s.chars() {
            if escape_all || ch < ' ' || ch == '"' || ch == '\\' {
                for unit in ch.encode_utf16(&mut [0u16; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            } else {
                out.push(ch);
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        /// Raw and escaped keys compare exactly as their UTF-16 code units do.
        #[test]
        fn key_order_is_utf16_order(
            a in "[a\\x00\"\\\\é\u{7ff}\u{800}\u{d7ff}\u{e000}\u{ffff}\u{10000}\u{1f600}\u{10ffff}]{0,5}",
            b in "[a\\x00\"\\\\é\u{7ff}\u{800}\u{d7ff}\u{e000}\u{ffff}\u{10000}\u{1f600}\u{10ffff}]{0,5}",
            ea: bool,
            eb: bool,
        ) {
            let text = format!("{} {}", quoted_escaped(&a, ea), quoted_escaped(&b, eb));
            let y = text.find(" \"").unwrap() + 1;
            let want = a.encode_utf16().cmp(b.encode_utf16());
            proptest::prop_assert_eq!(cmp_keys(text.as_bytes(), 0, y), want);
            proptest::prop_assert_eq!(cmp_keys(text.as_bytes(), y, 0), want.reverse());
        }
    }
}
