//! Payment cards: 13 to 19 digits, contiguous or in a printed grouping, Luhn-checked.

use super::text::{byte_at, is_word_byte};

/// Most digits of a card number.
const MAX_CARD_DIGITS: usize = 19;
/// Most groups of a printed card number.
const MAX_CARD_GROUPS: usize = 6;

/// A card number starting at `i` (a digit at a word start): returns its end.
pub(super) fn card(text: &[u8], i: usize) -> Option<usize> {
    // Cards use spaces or dashes only, and print in fixed groupings.
    let mut j = i;
    let mut digits = [0u8; MAX_CARD_DIGITS];
    let mut n = 0usize;
    let mut lens = [0u8; MAX_CARD_GROUPS];
    let mut groups = 0usize;
    let mut run = 0u8;
    loop {
        let b = byte_at(text, j);
        if b.is_ascii_digit() {
            *digits.get_mut(n)? = b - b'0';
            n += 1;
            run += 1;
            j += 1;
        } else if matches!(b, b' ' | b'-') && byte_at(text, j + 1).is_ascii_digit() {
            *lens.get_mut(groups)? = run;
            groups += 1;
            run = 0;
            j += 1;
        } else {
            break;
        }
    }
    *lens.get_mut(groups)? = run;
    groups += 1;
    let grouping_ok = match lens.get(..groups)? {
        [_] => true,
        // 16 digits (Visa, Mastercard, Discover...), 19 digits, 15 (Amex), 14 (Diners).
        [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 6, 5] | [4, 6, 4] => true,
        _ => false,
    };
    if !(13..=MAX_CARD_DIGITS).contains(&n) || !grouping_ok || is_word_byte(byte_at(text, j)) {
        return None;
    }
    luhn(digits.get(..n)?).then_some(j)
}

/// The Luhn check over decimal digits (0..=9 each).
pub(super) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (k, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if k % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Option<&str> {
        card(text.as_bytes(), 0).map(|end| &text[..end])
    }

    #[test]
    fn luhn_known_answers() {
        assert!(luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
    }

    #[test]
    fn printed_groupings() {
        assert_eq!(found("4111 1111 1111 1111"), Some("4111 1111 1111 1111"));
        assert_eq!(found("4111-1111-1111-1111."), Some("4111-1111-1111-1111"));
        assert_eq!(found("4111111111111111"), Some("4111111111111111"));
        assert_eq!(found("3782 822463 10005"), Some("3782 822463 10005"));
    }

    #[test]
    fn not_cards() {
        for text in [
            "4111 1111 1111 1112",
            "41 1111 1111 1111 11",
            "4111111111111111x",
            "411111111111",
        ] {
            assert_eq!(found(text), None, "{text}");
        }
    }
}
