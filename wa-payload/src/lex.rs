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
//! # Ok::<(), wa_payload::Error>(())
//! ```

use std::borrow::Cow;

use crate::Error;

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
    /// # Ok::<(), wa_payload::Error>(())
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
    pub fn is(self, body: &[u8], name: &str) -> bool {
        match self.as_str(body) {
            Some(s) => s == name,
            None if self.escaped => self.decode(body).is_some_and(|s| s == name),
            None => false,
        }
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
    /// Whether the input holds no byte below 0x20 at all (compact JSON, the usual webhook):
    /// then no string can hold a control character, and a string's end is a plain search.
    clean: bool,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`, refusing nesting deeper than `max_depth`.
    pub fn new(bytes: &'a [u8], max_depth: usize) -> Self {
        Self {
            bytes,
            pos: 0,
            depth: 0,
            max_depth,
            clean: !has_control(bytes),
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
    pub fn syntax(&self) -> Error {
        syntax_at(self.bytes, self.pos)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips whitespace.
    #[inline]
    pub fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
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
        self.ws();
        Some(match self.peek()? {
            b'{' => Token::Object,
            b'[' => Token::Array,
            b'"' => Token::String,
            b'-' | b'0'..=b'9' => Token::Number,
            b't' | b'f' => Token::Bool,
            b'n' => Token::Null,
            _ => return None,
        })
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Error::TooDeep {
                limit: self.max_depth,
                offset: self.pos,
            });
        }
        Ok(())
    }

    /// Reads a string (after whitespace).
    pub fn string(&mut self) -> Result<Span, Error> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.syntax());
        }
        let start = self.pos + 1;
        let mut end = self.run(start);
        // The common case: no escape, the run ends at the closing quote.
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Span {
                start: to_u32(start),
                end: to_u32(end),
                escaped: false,
            });
        }
        loop {
            match self.bytes.get(end) {
                Some(b'"') => break,
                Some(b'\\') => {
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
            escaped: true,
        })
    }

    /// The end of the run of plain string content from `from`: the first quote, backslash or
    /// control character, or the end of input.
    #[inline]
    fn run(&self, from: usize) -> usize {
        let rest = self.bytes.get(from..).unwrap_or_default();
        match memchr::memchr2(b'"', b'\\', rest) {
            // Without control bytes anywhere, the first quote or backslash ends the run.
            Some(p) if self.clean => from + p,
            Some(p) => match rest
                .get(..p)
                .and_then(|run| run.iter().position(|&b| b < 0x20))
            {
                Some(c) => from + c,
                None => from + p,
            },
            None if self.clean => self.bytes.len(),
            None => plain_run(self.bytes, from),
        }
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
            Some(Token::Object) => self.object(|c, _| c.skip()),
            Some(Token::Array) => self.array(|c, _| c.skip()),
            Some(Token::Bool) => self.boolean().map(|_| ()),
            Some(Token::Null) => self.literal(b"null"),
            Some(Token::Number) => self.number(),
            None => Err(self.syntax()),
        }
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
        self.ws();
        if self.peek() != Some(b'{') {
            return Err(self.syntax());
        }
        self.enter()?;
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.syntax());
            }
            self.pos += 1;
            f(self, key)?;
            self.ws();
            match self.peek() {
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
        self.ws();
        if self.peek() != Some(b'[') {
            return Err(self.syntax());
        }
        self.enter()?;
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        let mut index = 0u32;
        loop {
            f(self, index)?;
            index = index.saturating_add(1);
            self.ws();
            match self.peek() {
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
pub fn validate(body: &[u8], max_depth: usize) -> Result<(), Error> {
    let mut c = Cursor::new(body, max_depth);
    c.skip()?;
    c.end()
}

/// The error for a grammar violation at byte `offset`: [`Error::Truncated`] at the end of
/// input, else [`Error::Syntax`], with 1-based line and column.
pub fn syntax_at(bytes: &[u8], offset: usize) -> Error {
    let (line, column) = line_column(bytes, offset);
    if offset >= bytes.len() {
        Error::Truncated { line, column }
    } else {
        Error::Syntax { line, column }
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

/// Whether `bytes` holds a byte below 0x20 (a fold without early exit, so it vectorizes).
fn has_control(bytes: &[u8]) -> bool {
    bytes
        .chunks(4096)
        .any(|chunk| chunk.iter().fold(false, |acc, &b| acc | (b < 0x20)))
}

/// The offset of the first byte at or after `pos` that ends a run of plain string content:
/// a quote, a backslash or a control character, or the end of input. Eight bytes at a time.
#[inline]
fn plain_run(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    loop {
        let rest = bytes.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            return pos;
        }
        // Past the end, the word is padded with zero bytes, which count as control
        // characters: the run then ends exactly at the end of input.
        let w = match rest.first_chunk::<8>() {
            Some(chunk) => u64::from_le_bytes(*chunk),
            None => {
                let mut word = [0u8; 8];
                for (dst, src) in word.iter_mut().zip(rest) {
                    *dst = *src;
                }
                u64::from_le_bytes(word)
            }
        };
        // A byte of `x` is zero iff it matched; `(x - 1) & !x & 0x80` flags it. Flags above a
        // true match can be spurious (borrows), but the lowest flag is always exact, and the
        // lowest byte is the first in memory (little-endian).
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let special = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            // Bytes below 0x20 (control characters); UTF-8 bytes (>= 0x80) are excluded.
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGHS;
        if special != 0 {
            return pos + (special.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
}

fn to_u32(n: usize) -> u32 {
    // Bodies are bounded far below 4 GiB by `Limits`; saturate rather than wrap regardless.
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) -> Result<(), Error> {
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
            Err(Error::Syntax { line: 2, column: 8 })
        );
        assert_eq!(
            validate(b"{\"a\":", 8),
            Err(Error::Truncated { line: 1, column: 6 })
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

    #[test]
    fn bounds_depth() {
        assert!(matches!(
            check("[[[[[[[[[1]]]]]]]]]"),
            Err(Error::TooDeep { limit: 8, .. })
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
