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
//!   Chinese `138 0013 8000`; in [other scripts](#phones) too;
//! - **e-mail addresses** (dot-atom local part, at least two domain labels, alphabetic TLD);
//! - **payment cards**: 13 to 19 digits, contiguous or in the printed groupings (4-4-4-4,
//!   4-4-4-4-3, 4-6-5, 4-6-4) with spaces or dashes, Luhn-checked;
//! - **IBANs**: uppercase, optionally in groups of four, with the country's exact length and
//!   the mod-97 check;
//! - **IP addresses**: dotted-quad IPv4 and colon-hex IPv6 (with `::`, starting with a hex
//!   digit).
//!
//! Decoys such as order numbers, dates, times, prices, tracking codes and card numbers that
//! fail Luhn do not match.
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
//!
//! # Phones
//!
//! Phone numbers are read as libphonenumber reads them: digits may be ASCII, Arabic-Indic
//! (`٠١٢`), Extended Arabic-Indic as written in Persian and Urdu (`۰۱۲`), Devanagari (`०१२`)
//! or fullwidth (`０１２`), the plus sign may be fullwidth (`＋`), and groups may be separated
//! by no-break, narrow and ideographic spaces, hyphens, en dashes, minus signs and fullwidth
//! hyphens as well as by ` `, `-` and `.`. Cards, IBANs and IP addresses are ASCII only.
//!
//! ```
//! use pii_mask::scan;
//!
//! let text = "رقمي +٤٩ ١٥١ ٢٣٤٥٦٧٨٩ شكرا";
//! assert_eq!(
//!     String::from_utf8(scan::redact(text.as_bytes())).unwrap(),
//!     "رقمي [PHONE] شكرا"
//! );
//! ```
//!
//! # Items that touch
//!
//! Items written one after the other are each found, whether a comma, a newline or a single
//! space separates them, or nothing where the boundary is unambiguous (before a `+`).
//! Where a run of digit groups could end in more than one place, the scanner weighs each
//! possible end by what follows it: the end of the run, or another entity starting at the
//! next group (and up to two more after that one), so that every group belongs to an entity
//! where that is possible; a number's plausibility (its length against the numbering plan)
//! and the evidence of what follows (a Luhn check, a `00` prefix) break ties. The look-ahead
//! is bounded, so the work per byte stays bounded too.
//!
//! ```
//! use pii_mask::scan::{self, Entity};
//!
//! let kinds = |text: &str| -> Vec<(Entity, String)> {
//!     scan::scan(text.as_bytes()).map(|f| (f.entity(), text[f.range()].to_owned())).collect()
//! };
//! assert_eq!(
//!     kinds("call +49 151 12345678 192.168.10.20"),
//!     [(Entity::Phone, "+49 151 12345678".into()), (Entity::Ip, "192.168.10.20".into())]
//! );
//! assert_eq!(kinds("4111 1111 1111 1111 5500 0000 0000 0004").len(), 2);
//! ```
//!
//! # Untrusted input
//!
//! Any bytes may be scanned. Other non-ASCII characters and invalid UTF-8 only ever act as
//! separators, and multi-byte digits, signs and separators are recognized only as complete
//! UTF-8 sequences, so every finding starts and ends on a character boundary and is valid
//! UTF-8 (ASCII unless it is a phone written in another script). Nothing panics, nothing is
//! allocated, and run time is linear in the length of the text.

use std::fmt;
use std::ops::Range;

use crate::PseudonymKey;
use crate::pseudonym::Kind;

mod card;
mod email;
mod findings;
mod groups;
mod iban;
mod ip;
mod phone;
mod text;

pub use findings::Findings;

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
    Findings::new(text)
}

/// Replaces every finding in `text` with its placeholder (`[PHONE]`, `[EMAIL]`, ...).
///
/// Bytes outside findings, invalid UTF-8 included, are copied unchanged.
pub fn redact(text: &[u8]) -> Vec<u8> {
    replace(text, |f, _| f.entity.placeholder().to_owned())
}

/// Replaces every finding in `text` with its keyed [pseudonym](crate::pseudonym).
///
/// Phones get the same token whatever script their digits are written in.
///
/// ```
/// use pii_mask::{PseudonymKey, scan};
///
/// let key = PseudonymKey::new("k1", b"an operator secret of 32 bytes!!")?;
/// let out = scan::pseudonymize(b"mail jo@example.org", &key);
/// assert!(String::from_utf8(out).unwrap().starts_with("mail em_k1_"));
/// # Ok::<(), pii_mask::MaskError>(())
/// ```
pub fn pseudonymize(text: &[u8], key: &PseudonymKey) -> Vec<u8> {
    replace(text, |f, found| {
        // Findings are valid UTF-8 (they start and end on character boundaries of complete
        // sequences), so this never loses anything.
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
}
