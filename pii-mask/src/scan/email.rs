//! E-mail addresses: a dot-atom local part, at least two domain labels, an alphabetic TLD.

use super::text::{byte_at, is_word_byte};

/// Longest local part read, in bytes (RFC 5321).
pub(super) const MAX_LOCAL_PART: usize = 64;
/// Longest domain label, in bytes.
const MAX_LABEL: usize = 63;
/// Longest domain, in bytes.
const MAX_DOMAIN: usize = 253;

fn is_local_part_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// An e-mail address starting at `i` (a word start): returns its end.
pub(super) fn email(text: &[u8], i: usize) -> Option<usize> {
    let local_part = text
        .get(i..)
        .unwrap_or_default()
        .iter()
        .take(MAX_LOCAL_PART)
        .take_while(|b| is_local_part_byte(**b))
        .count();
    let at_sign = i + local_part;
    if byte_at(text, at_sign) != b'@' || local_part == 0 || byte_at(text, at_sign - 1) == b'.' {
        return None;
    }
    // Domain: labels of [A-Za-z0-9-], not starting or ending with '-', separated by '.'.
    let mut k = at_sign + 1;
    let mut labels = 0usize;
    let mut end = None;
    loop {
        let label_start = k;
        let mut alphabetic = true;
        while byte_at(text, k).is_ascii_alphanumeric() || byte_at(text, k) == b'-' {
            alphabetic &= byte_at(text, k).is_ascii_alphabetic();
            k += 1;
        }
        let len = k - label_start;
        if len == 0
            || len > MAX_LABEL
            || byte_at(text, label_start) == b'-'
            || byte_at(text, k - 1) == b'-'
        {
            break;
        }
        labels += 1;
        if labels >= 2 && alphabetic && len >= 2 {
            end = Some(k);
        }
        if byte_at(text, k) == b'.'
            && byte_at(text, k + 1).is_ascii_alphanumeric()
            && k - at_sign < MAX_DOMAIN
        {
            k += 1;
        } else {
            break;
        }
    }
    let end = end?;
    // The address ends where its last alphabetic label ends, never inside a longer word.
    (!is_word_byte(byte_at(text, end))).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Option<&str> {
        email(text.as_bytes(), 0).map(|end| &text[..end])
    }

    #[test]
    fn addresses_end_at_their_last_alphabetic_label() {
        assert_eq!(
            found("a.b+c@mail.example.co.uk."),
            Some("a.b+c@mail.example.co.uk")
        );
        assert_eq!(found("jo@example.org,"), Some("jo@example.org"));
        assert_eq!(found("jo@example.org.123"), Some("jo@example.org"));
    }

    #[test]
    fn not_addresses() {
        for text in [
            "user@localhost",
            "@example.org",
            "jo.@example.org",
            "jo@-example.org",
            "jo@example.c",
            "jo@example.org_x",
            "jo example.org",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }
}
