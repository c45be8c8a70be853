//! Operator-chosen processing regions: [`Region`] and its parse error.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest region name accepted, in bytes.
pub const MAX_REGION_LEN: usize = 32;

/// The name of a processing region, chosen by the operator (`EU`, `LATAM`, `eu-west-1` is not
/// allowed but `EU_WEST_1` and `EU-WEST-1` are).
///
/// A name is 1 to 32 characters of `A-Z`, `0-9`, `_` and `-`. The four regions of the
/// default policy are constants; names from configuration are parsed with [`str::parse`].
///
/// ```
/// use residency_core::Region;
///
/// let r: Region = "APAC".parse()?;
/// assert_eq!(r.as_str(), "APAC");
/// assert_eq!(Region::EU.to_string(), "EU");
/// assert!("apac".parse::<Region>().is_err());
/// # Ok::<(), residency_core::ParseRegionError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(Cow<'static, str>);

impl Region {
    /// The European region of the default policy: GDPR (EU, EEA), UK, crown dependencies, CH.
    pub const EU: Self = Self::from_static("EU");
    /// The Latin American region of the default policy: BR (LGPD) and Latin America.
    pub const LATAM: Self = Self::from_static("LATAM");
    /// The Indian region of the default policy (DPDP).
    pub const INDIA: Self = Self::from_static("INDIA");
    /// The default region of the default policy: everything else and unattributed items.
    pub const US: Self = Self::from_static("US");

    /// A region from a literal, checked at compile time in const context.
    ///
    /// # Panics
    ///
    /// Panics (at compile time when used in a `const`) unless `s` is a valid region name.
    ///
    /// ```
    /// use residency_core::Region;
    /// const APAC: Region = Region::from_static("APAC");
    /// assert_eq!(APAC.as_str(), "APAC");
    /// ```
    #[must_use]
    pub const fn from_static(s: &'static str) -> Self {
        match check(s.as_bytes()) {
            Ok(()) => Self(Cow::Borrowed(s)),
            Err(_) => panic!("region literal must be 1..=32 characters of A-Z, 0-9, _ and -"),
        }
    }

    /// The region name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const fn check(b: &[u8]) -> Result<(), ParseRegionError> {
    if b.is_empty() {
        return Err(ParseRegionError::Empty);
    }
    if b.len() > MAX_REGION_LEN {
        return Err(ParseRegionError::TooLong);
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_' || c == b'-') {
            return Err(ParseRegionError::InvalidChar { position: i });
        }
        i += 1;
    }
    Ok(())
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

/// Why a string is not a [`Region`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseRegionError {
    /// The name is empty.
    #[error("region name is empty")]
    Empty,
    /// The name is longer than [`MAX_REGION_LEN`] bytes.
    #[error("region name is longer than 32 characters")]
    TooLong,
    /// A character outside `A-Z`, `0-9`, `_`, `-`.
    #[error("region name has a character outside A-Z, 0-9, _ and - at byte {position}")]
    InvalidChar {
        /// Byte offset of the first offending character.
        position: usize,
    },
}

impl FromStr for Region {
    type Err = ParseRegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check(s.as_bytes())?;
        Ok(Self(Cow::Owned(s.to_owned())))
    }
}

impl TryFrom<String> for Region {
    type Error = ParseRegionError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        check(s.as_bytes())?;
        Ok(Self(Cow::Owned(s)))
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::try_from(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_valid_names() {
        for r in [Region::EU, Region::LATAM, Region::INDIA, Region::US] {
            assert_eq!(r.as_str().parse::<Region>().unwrap(), r);
        }
    }

    #[test]
    fn rejects_bad_names_with_position() {
        assert_eq!("".parse::<Region>(), Err(ParseRegionError::Empty));
        assert_eq!(
            "A".repeat(33).parse::<Region>(),
            Err(ParseRegionError::TooLong)
        );
        assert!("A".repeat(32).parse::<Region>().is_ok());
        assert_eq!(
            "EU west".parse::<Region>(),
            Err(ParseRegionError::InvalidChar { position: 2 })
        );
        let msg = "eu".parse::<Region>().unwrap_err().to_string();
        assert_eq!(
            msg,
            "region name has a character outside A-Z, 0-9, _ and - at byte 0"
        );
    }

    #[test]
    fn borrowed_and_owned_compare_equal() {
        let owned: Region = "EU".parse().unwrap();
        assert_eq!(owned, Region::EU);
        assert_eq!(format!("{owned:?}"), "Region(EU)");
    }

    #[test]
    fn serde_round_trip() {
        let json = serde_json::to_string(&Region::LATAM).unwrap();
        assert_eq!(json, "\"LATAM\"");
        assert_eq!(
            serde_json::from_str::<Region>(&json).unwrap(),
            Region::LATAM
        );
        assert!(serde_json::from_str::<Region>("\"latam\"").is_err());
    }
}
