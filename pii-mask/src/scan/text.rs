//! Byte classes the matchers share: what a word character is, and reading past the end.

/// The byte at `i`, or 0 past the end (0 is no class the scanner looks for).
#[inline(always)]
pub(super) fn byte_at(text: &[u8], i: usize) -> u8 {
    text.get(i).copied().unwrap_or(0)
}

/// Word characters: an entity never starts or ends next to one.
#[inline(always)]
pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
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
}
