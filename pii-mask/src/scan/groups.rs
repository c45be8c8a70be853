//! Digit groups shared by cards and phones: `4111 1111`, `(415) 555-0132`, `+44 (0)20 7946`.

use super::text::{byte_at, is_word_byte};

/// Most digits read in one run of groups: longer than any phone number or card.
pub(super) const MAX_DIGITS: usize = 20;
/// Most groups read in one run.
pub(super) const MAX_GROUPS: usize = 8;

/// One group of a run: where it ends in the text and how it was written.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Group {
    /// Digits of the run up to and including this group.
    pub(super) digits_through: u8,
    /// Text offset just past the group (past its `)` when parenthesized).
    pub(super) end: usize,
    /// Number of digits in the group.
    pub(super) len: u8,
    /// Whether the group was written in parentheses.
    pub(super) parenthesized: bool,
}

/// Digit groups read from the text: the digits (ASCII) and each group.
#[derive(Debug)]
pub(super) struct DigitGroups {
    digits: [u8; MAX_DIGITS],
    digit_count: usize,
    groups: [Group; MAX_GROUPS],
    group_count: usize,
    /// Whether the last group was followed directly by a word character.
    pub(super) glued: bool,
}

impl DigitGroups {
    /// The first `n` digits (ASCII).
    pub(super) fn digits(&self, n: usize) -> &[u8] {
        self.digits
            .get(..n.min(self.digit_count))
            .unwrap_or_default()
    }

    /// All digits read.
    pub(super) fn digit_count(&self) -> usize {
        self.digit_count
    }

    /// The groups read, in order.
    pub(super) fn groups(&self) -> &[Group] {
        self.groups.get(..self.group_count).unwrap_or_default()
    }

    /// The value of digit `k` (0 past the end).
    pub(super) fn value(&self, k: usize) -> u8 {
        self.digits(self.digit_count).get(k).map_or(0, |d| d - b'0')
    }
}

/// Reads digit groups from `i`: runs of digits separated by one of ` `, `-`, `.` or by
/// parentheses (`(415) 555`, `+44 (0)20`). `drop_trunk` drops an `(0)` group. Stops after
/// [`MAX_DIGITS`] digits (returning `None`: too long for any phone or card) or
/// [`MAX_GROUPS`] groups.
pub(super) fn read_groups(text: &[u8], mut i: usize, drop_trunk: bool) -> Option<DigitGroups> {
    let mut g = DigitGroups {
        digits: [0; MAX_DIGITS],
        digit_count: 0,
        groups: [Group::default(); MAX_GROUPS],
        group_count: 0,
        glued: false,
    };
    loop {
        let paren = byte_at(text, i) == b'(';
        if paren {
            i += 1;
        }
        let start = i;
        while byte_at(text, i).is_ascii_digit() {
            let slot = g.digits.get_mut(g.digit_count)?;
            *slot = byte_at(text, i);
            g.digit_count += 1;
            i += 1;
        }
        let len = i - start;
        if len == 0 || (paren && byte_at(text, i) != b')') {
            // A '(' without digits and ')' is not part of the number: end before it.
            return (g.group_count > 0).then_some(g);
        }
        if paren {
            i += 1;
        }
        if drop_trunk && paren && len == 1 && g.group_count > 0 && byte_at(text, start) == b'0' {
            // `+44 (0)20 ...`: the trunk digit is not dialled from abroad.
            g.digit_count -= 1;
        } else {
            let slot = g.groups.get_mut(g.group_count)?;
            *slot = Group {
                digits_through: g.digit_count as u8,
                end: i,
                len: len as u8,
                parenthesized: paren,
            };
            g.group_count += 1;
        }
        // One separator (or none after a ')') before the next group.
        let separator = byte_at(text, i);
        let next = byte_at(text, i + 1);
        if matches!(separator, b' ' | b'-' | b'.') && (next.is_ascii_digit() || next == b'(') {
            i += 1;
        } else if byte_at(text, i - 1) == b')' && separator.is_ascii_digit() {
            // `(415)555-0132`
        } else if separator == b'(' && next.is_ascii_digit() {
            // `+44(0)20...`
        } else {
            g.glued = is_word_byte(separator) || (separator == b'.' && next.is_ascii_digit());
            return Some(g);
        }
        if g.group_count >= MAX_GROUPS {
            return Some(g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(text: &str) -> Vec<u8> {
        read_groups(text.as_bytes(), 0, true)
            .map(|g| g.groups().iter().map(|x| x.len).collect())
            .unwrap_or_default()
    }

    #[test]
    fn groups_and_their_separators() {
        assert_eq!(lens("415-555-0132"), [3, 3, 4]);
        assert_eq!(lens("(415) 555.0132"), [3, 3, 4]);
        assert_eq!(lens("(415)555-0132"), [3, 3, 4]);
        assert_eq!(lens("44 (0)20 7946"), [2, 2, 4]);
        assert_eq!(lens("44(0)20"), [2, 2]);
        assert_eq!(lens("12  34"), [2]);
        assert_eq!(lens("x"), Vec::<u8>::new());
    }

    #[test]
    fn the_trunk_digit_is_dropped_and_glue_is_seen() {
        let g = read_groups(b"44 (0)20 7946x", 0, true).unwrap();
        assert_eq!(g.digits(99), b"44207946");
        assert!(g.glued);
        let g = read_groups(b"44 (0)20", 0, false).unwrap();
        assert_eq!(g.digits(99), b"44020");
    }

    #[test]
    fn runs_longer_than_any_number_are_refused() {
        assert!(read_groups("1".repeat(MAX_DIGITS + 1).as_bytes(), 0, false).is_none());
        assert!(read_groups("1".repeat(MAX_DIGITS).as_bytes(), 0, false).is_some());
    }
}
