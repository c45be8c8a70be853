//! Attribution of one party to a country: from a phone number, else from the ISO prefix of a
//! business-scoped user id, else nothing (with the reason).
//!
//! ```
//! use residency_core::attribution::{attribute, Basis, Unattributed};
//! use residency_core::Country;
//!
//! let a = attribute(Some("+44 1481 256789"), None);
//! assert_eq!(a.country, Some(Country::from_static("GG")));
//! assert_eq!(a.basis, Basis::LeadingDigits);
//!
//! // No phone (usernames): the business-scoped user id carries the country.
//! let a = attribute(None, Some("US.13491208655302741918"));
//! assert_eq!((a.country, a.basis), (Some(Country::from_static("US")), Basis::UserIdPrefix));
//!
//! // WASender `@lid` ids carry no country: unattributed, with the reason.
//! let a = attribute(Some("123456789@lid"), None);
//! assert_eq!((a.country, a.reason), (None, Some(Unattributed::NoPhone)));
//! ```
//!
//! Every function here is total: bad input gives an unattributed result, never a panic, and
//! nothing here allocates.

use std::fmt;

use serde::{Serialize, Serializer};

use wa_payload::Address;

use crate::country::Country;
use crate::numbering::{self, CallingCode, PlanBasis};

/// Most digits an E.164 number may have, calling code included.
pub const MAX_DIGITS: usize = 15;
/// Fewest digits accepted: the shortest number the plan allows (a 2-digit code such as
/// `+43` or `+49` with a 4-digit national number).
pub const MIN_DIGITS: usize = 6;
/// Longest business-scoped user id accepted, in bytes.
pub const MAX_USER_ID_LEN: usize = 128;

/// What an attribution rests on, so a caller can judge its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Basis {
    /// The calling code alone (a code with a single region, or a non-geographic code).
    CallingCode,
    /// The calling code is shared and the digits after it decided (NANP area code, `+7 7`,
    /// `+44 1481`, ...), including the fallback to the code's main region.
    LeadingDigits,
    /// The `CC.` prefix of a business-scoped user id.
    UserIdPrefix,
    /// The item concerns the business (management fields), routed by WABA or phone number id.
    Business,
    /// Nothing attributed the item: it goes to the default region.
    Default,
}

impl Basis {
    /// The snake_case identifier (`calling_code`, `leading_digits`, `user_id_prefix`,
    /// `business`, `default`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallingCode => "calling_code",
            Self::LeadingDigits => "leading_digits",
            Self::UserIdPrefix => "user_id_prefix",
            Self::Business => "business",
            Self::Default => "default",
        }
    }
}

impl From<PlanBasis> for Basis {
    /// The plan's answer as an attribution basis: the plan knows only phone numbers.
    fn from(basis: PlanBasis) -> Self {
        match basis {
            PlanBasis::CallingCode => Self::CallingCode,
            PlanBasis::LeadingDigits => Self::LeadingDigits,
        }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Basis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why a party got no country. Messages name the problem, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Unattributed {
    /// Neither a phone nor a user id was present.
    #[error("party is missing")]
    Missing,
    /// The field was present but empty (or only separators).
    #[error("party identifier is empty")]
    Empty,
    /// The phone holds a character other than digits, a leading `+`, spaces, `-`, `.`,
    /// `(` and `)`.
    #[error("phone number has a character that is not a digit or separator")]
    NonDigit,
    /// Fewer digits than the shortest number of the plan ([`MIN_DIGITS`]).
    #[error("phone number has fewer than 6 digits")]
    TooShort,
    /// More digits than E.164 allows ([`MAX_DIGITS`]).
    #[error("phone number has more than 15 digits")]
    TooLong,
    /// No assigned calling code starts the number.
    #[error("phone number has an unknown calling code")]
    UnknownCallingCode,
    /// The calling code is non-geographic (`+800`, `+882`, ...): no country.
    #[error("phone number is under a non-geographic calling code")]
    NonGeographic,
    /// The user id is not `CC.` followed by an id (CC two uppercase ISO letters).
    #[error("user id is malformed")]
    MalformedUserId,
    /// The identifier is not a phone (a WASender `@lid`, group or broadcast id).
    #[error("identifier carries no phone number")]
    NoPhone,
}

impl Unattributed {
    /// The snake_case identifier (`missing`, `non_digit`, `no_phone`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Empty => "empty",
            Self::NonDigit => "non_digit",
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::UnknownCallingCode => "unknown_calling_code",
            Self::NonGeographic => "non_geographic",
            Self::MalformedUserId => "malformed_user_id",
            Self::NoPhone => "no_phone",
        }
    }
}

impl Serialize for Unattributed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The country of one party, with what it rests on.
///
/// It holds no personal data (no digits, no id), so `Debug` is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Attribution {
    /// The country, if one applies.
    pub country: Option<Country>,
    /// What the answer rests on.
    pub basis: Basis,
    /// The calling code, when the party was a phone with a known code.
    pub calling_code: Option<CallingCode>,
    /// Why no country applies, when `country` is `None`.
    pub reason: Option<Unattributed>,
}

impl Attribution {
    /// An unattributed party: no country, [`Basis::Default`], with the reason.
    ///
    /// ```
    /// use residency_core::attribution::{Attribution, Basis, Unattributed};
    /// let a = Attribution::unattributed(Unattributed::Missing);
    /// assert_eq!((a.country, a.basis), (None, Basis::Default));
    /// ```
    #[must_use]
    pub const fn unattributed(reason: Unattributed) -> Self {
        Self {
            country: None,
            basis: Basis::Default,
            calling_code: None,
            reason: Some(reason),
        }
    }

    /// An item that concerns the business rather than a user (management fields): no
    /// country, [`Basis::Business`]; the policy routes it by WABA or phone number id.
    #[must_use]
    pub const fn business() -> Self {
        Self {
            country: None,
            basis: Basis::Business,
            calling_code: None,
            reason: None,
        }
    }

    /// Whether a country applies.
    #[must_use]
    pub const fn is_attributed(&self) -> bool {
        self.country.is_some()
    }
}

/// Normalises a phone number to its E.164 digits in `out`, returning them.
///
/// Accepts ASCII digits with an optional leading `+` (or international `00` prefix when there
/// is no `+`), and the separators space, `-`, `.`, `(` and `)`; surrounding whitespace is
/// trimmed. Rejects any other character, and digit counts outside
/// [`MIN_DIGITS`]`..=`[`MAX_DIGITS`]. Never allocates.
///
/// ```
/// use residency_core::attribution::{normalize_phone, Unattributed};
/// let mut buf = [0u8; 15];
/// assert_eq!(normalize_phone("+49 (151) 234-56.78", &mut buf), Ok(&b"491512345678"[..]));
/// assert_eq!(normalize_phone("0049 151 2345678", &mut buf).map(|d| d.len()), Ok(12));
/// assert_eq!(normalize_phone("49151x", &mut buf), Err(Unattributed::NonDigit));
/// ```
pub fn normalize_phone<'a>(raw: &str, out: &'a mut [u8; 15]) -> Result<&'a [u8], Unattributed> {
    let s = raw.trim();
    let (plus, body) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s.is_empty() {
        return Err(Unattributed::Empty);
    }
    // One pass: validate, drop separators and a leading `00`, copy at most 15 digits.
    let mut skip = if !plus && body.starts_with("00") {
        2
    } else {
        0
    };
    let mut total = 0usize;
    for b in body.bytes() {
        match b {
            b'0'..=b'9' if skip > 0 => skip -= 1,
            b'0'..=b'9' => {
                if let Some(slot) = out.get_mut(total) {
                    *slot = b;
                }
                total += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => return Err(Unattributed::NonDigit),
        }
    }
    if total == 0 {
        return Err(Unattributed::Empty);
    }
    if total > MAX_DIGITS {
        return Err(Unattributed::TooLong);
    }
    if total < MIN_DIGITS {
        return Err(Unattributed::TooShort);
    }
    Ok(out.get(..total).unwrap_or_default())
}

/// Attributes a phone number (`+49 151 ...`, `4915...`, `00 49 ...`) or a WhatsApp JID
/// (`4915...@s.whatsapp.net`, `...@c.us`, with an optional `.agent` and `:device` suffix), read
/// by [`wa_payload::Address`].
///
/// Other JIDs (`@lid`, `@g.us`, `@broadcast`, `@newsletter`) give [`Unattributed::NoPhone`].
/// A field holding nothing but a calling code (`"49"`, as pii-mask's strip mode leaves it)
/// attributes to the code's main region on the [`Basis::CallingCode`] basis. Zero allocation.
///
/// ```
/// use residency_core::attribution::{attribute_phone, Basis, Unattributed};
/// use residency_core::Country;
///
/// let a = attribute_phone("18765550123");
/// assert_eq!(a.country, Some(Country::from_static("JM")));
/// assert_eq!(a.calling_code.map(|c| c.get()), Some(1));
/// assert_eq!(attribute_phone("+882 16 1234 5678").reason, Some(Unattributed::NonGeographic));
/// assert_eq!(attribute_phone("").reason, Some(Unattributed::Empty));
/// ```
#[must_use]
pub fn attribute_phone(raw: &str) -> Attribution {
    // What Cloud API phone fields hold: 6 to 15 digits, maybe after a `+`. They read the same
    // through the address parser and `normalize_phone` (no `@`, nothing to trim or drop), so
    // they go straight to the plan.
    match plain_digits(raw) {
        Some(digits) => attribute_digits(digits),
        None => attribute_address(raw),
    }
}

/// [`attribute_phone`] for any other value: read as an address, then normalized.
fn attribute_address(raw: &str) -> Attribution {
    // One address parser for the workspace: the same forms the routing scan and the masker
    // read. Bare text that is not a phone number goes on to be reported precisely.
    let number = match Address::parse(raw) {
        Address::Phone(p) => p,
        Address::Other(_) if !raw.contains('@') => raw,
        _ => return Attribution::unattributed(Unattributed::NoPhone),
    };
    let mut buf = [0u8; MAX_DIGITS];
    let digits = match normalize_phone(number, &mut buf) {
        Ok(d) => d,
        Err(Unattributed::TooShort) => {
            return bare_calling_code(number)
                .unwrap_or_else(|| Attribution::unattributed(Unattributed::TooShort));
        }
        Err(reason) => return Attribution::unattributed(reason),
    };
    attribute_digits(digits)
}

/// `raw` without its `+`, when it is `+`-less or `+` followed by [`MIN_DIGITS`] to
/// [`MAX_DIGITS`] ASCII digits (and, without `+`, does not start with the `00` that
/// [`normalize_phone`] drops): then `raw` normalizes to exactly these digits.
#[inline]
fn plain_digits(raw: &str) -> Option<&[u8]> {
    let bytes = raw.as_bytes();
    let digits = match bytes.split_first() {
        Some((b'+', rest)) => rest,
        _ if bytes.starts_with(b"00") => return None,
        _ => bytes,
    };
    ((MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) && all_digits(digits)).then_some(digits)
}

/// Whether `s` (6 to 16 bytes) is all ASCII digits: two overlapping word loads cover it,
/// each tested eight bytes at a time (no loop over the bytes).
#[inline]
fn all_digits(s: &[u8]) -> bool {
    // A byte is a digit iff its high nibble is 3 and adding 6 keeps it 3 (0x3a..0x3f become
    // 0x40..0x45). Bytes whose high nibble is not 3 fail the first test, so a carry between
    // bytes in the second never hides one.
    fn digits(w: u64) -> bool {
        const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
        const THREES: u64 = 0x3030_3030_3030_3030;
        w & HIGH == THREES && w.wrapping_add(0x0606_0606_0606_0606) & HIGH == THREES
    }
    let n = s.len();
    let word = |at: usize| -> Option<u64> {
        s.get(at..)?
            .first_chunk::<8>()
            .map(|b| u64::from_le_bytes(*b))
    };
    let half = |at: usize| -> Option<u64> {
        // Four bytes, the rest of the word filled with the digit zero.
        let b = s.get(at..)?.first_chunk::<4>()?;
        Some(u64::from(u32::from_le_bytes(*b)) | 0x3030_3030_0000_0000)
    };
    let (head, tail) = if n >= 8 {
        (word(0), word(n - 8))
    } else if n >= 4 {
        (half(0), half(n - 4))
    } else {
        return s.iter().all(u8::is_ascii_digit);
    };
    matches!((head, tail), (Some(h), Some(t)) if digits(h) && digits(t))
}

/// The attribution of normalized E.164 digits.
fn attribute_digits(digits: &[u8]) -> Attribution {
    match numbering::lookup(digits) {
        None => Attribution::unattributed(Unattributed::UnknownCallingCode),
        Some(m) => Attribution {
            country: m.country,
            basis: m.basis.into(),
            calling_code: Some(m.calling_code),
            reason: m.country.is_none().then_some(Unattributed::NonGeographic),
        },
    }
}

/// A phone field that holds only a calling code (`"49"`, `"+1"`): what pii-mask's strip mode
/// leaves of a number, so that a stripped body still routes by country. It attributes to the
/// code's main region (the United States for `1`, Russia for `7`), on the calling-code basis.
fn bare_calling_code(raw: &str) -> Option<Attribution> {
    let digits = raw.strip_prefix('+').unwrap_or(raw).as_bytes();
    if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (code, len) = numbering::split_calling_code(digits)?;
    if len != digits.len() {
        return None;
    }
    let country = code.main_country();
    Some(Attribution {
        country,
        basis: Basis::CallingCode,
        calling_code: Some(code),
        reason: country.is_none().then_some(Unattributed::NonGeographic),
    })
}

/// Attributes a business-scoped user id by its ISO prefix: `US.13491208655302741918` and
/// `US.ENT.11815799212886844830` are US.
///
/// The id must be two uppercase letters, a dot, then any of `A-Z a-z 0-9 . _ -`, at most
/// [`MAX_USER_ID_LEN`] bytes in all; anything else is [`Unattributed::MalformedUserId`]. The
/// prefix alone (`BR.`, what pii-mask's strip mode leaves of an id) still attributes.
///
/// ```
/// use residency_core::attribution::{attribute_user_id, Unattributed};
/// assert_eq!(attribute_user_id("BR.123").country.map(|c| c.to_string()), Some("BR".into()));
/// assert_eq!(attribute_user_id("uUS.123").reason, Some(Unattributed::MalformedUserId));
/// ```
#[must_use]
pub fn attribute_user_id(raw: &str) -> Attribution {
    if raw.is_empty() {
        return Attribution::unattributed(Unattributed::Empty);
    }
    let b = raw.as_bytes();
    let well_formed = b.len() <= MAX_USER_ID_LEN
        && b.get(2) == Some(&b'.')
        && b.len() >= 3
        && b.iter()
            .skip(3)
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    match b.get(..2).and_then(Country::from_bytes) {
        Some(country) if well_formed => Attribution {
            country: Some(country),
            basis: Basis::UserIdPrefix,
            calling_code: None,
            reason: None,
        },
        _ => Attribution::unattributed(Unattributed::MalformedUserId),
    }
}

/// Attributes one party: the phone first, else the user id, else nothing.
///
/// When neither yields a country, the phone's result is returned if a phone was given (its
/// reason is the more specific), else the user id's, else [`Unattributed::Missing`].
///
/// ```
/// use residency_core::attribution::{attribute, Unattributed};
/// assert_eq!(attribute(None, None).reason, Some(Unattributed::Missing));
/// let a = attribute(Some("1@lid"), Some("DE.42"));
/// assert_eq!(a.country.map(|c| c.to_string()), Some("DE".into()));
/// ```
#[must_use]
pub fn attribute(phone: Option<&str>, user_id: Option<&str>) -> Attribution {
    let from_phone = phone.map(attribute_phone);
    if let Some(a) = from_phone.filter(Attribution::is_attributed) {
        return a;
    }
    let from_user = user_id.map(attribute_user_id);
    if let Some(a) = from_user.filter(Attribution::is_attributed) {
        return a;
    }
    from_phone
        .or(from_user)
        .unwrap_or(Attribution::unattributed(Unattributed::Missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> Result<String, Unattributed> {
        let mut buf = [0u8; 15];
        normalize_phone(raw, &mut buf).map(|d| String::from_utf8_lossy(d).into_owned())
    }

    #[test]
    fn plain_digits_take_the_same_path_as_any_address() {
        let mut inputs: Vec<String> = Vec::new();
        let digits = "4915112345678901234";
        for len in 0..=digits.len() {
            for prefix in ["", "+", "00", "+00", "0", "++"] {
                inputs.push(format!("{prefix}{}", &digits[..len]));
            }
        }
        inputs.extend(
            [
                "18765550123",
                "13106253",
                "80012345678",
                "2801234567",
                "0012125550123",
                "+441481256789",
                "4915x12345",
                " 4915112345678",
                "4915112345678@s.whatsapp.net",
                "+",
                "",
            ]
            .map(String::from),
        );
        for raw in &inputs {
            assert_eq!(attribute_phone(raw), attribute_address(raw), "{raw:?}");
        }
        assert_eq!(plain_digits("+4915112345678"), Some(&b"4915112345678"[..]));
        assert_eq!(plain_digits("0049151123456"), None);
        assert_eq!(plain_digits("12345"), None);
    }

    #[test]
    fn all_digits_checks_every_byte_of_every_length() {
        for n in 0..=16 {
            let digits = &b"0123456789012345"[..n];
            assert!(all_digits(digits), "{n}");
            for i in 0..n {
                for bad in [b'/', b':', b'+', b' ', b'a', 0x00, 0xff, b'9' + 6, 0xc3] {
                    let mut v = digits.to_vec();
                    v[i] = bad;
                    assert!(!all_digits(&v), "{n} {i} {bad:#x}");
                }
            }
        }
    }

    #[test]
    fn plan_bases_become_attribution_bases() {
        assert_eq!(Basis::from(PlanBasis::CallingCode), Basis::CallingCode);
        assert_eq!(Basis::from(PlanBasis::LeadingDigits), Basis::LeadingDigits);
        assert_eq!(attribute_phone("4915112345678").basis, Basis::CallingCode);
        assert_eq!(attribute_phone("18765550123").basis, Basis::LeadingDigits);
    }

    #[test]
    fn normalises_separators_plus_and_double_zero() {
        assert_eq!(norm("+49 (151) 234-56.78").as_deref(), Ok("491512345678"));
        assert_eq!(norm("  0049151234567 ").as_deref(), Ok("49151234567"));
        assert_eq!(norm("447911123456").as_deref(), Ok("447911123456"));
        assert_eq!(norm("+123456789012345").map(|d| d.len()), Ok(15));
    }

    #[test]
    fn a_bare_calling_code_attributes_to_the_main_region() {
        let de = attribute_phone("49");
        assert_eq!(de.country, Some(Country::from_static("DE")));
        assert_eq!(de.basis, Basis::CallingCode);
        assert_eq!(de.reason, None);
        assert_eq!(
            attribute_phone("+1").country,
            Some(Country::from_static("US"))
        );
        assert_eq!(
            attribute_phone("7").country,
            Some(Country::from_static("RU"))
        );
        assert_eq!(
            attribute_phone("882").reason,
            Some(Unattributed::NonGeographic)
        );
        // Not a calling code, or more than one: still too short.
        assert_eq!(attribute_phone("4912").reason, Some(Unattributed::TooShort));
        assert_eq!(attribute_phone("42").reason, Some(Unattributed::TooShort));
        assert_eq!(attribute_phone("0").reason, Some(Unattributed::TooShort));
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(norm(""), Err(Unattributed::Empty));
        assert_eq!(norm("   "), Err(Unattributed::Empty));
        assert_eq!(norm("+"), Err(Unattributed::Empty));
        assert_eq!(norm("--"), Err(Unattributed::Empty));
        assert_eq!(norm("+1234567890123456"), Err(Unattributed::TooLong));
        assert_eq!(norm("4912"), Err(Unattributed::TooShort));
        assert_eq!(norm("49 151 abc"), Err(Unattributed::NonDigit));
        assert_eq!(norm("49+151234567"), Err(Unattributed::NonDigit));
        assert_eq!(norm("٤٩١٥١٢٣٤٥٦٧"), Err(Unattributed::NonDigit));
        assert_eq!(norm("00"), Err(Unattributed::Empty));
    }

    #[test]
    fn min_digits_is_the_shortest_number_the_plan_allows() {
        let shortest = CallingCode::all()
            .filter_map(|c| {
                let (min, _) = numbering::national_lengths(c)?;
                Some(c.to_string().len() + usize::from(min))
            })
            .min();
        assert_eq!(shortest, Some(MIN_DIGITS));
    }

    #[test]
    fn phone_results() {
        let a = attribute_phone("+7 701 234 5678");
        assert_eq!(a.country, Some(Country::from_static("KZ")));
        assert_eq!(a.basis, Basis::LeadingDigits);
        assert_eq!(a.reason, None);
        let a = attribute_phone("5511987654321");
        assert_eq!(a.country, Some(Country::from_static("BR")));
        assert_eq!(a.basis, Basis::CallingCode);
        let a = attribute_phone("2801234567");
        assert_eq!(a.reason, Some(Unattributed::UnknownCallingCode));
        assert_eq!(a.basis, Basis::Default);
        let a = attribute_phone("+80012345678");
        assert_eq!(
            (a.country, a.reason),
            (None, Some(Unattributed::NonGeographic))
        );
        assert_eq!(a.calling_code.map(CallingCode::get), Some(800));
    }

    #[test]
    fn jids() {
        let a = attribute_phone("5511987654321@s.whatsapp.net");
        assert_eq!(a.country, Some(Country::from_static("BR")));
        let a = attribute_phone("5511987654321:12@s.whatsapp.net");
        assert_eq!(a.country, Some(Country::from_static("BR")));
        assert_eq!(
            attribute_phone("4915123456789@c.us").country,
            Some(Country::from_static("DE"))
        );
        for jid in [
            "555@lid",
            "1203630@g.us",
            "status@broadcast",
            "1@newsletter",
            "@",
        ] {
            assert_eq!(
                attribute_phone(jid).reason,
                Some(Unattributed::NoPhone),
                "{jid}"
            );
        }
    }

    #[test]
    fn user_ids() {
        let a = attribute_user_id("US.ENT.11815799212886844830");
        assert_eq!(a.country, Some(Country::from_static("US")));
        assert_eq!(a.basis, Basis::UserIdPrefix);
        // The prefix alone, as pii-mask's strip mode leaves a user id, still routes.
        assert_eq!(
            attribute_user_id("BR.").country,
            Some(Country::from_static("BR"))
        );
        for bad in [
            "uUS.1",
            "us.1",
            "US",
            "U.S1",
            "US 1",
            "US.1 2",
            "US.<PARENT_BSUID>",
        ] {
            assert_eq!(
                attribute_user_id(bad).reason,
                Some(Unattributed::MalformedUserId),
                "{bad}"
            );
        }
        assert_eq!(attribute_user_id("").reason, Some(Unattributed::Empty));
        let long = format!("US.{}", "1".repeat(MAX_USER_ID_LEN));
        assert_eq!(
            attribute_user_id(&long).reason,
            Some(Unattributed::MalformedUserId)
        );
        assert_eq!(
            attribute_user_id("ÜS.1").reason,
            Some(Unattributed::MalformedUserId)
        );
    }

    #[test]
    fn phone_first_then_user_id() {
        let a = attribute(Some("4915123456789"), Some("US.1"));
        assert_eq!(a.country, Some(Country::from_static("DE")));
        let a = attribute(Some("bad"), Some("US.1"));
        assert_eq!(a.country, Some(Country::from_static("US")));
        let a = attribute(Some("bad"), Some("nope"));
        assert_eq!(a.reason, Some(Unattributed::NonDigit));
        let a = attribute(None, Some("nope"));
        assert_eq!(a.reason, Some(Unattributed::MalformedUserId));
        assert_eq!(
            attribute(None, None),
            Attribution::unattributed(Unattributed::Missing)
        );
    }

    #[test]
    fn messages_are_lowercase_and_value_free() {
        for r in [
            Unattributed::Missing,
            Unattributed::Empty,
            Unattributed::NonDigit,
            Unattributed::TooShort,
            Unattributed::TooLong,
            Unattributed::UnknownCallingCode,
            Unattributed::NonGeographic,
            Unattributed::MalformedUserId,
            Unattributed::NoPhone,
        ] {
            let m = r.to_string();
            assert!(m.chars().next().is_some_and(char::is_lowercase), "{m}");
            assert!(!m.ends_with('.'));
            assert!(!r.as_str().is_empty());
        }
    }

    #[test]
    fn serializes_as_identifiers() {
        let a = attribute_phone("4915123456789");
        let v = serde_json::to_value(a).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"country":"DE","basis":"calling_code","calling_code":49,"reason":null})
        );
    }
}
