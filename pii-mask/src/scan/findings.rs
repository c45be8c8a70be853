//! The driver: walks the text once, tries the matchers at each word start, and yields
//! [`Finding`]s in order.

use std::fmt;

use super::card::card;
use super::email::email;
use super::iban::iban;
use super::ip::{ipv4, ipv6};
use super::phone::{international, national};
use super::text::{byte_at, is_word_byte};
use super::{Entity, Finding};

/// The iterator [`scan`](super::scan) returns.
#[derive(Clone)]
pub struct Findings<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Findings<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        Self { text, pos: 0 }
    }
}

impl fmt::Debug for Findings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Findings")
            .field("len", &self.text.len())
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl Iterator for Findings<'_> {
    type Item = Finding;

    fn next(&mut self) -> Option<Finding> {
        let text = self.text;
        let mut i = self.pos;
        while let Some(&b) = text.get(i) {
            let at_boundary = i == 0 || !is_word_byte(byte_at(text, i - 1));
            let found = if b.is_ascii_alphanumeric() {
                if at_boundary {
                    at_word_start(text, i)
                } else {
                    // Inside a word: only word starts begin an entity.
                    None
                }
            } else if b == b'+' {
                if at_boundary && byte_at(text, i + 1).is_ascii_digit() {
                    international(text, i + 1).map(|end| (Entity::Phone, end))
                } else {
                    None
                }
            } else if b == b'(' {
                if at_boundary && byte_at(text, i + 1).is_ascii_digit() {
                    national(text, i).map(|end| (Entity::Phone, end))
                } else {
                    None
                }
            } else {
                None
            };
            if let Some((entity, end)) = found {
                self.pos = end;
                return Some(Finding {
                    entity,
                    start: i,
                    end,
                });
            }
            if is_word_byte(b) {
                // Skip the rest of the word in one go.
                i += 1;
                while is_word_byte(byte_at(text, i)) {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        self.pos = text.len();
        None
    }
}

/// The entity that starts at `i`, an ASCII letter or digit at a word start, and its end.
fn at_word_start(text: &[u8], i: usize) -> Option<(Entity, usize)> {
    let b = byte_at(text, i);
    if let Some(end) = email(text, i) {
        return Some((Entity::Email, end));
    }
    if b.is_ascii_digit() {
        if continues_a_digit_run(text, i) {
            return None;
        }
        if b == b'0'
            && byte_at(text, i + 1) == b'0'
            && byte_at(text, i + 2).is_ascii_digit()
            && let Some(end) = international(text, i + 2)
        {
            return Some((Entity::Phone, end));
        }
        if b != b'0'
            && let Some(end) = card(text, i)
        {
            return Some((Entity::Card, end));
        }
        if let Some(end) = ipv4(text, i) {
            return Some((Entity::Ip, end));
        }
        if let Some(end) = ipv6(text, i) {
            return Some((Entity::Ip, end));
        }
        return national(text, i).map(|end| (Entity::Phone, end));
    }
    if b.is_ascii_uppercase()
        && let Some(end) = iban(text, i)
    {
        return Some((Entity::Iban, end));
    }
    if b.is_ascii_hexdigit() {
        return ipv6(text, i).map(|end| (Entity::Ip, end));
    }
    None
}

/// Whether the digit at `i` is the tail of a longer run of digit groups (`... 3704 0044
/// 0532`) that starts at a word boundary: such a tail is not a number of its own, since the
/// run as a whole was not one.
fn continues_a_digit_run(text: &[u8], i: usize) -> bool {
    if i < 2
        || !matches!(byte_at(text, i - 1), b' ' | b'-' | b'.')
        || !byte_at(text, i - 2).is_ascii_digit()
    {
        return false;
    }
    let mut k = i - 2;
    while k > 0 && byte_at(text, k - 1).is_ascii_digit() {
        k -= 1;
    }
    k == 0 || !is_word_byte(byte_at(text, k - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_of_digit_runs() {
        let text = b"iban DE89 3704 0044 0532";
        assert!(!continues_a_digit_run(text, 10));
        assert!(continues_a_digit_run(text, 15));
        assert!(continues_a_digit_run(b"1 2", 2));
        assert!(!continues_a_digit_run(b"a1 2", 3));
        assert!(!continues_a_digit_run(b"1, 2", 3));
    }

    #[test]
    fn debug_shows_positions_only() {
        let f = Findings::new(b"call +49 151 23456789");
        assert_eq!(format!("{f:?}"), "Findings { len: 21, pos: 0, .. }");
    }
}
