//! IP addresses: dotted-quad IPv4 and colon-hex IPv6 (with `::`, starting with a hex digit).

use super::text::{byte_at, is_word_byte};

/// An IPv4 address starting at `i` (a digit at a word start): returns its end.
pub(super) fn ipv4(text: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for part in 0..4 {
        let start = j;
        let mut value = 0u32;
        while byte_at(text, j).is_ascii_digit() && j - start < 3 {
            value = value * 10 + u32::from(byte_at(text, j) - b'0');
            j += 1;
        }
        if j == start || value > 255 || byte_at(text, j).is_ascii_digit() {
            return None;
        }
        if part < 3 {
            if byte_at(text, j) != b'.' {
                return None;
            }
            j += 1;
        }
    }
    let glued = is_word_byte(byte_at(text, j))
        || (byte_at(text, j) == b'.' && byte_at(text, j + 1).is_ascii_digit());
    (!glued).then_some(j)
}

/// An IPv6 address starting at `i` (a hex digit at a word start): returns its end.
pub(super) fn ipv6(text: &[u8], i: usize) -> Option<usize> {
    // Cheap pre-check: a hex run of at most four digits followed by ':'.
    let mut j = i;
    while j - i <= 4 && byte_at(text, j).is_ascii_hexdigit() {
        j += 1;
    }
    if byte_at(text, j) != b':' {
        return None;
    }
    let mut j = i;
    let mut groups = 0usize;
    let mut compressed = false;
    let mut end;
    loop {
        let start = j;
        while byte_at(text, j).is_ascii_hexdigit() && j - start < 4 {
            j += 1;
        }
        if byte_at(text, j).is_ascii_hexdigit() {
            return None;
        }
        if j > start {
            groups += 1;
        }
        end = j;
        if byte_at(text, j) == b':' && byte_at(text, j + 1) == b':' {
            if compressed {
                return None;
            }
            compressed = true;
            j += 2;
            end = j;
            if !byte_at(text, j).is_ascii_hexdigit() {
                break;
            }
        } else if byte_at(text, j) == b':' && byte_at(text, j + 1).is_ascii_hexdigit() && j > start
        {
            j += 1;
        } else {
            break;
        }
        if groups > 8 {
            return None;
        }
    }
    let valid = if compressed { groups <= 7 } else { groups == 8 };
    let glued = is_word_byte(byte_at(text, end)) || byte_at(text, end) == b':';
    (valid && !glued).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Option<&str> {
        ipv4(text.as_bytes(), 0).map(|end| &text[..end])
    }

    fn v6(text: &str) -> Option<&str> {
        ipv6(text.as_bytes(), 0).map(|end| &text[..end])
    }

    #[test]
    fn dotted_quads() {
        assert_eq!(v4("192.168.1.20:"), Some("192.168.1.20"));
        assert_eq!(v4("10.0.0.7."), Some("10.0.0.7"));
        for text in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4x", "1.2.3.1234"] {
            assert_eq!(v4(text), None, "{text}");
        }
    }

    #[test]
    fn colon_hex() {
        assert_eq!(
            v6("2001:db8::8a2e:370:7334 ok"),
            Some("2001:db8::8a2e:370:7334")
        );
        assert_eq!(v6("fe80:0:0:0:0:0:0:1"), Some("fe80:0:0:0:0:0:0:1"));
        assert_eq!(v6("2001:db8:: x"), Some("2001:db8::"));
        for text in [
            "10:30",
            "00:1A:2B:3C:4D:5E",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "12345::1",
        ] {
            assert_eq!(v6(text), None, "{text}");
        }
    }
}
