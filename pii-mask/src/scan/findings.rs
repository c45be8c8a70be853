//! The driver: walks the text once, tries the matchers where an entity can start, and yields
//! [`Finding`]s in order.

use std::fmt;

use super::card::card;
use super::email::{MAX_LOCAL_PART, email};
use super::iban::iban;
use super::ip::{ipv4, ipv6};
use super::phone::{international, national};
use super::text::{
    Digits, Separators, byte_at, digit_at, digit_before, is_word_byte, open_paren_at, plus_at,
    separator_at, word_before,
};
use super::{Entity, Finding};

/// Whether a matcher looks at what follows its candidate ends (see
/// [`DigitGroups::pick_end`](super::groups::DigitGroups::pick_end)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lookahead {
    /// Prefer an end after which the next group starts another entity. The iterator's mode.
    NextEntity,
    /// Take the latest plausible end. The mode of that check itself, so it never recurses and
    /// each position costs a bounded amount of work.
    Off,
}

/// The iterator [`scan`](super::scan) returns.
#[derive(Clone)]
pub struct Findings<'a> {
    text: &'a [u8],
    pos: usize,
    /// Where the previous finding ended.
    last_end: Option<usize>,
    /// The next `@` at or after the last place an e-mail address could start, if any is
    /// left: most texts have none, and then no address is looked for at all.
    next_at_sign: Option<usize>,
}

impl<'a> Findings<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            pos: 0,
            last_end: None,
            next_at_sign: text.iter().position(|b| *b == b'@'),
        }
    }

    /// Whether an e-mail address could start at `i`: an `@` follows within the longest
    /// local part.
    fn email_possible(&mut self, i: usize) -> bool {
        if let Some(at) = self.next_at_sign
            && at < i
        {
            self.next_at_sign = self
                .text
                .get(i..)
                .and_then(|rest| rest.iter().position(|b| *b == b'@'))
                .map(|offset| i + offset);
        }
        self.next_at_sign.is_some_and(|at| at - i <= MAX_LOCAL_PART)
    }

    /// Whether an entity may start at `i`, whose character is `b` or starts with it.
    fn may_start_at(&self, i: usize, b: u8) -> bool {
        if !word_before(self.text, i) {
            // A digit after a digit group and a separator is the tail of that run, unless the
            // run was the previous finding.
            let digit = b.is_ascii_digit()
                || (b >= 0xc0 && digit_at(self.text, i, Digits::AnyScript).is_some());
            return !digit || !self.continues_a_digit_run(i);
        }
        // A plus sign straight after a finding starts a new one (`…1111+49 151 23456789`).
        plus_at(self.text, i).is_some() && self.last_end == Some(i)
    }

    /// Whether the digit at `i` is the tail of a longer run of digit groups (`... 3704 0044
    /// 0532`) that starts at a word boundary and was not found as an entity: such a tail is
    /// not a number of its own, since the run as a whole was not one.
    fn continues_a_digit_run(&self, i: usize) -> bool {
        let text = self.text;
        let before = byte_at(text, i.wrapping_sub(1));
        let separator = if matches!(before, b' ' | b'-' | b'.') {
            1
        } else if before < 0x80 {
            // No other ASCII byte separates groups, nor ends a multi-byte separator.
            return false;
        } else {
            let Some(len) = (2..=3).find(|&len| {
                i.checked_sub(len)
                    .is_some_and(|s| separator_at(text, s, Separators::Phone) == Some(len))
            }) else {
                return false;
            };
            len
        };
        let run_end = i - separator;
        if self.last_end == Some(run_end) || digit_before(text, run_end).is_none() {
            return false;
        }
        let mut k = run_end;
        while let Some(len) = digit_before(text, k) {
            k -= len;
        }
        !word_before(text, k)
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
            // Entities start with an ASCII letter or digit, `+`, `(`, or (phones) a digit,
            // plus sign or parenthesis of another script, whose first byte is at least 0xc0.
            let candidate = b.is_ascii_alphanumeric() || b == b'+' || b == b'(' || b >= 0xc0;
            if candidate
                && self.may_start_at(i, b)
                && let emails = self.email_possible(i)
                && let Some((entity, end)) = start_at(text, i, Lookahead::NextEntity, emails)
            {
                self.pos = end;
                self.last_end = Some(end);
                return Some(Finding {
                    entity,
                    start: i,
                    end,
                });
            }
            i += 1;
            if is_word_byte(b) {
                // Skip the rest of the word in one go.
                i += text
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|b| is_word_byte(**b))
                    .count();
            }
        }
        self.pos = text.len();
        None
    }
}

/// The entity that starts at `i` and its end, trying each kind that can start with the
/// character there. The caller has checked that an entity may start at `i` at all.
pub(super) fn entity_at(text: &[u8], i: usize, lookahead: Lookahead) -> Option<(Entity, usize)> {
    start_at(text, i, lookahead, true)
}

/// [`entity_at`], trying e-mail addresses only where `emails` says one is possible.
#[inline(always)]
fn start_at(text: &[u8], i: usize, lookahead: Lookahead, emails: bool) -> Option<(Entity, usize)> {
    let b = byte_at(text, i);
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => {
            if emails && let Some(end) = email(text, i) {
                return Some((Entity::Email, end));
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
        b'0'..=b'9' => {
            if emails && let Some(end) = email(text, i) {
                return Some((Entity::Email, end));
            }
            if let Some(end) = international_after_double_zero(text, i, lookahead) {
                return Some((Entity::Phone, end));
            }
            if b != b'0'
                && let Some(end) = card(text, i, lookahead)
            {
                return Some((Entity::Card, end));
            }
            if let Some(end) = ipv4(text, i).or_else(|| ipv6(text, i)) {
                return Some((Entity::Ip, end));
            }
            national(text, i, lookahead).map(|end| (Entity::Phone, end))
        }
        b'+' | b'(' | 0xc0.. => other_start(text, i, lookahead),
        _ => None,
    }
}

/// An international number written with `00` (in any script) at `i`: its end.
fn international_after_double_zero(text: &[u8], i: usize, lookahead: Lookahead) -> Option<usize> {
    let (0, first) = digit_at(text, i, Digits::AnyScript)? else {
        return None;
    };
    let (0, second) = digit_at(text, i + first, Digits::AnyScript)? else {
        return None;
    };
    let code = i + first + second;
    digit_at(text, code, Digits::AnyScript)?;
    international(text, code, lookahead)
}

/// A phone that starts with a plus sign, a parenthesis, or a digit of another script.
fn other_start(text: &[u8], i: usize, lookahead: Lookahead) -> Option<(Entity, usize)> {
    let phone = |end| (Entity::Phone, end);
    if let Some(plus) = plus_at(text, i) {
        digit_at(text, i + plus, Digits::AnyScript)?;
        return international(text, i + plus, lookahead).map(phone);
    }
    if open_paren_at(text, i).is_some() {
        return national(text, i, lookahead).map(phone);
    }
    digit_at(text, i, Digits::AnyScript)?;
    international_after_double_zero(text, i, lookahead)
        .or_else(|| national(text, i, lookahead))
        .map(phone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Entity, &str)> {
        Findings::new(text.as_bytes())
            .map(|f| (f.entity(), &text[f.range()]))
            .collect()
    }

    #[test]
    fn tails_of_digit_runs() {
        let tails = |text: &[u8], i| Findings::new(text).continues_a_digit_run(i);
        let text = b"iban DE89 3704 0044 0532";
        assert!(!tails(text, 10));
        assert!(tails(text, 15));
        assert!(tails(b"1 2", 2));
        assert!(!tails(b"a1 2", 3));
        assert!(!tails(b"1, 2", 3));
        assert!(tails("\u{661}\u{a0}2".as_bytes(), 4));
        // The run before was found: what follows starts afresh.
        let mut after_a_finding = Findings::new(b"1 2");
        after_a_finding.last_end = Some(1);
        assert!(!after_a_finding.continues_a_digit_run(2));
    }

    #[test]
    fn items_that_touch_are_each_found() {
        assert_eq!(
            found("call +49 151 12345678 192.168.10.20"),
            [
                (Entity::Phone, "+49 151 12345678"),
                (Entity::Ip, "192.168.10.20")
            ]
        );
        assert_eq!(
            found("10.0.0.7 4111 1111 1111 1111"),
            [
                (Entity::Ip, "10.0.0.7"),
                (Entity::Card, "4111 1111 1111 1111")
            ]
        );
        assert_eq!(
            found("4111 1111 1111 1111 5500 0000 0000 0004"),
            [
                (Entity::Card, "4111 1111 1111 1111"),
                (Entity::Card, "5500 0000 0000 0004")
            ]
        );
        assert_eq!(
            found("+49 151 23456789 1-415-555-0132"),
            [
                (Entity::Phone, "+49 151 23456789"),
                (Entity::Phone, "1-415-555-0132")
            ]
        );
        assert_eq!(
            found("DE89 3704 0044 0532 0130 00 0151 23456789"),
            [
                (Entity::Iban, "DE89 3704 0044 0532 0130 00"),
                (Entity::Phone, "0151 23456789")
            ]
        );
        assert_eq!(
            found("4111111111111111+4915123456789,jo@example.org"),
            [
                (Entity::Card, "4111111111111111"),
                (Entity::Phone, "+4915123456789"),
                (Entity::Email, "jo@example.org")
            ]
        );
        assert_eq!(
            found("+49 151 23456789 2001:db8::1"),
            [
                (Entity::Phone, "+49 151 23456789"),
                (Entity::Ip, "2001:db8::1")
            ]
        );
    }

    /// The readings [`DigitGroups::pick_end`](super::super::groups::DigitGroups::pick_end)
    /// documents, each a regression found by the property test over touching items.
    #[test]
    fn runs_that_read_two_ways_read_as_documented() {
        use Entity::{Card, Phone};
        let cases: [(&str, &[(Entity, &str)]); 8] = [
            (
                "+63 100 000 0054 90000 00000",
                &[(Phone, "+63 100 000 0054"), (Phone, "90000 00000")],
            ),
            (
                "+852 100 000 00 001 (200) 200-0000",
                &[(Phone, "+852 100 000 00"), (Phone, "001 (200) 200-0000")],
            ),
            (
                "+7 100 000 0000 0052 (200) 200-0000",
                &[(Phone, "+7 100 000 0000"), (Phone, "0052 (200) 200-0000")],
            ),
            (
                "+43 10000 00301 (200) 200-0000",
                &[(Phone, "+43 10000 00301"), (Phone, "(200) 200-0000")],
            ),
            (
                "+65 100 000 00 007 200 200 0000 001 100 000 0000",
                &[
                    (Phone, "+65 100 000 00"),
                    (Phone, "007 200 200 0000"),
                    (Phone, "001 100 000 0000"),
                ],
            ),
            (
                "+71000000000 4000 0011 0000 0009",
                &[(Phone, "+71000000000"), (Card, "4000 0011 0000 0009")],
            ),
            (
                "+46 100 000 003 210-200-0000",
                &[(Phone, "+46 100 000 003"), (Phone, "210-200-0000")],
            ),
            (
                "5103 2348 3061 7189 001 (200) 200-0000",
                &[(Card, "5103 2348 3061 7189"), (Phone, "001 (200) 200-0000")],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(found(text), expected, "{text}");
        }
    }

    #[test]
    fn phones_in_other_scripts() {
        for phone in [
            "+٤٩ ١٥١ ٢٣٤٥٦٧٨٩",
            "+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹",
            "+९१ ९८७६५ ४३२१०",
            "＋８１ ９０－１２３４－５６７８",
            "٠٠٩٧١ ٥٠ ١٢٣ ٤٥٦٧",
            "(４１５) ５５５-０１３２",
        ] {
            let text = format!("رقمي {phone}، شكرا");
            assert_eq!(found(&text), [(Entity::Phone, phone)], "{phone}");
        }
        // Inside a word or glued to a digit of another script: not a number of its own.
        assert_eq!(found("x٤٩١٥١٢٣٤٥٦٧٨٩"), []);
        assert_eq!(found("+٤٩ ١٥١ ٢٣٤٥٦٧٨٩٠١٢٣"), []);
    }

    #[test]
    fn emails_are_found_wherever_their_at_sign_is() {
        let long_local = format!("{}@example.org", "a".repeat(64));
        let too_long_local = format!("{}@example.org", "a".repeat(65));
        let text = format!(
            "{} jo@example.org then {} and ana@example.org, {long_local} {too_long_local}",
            "word ".repeat(40),
            "more ".repeat(40)
        );
        let emails: Vec<&str> = found(&text).into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            emails,
            ["jo@example.org", "ana@example.org", long_local.as_str()]
        );
        assert_eq!(found("no address here, 1 2 3"), []);
    }

    #[test]
    fn a_plus_sign_inside_a_word_starts_nothing() {
        assert_eq!(found("id+4915123456789"), []);
        assert_eq!(found("c++ 4915123456789"), []);
    }

    #[test]
    fn debug_shows_positions_only() {
        let f = Findings::new(b"call +49 151 23456789");
        assert_eq!(format!("{f:?}"), "Findings { len: 21, pos: 0, .. }");
    }
}
