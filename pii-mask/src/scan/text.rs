//! Character classes the matchers share, read straight from bytes: word characters, decimal
//! digits of the scripts phone numbers are written in, the plus sign, group separators and
//! parentheses.
//!
//! Multi-byte characters are recognized only as complete, valid UTF-8 sequences, so a match
//! that starts or ends on one of them stays on character boundaries. Every other non-ASCII
//! byte (letters of other scripts, emoji, invalid UTF-8) is a separator.

/// The byte at `i`, or 0 past the end (0 is no class the scanner looks for).
#[inline(always)]
pub(super) fn byte_at(text: &[u8], i: usize) -> u8 {
    text.get(i).copied().unwrap_or(0)
}

/// ASCII word characters: an entity never starts or ends next to one.
#[inline(always)]
pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Which digits a matcher reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Digits {
    /// `0` to `9` only (cards, IBANs, IPs).
    Ascii,
    /// ASCII and the other scripts phone numbers are written in: Arabic-Indic (U+0660),
    /// Extended Arabic-Indic as used for Persian and Urdu (U+06F0), Devanagari (U+0966) and
    /// fullwidth (U+FF10) digits, normalized to their value as libphonenumber does.
    AnyScript,
}

/// The decimal digit at `i`: its value and its length in bytes.
#[inline(always)]
pub(super) fn digit_at(text: &[u8], i: usize, digits: Digits) -> Option<(u8, usize)> {
    let b = byte_at(text, i);
    if b.is_ascii_digit() {
        return Some((b - b'0', 1));
    }
    if digits == Digits::Ascii || b < 0xc0 {
        return None;
    }
    let second = byte_at(text, i + 1);
    match b {
        // U+0660..=U+0669 ARABIC-INDIC DIGIT ZERO..NINE
        0xd9 if (0xa0..=0xa9).contains(&second) => Some((second - 0xa0, 2)),
        // U+06F0..=U+06F9 EXTENDED ARABIC-INDIC DIGIT ZERO..NINE
        0xdb if (0xb0..=0xb9).contains(&second) => Some((second - 0xb0, 2)),
        // U+0966..=U+096F DEVANAGARI DIGIT ZERO..NINE
        0xe0 if second == 0xa5 => match byte_at(text, i + 2) {
            third @ 0xa6..=0xaf => Some((third - 0xa6, 3)),
            _ => None,
        },
        // U+FF10..=U+FF19 FULLWIDTH DIGIT ZERO..NINE
        0xef if second == 0xbc => match byte_at(text, i + 2) {
            third @ 0x90..=0x99 => Some((third - 0x90, 3)),
            _ => None,
        },
        _ => None,
    }
}

/// The length in bytes of the decimal digit (of any script) that ends just before `i`.
pub(super) fn digit_before(text: &[u8], i: usize) -> Option<usize> {
    let last = byte_at(text, i.checked_sub(1)?);
    if last.is_ascii_digit() {
        return Some(1);
    }
    if last < 0x80 {
        // An ASCII byte that is not a digit ends no character of another script either.
        return None;
    }
    (2..=3).find(|&len| {
        i.checked_sub(len)
            .and_then(|start| digit_at(text, start, Digits::AnyScript))
            .is_some_and(|(_, n)| n == len)
    })
}

/// Whether the character that ends just before `i` is a word character: an ASCII letter,
/// digit or `_`, or a digit of another script.
pub(super) fn word_before(text: &[u8], i: usize) -> bool {
    i > 0 && (is_word_byte(byte_at(text, i - 1)) || digit_before(text, i).is_some())
}

/// A plus sign at `i` (`+` or the fullwidth `＋`): its length in bytes.
#[inline(always)]
pub(super) fn plus_at(text: &[u8], i: usize) -> Option<usize> {
    match byte_at(text, i) {
        b'+' => Some(1),
        0xef if text.get(i + 1..i + 3) == Some(&[0xbc, 0x8b]) => Some(3),
        _ => None,
    }
}

/// An opening parenthesis at `i` (`(` or the fullwidth `（`): its length in bytes.
pub(super) fn open_paren_at(text: &[u8], i: usize) -> Option<usize> {
    match byte_at(text, i) {
        b'(' => Some(1),
        0xef if text.get(i + 1..i + 3) == Some(&[0xbc, 0x88]) => Some(3),
        _ => None,
    }
}

/// A closing parenthesis at `i` (`)` or the fullwidth `）`): its length in bytes.
pub(super) fn close_paren_at(text: &[u8], i: usize) -> Option<usize> {
    match byte_at(text, i) {
        b')' => Some(1),
        0xef if text.get(i + 1..i + 3) == Some(&[0xbc, 0x89]) => Some(3),
        _ => None,
    }
}

/// Which characters separate the digit groups of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Separators {
    /// A space or a dash (cards).
    SpaceOrDash,
    /// A space, dash or dot, and their typographic forms: no-break and narrow no-break
    /// spaces, the ideographic space, hyphens, the en dash, the minus sign and the
    /// fullwidth hyphen-minus (phones, as libphonenumber reads them).
    Phone,
}

/// A group separator at `i`: its length in bytes.
#[inline(always)]
pub(super) fn separator_at(text: &[u8], i: usize, separators: Separators) -> Option<usize> {
    let b = byte_at(text, i);
    match (b, separators) {
        (b' ' | b'-', _) | (b'.', Separators::Phone) => Some(1),
        (0xc2..=0xef, Separators::Phone) => {
            let rest = text.get(i + 1..).unwrap_or_default();
            let len = match (b, rest) {
                // U+00A0 NO-BREAK SPACE
                (0xc2, [0xa0, ..]) => 2,
                // U+2010 HYPHEN, U+2011 NON-BREAKING HYPHEN, U+2012 FIGURE DASH,
                // U+2013 EN DASH, U+202F NARROW NO-BREAK SPACE
                (0xe2, [0x80, 0x90..=0x93 | 0xaf, ..]) => 3,
                // U+2212 MINUS SIGN
                (0xe2, [0x88, 0x92, ..]) => 3,
                // U+3000 IDEOGRAPHIC SPACE
                (0xe3, [0x80, 0x80, ..]) => 3,
                // U+FF0D FULLWIDTH HYPHEN-MINUS
                (0xef, [0xbc, 0x8d, ..]) => 3,
                _ => return None,
            };
            Some(len)
        }
        _ => None,
    }
}

/// Whether a digit run that ends just before `i` is glued to what follows, so that it is
/// part of something longer: a word character or digit, an `@` (the local part of an
/// e-mail), a `.` before a digit (a decimal, a version, an IP address) or a `:` before a
/// hex digit (a time, an IPv6 address).
pub(super) fn glued_at(text: &[u8], i: usize) -> bool {
    let b = byte_at(text, i);
    let next = byte_at(text, i + 1);
    is_word_byte(b)
        || digit_at(text, i, Digits::AnyScript).is_some()
        || b == b'@'
        || (b == b'.' && next.is_ascii_digit())
        || (b == b':' && next.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_end_is_zero() {
        assert_eq!(byte_at(b"ab", 1), b'b');
        assert_eq!(byte_at(b"ab", 2), 0);
        assert_eq!(byte_at(b"", usize::MAX), 0);
    }

    #[test]
    fn word_bytes() {
        for b in [b'a', b'Z', b'0', b'_'] {
            assert!(is_word_byte(b));
        }
        for b in [b' ', b'-', b'.', b'@', 0, 0xc3] {
            assert!(!is_word_byte(b));
        }
    }

    #[test]
    fn digits_of_every_script_agree_with_char_decoding() {
        for (zero, script) in [
            ('0', "ascii"),
            ('\u{660}', "arabic-indic"),
            ('\u{6f0}', "extended arabic-indic"),
            ('\u{966}', "devanagari"),
            ('\u{ff10}', "fullwidth"),
        ] {
            for value in 0..10u8 {
                let c = char::from_u32(u32::from(zero) + u32::from(value)).unwrap();
                let mut buf = [0u8; 4];
                let bytes = c.encode_utf8(&mut buf).as_bytes();
                assert_eq!(
                    digit_at(bytes, 0, Digits::AnyScript),
                    Some((value, bytes.len())),
                    "{script} {value}"
                );
                assert_eq!(crate::phone::decimal_digit(c), Some(value), "{script}");
                assert_eq!(digit_before(bytes, bytes.len()), Some(bytes.len()));
                assert_eq!(
                    digit_at(bytes, 0, Digits::Ascii).is_some(),
                    bytes.len() == 1
                );
            }
        }
        // Neighbours of each block, truncated and invalid sequences are not digits.
        for bytes in [
            "\u{65f}".as_bytes(),
            "\u{66a}".as_bytes(),
            "\u{6fa}".as_bytes(),
            "\u{965}".as_bytes(),
            "\u{970}".as_bytes(),
            "\u{ff1a}".as_bytes(),
            b"\xd9",
            b"\xe0\xa5",
            b"\xef\xbc",
            b"\xa0\xd9",
        ] {
            assert_eq!(digit_at(bytes, 0, Digits::AnyScript), None, "{bytes:?}");
        }
    }

    #[test]
    fn words_before_a_position() {
        assert!(word_before(b"a+", 1));
        assert!(word_before("\u{663}+".as_bytes(), 2));
        assert!(!word_before(b" +", 1));
        assert!(!word_before(b"+", 0));
        assert!(!word_before("\u{e9}+".as_bytes(), 2));
    }

    #[test]
    fn signs_parentheses_and_separators() {
        assert_eq!(plus_at(b"+1", 0), Some(1));
        assert_eq!(plus_at("\u{ff0b}1".as_bytes(), 0), Some(3));
        assert_eq!(plus_at(b"-1", 0), None);
        assert_eq!(open_paren_at("\u{ff08}".as_bytes(), 0), Some(3));
        assert_eq!(close_paren_at("\u{ff09}".as_bytes(), 0), Some(3));
        for sep in [
            " ", "-", ".", "\u{a0}", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{202f}",
            "\u{2212}", "\u{3000}", "\u{ff0d}",
        ] {
            assert_eq!(
                separator_at(sep.as_bytes(), 0, Separators::Phone),
                Some(sep.len()),
                "{sep:?}"
            );
        }
        assert_eq!(separator_at(b".", 0, Separators::SpaceOrDash), None);
        assert_eq!(
            separator_at("\u{a0}".as_bytes(), 0, Separators::SpaceOrDash),
            None
        );
        for other in [",", "/", "\u{2014}", "\u{e9}", "\u{3001}"] {
            assert_eq!(separator_at(other.as_bytes(), 0, Separators::Phone), None);
        }
    }

    #[test]
    fn glue() {
        for (text, glued) in [
            ("x", true),
            ("7", true),
            ("\u{967}", true),
            ("@a", true),
            (".5", true),
            (":a", true),
            (". ", false),
            (":", false),
            (",5", false),
            (" 5", false),
            ("", false),
        ] {
            assert_eq!(glued_at(text.as_bytes(), 0), glued, "{text:?}");
        }
    }
}
