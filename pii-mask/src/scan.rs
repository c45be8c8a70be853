//! A single-pass, hand-written scanner for personal data in free text.
//!
//! [`scan`] walks the bytes once and reports [`Finding`]s: byte ranges with an [`Entity`]
//! kind. It finds
//!
//! - **phone numbers** in international form (`+` or `00`, any calling code, grouped with
//!   spaces, dashes, dots or parentheses, an optional `(0)` trunk), checked against the
//!   numbering plan of `residency-core` for a plausible national length; and in national
//!   form for major markets: a trunk `0` number (DE, GB, FR, NL, TR, ZA, NG, ID, ...) whose
//!   length fits one of those plans, NANP `(415) 555-0132` / `415-555-0132` /
//!   `1-415-555-0132`, Indian `98765 43210` / `9876543210`, Brazilian `(11) 91234-5678`,
//!   Chinese `138 0013 8000`;
//! - **e-mail addresses** (dot-atom local part, at least two domain labels, alphabetic TLD);
//! - **payment cards**: 13 to 19 digits, contiguous or in the printed groupings (4-4-4-4,
//!   4-4-4-4-3, 4-6-5, 4-6-4) with spaces or dashes, Luhn-checked;
//! - **IBANs**: uppercase, optionally in groups of four, with the country's exact length and
//!   the mod-97 check;
//! - **IP addresses**: dotted-quad IPv4 and colon-hex IPv6 (with `::`, starting with a hex
//!   digit).
//!
//! Decoys such as order numbers, dates, times, prices, tracking codes and card numbers that
//! fail Luhn do not match. Everything the scanner reports is ASCII: bytes outside ASCII
//! (including invalid UTF-8) only ever act as separators, so no finding overlaps an invalid
//! sequence and nothing can panic on any input.
//!
//! ```
//! use pii_mask::scan::{self, Entity};
//!
//! let text = "call +49 151 23456789 or mail jo@example.org";
//! let found: Vec<_> = scan::scan(text.as_bytes()).collect();
//! assert_eq!(found.len(), 2);
//! assert_eq!(found[0].entity(), Entity::Phone);
//! assert_eq!(&text[found[0].range()], "+49 151 23456789");
//! assert_eq!(
//!     String::from_utf8(scan::redact(text.as_bytes())).unwrap(),
//!     "call [PHONE] or mail [EMAIL]"
//! );
//! ```

use std::fmt;
use std::ops::Range;

use residency_core::numbering;

use crate::PseudonymKey;
use crate::pseudonym::Kind;

/// What kind of personal data a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Entity {
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// A payment card number.
    Card,
    /// An IBAN.
    Iban,
    /// An IPv4 or IPv6 address.
    Ip,
}

impl Entity {
    /// The lowercase name used in `residency scan` output: `phone`, `email`, `card`, `iban`,
    /// `ip`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Card => "card",
            Self::Iban => "iban",
            Self::Ip => "ip",
        }
    }

    /// The placeholder [`redact`] writes: `[PHONE]`, `[EMAIL]`, `[CARD]`, `[IBAN]`, `[IP]`.
    pub const fn placeholder(self) -> &'static str {
        match self {
            Self::Phone => "[PHONE]",
            Self::Email => "[EMAIL]",
            Self::Card => "[CARD]",
            Self::Iban => "[IBAN]",
            Self::Ip => "[IP]",
        }
    }

    /// The pseudonym kind [`pseudonymize`] uses for this entity.
    pub const fn pseudonym_kind(self) -> Kind {
        match self {
            Self::Phone => Kind::Phone,
            Self::Email => Kind::Email,
            Self::Card => Kind::Card,
            Self::Iban => Kind::Iban,
            Self::Ip => Kind::Ip,
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of personal data found in a text: its kind and byte range.
///
/// A finding holds offsets only, never the text, so it is safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Finding {
    entity: Entity,
    start: usize,
    end: usize,
}

impl Finding {
    /// What was found.
    pub const fn entity(&self) -> Entity {
        self.entity
    }

    /// Byte offset of the first byte.
    pub const fn start(&self) -> usize {
        self.start
    }

    /// Byte offset one past the last byte.
    pub const fn end(&self) -> usize {
        self.end
    }

    /// `start..end`, to slice the scanned text with.
    pub const fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Scans `text` and yields its findings in order, without overlaps.
///
/// The iterator allocates nothing; run time is linear in the length of the text.
pub fn scan(text: &[u8]) -> Findings<'_> {
    Findings { text, pos: 0 }
}

/// The iterator [`scan`] returns.
#[derive(Clone)]
pub struct Findings<'a> {
    text: &'a [u8],
    pos: usize,
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
        let t = self.text;
        let mut i = self.pos;
        while let Some(&b) = t.get(i) {
            let found = if b.is_ascii_alphanumeric() {
                if i > 0 && is_word(at(t, i - 1)) {
                    // Inside a word: only word starts begin an entity.
                    None
                } else {
                    at_word_start(t, i)
                }
            } else if b == b'+' {
                if (i == 0 || !is_word(at(t, i - 1))) && at(t, i + 1).is_ascii_digit() {
                    international(t, i + 1).map(|end| (Entity::Phone, end))
                } else {
                    None
                }
            } else if b == b'(' {
                if (i == 0 || !is_word(at(t, i - 1))) && at(t, i + 1).is_ascii_digit() {
                    national(t, i).map(|end| (Entity::Phone, end))
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
            if is_word(b) {
                // Skip the rest of the word in one go.
                i += 1;
                while is_word(at(t, i)) {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        self.pos = t.len();
        None
    }
}

/// Replaces every finding in `text` with its placeholder (`[PHONE]`, `[EMAIL]`, ...).
///
/// Bytes outside findings, invalid UTF-8 included, are copied unchanged.
pub fn redact(text: &[u8]) -> Vec<u8> {
    replace(text, |f, _| f.entity.placeholder().to_owned())
}

/// Replaces every finding in `text` with its keyed [pseudonym](crate::pseudonym).
///
/// ```
/// use pii_mask::{PseudonymKey, scan};
///
/// let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
/// let out = scan::pseudonymize(b"mail jo@example.org", &key);
/// assert!(String::from_utf8(out).unwrap().starts_with("mail em_k1_"));
/// # Ok::<(), pii_mask::Error>(())
/// ```
pub fn pseudonymize(text: &[u8], key: &PseudonymKey) -> Vec<u8> {
    replace(text, |f, found| {
        // Findings are ASCII, so this never loses anything.
        let value = String::from_utf8_lossy(found);
        key.pseudonymize(f.entity.pseudonym_kind(), &value)
            .into_string()
    })
}

fn replace(text: &[u8], mut with: impl FnMut(&Finding, &[u8]) -> String) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut last = 0;
    for f in scan(text) {
        out.extend_from_slice(text.get(last..f.start).unwrap_or_default());
        let found = text.get(f.range()).unwrap_or_default();
        out.extend_from_slice(with(&f, found).as_bytes());
        last = f.end;
    }
    out.extend_from_slice(text.get(last..).unwrap_or_default());
    out
}

/// The byte at `i`, or 0 past the end (0 is no class the scanner looks for).
#[inline(always)]
fn at(t: &[u8], i: usize) -> u8 {
    t.get(i).copied().unwrap_or(0)
}

/// Word characters: an entity never starts or ends next to one.
#[inline(always)]
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn at_word_start(t: &[u8], i: usize) -> Option<(Entity, usize)> {
    let b = at(t, i);
    if let Some(end) = email(t, i) {
        return Some((Entity::Email, end));
    }
    if b.is_ascii_digit() {
        // The tail of a longer run of digit groups (`... 3704 0044 0532`) is not a number
        // of its own: the run as a whole was not one.
        if i >= 2 && matches!(at(t, i - 1), b' ' | b'-' | b'.') && at(t, i - 2).is_ascii_digit() {
            let mut k = i - 2;
            while k > 0 && at(t, k - 1).is_ascii_digit() {
                k -= 1;
            }
            if k == 0 || !is_word(at(t, k - 1)) {
                return None;
            }
        }
        if b == b'0'
            && at(t, i + 1) == b'0'
            && at(t, i + 2).is_ascii_digit()
            && let Some(end) = international(t, i + 2)
        {
            return Some((Entity::Phone, end));
        }
        if b != b'0'
            && let Some(end) = card(t, i)
        {
            return Some((Entity::Card, end));
        }
        if let Some(end) = ipv4(t, i) {
            return Some((Entity::Ip, end));
        }
        if let Some(end) = ipv6(t, i) {
            return Some((Entity::Ip, end));
        }
        return national(t, i).map(|end| (Entity::Phone, end));
    }
    if b.is_ascii_uppercase()
        && let Some(end) = iban(t, i)
    {
        return Some((Entity::Iban, end));
    }
    if b.is_ascii_hexdigit() {
        return ipv6(t, i).map(|end| (Entity::Ip, end));
    }
    None
}

// ---------------------------------------------------------------------------------------
// E-mail

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// An e-mail address starting at `i` (a word start): returns its end.
fn email(t: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j - i < 64 && is_local(at(t, j)) {
        j += 1;
    }
    if at(t, j) != b'@' || j == i || at(t, j - 1) == b'.' {
        return None;
    }
    // Domain: labels of [A-Za-z0-9-], not starting or ending with '-', separated by '.'.
    let mut k = j + 1;
    let mut labels = 0usize;
    let mut end = None;
    loop {
        let start = k;
        let mut alpha = true;
        while at(t, k).is_ascii_alphanumeric() || at(t, k) == b'-' {
            alpha &= at(t, k).is_ascii_alphabetic();
            k += 1;
        }
        let len = k - start;
        if len == 0 || len > 63 || at(t, start) == b'-' || at(t, k - 1) == b'-' {
            break;
        }
        labels += 1;
        if labels >= 2 && alpha && len >= 2 {
            end = Some(k);
        }
        if at(t, k) == b'.' && at(t, k + 1).is_ascii_alphanumeric() && k - j < 253 {
            k += 1;
        } else {
            break;
        }
    }
    let end = end?;
    // The address ends where its last alphabetic label ends, never inside a longer word.
    (!is_word(at(t, end))).then_some(end)
}

// ---------------------------------------------------------------------------------------
// Digit groups shared by cards and phones

/// Digit groups read from the text: the digits (ASCII), and where each group ends.
struct Groups {
    digits: [u8; MAX_DIGITS],
    len: usize,
    /// (digit count so far, text offset just past the group, group length, parenthesized)
    ends: [(u8, usize, u8, bool); MAX_GROUPS],
    count: usize,
    /// Whether the last group was followed directly by a word character.
    glued: bool,
}

const MAX_DIGITS: usize = 20;
const MAX_GROUPS: usize = 8;

impl Groups {
    fn digits(&self, n: usize) -> &[u8] {
        self.digits.get(..n.min(self.len)).unwrap_or_default()
    }
    fn lens(&self) -> impl Iterator<Item = u8> + '_ {
        self.ends.iter().take(self.count).map(|e| e.2)
    }
    /// The value of digit `k` (0 past the end).
    fn value(&self, k: usize) -> u8 {
        self.digits(self.len).get(k).map_or(0, |d| d - b'0')
    }
}

/// Reads digit groups from `i`: runs of digits separated by one of ` `, `-`, `.` or by
/// parentheses (`(415) 555`, `+44 (0)20`). `trunk` drops an `(0)` group. Stops after
/// [`MAX_DIGITS`] digits (returning `None`: too long for any phone or card) or
/// [`MAX_GROUPS`] groups.
fn groups(t: &[u8], mut i: usize, drop_trunk: bool) -> Option<Groups> {
    let mut g = Groups {
        digits: [0; MAX_DIGITS],
        len: 0,
        ends: [(0, 0, 0, false); MAX_GROUPS],
        count: 0,
        glued: false,
    };
    loop {
        let paren = at(t, i) == b'(';
        if paren {
            i += 1;
        }
        let start = i;
        while at(t, i).is_ascii_digit() {
            let slot = g.digits.get_mut(g.len)?;
            *slot = at(t, i);
            g.len += 1;
            i += 1;
        }
        let glen = i - start;
        if glen == 0 || (paren && at(t, i) != b')') {
            // A '(' without digits and ')' is not part of the number: end before it.
            return (g.count > 0).then_some(g);
        }
        if paren {
            i += 1;
        }
        if drop_trunk && paren && glen == 1 && g.count > 0 && at(t, start) == b'0' {
            // `+44 (0)20 ...`: the trunk digit is not dialled from abroad.
            g.len -= 1;
        } else {
            let slot = g.ends.get_mut(g.count)?;
            *slot = (g.len as u8, i, glen as u8, paren);
            g.count += 1;
        }
        // One separator (or none after a ')') before the next group.
        let sep = at(t, i);
        let next = at(t, i + 1);
        if matches!(sep, b' ' | b'-' | b'.') && (next.is_ascii_digit() || next == b'(') {
            i += 1;
        } else if at(t, i - 1) == b')' && sep.is_ascii_digit() {
            // `(415)555-0132`
        } else if sep == b'(' && at(t, i + 1).is_ascii_digit() {
            // `+44(0)20...`
        } else {
            g.glued = is_word(sep) || (sep == b'.' && next.is_ascii_digit());
            return Some(g);
        }
        if g.count >= MAX_GROUPS {
            return Some(g);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Payment cards

fn card(t: &[u8], i: usize) -> Option<usize> {
    // Cards use spaces or dashes only, and print in fixed groupings.
    let mut j = i;
    let mut digits = [0u8; 19];
    let mut n = 0usize;
    let mut lens = [0u8; 6];
    let mut groups = 0usize;
    let mut run = 0u8;
    loop {
        let b = at(t, j);
        if b.is_ascii_digit() {
            *digits.get_mut(n)? = b - b'0';
            n += 1;
            run += 1;
            j += 1;
        } else if matches!(b, b' ' | b'-') && at(t, j + 1).is_ascii_digit() {
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
    if !(13..=19).contains(&n) || !grouping_ok || is_word(at(t, j)) {
        return None;
    }
    luhn(digits.get(..n)?).then_some(j)
}

/// The Luhn check over decimal digits (0..=9 each).
pub(crate) fn luhn(digits: &[u8]) -> bool {
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

// ---------------------------------------------------------------------------------------
// Phones

/// An international number whose first calling-code digit is at `i` (after `+` or `00`).
fn international(t: &[u8], i: usize) -> Option<usize> {
    let g = groups(t, i, true)?;
    // The longest run of whole groups that is a plausible number wins.
    for k in (1..=g.count).rev() {
        let &(n, end, _, _) = g.ends.get(k - 1)?;
        if k == g.count && g.glued {
            continue;
        }
        let n = usize::from(n);
        if !(7..=15).contains(&n) {
            continue;
        }
        let digits = g.digits(n);
        let (code, cc_len) = numbering::split_calling_code(digits)?;
        let national = n - cc_len;
        // National significant numbers do not start with the trunk prefix 0, except in
        // Italy (+39 06 ...) and a few small plans that write it the same way.
        let first = digits.get(cc_len).copied().unwrap_or(b'0');
        if first == b'0' && !matches!(code.get(), 39 | 225 | 242 | 378 | 379) {
            continue;
        }
        if let Some((min, max)) = numbering::national_lengths(code)
            && (usize::from(min)..=usize::from(max)).contains(&national)
        {
            return Some(end);
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
fn national(t: &[u8], i: usize) -> Option<usize> {
    let g = groups(t, i, false)?;
    if g.glued || g.count == 0 {
        return None;
    }
    let n = g.len;
    let end = g.ends.get(g.count.checked_sub(1)?)?.1;
    let mut lens = [0u8; MAX_GROUPS];
    for (dst, src) in lens.iter_mut().zip(g.lens()) {
        *dst = src;
    }
    let lens = lens.get(..g.count)?;
    let parens = g.ends.iter().take(g.count).filter(|e| e.3).count();
    let first_paren = g.ends.first().is_some_and(|e| e.3);
    if parens > usize::from(first_paren) {
        return None;
    }
    let digit = |k: usize| g.value(k);

    // Trunk-zero markets: 0 then the national significant number.
    if digit(0) == 0 && digit(1) != 0 && (10..=12).contains(&n) && lens.first()? <= &5 {
        let nsn = n - 1;
        let plausible = TRUNK_ZERO_CODES.iter().any(|&cc| {
            numbering::split_calling_code(cc)
                .and_then(|(code, _)| numbering::national_lengths(code))
                .is_some_and(|(min, max)| (usize::from(min)..=usize::from(max)).contains(&nsn))
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

// ---------------------------------------------------------------------------------------
// IP addresses

fn ipv4(t: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for part in 0..4 {
        let start = j;
        let mut v = 0u32;
        while at(t, j).is_ascii_digit() && j - start < 3 {
            v = v * 10 + u32::from(at(t, j) - b'0');
            j += 1;
        }
        if j == start || v > 255 || at(t, j).is_ascii_digit() {
            return None;
        }
        if part < 3 {
            if at(t, j) != b'.' {
                return None;
            }
            j += 1;
        }
    }
    let glued = is_word(at(t, j)) || (at(t, j) == b'.' && at(t, j + 1).is_ascii_digit());
    (!glued).then_some(j)
}

fn ipv6(t: &[u8], i: usize) -> Option<usize> {
    // Cheap pre-check: a hex run followed by ':'.
    let mut j = i;
    while at(t, j).is_ascii_hexdigit() {
        j += 1;
    }
    if at(t, j) != b':' || j - i > 4 {
        return None;
    }
    let mut j = i;
    let mut groups = 0usize;
    let mut compressed = false;
    let mut end;
    loop {
        let start = j;
        while at(t, j).is_ascii_hexdigit() && j - start < 4 {
            j += 1;
        }
        if at(t, j).is_ascii_hexdigit() {
            return None;
        }
        if j > start {
            groups += 1;
        }
        end = j;
        if at(t, j) == b':' && at(t, j + 1) == b':' {
            if compressed {
                return None;
            }
            compressed = true;
            j += 2;
            end = j;
            if !at(t, j).is_ascii_hexdigit() {
                break;
            }
        } else if at(t, j) == b':' && at(t, j + 1).is_ascii_hexdigit() && j > start {
            j += 1;
        } else {
            break;
        }
        if groups > 8 {
            return None;
        }
    }
    let valid = if compressed { groups <= 7 } else { groups == 8 };
    let glued = is_word(at(t, end)) || at(t, end) == b':';
    (valid && !glued).then_some(end)
}

// ---------------------------------------------------------------------------------------
// IBAN

/// IBAN length per country (SWIFT IBAN registry).
fn iban_length(country: [u8; 2]) -> Option<usize> {
    let n = match &country {
        b"AD" => 24,
        b"AE" => 23,
        b"AL" => 28,
        b"AT" => 20,
        b"AZ" => 28,
        b"BA" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BI" => 27,
        b"BR" => 29,
        b"BY" => 28,
        b"CH" => 21,
        b"CR" => 22,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DJ" => 27,
        b"DK" => 18,
        b"DO" => 28,
        b"EE" => 20,
        b"EG" => 29,
        b"ES" => 24,
        b"FI" => 18,
        b"FK" => 18,
        b"FO" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GE" => 22,
        b"GI" => 23,
        b"GL" => 18,
        b"GR" => 27,
        b"GT" => 28,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IQ" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"JO" => 30,
        b"KW" => 30,
        b"KZ" => 20,
        b"LB" => 28,
        b"LC" => 32,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"LY" => 25,
        b"MC" => 27,
        b"MD" => 24,
        b"ME" => 22,
        b"MK" => 19,
        b"MN" => 20,
        b"MR" => 27,
        b"MT" => 31,
        b"MU" => 30,
        b"NI" => 28,
        b"NL" => 18,
        b"NO" => 15,
        b"OM" => 23,
        b"PK" => 24,
        b"PL" => 28,
        b"PS" => 29,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"RS" => 22,
        b"RU" => 33,
        b"SA" => 24,
        b"SC" => 31,
        b"SD" => 18,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"SO" => 23,
        b"ST" => 25,
        b"SV" => 28,
        b"TL" => 23,
        b"TN" => 24,
        b"TR" => 26,
        b"UA" => 29,
        b"VA" => 22,
        b"VG" => 24,
        b"XK" => 20,
        b"YE" => 30,
        _ => return None,
    };
    Some(n)
}

fn iban(t: &[u8], i: usize) -> Option<usize> {
    let country = [at(t, i), at(t, i + 1)];
    if !country[1].is_ascii_uppercase()
        || !at(t, i + 2).is_ascii_digit()
        || !at(t, i + 3).is_ascii_digit()
    {
        return None;
    }
    let want = iban_length(country)?;
    let mut chars = [0u8; 34];
    let mut n = 0usize;
    let mut j = i;
    while n < want {
        let b = at(t, j);
        if b.is_ascii_uppercase() || b.is_ascii_digit() {
            *chars.get_mut(n)? = b;
            n += 1;
            j += 1;
        } else if b == b' ' && n.is_multiple_of(4) && n > 0 && {
            let c = at(t, j + 1);
            c.is_ascii_uppercase() || c.is_ascii_digit()
        } {
            j += 1;
        } else {
            return None;
        }
    }
    if is_word(at(t, j)) {
        return None;
    }
    // mod-97 over the rearranged string (first four characters moved to the end).
    let body = chars.get(..n)?;
    let (head, tail) = body.split_at(4.min(body.len()));
    let mut rem = 0u32;
    for &c in tail.iter().chain(head) {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            let v = u32::from(c - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    (rem == 1).then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Entity, &str)> {
        scan(text.as_bytes())
            .map(|f| (f.entity(), &text[f.range()]))
            .collect()
    }

    #[test]
    fn finds_each_kind() {
        assert_eq!(
            kinds("ring +49 151 23456789 now"),
            [(Entity::Phone, "+49 151 23456789")]
        );
        assert_eq!(
            kinds("ring 0049 151 23456789"),
            [(Entity::Phone, "0049 151 23456789")]
        );
        assert_eq!(
            kinds("ring +1 (415) 555-0132."),
            [(Entity::Phone, "+1 (415) 555-0132")]
        );
        assert_eq!(
            kinds("ring +44 (0)20 7946 0958"),
            [(Entity::Phone, "+44 (0)20 7946 0958")]
        );
        assert_eq!(kinds("(415) 555-0132"), [(Entity::Phone, "(415) 555-0132")]);
        assert_eq!(
            kinds("mail a.b+c@mail.example.co.uk."),
            [(Entity::Email, "a.b+c@mail.example.co.uk")]
        );
        assert_eq!(
            kinds("card 4111 1111 1111 1111"),
            [(Entity::Card, "4111 1111 1111 1111")]
        );
        assert_eq!(
            kinds("iban DE89 3704 0044 0532 0130 00"),
            [(Entity::Iban, "DE89 3704 0044 0532 0130 00")]
        );
        assert_eq!(
            kinds("GB82WEST12345698765432"),
            [(Entity::Iban, "GB82WEST12345698765432")]
        );
        assert_eq!(kinds("from 192.168.1.20:"), [(Entity::Ip, "192.168.1.20")]);
        assert_eq!(
            kinds("v6 2001:db8::8a2e:370:7334 ok"),
            [(Entity::Ip, "2001:db8::8a2e:370:7334")]
        );
        assert_eq!(
            kinds("fe80:0:0:0:0:0:0:1"),
            [(Entity::Ip, "fe80:0:0:0:0:0:0:1")]
        );
    }

    #[test]
    fn national_forms_of_major_markets() {
        for phone in [
            "0151 23456789",   // DE mobile
            "030 12345678",    // DE Berlin
            "07700 900123",    // GB mobile
            "020 7946 0958",   // GB London
            "06 12 34 56 78",  // FR
            "98765 43210",     // IN
            "9876543210",      // IN
            "(11) 91234-5678", // BR mobile
            "(21) 3456-7890",  // BR landline
            "138 0013 8000",   // CN
            "415-555-0132",    // US
            "415.555.0132",    // US
            "1-415-555-0132",  // US
        ] {
            let text = format!("tel {phone}.");
            assert_eq!(kinds(&text), [(Entity::Phone, phone)], "{phone}");
        }
        for phone in [
            "+55 11 91234-5678",
            "+91 98765 43210",
            "+33 6 12 34 56 78",
            "+8613800138000",
        ] {
            assert_eq!(kinds(phone), [(Entity::Phone, phone)], "{phone}");
        }
    }

    #[test]
    fn implausible_lengths_are_not_phones() {
        // +33 wants 9 national digits, +44 at most 10: too short, too long, or no such code.
        // (A grouped number followed by more digit groups matches its plausible prefix.)
        for text in [
            "+33 6 12 34 56",
            "+4477009001234567",
            "+999 1234567",
            "0151 23",
        ] {
            assert_eq!(kinds(text), [], "{text}");
        }
    }

    #[test]
    fn decoys_do_not_match() {
        for text in [
            "order #A-20931 shipped",
            "order 4471-2209 ok",
            "on 2024-03-12 at 10:30",
            "on 12/03/2024 or 12.03.2024 at 18:45:00",
            "price $1,299.99 or € 49,90",
            "card 4111 1111 1111 1112",
            "tracking 1Z999AA10123456784",
            "DE89 3704 0044 0532 0130 01",
            "version 1.2.3",
            "mac 00:1A:2B:3C:4D:5E",
            "user@localhost",
            "",
        ] {
            assert_eq!(kinds(text), [], "{text}");
        }
    }

    #[test]
    fn invalid_utf8_is_a_separator() {
        let text = b"\xff+49 151 23456789\xfe\x80 x";
        let f: Vec<_> = scan(text).collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].range(), 1..17);
        assert_eq!(redact(text), b"\xff[PHONE]\xfe\x80 x".to_vec());
    }

    #[test]
    fn luhn_known_answers() {
        assert!(luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
    }
}
