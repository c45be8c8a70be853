//! ISO 3166-1 alpha-2 country codes: [`Country`] and its parse error.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 3166-1 alpha-2 country code, stored as two uppercase ASCII letters.
///
/// Any two letters are accepted, so user-assigned and exceptionally reserved codes that
/// libphonenumber uses (`XK` Kosovo, `AC` Ascension, `TA` Tristan da Cunha) fit too.
/// Parsing accepts either case and normalises to uppercase; serde uses the 2-letter string.
///
/// A country is not personal data on its own, so `Debug` shows it.
///
/// ```
/// use residency_core::Country;
///
/// let de: Country = "de".parse()?;
/// assert_eq!(de, Country::from_static("DE"));
/// assert_eq!(de.as_str(), "DE");
/// assert_eq!(de.to_string(), "DE");
/// # Ok::<(), residency_core::ParseCountryError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country([u8; 2]);

/// `AAABAC...ZZ`: every pair of uppercase letters, in [`Country`]'s index order.
const ALL_PAIRS: &str = {
    const BYTES: [u8; 2 * 26 * 26] = {
        let mut out = [0u8; 2 * 26 * 26];
        let mut i = 0;
        while i < 26 * 26 {
            out[2 * i] = b'A' + (i / 26) as u8;
            out[2 * i + 1] = b'A' + (i % 26) as u8;
            i += 1;
        }
        out
    };
    match std::str::from_utf8(&BYTES) {
        Ok(s) => s,
        Err(_) => panic!("ASCII letters are UTF-8"),
    }
};

impl Country {
    /// The country for a literal such as `"DE"`, checked at compile time in const context.
    ///
    /// # Panics
    ///
    /// Panics (at compile time when used in a `const`) unless `s` is exactly two uppercase
    /// ASCII letters. Use [`str::parse`] for untrusted input.
    ///
    /// ```
    /// use residency_core::Country;
    /// const BR: Country = Country::from_static("BR");
    /// assert_eq!(BR.as_str(), "BR");
    /// ```
    #[must_use]
    pub const fn from_static(s: &'static str) -> Self {
        match Self::from_bytes(s.as_bytes()) {
            Some(c) => c,
            None => panic!("country literal must be two uppercase ASCII letters"),
        }
    }

    /// The country for exactly two uppercase ASCII letters, or `None`.
    ///
    /// This is the allocation-free check used on hot paths (user-id prefixes, tables).
    ///
    /// ```
    /// use residency_core::Country;
    /// assert_eq!(Country::from_bytes(b"US"), Some(Country::from_static("US")));
    /// assert_eq!(Country::from_bytes(b"us"), None);
    /// assert_eq!(Country::from_bytes(b"USA"), None);
    /// ```
    #[must_use]
    pub const fn from_bytes(b: &[u8]) -> Option<Self> {
        match b {
            [a, c] if a.is_ascii_uppercase() && c.is_ascii_uppercase() => Some(Self([*a, *c])),
            _ => None,
        }
    }

    /// The two uppercase letters.
    ///
    /// ```
    /// use residency_core::Country;
    /// assert_eq!(Country::from_static("IN").as_str(), "IN");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        // Both bytes are uppercase letters by construction: a slice of the table of every
        // pair, checked UTF-8 at compile time (no `from_utf8` call per country).
        let [a, b] = self.0;
        let i = usize::from(a.wrapping_sub(b'A')) * 26 + usize::from(b.wrapping_sub(b'A'));
        ALL_PAIRS.get(2 * i..2 * i + 2).unwrap_or("??")
    }

    /// The two uppercase letters as bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> [u8; 2] {
        self.0
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

/// Why a string is not a [`Country`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseCountryError {
    /// The input does not have exactly two characters.
    #[error("country code must have exactly 2 letters")]
    Length,
    /// A character is not an ASCII letter.
    #[error("country code must be ASCII letters A-Z")]
    NotLetter,
}

impl FromStr for Country {
    type Err = ParseCountryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let [a, b] = s.as_bytes() else {
            return Err(ParseCountryError::Length);
        };
        if !a.is_ascii_alphabetic() || !b.is_ascii_alphabetic() {
            return Err(ParseCountryError::NotLetter);
        }
        Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Country;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 2-letter ISO 3166-1 country code")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Country, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_country_reads_back_as_its_two_letters() {
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let c = Country::from_bytes(&[a, b]).unwrap();
                assert_eq!(c.as_str().as_bytes(), [a, b]);
            }
        }
    }

    #[test]
    fn parses_and_normalises_case() {
        assert_eq!("gb".parse::<Country>().unwrap(), Country::from_static("GB"));
        assert_eq!("Gb".parse::<Country>().unwrap().as_str(), "GB");
    }

    #[test]
    fn rejects_bad_input_without_echoing_it() {
        assert_eq!("G".parse::<Country>(), Err(ParseCountryError::Length));
        assert_eq!("GBR".parse::<Country>(), Err(ParseCountryError::Length));
        assert_eq!("".parse::<Country>(), Err(ParseCountryError::Length));
        assert_eq!("G1".parse::<Country>(), Err(ParseCountryError::NotLetter));
        // A multi-byte character is not two letters.
        assert_eq!("é".parse::<Country>(), Err(ParseCountryError::NotLetter));
        let msg = "Z9".parse::<Country>().unwrap_err().to_string();
        assert!(!msg.contains("Z9"));
        assert_eq!(msg, "country code must be ASCII letters A-Z");
    }

    #[test]
    fn serde_round_trip_as_string() {
        let c = Country::from_static("BR");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"BR\"");
        assert_eq!(serde_json::from_str::<Country>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Country>("\"BRA\"").is_err());
        assert!(serde_json::from_str::<Country>("12").is_err());
    }

    #[test]
    fn debug_and_display() {
        let c = Country::from_static("JE");
        assert_eq!(format!("{c:?}"), "Country(JE)");
        assert_eq!(c.to_string(), "JE");
    }

    #[test]
    fn orders_alphabetically() {
        assert!(Country::from_static("AT") < Country::from_static("BE"));
        assert!(Country::from_static("AZ") < Country::from_static("BA"));
    }
}
