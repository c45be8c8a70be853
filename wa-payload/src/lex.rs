//! A validating JSON cursor over bytes: the one JSON lexer of the workspace's routing path.
//!
//! [`parse`](crate::parse), [`detect`](crate::detect), the routing [`scan`](crate::scan) and
//! residency-core's router all read bodies through this cursor, so they agree on what JSON is.
//! The grammar is RFC 8259 with three restrictions that make every reader agree with
//! `serde_json` wherever it decodes a value:
//!
//! * `\u` escapes must pair surrogates (a lone `\ud800` is an error everywhere, not only in the
//!   strings a parser happens to decode);
//! * a number must be finite as an `f64` (`1e400` is an error everywhere);
//! * whitespace is JSON whitespace only (space, tab, line feed, carriage return).
//!
//! The cursor validates everything it passes over, including the values it skips, bounds the
//! nesting depth, never allocates and never panics: every byte access is checked. Strings come
//! back as [`Span`]s of the input; only strings with escapes need decoding
//! ([`Span::decode`]).
//!
//! Errors are [`Error`], a boxed [`PayloadError`]: a `Result` of the cursor is then at most
//! two words, returned in registers through the scan's many small steps, and the error is
//! built only on the way out (`*err` unboxes it).
//!
//! ```
//! use wa_payload::lex::Cursor;
//!
//! let body = br#"{"a": [1, true, "x\u00e9"], "b": null}"#;
//! let mut c = Cursor::new(body, 64);
//! let mut keys = Vec::new();
//! c.object(|c, key| {
//!     keys.push(key.as_str(body).unwrap().to_owned());
//!     c.skip()
//! })?;
//! c.end()?;
//! assert_eq!(keys, ["a", "b"]);
//!
//! assert!(Cursor::new(br#""\ud800""#, 8).skip().is_err()); // lone surrogate
//! assert!(Cursor::new(b"1e400", 8).skip().is_err()); // not a finite f64
//! # Ok::<(), wa_payload::lex::Error>(())
//! ```

use std::borrow::Cow;

use crate::PayloadError;

/// The cursor's error: a [`PayloadError`] in a box (see the [module docs](self)).
pub type Error = Box<PayloadError>;

/// The content of a JSON string (without its quotes), as a byte range of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
    escaped: bool,
}

impl Span {
    /// Byte offset of the first content byte (just after the opening quote).
    pub fn start(self) -> usize {
        self.start as usize
    }

    /// Byte offset of the closing quote.
    pub fn end(self) -> usize {
        self.end as usize
    }

    /// Whether the content holds a backslash escape (then it must be decoded to be read).
    pub fn is_escaped(self) -> bool {
        self.escaped
    }

    /// The content when it has no escape: a slice of `body`, which must be the input the
    /// span came from.
    pub fn as_str(self, body: &[u8]) -> Option<&str> {
        if self.escaped {
            return None;
        }
        std::str::from_utf8(body.get(self.start()..self.end())?).ok()
    }

    /// The content, decoded: borrowed when it has no escape, else a decoded copy.
    ///
    /// ```
    /// use wa_payload::lex::Cursor;
    /// let body = br#""a\nb""#;
    /// let span = Cursor::new(body, 1).string()?;
    /// assert_eq!(span.decode(body).as_deref(), Some("a\nb"));
    /// # Ok::<(), wa_payload::lex::Error>(())
    /// ```
    pub fn decode(self, body: &[u8]) -> Option<Cow<'_, str>> {
        if !self.escaped {
            return self.as_str(body).map(Cow::Borrowed);
        }
        let quoted = body.get(self.start().checked_sub(1)?..self.end() + 1)?;
        serde_json::from_slice::<String>(quoted)
            .ok()
            .map(Cow::Owned)
    }

    /// Whether the content equals `name` (decoding only when it has escapes).
    ///
    /// An unescaped span is compared as bytes: no UTF-8 check is needed, since bytes that
    /// are not UTF-8 cannot equal a `&str`.
    #[inline]
    pub fn is(self, body: &[u8], name: &str) -> bool {
        if self.escaped {
            return self.decode(body).is_some_and(|s| s == name);
        }
        body.get(self.start()..self.end())
            .is_some_and(|k| eq_short(k, name.as_bytes()))
    }
}

/// What the next value is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `{`
    Object,
    /// `[`
    Array,
    /// `"`
    String,
    /// `-` or a digit
    Number,
    /// `t` or `f`
    Bool,
    /// `n`
    Null,
}

impl Token {
    /// How an error message names a value of this kind (`an object`, `a string`, ...).
    pub fn noun(self) -> &'static str {
        match self {
            Self::Object => "an object",
            Self::Array => "an array",
            Self::String => "a string",
            Self::Number => "a number",
            Self::Bool => "a boolean",
            Self::Null => "null",
        }
    }
}

/// A cursor over one JSON text. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`, refusing nesting deeper than `max_depth`.
    pub fn new(bytes: &'a [u8], max_depth: usize) -> Self {
        Self {
            bytes,
            pos: 0,
            depth: 0,
            max_depth,
        }
    }

    /// The input.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The current byte offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The current nesting depth (0 outside the root value).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Moves to `pos`, an offset this cursor reported earlier, at nesting `depth`.
    pub fn seek(&mut self, pos: usize, depth: usize) {
        self.pos = pos;
        self.depth = depth;
    }

    /// A syntax error at the current position (`Truncated` at the end of input).
    #[cold]
    #[inline(never)]
    pub fn syntax(&self) -> Error {
        Box::new(syntax_at(self.bytes, self.pos))
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace.
    #[inline]
    pub fn ws(&mut self) {
        // Compact JSON has no whitespace: one compare answers every byte above the space.
        while let Some(&b) = self.bytes.get(self.pos) {
            if b > b' ' || !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return;
            }
            self.pos += 1;
        }
    }

    /// Skips whitespace and peeks at the byte there, with one load when there is none.
    #[inline(always)]
    fn next_byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        if b > b' ' {
            return Some(b);
        }
        self.ws();
        self.peek()
    }

    /// After the root value: only whitespace may follow.
    pub fn end(&mut self) -> Result<(), Error> {
        self.ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// The kind of the next value, after whitespace (`None` at the end of input or before a
    /// byte that starts no value).
    #[inline]
    pub fn peek_token(&mut self) -> Option<Token> {
        Some(match self.next_byte()? {
            b'{' => Token::Object,
            b'[' => Token::Array,
            b'"' => Token::String,
            b'-' | b'0'..=b'9' => Token::Number,
            b't' | b'f' => Token::Bool,
            b'n' => Token::Null,
            _ => return None,
        })
    }

    #[inline]
    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(self.too_deep());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self) -> Error {
        Box::new(PayloadError::TooDeep {
            limit: self.max_depth,
            offset: self.pos,
        })
    }

    /// Reads a string (after whitespace).
    #[inline(always)]
    pub fn string(&mut self) -> Result<Span, Error> {
        // The common case, inline: no escape, the run ends at the closing quote.
        if self.next_byte() == Some(b'"') {
            let start = self.pos + 1;
            let end = self.run(start);
            if self.bytes.get(end) == Some(&b'"') {
                self.pos = end + 1;
                return Ok(Span {
                    start: to_u32(start),
                    end: to_u32(end),
                    escaped: false,
                });
            }
        }
        self.string_slow()
    }

    /// [`string`](Self::string) for a string with escapes, and for the errors.
    #[inline(never)]
    fn string_slow(&mut self) -> Result<Span, Error> {
        if self.peek() != Some(b'"') {
            return Err(self.syntax());
        }
        let start = self.pos + 1;
        let mut end = self.run(start);
        let mut escaped = false;
        loop {
            match self.bytes.get(end) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    end = self.escape(end + 1)?;
                    end = self.run(end);
                }
                // A control character, or the end of input inside the string.
                _ => {
                    self.pos = end;
                    return Err(self.syntax());
                }
            }
        }
        self.pos = end + 1;
        Ok(Span {
            start: to_u32(start),
            end: to_u32(end),
            escaped,
        })
    }

    /// The end of the run of plain string content from `from`: the first quote, backslash or
    /// control character, or the end of input. Sixteen bytes at a time (see [`first_special`]).
    #[inline]
    fn run(&self, from: usize) -> usize {
        let mut at = from;
        while let Some(block) = self.bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
            if let Some(i) = first_special(block) {
                return at + i;
            }
            at += 16;
        }
        // Fewer than 16 bytes to the end of input.
        plain_run(self.bytes, at)
    }

    /// Checks the escape whose character (after the backslash) is at `at`; returns the offset
    /// just past it. A `\u` high surrogate must be followed by a `\u` low surrogate.
    fn escape(&mut self, at: usize) -> Result<usize, Error> {
        match self.bytes.get(at) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 1),
            Some(b'u') => {
                let unit = self.hex4(at + 1)?;
                match unit {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(at + 5..at + 7) != Some(b"\\u") {
                            self.pos = at + 5;
                            return Err(self.syntax());
                        }
                        match self.hex4(at + 7)? {
                            0xDC00..=0xDFFF => Ok(at + 11),
                            _ => {
                                self.pos = at + 7;
                                Err(self.syntax())
                            }
                        }
                    }
                    0xDC00..=0xDFFF => {
                        self.pos = at;
                        Err(self.syntax())
                    }
                    _ => Ok(at + 5),
                }
            }
            _ => {
                self.pos = at;
                Err(self.syntax())
            }
        }
    }

    /// The four hex digits at `at`.
    fn hex4(&mut self, at: usize) -> Result<u16, Error> {
        let mut v = 0u16;
        for i in 0..4 {
            let digit = self
                .bytes
                .get(at + i)
                .and_then(|b| char::from(*b).to_digit(16));
            match digit {
                Some(d) => v = v * 16 + d as u16,
                None => {
                    self.pos = at + i;
                    return Err(self.syntax());
                }
            }
        }
        Ok(v)
    }

    /// Skips any value, validating it.
    pub fn skip(&mut self) -> Result<(), Error> {
        match self.peek_token() {
            Some(Token::String) => self.string().map(|_| ()),
            Some(Token::Object | Token::Array) => self.skip_nested(),
            Some(Token::Bool) => self.boolean().map(|_| ()),
            Some(Token::Null) => self.literal(b"null"),
            Some(Token::Number) => self.number(),
            None => Err(self.syntax()),
        }
    }

    /// Skips the object or array at the cursor in one loop, without a call per member: the
    /// kinds of the open containers are the bits of one word. The checks, errors and error
    /// positions are those of walking it with [`object`](Self::object) and
    /// [`array`](Self::array).
    fn skip_nested(&mut self) -> Result<(), Error> {
        // A depth bound beyond what the word holds (above 128 levels from here): recurse.
        if self.max_depth.saturating_sub(self.depth) > 128 {
            return if self.peek() == Some(b'{') {
                self.object(|c, _| c.skip())
            } else {
                self.array(|c, _| c.skip())
            };
        }
        let base = self.depth;
        // The kinds of the open containers, innermost in bit 0 (1: an object): opening one
        // shifts in a bit, closing one shifts it out.
        let mut objects: u128 = 0;
        'value: loop {
            // At the first byte of a value.
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    self.enter()?;
                    self.pos += 1;
                    let is_object = open == b'{';
                    objects = objects << 1 | u128::from(is_object);
                    let close = if is_object { b'}' } else { b']' };
                    if self.next_byte() != Some(close) {
                        if is_object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    // An empty container.
                    self.pos += 1;
                    self.depth -= 1;
                    objects >>= 1;
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b't' | b'f') => {
                    self.boolean()?;
                }
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => return Err(self.syntax()),
            }
            // After a value: close containers until one goes on with another member.
            while self.depth > base {
                let in_object = objects & 1 != 0;
                match self.next_byte() {
                    Some(b',') => {
                        self.pos += 1;
                        if in_object {
                            self.member_key()?;
                        } else {
                            self.ws();
                        }
                        continue 'value;
                    }
                    Some(b'}') if in_object => {}
                    Some(b']') if !in_object => {}
                    _ => return Err(self.syntax()),
                }
                self.pos += 1;
                self.depth -= 1;
                objects >>= 1;
            }
            return Ok(());
        }
    }

    /// An object member's key and colon; the cursor is left at the first byte of its value.
    #[inline(always)]
    fn member_key(&mut self) -> Result<(), Error> {
        self.string()?;
        if self.next_byte() != Some(b':') {
            return Err(self.syntax());
        }
        self.pos += 1;
        self.ws();
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Reads `true` or `false`.
    pub fn boolean(&mut self) -> Result<bool, Error> {
        match self.peek_token() {
            Some(Token::Bool) if self.peek() == Some(b't') => self.literal(b"true").map(|()| true),
            Some(Token::Bool) => self.literal(b"false").map(|()| false),
            _ => Err(self.syntax()),
        }
    }

    /// Reads `null`.
    pub fn null(&mut self) -> Result<(), Error> {
        self.ws();
        self.literal(b"null")
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - from
    }

    /// Reads a number; it must be finite as an `f64`.
    pub fn number(&mut self) -> Result<(), Error> {
        self.ws();
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_digits = match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                1
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.syntax()),
        };
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax());
            }
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.peek() {
            exponent = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax());
            }
        }
        // Without an exponent, fewer than 309 integer digits cannot overflow an f64; only
        // the rare other numbers pay for a conversion.
        if exponent || int_digits > 308 {
            let finite = self
                .bytes
                .get(start..self.pos)
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(|t| t.parse::<f64>().ok())
                .is_some_and(f64::is_finite);
            if !finite {
                self.pos = start;
                return Err(self.syntax());
            }
        }
        Ok(())
    }

    /// Walks an object, calling `f` with each key; `f` must consume the key's value.
    pub fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, Span) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.next_byte() != Some(b'{') {
            return Err(self.syntax());
        }
        self.enter()?;
        self.pos += 1;
        if self.next_byte() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            if self.next_byte() != Some(b':') {
                return Err(self.syntax());
            }
            self.pos += 1;
            f(self, key)?;
            match self.next_byte() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.syntax()),
            }
        }
    }

    /// Walks an array, calling `f` with each element's index; `f` must consume the element.
    pub fn array(
        &mut self,
        mut f: impl FnMut(&mut Self, u32) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.next_byte() != Some(b'[') {
            return Err(self.syntax());
        }
        self.enter()?;
        self.pos += 1;
        if self.next_byte() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        let mut index = 0u32;
        loop {
            f(self, index)?;
            index = index.saturating_add(1);
            match self.next_byte() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.syntax()),
            }
        }
    }
}

/// Validates `body` as one JSON text within `max_depth`.
///
/// ```
/// assert!(wa_payload::lex::validate(br#"{"a":[1,2]}"#, 64).is_ok());
/// assert!(wa_payload::lex::validate(br#"{"a":[1,2]"#, 64).is_err());
/// ```
pub fn validate(body: &[u8], max_depth: usize) -> Result<(), PayloadError> {
    let mut c = Cursor::new(body, max_depth);
    c.skip().and_then(|()| c.end()).map_err(|e| *e)
}

/// The error for a grammar violation at byte `offset`: [`PayloadError::Truncated`] at the end of
/// input, else [`PayloadError::Syntax`], with 1-based line and column.
#[cold]
pub fn syntax_at(bytes: &[u8], offset: usize) -> PayloadError {
    let (line, column) = line_column(bytes, offset);
    if offset >= bytes.len() {
        PayloadError::Truncated { line, column }
    } else {
        PayloadError::Syntax { line, column }
    }
}

/// 1-based line and column (in bytes) of `offset`.
pub fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + before
        .iter()
        .rev()
        .position(|&b| b == b'\n')
        .unwrap_or(before.len());
    (line, column)
}

const ONES: u128 = u128::from_le_bytes([1; 16]);
const HIGHS: u128 = u128::from_le_bytes([0x80; 16]);

/// Flags (the high bit of a byte) the bytes of `w` (16 bytes, little-endian) that end plain
/// string content: a quote, a backslash or a control character.
///
/// A byte of `x` is zero iff it matched; `(x - 1) & !x & 0x80` flags it. Flags above a true
/// match can be spurious (borrows), but the lowest flag is always exact, and the lowest byte
/// is the first in memory.
#[inline(always)]
fn specials(w: u128) -> u128 {
    let quote = w ^ (ONES * u128::from(b'"'));
    let backslash = w ^ (ONES * u128::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        // Bytes below 0x20 (control characters); UTF-8 bytes (>= 0x80) are excluded.
        | (w.wrapping_sub(ONES * 0x20) & !w))
        & HIGHS
}

/// The index of the first byte of `block` that ends plain string content (a quote, a
/// backslash or a control character), if any.
///
/// On x86-64, three SSE2 compares and a move-mask (SSE2 is part of the x86-64 baseline, so no
/// run-time detection is needed), through `safe_arch`'s safe wrappers: our code stays free
/// of `unsafe`. Elsewhere, the same answer from two 64-bit words ([`specials`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn first_special(block: &[u8; 16]) -> Option<usize> {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let v = load_unaligned_m128i(block);
    let quote = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'"' as i8));
    let backslash = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'\\' as i8));
    // `min(v, 0x1f) == v` exactly when the byte is at most 0x1f (unsigned).
    let control = cmp_eq_mask_i8_m128i(min_u8_m128i(v, set_splat_i8_m128i(0x1f)), v);
    let mask = move_mask_i8_m128i(bitor_m128i(bitor_m128i(quote, backslash), control));
    (mask != 0).then(|| mask.trailing_zeros() as usize)
}

/// The index of the first byte of `block` that ends plain string content, if any.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn first_special(block: &[u8; 16]) -> Option<usize> {
    first_special_in_words(block)
}

/// [`first_special`] on two 64-bit words (the portable version, also checked against the
/// SSE2 one by the tests).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn first_special_in_words(block: &[u8; 16]) -> Option<usize> {
    let special = specials(u128::from_le_bytes(*block));
    (special != 0).then(|| (special.trailing_zeros() / 8) as usize)
}

/// The offset of the first byte at or after `pos` that ends a run of plain string content:
/// a quote, a backslash or a control character, or the end of input. Sixteen bytes at a time.
fn plain_run(bytes: &[u8], mut pos: usize) -> usize {
    loop {
        let rest = bytes.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            return pos;
        }
        // Past the end, the block is padded with zero bytes, which count as control
        // characters: the run then ends exactly at the end of input.
        let w = match rest.first_chunk::<16>() {
            Some(block) => u128::from_le_bytes(*block),
            None => {
                let mut block = [0u8; 16];
                for (dst, src) in block.iter_mut().zip(rest) {
                    *dst = *src;
                }
                u128::from_le_bytes(block)
            }
        };
        let special = specials(w);
        if special != 0 {
            return pos + (special.trailing_zeros() / 8) as usize;
        }
        pos += 16;
    }
}

/// Whether two short byte strings (a key and a field name) are equal: lengths first, then
/// at most two word loads per side instead of a call to `memcmp`.
#[inline(always)]
pub(crate) fn eq_short(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    // Two overlapping loads cover every length in 4..=8 and 8..=16.
    let (head, tail) = match n {
        0 => return true,
        // First, middle and last byte: every byte of a 1- to 3-byte string.
        1..4 => {
            let at = |s: &[u8], i: usize| s.get(i).copied();
            return at(a, 0) == at(b, 0)
                && at(a, n / 2) == at(b, n / 2)
                && at(a, n - 1) == at(b, n - 1);
        }
        4..8 => (
            word::<4>(a, 0) == word::<4>(b, 0),
            word::<4>(a, n - 4) == word::<4>(b, n - 4),
        ),
        8..=16 => (
            word::<8>(a, 0) == word::<8>(b, 0),
            word::<8>(a, n - 8) == word::<8>(b, n - 8),
        ),
        _ => return a == b,
    };
    head && tail
}

/// The `N` bytes of `s` at `at` (zeros past its end, which callers never reach).
#[inline(always)]
fn word<const N: usize>(s: &[u8], at: usize) -> [u8; N] {
    s.get(at..)
        .and_then(<[u8]>::first_chunk::<N>)
        .copied()
        .unwrap_or([0; N])
}

fn to_u32(n: usize) -> u32 {
    // Bodies are bounded far below 4 GiB by `Limits`; saturate rather than wrap regardless.
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) -> Result<(), PayloadError> {
        validate(s.as_bytes(), 8)
    }

    #[test]
    fn accepts_valid_json() {
        for ok in [
            "0",
            "-0.5e+10",
            "1E3",
            "1e-400",
            "\"a\\u00e9\\n\"",
            "\"\\ud83d\\ude00\"",
            "[]",
            "{}",
            " { \"a\" : [ 1 , true , false , null , { } ] } ",
            "[[[[[[[1]]]]]]]",
            &"9".repeat(308),
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_invalid_json_without_panicking() {
        for bad in [
            "",
            "01",
            "1.",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\u{1}\"",
            "[1,]",
            "[1 2]",
            "{\"a\"}",
            "{\"a\":1,}",
            "{1:2}",
            "[",
            "{",
            "]",
            "1 2",
            "[1]]",
            "\"\\",
            "\u{a0}{}",
            "\u{feff}{}",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_lone_surrogates_and_infinite_numbers() {
        for bad in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800x""#,
            r#""\ud800\""#,
            "1e400",
            "-1E309",
            &"9".repeat(400),
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn errors_give_line_and_column() {
        assert_eq!(
            validate(b"{\n  \"a\": tru\n}", 8),
            Err(PayloadError::Syntax { line: 2, column: 8 })
        );
        assert_eq!(
            validate(b"{\"a\":", 8),
            Err(PayloadError::Truncated { line: 1, column: 6 })
        );
    }

    #[test]
    fn plain_runs_stop_at_quotes_escapes_and_control_bytes() {
        let text = "abcdefghijklmnopqrstuvwxyz é ü 日本 0123456789";
        for stop in ["\"", "\\", "\u{1}", "\n", "\u{1f}"] {
            for at in 0..text.len() {
                if !text.is_char_boundary(at) {
                    continue;
                }
                let s = format!("{}{stop}{}", &text[..at], &text[at..]);
                assert_eq!(plain_run(s.as_bytes(), 0), at, "{s:?}");
            }
        }
        assert_eq!(plain_run(text.as_bytes(), 0), text.len());
        assert_eq!(plain_run(b"", 0), 0);
        assert_eq!(plain_run(b"ab", 5), 5);
    }

    /// The recursive walk `skip` replaced: `object`/`array` calling `skip` for each value.
    fn skip_by_walking(c: &mut Cursor<'_>) -> Result<(), Box<PayloadError>> {
        match c.peek_token() {
            Some(Token::Object) => c.object(|c, _| skip_by_walking(c)),
            Some(Token::Array) => c.array(|c, _| skip_by_walking(c)),
            _ => c.skip(),
        }
    }

    #[test]
    fn skip_agrees_with_walking_on_every_prefix_and_mutation() {
        let docs: &[&[u8]] = &[
            br#"{"a": [1, {"b": null, "c": [true, false, "x\u00e9"]}, []], "d": {}, "e": -1.5e3}"#,
            br#"[[[[1]], {"k": [{}]}], "s", 0, [ ], { } ]"#,
            br#"{"a":{"b":{"c":{"d":[[[[]]]]}}}}"#,
        ];
        let swaps: &[u8] = b"{}[],:\" 1an";
        for doc in docs {
            for depth in [2, 4, 64] {
                for cut in 0..=doc.len() {
                    let mut variants = vec![doc[..cut].to_vec()];
                    if cut < doc.len() {
                        for &b in swaps {
                            let mut v = doc.to_vec();
                            v[cut] = b;
                            variants.push(v);
                        }
                    }
                    for v in &variants {
                        let (mut a, mut b) = (Cursor::new(v, depth), Cursor::new(v, depth));
                        let (ra, rb) = (a.skip(), skip_by_walking(&mut b));
                        assert_eq!(ra, rb, "{:?}", String::from_utf8_lossy(v));
                        if ra.is_ok() {
                            assert_eq!((a.pos(), a.depth()), (b.pos(), b.depth()));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn first_special_finds_the_first_quote_backslash_or_control_byte() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..20_000 {
            let mut block = [0u8; 16];
            for b in &mut block {
                // Mostly plain bytes (ASCII and UTF-8), sometimes a special one.
                *b = match next() % 16 {
                    0 => b'"',
                    1 => b'\\',
                    2 => (next() % 0x20) as u8,
                    3 => 0x20,
                    4 => 0x7f,
                    5..=8 => 0x80 | (next() % 0x80) as u8,
                    _ => 0x21 + (next() % 0x5e) as u8,
                };
            }
            if round % 4 == 0 {
                // Plain blocks too.
                for b in &mut block {
                    if matches!(*b, b'"' | b'\\' | 0..0x20) {
                        *b = b'a';
                    }
                }
            }
            let want = block
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            assert_eq!(first_special(&block), want, "{block:?}");
            assert_eq!(first_special_in_words(&block), want, "{block:?}");
        }
    }

    #[test]
    fn eq_short_compares_every_length() {
        let long = b"recipient_participant_user_id_and_more";
        for n in 0..long.len() {
            let a = &long[..n];
            assert!(eq_short(a, &long[..n]));
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 1;
                assert!(!eq_short(a, &b), "{n} {i}");
            }
            assert!(!eq_short(a, &long[..n + 1]));
        }
    }

    #[test]
    fn bounds_depth() {
        assert!(matches!(
            check("[[[[[[[[[1]]]]]]]]]"),
            Err(PayloadError::TooDeep { limit: 8, .. })
        ));
    }

    #[test]
    fn strings_are_spans_with_an_escape_flag() {
        let src = br#"{"k":"plain","e":"a\"b"}"#;
        let mut c = Cursor::new(src, 4);
        let mut seen = Vec::new();
        c.object(|c, key| {
            let v = c.string()?;
            seen.push((key, v));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen[0].1.as_str(src), Some("plain"));
        assert!(!seen[0].1.is_escaped());
        assert!(seen[1].1.is_escaped());
        assert_eq!(seen[1].1.as_str(src), None);
        assert_eq!(seen[1].1.decode(src).as_deref(), Some("a\"b"));
        assert!(seen[0].0.is(src, "k"));
    }
}
