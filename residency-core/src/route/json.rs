//! A minimal, allocation-free JSON cursor over bytes that are already valid UTF-8.
//!
//! It validates the JSON grammar (RFC 8259) of everything it passes over, including the
//! values it skips, bounds the nesting depth, and never panics: every byte access is checked.
//! Strings are returned as [`RawStr`] spans of the input; only strings that contain escapes
//! need decoding, which the caller does on demand.

use super::RouteError;

/// The content of a JSON string (without its quotes), as a byte range of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawStr {
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// Whether the content contains a backslash escape, so it must be decoded to be read.
    pub(crate) escaped: bool,
}

pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8], max_depth: usize) -> Self {
        Self {
            bytes,
            pos: 0,
            depth: 0,
            max_depth,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves back to `pos`, an offset this cursor reported earlier, at nesting `depth`.
    pub(crate) fn seek(&mut self, pos: usize, depth: usize) {
        self.pos = pos;
        self.depth = depth;
    }

    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    fn syntax(&self) -> RouteError {
        RouteError::Syntax { offset: self.pos }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// After the root value: only whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<(), RouteError> {
        self.ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// The next value's first byte, after whitespace.
    pub(crate) fn peek_value(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    fn enter(&mut self) -> Result<(), RouteError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(RouteError::TooDeep {
                max: self.max_depth,
                offset: self.pos,
            });
        }
        Ok(())
    }

    /// Reads a string at the cursor (after whitespace).
    pub(crate) fn string(&mut self) -> Result<RawStr, RouteError> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.syntax());
        }
        let start = self.pos + 1;
        let mut end = plain_run(self.bytes, start);
        // The common case: no escape, the run ends at the closing quote.
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(RawStr {
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
                    end = plain_run(self.bytes, end);
                }
                // A control character, or the end of input inside the string.
                _ => {
                    self.pos = end;
                    return Err(self.syntax());
                }
            }
        }
        self.pos = end + 1;
        Ok(RawStr {
            start: to_u32(start),
            end: to_u32(end),
            escaped: true,
        })
    }

    /// Checks the escape whose character (after the backslash) is at `at`; returns the
    /// offset just past it.
    fn escape(&mut self, at: usize) -> Result<usize, RouteError> {
        match self.bytes.get(at) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 1),
            Some(b'u') => match self.bytes.get(at + 1..at + 5) {
                Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => Ok(at + 5),
                _ => {
                    self.pos = at;
                    Err(self.syntax())
                }
            },
            _ => {
                self.pos = at;
                Err(self.syntax())
            }
        }
    }

    /// Skips any value, validating it.
    pub(crate) fn skip(&mut self) -> Result<(), RouteError> {
        match self.peek_value() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => self.object(|c, _| c.skip()),
            Some(b'[') => self.array(|c, _| c.skip()),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.syntax()),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), RouteError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Reads `true` or `false` if that is the next value; skips anything else.
    pub(crate) fn bool_or_skip(&mut self) -> Result<Option<bool>, RouteError> {
        match self.peek_value() {
            Some(b't') => self.literal(b"true").map(|()| Some(true)),
            Some(b'f') => self.literal(b"false").map(|()| Some(false)),
            _ => self.skip().map(|()| None),
        }
    }

    /// Reads a string if that is the next value; skips anything else.
    pub(crate) fn string_or_skip(&mut self) -> Result<Option<RawStr>, RouteError> {
        if self.peek_value() == Some(b'"') {
            self.string().map(Some)
        } else {
            self.skip().map(|()| None)
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self) -> Result<(), RouteError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.syntax()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.syntax());
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax());
            }
        }
        Ok(())
    }

    /// Walks an object, calling `f` with each key; `f` must consume the key's value.
    pub(crate) fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, RawStr) -> Result<(), RouteError>,
    ) -> Result<(), RouteError> {
        if self.peek_value() != Some(b'{') {
            return Err(self.syntax());
        }
        self.enter()?;
        self.pos += 1;
        if self.peek_value() == Some(b'}') {
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
            match self.peek_value() {
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
    pub(crate) fn array(
        &mut self,
        mut f: impl FnMut(&mut Self, u32) -> Result<(), RouteError>,
    ) -> Result<(), RouteError> {
        if self.peek_value() != Some(b'[') {
            return Err(self.syntax());
        }
        self.enter()?;
        self.pos += 1;
        if self.peek_value() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        let mut index = 0u32;
        loop {
            f(self, index)?;
            index = index.saturating_add(1);
            match self.peek_value() {
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

    fn skip_all(s: &str) -> Result<(), RouteError> {
        let mut c = Cursor::new(s.as_bytes(), 8);
        c.skip()?;
        c.end()
    }

    #[test]
    fn accepts_valid_json() {
        for ok in [
            "0",
            "-0.5e+10",
            "1E3",
            "\"a\\u00e9\\n\"",
            "[]",
            "{}",
            " { \"a\" : [ 1 , true , false , null , { } ] } ",
            "[[[[[[[1]]]]]]]",
        ] {
            assert_eq!(skip_all(ok), Ok(()), "{ok}");
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
        ] {
            assert!(skip_all(bad).is_err(), "{bad:?}");
        }
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
            skip_all("[[[[[[[[[1]]]]]]]]]"),
            Err(RouteError::TooDeep { max: 8, .. })
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
        assert_eq!(
            &src[seen[0].1.start as usize..seen[0].1.end as usize],
            b"plain"
        );
        assert!(!seen[0].1.escaped);
        assert!(seen[1].1.escaped);
    }
}
