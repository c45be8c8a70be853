//! The E.164 numbering plan as compile-time tables: calling code and country of a number.
//!
//! Country calling codes are prefix-free, so the first 1 to 3 digits of an international
//! number give the code. 194 codes have a single region; 12 are shared and the region
//! follows from up to 6 more leading digits (NANP area codes, `+7 7` Kazakhstan, `+44 1481`
//! Guernsey, ...); 9 are non-geographic and attribute no country.
//!
//! The tables are compile-time data generated from libphonenumber's metadata (release
//! [`METADATA_VERSION`]) by `tools/numbering-plan` into `src/numbering/table.rs`, a reviewed file
//! (see the tool's README to regenerate it for a new release): the calling codes as a sorted
//! array with a dense index by code value (a perfect hash over `0..1000`), and the
//! leading-digit prefixes of shared codes as `phf` maps. For every *valid* number the
//! country equals libphonenumber's region (a differential test against `rlibphonenumber`
//! checks it). For an invalid number under a shared code, the prefixes still decide where
//! they can, and the code's main region (US for `+1`, GB for `+44`, ...) answers the rest.
//!
//! Lookups are allocation-free and need no start-up work:
//!
//! ```
//! use residency_core::numbering::{lookup, split_calling_code, PlanBasis};
//! use residency_core::Country;
//!
//! let m = lookup(b"18765550123").unwrap(); // +1 876: Jamaica, not the US
//! assert_eq!(m.country, Some(Country::from_static("JM")));
//! assert_eq!(m.calling_code.get(), 1);
//! assert_eq!(m.basis, PlanBasis::LeadingDigits);
//!
//! let m = lookup(b"77012345678").unwrap(); // +7 7: Kazakhstan, not Russia
//! assert_eq!(m.country, Some(Country::from_static("KZ")));
//!
//! let m = lookup(b"4915112345678").unwrap();
//! assert_eq!((m.country, m.basis), (Some(Country::from_static("DE")), PlanBasis::CallingCode));
//!
//! assert_eq!(lookup(b"80012345678").unwrap().country, None); // +800: non-geographic
//! assert!(lookup(b"2801234567").is_none()); // +280 is not assigned
//! assert_eq!(split_calling_code(b"447911123456").map(|(c, n)| (c.get(), n)), Some((44, 2)));
//! ```

use std::fmt;

use crate::country::Country;

// Generated and reviewed as data: keep its layout, and its keys are grouped by field
// (national length, prefix length, calling code, prefix), not by thousands.
#[rustfmt::skip]
#[allow(clippy::inconsistent_digit_grouping)]
mod table;

/// The libphonenumber metadata release the tables were generated from.
pub const METADATA_VERSION: &str = table::METADATA_VERSION;

/// One calling code's entry in the generated table.
#[derive(Debug, Clone, Copy)]
struct Code {
    /// The main region, `None` for non-geographic codes.
    main: Option<Country>,
    /// Whether several regions share the code.
    shared: bool,
    /// Lengths of the leading-digit prefixes listed under this code: bit `n - 1` for `n`.
    prefix_lens: u8,
    /// National number lengths for which `LENGTH_PREFIXES` holds entries under this code.
    length_rules: &'static [u8],
    /// Shortest national significant number of any region of the code.
    nsn_min: u8,
    /// Longest national significant number of any region of the code.
    nsn_max: u8,
}

/// Calling code value -> 1 + its position in `table::CODES` (0: unassigned), built at
/// compile time. Indexing by the code's value is a perfect hash over `0..1000`, so finding
/// the code of a number costs three array reads instead of three hash probes.
static INDEX: [u8; 1000] = {
    let mut index = [0u8; 1000];
    let mut i = 0;
    while i < table::CODES.len() {
        let code = table::CODES[i].0 as usize;
        assert!(
            code < 1000 && i < 255,
            "calling codes have at most 3 digits"
        );
        index[code] = (i + 1) as u8;
        i += 1;
    }
    index
};

/// The table entry of an assigned calling code.
fn entry(code: u16) -> Option<&'static Code> {
    let slot = *INDEX.get(usize::from(code))?;
    let i = usize::from(slot).checked_sub(1)?;
    table::CODES.get(i).map(|(_, c)| c)
}

/// An ITU-T E.164 country calling code (1 to 3 digits) that the numbering plan knows.
///
/// Values only come from the table, so every `CallingCode` is assigned.
///
/// ```
/// use residency_core::numbering::CallingCode;
/// let cc = CallingCode::new(44).unwrap();
/// assert_eq!(cc.get(), 44);
/// assert_eq!(cc.to_string(), "44");
/// assert!(CallingCode::new(280).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallingCode(u16);

impl CallingCode {
    /// The calling code `code` if the numbering plan assigns it.
    #[must_use]
    pub fn new(code: u16) -> Option<Self> {
        entry(code).is_some().then_some(Self(code))
    }

    /// The numeric value.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }

    /// Whether the code attributes no country (800, 808, 870, 878, 881, 882, 883, 888, 979).
    #[must_use]
    pub fn is_non_geographic(self) -> bool {
        entry(self.0).is_some_and(|c| c.main.is_none())
    }

    /// Whether several regions share the code (1, 7, 39, 44, 47, 61, 212, 262, 290, 358, 590,
    /// 599), so the region depends on the digits after it.
    #[must_use]
    pub fn is_shared(self) -> bool {
        entry(self.0).is_some_and(|c| c.shared)
    }

    /// The code's main region (the region of `+1` is US), `None` when non-geographic.
    #[must_use]
    pub fn main_country(self) -> Option<Country> {
        entry(self.0).and_then(|c| c.main)
    }

    /// Every calling code of the plan, in ascending order.
    pub fn all() -> impl Iterator<Item = Self> {
        table::CODES.iter().map(|&(code, _)| Self(code))
    }
}

impl serde::Serialize for CallingCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.0)
    }
}

impl fmt::Display for CallingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What decided the country of a number in the plan: the calling code alone, or the digits
/// after a shared code.
///
/// The plan's own answer; [`crate::attribution`] turns it into an attribution
/// [`Basis`](crate::Basis) (`From`), so the plan depends on nothing of attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlanBasis {
    /// The calling code alone (a code with a single region, or a non-geographic code).
    CallingCode,
    /// The calling code is shared and the digits after it decided (NANP area code, `+7 7`,
    /// `+44 1481`, ...), including the fallback to the code's main region.
    LeadingDigits,
}

/// What the numbering plan says about an international number.
///
/// A `Debug` print shows only the code and country, never the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanMatch {
    /// The number's calling code.
    pub calling_code: CallingCode,
    /// The country, `None` for non-geographic codes.
    pub country: Option<Country>,
    /// [`PlanBasis::CallingCode`] when the code alone decides (single-region or
    /// non-geographic codes), [`PlanBasis::LeadingDigits`] when the code is shared and the
    /// digits after it were consulted (including the fallback to the main region).
    pub basis: PlanBasis,
}

/// Splits the calling code off an international number given as ASCII digits (no `+`).
///
/// Returns the code and its length in digits, or `None` when no assigned code prefixes
/// `digits` (or a byte is not a digit before a code was found).
///
/// ```
/// use residency_core::numbering::split_calling_code;
/// assert_eq!(split_calling_code(b"5511987654321").map(|(c, n)| (c.get(), n)), Some((55, 2)));
/// assert_eq!(split_calling_code(b"0049"), None);
/// ```
#[must_use]
pub fn split_calling_code(digits: &[u8]) -> Option<(CallingCode, usize)> {
    let mut value: u16 = 0;
    for (i, &d) in digits.iter().take(3).enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u16::from(d - b'0');
        if value == 0 {
            return None;
        }
        if entry(value).is_some() {
            return Some((CallingCode(value), i + 1));
        }
    }
    None
}

/// The calling code and country of an international number given as ASCII digits (no `+`).
///
/// `None` means no assigned calling code prefixes the digits. Only the leading digits are
/// read (the code plus at most 6 more), and the number's length only where libphonenumber's
/// answer depends on it (NANP 7-digit `31x` numbers are CA); the length is not validated
/// here (attribution normalizes numbers before it looks them up). Never allocates, never
/// panics.
#[must_use]
pub fn lookup(digits: &[u8]) -> Option<PlanMatch> {
    let (calling_code, n) = split_calling_code(digits)?;
    let code = entry(calling_code.0)?;
    if !code.shared {
        return Some(PlanMatch {
            calling_code,
            country: code.main,
            basis: PlanBasis::CallingCode,
        });
    }
    let rest = digits.get(n..).unwrap_or_default();
    // Prefix values of every length up to 6, then the longest listed one wins.
    let mut values = [0u64; 6];
    let mut acc = 0u64;
    let mut usable = 0;
    for (slot, &d) in values.iter_mut().zip(rest) {
        if !d.is_ascii_digit() {
            break;
        }
        acc = acc * 10 + u64::from(d - b'0');
        *slot = acc;
        usable += 1;
    }
    let base = u64::from(calling_code.0) * 1_000_000;
    // Only lengths the table lists under this code are probed, longest first.
    let keys = (1..=usable)
        .rev()
        .filter(|len| code.prefix_lens & (1 << (len - 1)) != 0)
        .filter_map(|len: usize| {
            let value = values.get(len - 1)?;
            Some(len as u64 * 1_000_000_000 + base + value)
        });
    // A few prefixes also depend on the national number's length (NANP `31x`: 7-digit
    // numbers are Canadian UANs, 10-digit ones US): those rules come first.
    let by_length = u8::try_from(rest.len())
        .ok()
        .filter(|l| code.length_rules.contains(l))
        .and_then(|l| {
            keys.clone()
                .find_map(|key| table::LENGTH_PREFIXES.get(&(u64::from(l) * 10_000_000_000 + key)))
        });
    let country = by_length
        .or_else(|| keys.clone().find_map(|key| table::PREFIXES.get(&key)))
        .copied()
        .or(code.main);
    Some(PlanMatch {
        calling_code,
        country,
        basis: PlanBasis::LeadingDigits,
    })
}

/// Shortest and longest national significant number (digits after the calling code) that
/// any region of `code` allows, from the metadata's possible lengths.
///
/// Meant for plausibility checks (a free-text scanner), not validation.
///
/// ```
/// use residency_core::numbering::{national_lengths, CallingCode};
/// assert_eq!(national_lengths(CallingCode::new(33).unwrap()), Some((9, 9)));
/// ```
#[must_use]
pub fn national_lengths(code: CallingCode) -> Option<(u8, u8)> {
    entry(code.0)
        .map(|c| (c.nsn_min, c.nsn_max))
        .filter(|&(min, max)| min > 0 && min <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(digits: &str) -> Option<Country> {
        lookup(digits.as_bytes()).and_then(|m| m.country)
    }

    fn cc(s: &'static str) -> Option<Country> {
        Some(Country::from_static(s))
    }

    #[test]
    fn table_has_every_code_from_the_issue() {
        assert_eq!(CallingCode::all().count(), 215);
        let non_geo: Vec<u16> = CallingCode::all()
            .filter(|c| c.is_non_geographic())
            .map(CallingCode::get)
            .collect();
        assert_eq!(non_geo, [800, 808, 870, 878, 881, 882, 883, 888, 979]);
        let shared: Vec<u16> = CallingCode::all()
            .filter(|c| c.is_shared())
            .map(CallingCode::get)
            .collect();
        assert_eq!(shared, [1, 7, 39, 44, 47, 61, 212, 262, 290, 358, 590, 599]);
    }

    #[test]
    fn shared_codes_split_by_leading_digits() {
        assert_eq!(country("12125550123"), cc("US"));
        assert_eq!(country("14165550123"), cc("CA"));
        assert_eq!(country("18765550123"), cc("JM"));
        assert_eq!(country("13106253"), cc("CA")); // 7-digit UAN
        assert_eq!(country("13105550123"), cc("US")); // Los Angeles
        assert_eq!(country("18002345678"), cc("US"));
        assert_eq!(country("18001123456"), cc("DO"));
        assert_eq!(country("79161234567"), cc("RU"));
        assert_eq!(country("77012345678"), cc("KZ"));
        assert_eq!(country("441481123456"), cc("GG"));
        assert_eq!(country("441534123456"), cc("JE"));
        assert_eq!(country("447624123456"), cc("IM"));
        assert_eq!(country("447700900123"), cc("GB"));
        assert_eq!(country("390669812345"), cc("VA"));
        assert_eq!(country("390612345678"), cc("IT"));
        assert_eq!(country("4779012345"), cc("SJ"));
        assert_eq!(country("35818123456"), cc("AX"));
        assert_eq!(country("358401234567"), cc("FI"));
        assert_eq!(country("262269601234"), cc("YT"));
        assert_eq!(country("262262123456"), cc("RE"));
        assert_eq!(country("590590271234"), cc("BL"));
        assert_eq!(country("590690001234"), cc("GP"));
        assert_eq!(country("5993181234"), cc("BQ"));
        assert_eq!(country("5999461234"), cc("CW"));
        assert_eq!(country("29081234"), cc("TA"));
        assert_eq!(country("29022123"), cc("SH"));
        assert_eq!(country("212528123456"), cc("MA"));
        assert_eq!(country("61891621234"), cc("CC"));
        assert_eq!(country("61412345678"), cc("AU"));
    }

    #[test]
    fn short_input_under_a_shared_code_falls_back_to_the_main_region() {
        assert_eq!(country("1"), cc("US"));
        assert_eq!(country("187"), cc("US"));
        assert_eq!(country("4414"), cc("GB"));
        let m = lookup(b"44").unwrap();
        assert_eq!(m.basis, PlanBasis::LeadingDigits);
    }

    #[test]
    fn non_geographic_and_unknown_codes() {
        let m = lookup(b"80012345678").unwrap();
        assert_eq!((m.calling_code.get(), m.country), (800, None));
        assert!(lookup(b"").is_none());
        assert!(lookup(b"0").is_none());
        assert!(lookup(b"28012").is_none());
        assert!(lookup(b"+49").is_none());
        assert!(lookup(b"4x").is_none());
    }

    #[test]
    fn non_digits_after_the_code_stop_the_prefix_walk() {
        assert_eq!(country("1876x"), cc("JM"));
        assert_eq!(country("18x6"), cc("US"));
    }

    #[test]
    fn national_lengths_cover_known_numbers() {
        let (min, max) = national_lengths(CallingCode::new(49).unwrap()).unwrap();
        assert!(min <= 11 && max >= 11);
        let (min, max) = national_lengths(CallingCode::new(1).unwrap()).unwrap();
        assert!(min <= 10 && max == 10);
        for code in CallingCode::all() {
            let (min, max) = national_lengths(code).unwrap();
            assert!(min >= 2 && max <= 17 && min <= max, "{code}");
        }
    }
}
