//! Payment cards: 13 to 19 digits, contiguous or in a printed grouping, Luhn-checked.

use super::findings::Lookahead;
use super::groups::{DigitGroups, Fit, Syntax, Trailing};

/// Digits of the shortest and the longest card number.
const CARD_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;
/// Digits of most cards: 16 (Visa, Mastercard, Discover...) and 15 (American Express).
/// 13, 14 and 19 digits exist but are rare, which counts where a run reads either way.
const TYPICAL_CARD_DIGITS: std::ops::RangeInclusive<usize> = 15..=16;

/// A card number starting at `i` (a digit other than 0 at a word start): returns its end.
///
/// Cards are written with spaces or dashes only, contiguous or in the groupings they are
/// printed in, and pass the Luhn check.
pub(super) fn card(text: &[u8], i: usize, lookahead: Lookahead) -> Option<usize> {
    // Cheap pre-check: a card number starts with a group of four digits and a separator
    // before more digits, or is written in one piece.
    let first_group = text
        .get(i..)
        .unwrap_or_default()
        .iter()
        .take(CARD_DIGITS.end() + 1)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let grouped = first_group == 4
        && matches!(text.get(i + 4), Some(b' ' | b'-'))
        && text.get(i + 5).is_some_and(u8::is_ascii_digit);
    if !grouped && !CARD_DIGITS.contains(&first_group) {
        return None;
    }
    let run = DigitGroups::read(text, i, Syntax::Card)?;
    if run.digit_count() < *CARD_DIGITS.start() {
        return None;
    }
    run.pick_end(text, lookahead, Trailing::Refused, |k| {
        let n = run
            .groups()
            .get(k)
            .map_or(0, |g| usize::from(g.digits_through));
        let card = CARD_DIGITS.contains(&n)
            && printed_grouping(run.lens_through(k).as_slice())
            && luhn(run.digits(n));
        card.then_some(if TYPICAL_CARD_DIGITS.contains(&n) {
            Fit::Typical
        } else {
            Fit::Possible
        })
    })
}

/// Whether cards are printed with groups of these lengths.
fn printed_grouping(lens: &[u8]) -> bool {
    // Contiguous; 16 digits (Visa, Mastercard, Discover...), 19 digits, 15 (Amex), 14 (Diners).
    matches!(
        lens,
        [_] | [4, 4, 4, 4] | [4, 4, 4, 4, 3] | [4, 6, 5] | [4, 6, 4]
    )
}

/// The Luhn check over ASCII digits.
pub(super) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (k, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d.wrapping_sub(b'0'));
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
        card(text.as_bytes(), 0, Lookahead::NextEntity).map(|end| &text[..end])
    }

    #[test]
    fn luhn_known_answers() {
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"79927398714"));
        assert!(luhn(b"4111111111111111"));
    }

    #[test]
    fn printed_groupings() {
        assert_eq!(found("4111 1111 1111 1111"), Some("4111 1111 1111 1111"));
        assert_eq!(found("4111-1111-1111-1111."), Some("4111-1111-1111-1111"));
        assert_eq!(found("4111111111111111"), Some("4111111111111111"));
        assert_eq!(found("3782 822463 10005"), Some("3782 822463 10005"));
    }

    #[test]
    fn two_cards_in_one_run() {
        let text = "4111 1111 1111 1111 5500 0000 0000 0004 ok";
        assert_eq!(found(text), Some("4111 1111 1111 1111"));
        let text = "4111111111111111 5500000000000004";
        assert_eq!(found(text), Some("4111111111111111"));
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
