//! Phone numbers: international form checked against the numbering plan, and the national
//! forms of major markets.

use residency_core::numbering;

use super::findings::Lookahead;
use super::groups::{DigitGroups, Fit, Syntax, Trailing};
use super::text::{Digits, Separators, digit_at, separator_at};

/// Digits of the shortest and the longest international number (calling code included).
const INTERNATIONAL_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// National lengths of most numbers people write (mobile numbers nearly everywhere); a plan
/// may allow shorter and longer ones, which are less likely where a run could be read
/// either way.
const TYPICAL_NATIONAL_DIGITS: std::ops::RangeInclusive<usize> = 8..=11;

/// Most national digits written in one group with the calling code in a number that goes on
/// in more groups (`+49151 23456789`, `+4930 1234567`).
const MAX_NATIONAL_DIGITS_WITH_CODE: usize = 4;

/// Calling codes whose national numbers may start with 0: Italy (+39 06 ...) and a few
/// small plans that write it the same way.
const NATIONAL_ZERO_CODES: [u16; 5] = [39, 225, 242, 378, 379];

/// An international number whose first calling-code digit is at `i` (after `+` or `00`):
/// returns its end.
///
/// The number ends after a whole group, where its digits make a plausible number of the
/// calling code's plan (the national length of `residency-core`'s numbering plan).
pub(super) fn international(text: &[u8], i: usize, lookahead: Lookahead) -> Option<usize> {
    let run = DigitGroups::read(text, i, Syntax::Phone { drop_trunk: true })?;
    if run.digit_count() < *INTERNATIONAL_DIGITS.start() {
        return None;
    }
    let groups = run.groups();
    let first_group = groups.first().map_or(0, |g| usize::from(g.len));
    run.pick_end(text, lookahead, Trailing::Allowed, |k| {
        let n = groups.get(k).map_or(0, |g| usize::from(g.digits_through));
        let layout = Layout {
            first_group,
            area_code_in_parentheses: k >= 1 && groups.get(1).is_some_and(|g| g.parenthesized),
        };
        plausible_international(run.digits(n), layout)
    })
}

/// How the start of an international number is written.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Digits in the first group.
    first_group: usize,
    /// Whether the second group is in parentheses (`+1 (415) 555-0132`).
    area_code_in_parentheses: bool,
}

/// How well `digits` (ASCII, calling code first), written as `layout` says, fit an
/// international number; `None` when they cannot be one.
fn plausible_international(digits: &[u8], layout: Layout) -> Option<Fit> {
    if !INTERNATIONAL_DIGITS.contains(&digits.len()) {
        return None;
    }
    let (code, code_len) = numbering::split_calling_code(digits)?;
    let first_group = layout.first_group;
    // The calling code is written in one piece: `+49 151`, `0049151`, never `+4 9151`; and
    // alone when an area code in parentheses follows: `+1 (415)`, `0052 (55)`, never
    // `+301 (200)`.
    if code_len > first_group || (layout.area_code_in_parentheses && code_len != first_group) {
        return None;
    }
    // A number whose first group goes well past the calling code is written in one piece
    // (`+4915123456789`): a group after it is something else.
    if first_group > code_len + MAX_NATIONAL_DIGITS_WITH_CODE && digits.len() > first_group {
        return None;
    }
    // National significant numbers do not start with the trunk prefix 0, except in a few
    // plans.
    let first = digits.get(code_len).copied().unwrap_or(b'0');
    if first == b'0' && !NATIONAL_ZERO_CODES.contains(&code.get()) {
        return None;
    }
    let (min, max) = numbering::national_lengths(code)?;
    let national = digits.len() - code_len;
    if !(usize::from(min)..=usize::from(max)).contains(&national) {
        return None;
    }
    Some(if TYPICAL_NATIONAL_DIGITS.contains(&national) {
        Fit::Typical
    } else {
        Fit::Possible
    })
}

/// Digits of every national form the scanner knows.
const NATIONAL_DIGITS: std::ops::RangeInclusive<usize> = 10..=12;

/// Longest first group of a number in national form that goes on in more groups.
const MAX_NATIONAL_FIRST_GROUP: usize = 5;
/// Digits of a number in national form written in one piece (`9876543210`).
const NATIONAL_WHOLE_DIGITS: usize = 10;

/// Calling codes of markets where numbers are written with a trunk `0` at home.
const TRUNK_ZERO_CODES: [&[u8]; 14] = [
    b"49", b"44", b"33", b"31", b"32", b"43", b"41", b"90", b"27", b"234", b"62", b"61", b"81",
    b"92",
];

/// A number in national form starting at `i` (a digit at a word start, or `(`): returns its
/// end.
pub(super) fn national(text: &[u8], i: usize, lookahead: Lookahead) -> Option<usize> {
    // Cheap pre-check: the national forms start with a group of one to five digits and a
    // separator before more digits, or with `(`, or are ten digits in one piece.
    let mut first_group = 0;
    let mut j = i;
    while let Some((_, len)) = digit_at(text, j, Digits::AnyScript) {
        first_group += 1;
        j += len;
        if first_group > NATIONAL_WHOLE_DIGITS {
            return None;
        }
    }
    let goes_on = || {
        separator_at(text, j, Separators::Phone)
            .is_some_and(|len| digit_at(text, j + len, Digits::AnyScript).is_some())
    };
    let plausible_start = match first_group {
        // `(` opens an area code.
        0 => true,
        NATIONAL_WHOLE_DIGITS => true,
        n if n <= MAX_NATIONAL_FIRST_GROUP => goes_on(),
        _ => false,
    };
    if !plausible_start {
        return None;
    }
    let run = DigitGroups::read(text, i, Syntax::Phone { drop_trunk: false })?;
    if run.digit_count() < *NATIONAL_DIGITS.start() {
        return None;
    }
    let first_paren = run.groups().first().is_some_and(|g| g.parenthesized);
    run.pick_end(text, lookahead, Trailing::Refused, |k| {
        let groups = run.groups().get(..=k).unwrap_or_default();
        let n = groups.last().map_or(0, |g| usize::from(g.digits_through));
        // Only the area code may be written in parentheses.
        if !NATIONAL_DIGITS.contains(&n) || groups.iter().skip(1).any(|g| g.parenthesized) {
            return None;
        }
        let lens = run.lens_through(k);
        national_grouping(lens.as_slice(), n, first_paren, |d| run.value(d)).then_some(Fit::Typical)
    })
}

/// Whether `n` digits printed in groups of `lens` (the first in parentheses when
/// `first_paren`) are a national number of one of the markets the scanner knows; `digit`
/// gives the value of each digit.
fn national_grouping(
    lens: &[u8],
    n: usize,
    first_paren: bool,
    digit: impl Fn(usize) -> u8,
) -> bool {
    // Trunk-zero markets: 0 then the national significant number.
    if digit(0) == 0 {
        let Some(&first_len) = lens.first() else {
            return false;
        };
        if digit(1) == 0 || !(10..=12).contains(&n) || first_len > 5 {
            return false;
        }
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
        return plausible && grouping_ok;
    }
    let nanp = |a: usize| (2..=9).contains(&digit(a)) && (2..=9).contains(&digit(a + 3));
    match lens {
        // NANP: (415) 555-0132, 415-555-0132, 415.555.0132, 415 555 0132.
        [3, 3, 4] => nanp(0),
        // 1-415-555-0132
        [1, 3, 3, 4] => digit(0) == 1 && nanp(1) && !first_paren,
        // India: 98765 43210 or 9876543210.
        [5, 5] | [10] => (6..=9).contains(&digit(0)) && !first_paren,
        // Brazil: (11) 91234-5678, (11) 3456-7890.
        [2, 5, 4] => digit(1) != 0 && digit(2) == 9,
        [2, 4, 4] => first_paren && digit(1) != 0,
        // China mobile: 138 0013 8000.
        [3, 4, 4] => digit(0) == 1 && (3..=9).contains(&digit(1)) && !first_paren,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intl(text: &str) -> Option<&str> {
        international(text.as_bytes(), 0, Lookahead::NextEntity).map(|end| &text[..end])
    }

    fn home(text: &str) -> Option<&str> {
        national(text.as_bytes(), 0, Lookahead::NextEntity).map(|end| &text[..end])
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
        // The calling code is never split across groups.
        assert_eq!(intl("4 915123456789"), None);
        assert_eq!(intl("3 210-200-0000"), None);
        assert_eq!(intl("301 (200) 200-0000"), None);
        assert_eq!(intl("52 (200) 200-0000"), Some("52 (200) 200-0000"));
        assert_eq!(intl("11000000000 (11) 90000-0000"), Some("11000000000"));
        // Written in one piece, a number takes no further group.
        assert_eq!(intl("71000000000 130"), Some("71000000000"));
        assert_eq!(intl("49151 23456789"), Some("49151 23456789"));
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
