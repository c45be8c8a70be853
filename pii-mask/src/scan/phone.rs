//! Phone numbers: international form checked against the numbering plan, and the national
//! forms of major markets.

use residency_core::numbering;

use super::groups::{MAX_GROUPS, read_groups};

/// Digits of the shortest and the longest international number (calling code included).
const INTERNATIONAL_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// An international number whose first calling-code digit is at `i` (after `+` or `00`).
pub(super) fn international(text: &[u8], i: usize) -> Option<usize> {
    let g = read_groups(text, i, true)?;
    let groups = g.groups();
    // The longest run of whole groups that is a plausible number wins.
    for k in (1..=groups.len()).rev() {
        let group = groups.get(k - 1)?;
        if k == groups.len() && g.glued {
            continue;
        }
        let n = usize::from(group.digits_through);
        if !INTERNATIONAL_DIGITS.contains(&n) {
            continue;
        }
        let digits = g.digits(n);
        let (code, code_len) = numbering::split_calling_code(digits)?;
        let national = n - code_len;
        // National significant numbers do not start with the trunk prefix 0, except in
        // Italy (+39 06 ...) and a few small plans that write it the same way.
        let first = digits.get(code_len).copied().unwrap_or(b'0');
        if first == b'0' && !matches!(code.get(), 39 | 225 | 242 | 378 | 379) {
            continue;
        }
        if let Some((min, max)) = numbering::national_lengths(code)
            && (usize::from(min)..=usize::from(max)).contains(&national)
        {
            return Some(group.end);
        }
    }
    None
}

/// Calling codes of markets where numbers are written with a trunk `0` at home.
const TRUNK_ZERO_CODES: [&[u8]; 14] = [
    b"49", b"44", b"33", b"31", b"32", b"43", b"41", b"90", b"27", b"234", b"62", b"61", b"81",
    b"92",
];

/// A number in national form starting at `i` (a digit at a word start, or `(`).
pub(super) fn national(text: &[u8], i: usize) -> Option<usize> {
    let g = read_groups(text, i, false)?;
    let groups = g.groups();
    if g.glued || groups.is_empty() {
        return None;
    }
    let n = g.digit_count();
    let end = groups.last()?.end;
    let mut lens = [0u8; MAX_GROUPS];
    for (dst, src) in lens.iter_mut().zip(groups) {
        *dst = src.len;
    }
    let lens = lens.get(..groups.len())?;
    let parens = groups.iter().filter(|x| x.parenthesized).count();
    let first_paren = groups.first().is_some_and(|x| x.parenthesized);
    if parens > usize::from(first_paren) {
        return None;
    }
    let digit = |k: usize| g.value(k);

    // Trunk-zero markets: 0 then the national significant number.
    if digit(0) == 0 && digit(1) != 0 && (10..=12).contains(&n) && lens.first()? <= &5 {
        let significant = n - 1;
        let plausible = TRUNK_ZERO_CODES.iter().any(|&cc| {
            numbering::split_calling_code(cc)
                .and_then(|(code, _)| numbering::national_lengths(code))
                .is_some_and(|(min, max)| {
                    (usize::from(min)..=usize::from(max)).contains(&significant)
                })
        });
        // Printed groupings: French pairs (`06 12 34 56 78`), or groups of three or more
        // (`0151 23456789`, `020 7946 0958`); a trailing pair is the tail of something else.
        let grouping_ok =
            lens.iter().all(|&l| l == 2) && lens.len() == 5 || lens.iter().skip(1).all(|&l| l >= 3);
        if plausible && grouping_ok {
            return Some(end);
        }
        return None;
    }
    let nanp = |a: usize| (2..=9).contains(&digit(a)) && (2..=9).contains(&digit(a + 3));
    match lens {
        // NANP: (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132.
        [3, 3, 4] if nanp(0) => Some(end),
        // 1-415-555-0132
        [1, 3, 3, 4] if digit(0) == 1 && nanp(1) && !first_paren => Some(end),
        // India: 98765 43210 or 9876543210.
        [5, 5] | [10] if (6..=9).contains(&digit(0)) && !first_paren => Some(end),
        // Brazil: (11) 91234-5678, (11) 3456-7890.
        [2, 5, 4] if digit(0) != 0 && digit(1) != 0 && digit(2) == 9 => Some(end),
        [2, 4, 4] if first_paren && digit(0) != 0 && digit(1) != 0 => Some(end),
        // China mobile: 138 0013 8000.
        [3, 4, 4] if digit(0) == 1 && (3..=9).contains(&digit(1)) && !first_paren => Some(end),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intl(text: &str) -> Option<&str> {
        international(text.as_bytes(), 0).map(|end| &text[..end])
    }

    fn home(text: &str) -> Option<&str> {
        national(text.as_bytes(), 0).map(|end| &text[..end])
    }

    #[test]
    fn international_numbers_fit_their_plan() {
        assert_eq!(intl("49 151 23456789"), Some("49 151 23456789"));
        assert_eq!(intl("44 (0)20 7946 0958."), Some("44 (0)20 7946 0958"));
        assert_eq!(intl("39 06 1234 5678"), Some("39 06 1234 5678"));
        // +33 wants 9 national digits, +44 at most 10, and +999 is not a calling code.
        assert_eq!(intl("33 6 12 34 56"), None);
        assert_eq!(intl("4477009001234567"), None);
        assert_eq!(intl("999 1234567"), None);
        // A national number does not start with its trunk 0 after the calling code.
        assert_eq!(intl("49 0151 2345678"), None);
    }

    #[test]
    fn national_forms() {
        assert_eq!(home("0151 23456789"), Some("0151 23456789"));
        assert_eq!(home("06 12 34 56 78"), Some("06 12 34 56 78"));
        assert_eq!(home("(415) 555-0132"), Some("(415) 555-0132"));
        assert_eq!(home("1-415-555-0132"), Some("1-415-555-0132"));
        assert_eq!(home("(11) 91234-5678"), Some("(11) 91234-5678"));
        assert_eq!(home("138 0013 8000"), Some("138 0013 8000"));
        for text in [
            "0151 23",
            "4471-2209",
            "06 12 34 56 7",
            "(415) (555) 0132",
            "1234x",
        ] {
            assert_eq!(home(text), None, "{text}");
        }
    }
}
