//! Residency policy: which region may process an item, given its attribution.
//!
//! [`Policy::seed`] is the compile-time default (a `phf` table, no start-up cost): `EU` for
//! the GDPR EU/EEA (outermost regions and Åland included), the UK, the crown dependencies
//! and Switzerland; `LATAM` for Brazil and Latin America; `INDIA` for India; `US` for
//! everything else and for unattributed items.
//!
//! [`Policy::builder`] starts from that seed, names the default region, and overrides per
//! country, per regime or per calling code, and routes management fields by WABA or phone
//! number id. Invalid configuration fails in [`PolicyBuilder::build`], never while routing.
//!
//! # Precedence
//!
//! [`Policy::region_for`] answers, first match wins:
//! 1. a **country** override for the attributed country;
//! 2. a **calling-code** override for the phone's calling code (this also routes
//!    non-geographic numbers such as `+882`, which have no country);
//! 3. a **regime** override for [`Regime::of`] the country;
//! 4. the **seed** table (country -> region), unless built [`PolicyBuilder::without_seed`];
//! 5. the **default** region.
//!
//! ```
//! use residency_core::attribution::{attribute, attribute_phone};
//! use residency_core::policy::Policy;
//! use residency_core::{Country, Regime, Region};
//!
//! let seed = Policy::seed();
//! assert_eq!(seed.region_for(&attribute_phone("4915123456789")), &Region::EU);
//! assert_eq!(seed.region_for(&attribute_phone("5511987654321")), &Region::LATAM);
//! assert_eq!(seed.region_for(&attribute(None, None)), &Region::US);
//!
//! let ch = Region::from_static("CH");
//! let policy = Policy::builder(Region::from_static("ROW"))
//!     .regime(Regime::Russia152Fz, Region::from_static("RU"))
//!     .country(Country::from_static("CH"), ch.clone())
//!     .calling_code(882, Region::EU)
//!     .business("102290129340398", Region::EU)
//!     .build()?;
//! assert_eq!(policy.region_for(&attribute_phone("41791234567")), &ch);
//! assert_eq!(policy.region_for(&attribute_phone("79161234567")).as_str(), "RU");
//! assert_eq!(policy.region_for(&attribute_phone("12125550123")).as_str(), "ROW");
//! assert_eq!(policy.region_for(&attribute_phone("4915123456789")), &Region::EU);
//! assert_eq!(policy.region_for_business(Some("102290129340398"), None), &Region::EU);
//! # Ok::<(), residency_core::policy::PolicyError>(())
//! ```

use crate::attribution::{Attribution, Basis};
use crate::country::Country;
use crate::numbering::CallingCode;
use crate::regime::Regime;
use crate::region::Region;

/// Longest business id (WABA or phone number id) accepted, in bytes.
pub const MAX_BUSINESS_ID_LEN: usize = 64;

/// The seed policy's country table.
///
/// `EU`: EU-27, AX and the outermost regions (GP, MF, MQ, GF, RE, YT); the EEA (NO, IS,
/// LI) plus SJ, which libphonenumber only returns for Svalbard fixed lines and whose law must
/// be confirmed, so it takes the stricter bucket; GB; GG, JE, IM; CH.
/// `LATAM`: BR and Latin America (Spanish, Portuguese and French-speaking countries of the
/// Americas, plus BZ, GY and SR); English-speaking Caribbean islands and US territories are
/// not in it. `INDIA`: IN. Everything else falls to the default, `US`.
static SEED: phf::Map<&'static str, Region> = phf::phf_map! {
    // EU GDPR: EU-27.
    "AT" => Region::EU, "BE" => Region::EU, "BG" => Region::EU, "HR" => Region::EU,
    "CY" => Region::EU, "CZ" => Region::EU, "DK" => Region::EU, "EE" => Region::EU,
    "FI" => Region::EU, "FR" => Region::EU, "DE" => Region::EU, "GR" => Region::EU,
    "HU" => Region::EU, "IE" => Region::EU, "IT" => Region::EU, "LV" => Region::EU,
    "LT" => Region::EU, "LU" => Region::EU, "MT" => Region::EU, "NL" => Region::EU,
    "PL" => Region::EU, "PT" => Region::EU, "RO" => Region::EU, "SK" => Region::EU,
    "SI" => Region::EU, "ES" => Region::EU, "SE" => Region::EU,
    // EU GDPR: Åland and the outermost regions with their own code.
    "AX" => Region::EU, "GP" => Region::EU, "MF" => Region::EU, "MQ" => Region::EU,
    "GF" => Region::EU, "RE" => Region::EU, "YT" => Region::EU,
    // EEA, and Svalbard and Jan Mayen (stricter bucket until its law is confirmed).
    "NO" => Region::EU, "IS" => Region::EU, "LI" => Region::EU, "SJ" => Region::EU,
    // UK GDPR, crown dependencies, Swiss nFADP.
    "GB" => Region::EU, "GG" => Region::EU, "JE" => Region::EU, "IM" => Region::EU,
    "CH" => Region::EU,
    // LGPD and Latin America.
    "BR" => Region::LATAM, "AR" => Region::LATAM, "BO" => Region::LATAM,
    "CL" => Region::LATAM, "CO" => Region::LATAM, "CR" => Region::LATAM,
    "CU" => Region::LATAM, "DO" => Region::LATAM, "EC" => Region::LATAM,
    "SV" => Region::LATAM, "GT" => Region::LATAM, "HT" => Region::LATAM,
    "HN" => Region::LATAM, "MX" => Region::LATAM, "NI" => Region::LATAM,
    "PA" => Region::LATAM, "PY" => Region::LATAM, "PE" => Region::LATAM,
    "UY" => Region::LATAM, "VE" => Region::LATAM, "BZ" => Region::LATAM,
    "GY" => Region::LATAM, "SR" => Region::LATAM,
    // DPDP.
    "IN" => Region::INDIA,
};

static SEED_POLICY: Policy = Policy {
    default: Region::US,
    seed: true,
    countries: Vec::new(),
    calling_codes: Vec::new(),
    regimes: Vec::new(),
    businesses: Vec::new(),
};

/// A residency policy: attribution -> region.
///
/// Lookups never allocate: overrides are sorted vectors searched by bisection and the seed
/// is a `phf` map. Business ids are not personal data, so `Debug` is derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    default: Region,
    seed: bool,
    countries: Vec<(Country, Region)>,
    calling_codes: Vec<(u16, Region)>,
    regimes: Vec<(Regime, Region)>,
    businesses: Vec<(Box<str>, Region)>,
}

impl Policy {
    /// The compile-time default policy (see the module docs for its table).
    #[must_use]
    pub fn seed() -> &'static Self {
        &SEED_POLICY
    }

    /// A builder that starts from the seed table with `default_region` as the default.
    pub fn builder(default_region: Region) -> PolicyBuilder {
        PolicyBuilder {
            default: default_region,
            seed: true,
            countries: Vec::new(),
            calling_codes: Vec::new(),
            regimes: Vec::new(),
            businesses: Vec::new(),
        }
    }

    /// The region for an attributed party, by the precedence in the module docs.
    ///
    /// A [`Basis::Business`] attribution carries no ids, so it gets the default region; use
    /// [`Policy::region_for_business`] for management fields. Never allocates.
    #[must_use]
    pub fn region_for(&self, a: &Attribution) -> &Region {
        if a.basis == Basis::Business {
            return &self.default;
        }
        if let Some(r) = a.country.and_then(|c| find(&self.countries, &c)) {
            return r;
        }
        if let Some(r) = a
            .calling_code
            .and_then(|code| find(&self.calling_codes, &code.get()))
        {
            return r;
        }
        match a.country {
            Some(c) => self.country_after_overrides(c),
            None => &self.default,
        }
    }

    /// The region for a country: country override, regime override, seed, default.
    ///
    /// ```
    /// use residency_core::policy::Policy;
    /// use residency_core::{Country, Region};
    /// assert_eq!(Policy::seed().region_for_country(Country::from_static("IN")), &Region::INDIA);
    /// assert_eq!(Policy::seed().region_for_country(Country::from_static("JP")), &Region::US);
    /// ```
    #[must_use]
    pub fn region_for_country(&self, c: Country) -> &Region {
        find(&self.countries, &c).unwrap_or_else(|| self.country_after_overrides(c))
    }

    fn country_after_overrides(&self, c: Country) -> &Region {
        if let Some(r) = find(&self.regimes, &Regime::of(c)) {
            return r;
        }
        if let Some(r) = SEED.get(c.as_str()).filter(|_| self.seed) {
            return r;
        }
        &self.default
    }

    /// The region for a management item of the business: the phone number id's override,
    /// else the WABA id's, else the default region.
    ///
    /// ```
    /// use residency_core::policy::Policy;
    /// use residency_core::Region;
    /// let p = Policy::builder(Region::US).business("111", Region::EU).build()?;
    /// assert_eq!(p.region_for_business(Some("111"), Some("222")), &Region::EU);
    /// assert_eq!(p.region_for_business(None, None), &Region::US);
    /// # Ok::<(), residency_core::policy::PolicyError>(())
    /// ```
    #[must_use]
    pub fn region_for_business(
        &self,
        waba_id: Option<&str>,
        phone_number_id: Option<&str>,
    ) -> &Region {
        phone_number_id
            .and_then(|id| self.business(id))
            .or_else(|| waba_id.and_then(|id| self.business(id)))
            .unwrap_or(&self.default)
    }

    fn business(&self, id: &str) -> Option<&Region> {
        self.businesses
            .binary_search_by(|(k, _)| (**k).cmp(id))
            .ok()
            .and_then(|i| self.businesses.get(i))
            .map(|(_, r)| r)
    }

    /// The default region (unattributed items, and countries no rule covers).
    #[must_use]
    pub fn default_region(&self) -> &Region {
        &self.default
    }

    /// Every region the policy can answer, sorted, without duplicates.
    ///
    /// ```
    /// use residency_core::policy::Policy;
    /// let names: Vec<_> = Policy::seed().regions().map(|r| r.as_str()).collect();
    /// assert_eq!(names, ["EU", "INDIA", "LATAM", "US"]);
    /// ```
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        let mut all: Vec<&Region> = std::iter::once(&self.default)
            .chain(self.seed.then(|| SEED.values()).into_iter().flatten())
            .chain(self.countries.iter().map(|(_, r)| r))
            .chain(self.calling_codes.iter().map(|(_, r)| r))
            .chain(self.regimes.iter().map(|(_, r)| r))
            .chain(self.businesses.iter().map(|(_, r)| r))
            .collect();
        all.sort_unstable();
        all.dedup();
        all.into_iter()
    }
}

fn find<'a, K: Ord, V>(sorted: &'a [(K, V)], key: &K) -> Option<&'a V> {
    sorted
        .binary_search_by(|(k, _)| k.cmp(key))
        .ok()
        .and_then(|i| sorted.get(i))
        .map(|(_, v)| v)
}

/// Builds a [`Policy`]; every check runs in [`PolicyBuilder::build`].
#[derive(Debug, Clone)]
#[must_use]
pub struct PolicyBuilder {
    default: Region,
    seed: bool,
    countries: Vec<(Country, Region)>,
    calling_codes: Vec<(u16, Region)>,
    regimes: Vec<(Regime, Region)>,
    businesses: Vec<(String, Region)>,
}

impl PolicyBuilder {
    /// Routes a country to `region` (highest precedence).
    pub fn country(mut self, country: Country, region: Region) -> Self {
        self.countries.push((country, region));
        self
    }

    /// Routes every country of a regime to `region` (below country and calling-code
    /// overrides, above the seed).
    pub fn regime(mut self, regime: Regime, region: Region) -> Self {
        self.regimes.push((regime, region));
        self
    }

    /// Routes every number under a calling code to `region`, including non-geographic ones.
    pub fn calling_code(mut self, code: u16, region: Region) -> Self {
        self.calling_codes.push((code, region));
        self
    }

    /// Routes management items of a business, by WABA id or phone number id, to `region`.
    pub fn business(mut self, id: &str, region: Region) -> Self {
        self.businesses.push((id.to_owned(), region));
        self
    }

    /// Drops the seed table: countries without an override go to the default region.
    pub fn without_seed(mut self) -> Self {
        self.seed = false;
        self
    }

    /// Checks the configuration and builds the policy.
    ///
    /// # Errors
    ///
    /// [`PolicyError`] for an unknown calling code, an empty or malformed business id, or
    /// two overrides of the same key with different regions (repeating an identical override
    /// is accepted).
    pub fn build(self) -> Result<Policy, PolicyError> {
        for &(code, _) in &self.calling_codes {
            if CallingCode::new(code).is_none() {
                return Err(PolicyError::UnknownCallingCode { code });
            }
        }
        for (index, (id, _)) in self.businesses.iter().enumerate() {
            if id.is_empty() {
                return Err(PolicyError::EmptyBusinessId { index });
            }
            if id.len() > MAX_BUSINESS_ID_LEN
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(PolicyError::InvalidBusinessId { index });
            }
        }
        let countries =
            dedup(self.countries).map_err(|country| PolicyError::ConflictingCountry { country })?;
        let calling_codes = dedup(self.calling_codes)
            .map_err(|code| PolicyError::ConflictingCallingCode { code })?;
        let regimes =
            dedup(self.regimes).map_err(|regime| PolicyError::ConflictingRegime { regime })?;
        let indexed: Vec<((String, usize), Region)> = self
            .businesses
            .into_iter()
            .enumerate()
            .map(|(i, (id, r))| ((id, i), r))
            .collect();
        let mut businesses: Vec<(Box<str>, Region)> = Vec::with_capacity(indexed.len());
        let mut sorted = indexed;
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for ((id, index), region) in sorted {
            match businesses.last() {
                Some((last, r)) if **last == *id => {
                    if *r != region {
                        return Err(PolicyError::ConflictingBusiness { index });
                    }
                }
                _ => businesses.push((id.into_boxed_str(), region)),
            }
        }
        Ok(Policy {
            default: self.default,
            seed: self.seed,
            countries,
            calling_codes,
            regimes,
            businesses,
        })
    }
}

/// Sorts by key and drops identical repeats; a key with two regions is returned as `Err`.
fn dedup<K: Ord + Copy>(mut entries: Vec<(K, Region)>) -> Result<Vec<(K, Region)>, K> {
    entries.sort_by_key(|e| e.0);
    let mut out: Vec<(K, Region)> = Vec::with_capacity(entries.len());
    for (k, r) in entries {
        match out.last() {
            Some((last, lr)) if *last == k => {
                if *lr != r {
                    return Err(k);
                }
            }
            _ => out.push((k, r)),
        }
    }
    Ok(out)
}

/// Invalid policy configuration. Messages name the key (a country, regime or calling code,
/// which are configuration, not personal data) or the position of a business override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Two country overrides name different regions.
    #[error("conflicting regions for country {country}")]
    ConflictingCountry {
        /// The country overridden twice.
        country: Country,
    },
    /// Two regime overrides name different regions.
    #[error("conflicting regions for regime {regime}")]
    ConflictingRegime {
        /// The regime overridden twice.
        regime: Regime,
    },
    /// Two calling-code overrides name different regions.
    #[error("conflicting regions for calling code {code}")]
    ConflictingCallingCode {
        /// The calling code overridden twice.
        code: u16,
    },
    /// A calling-code override names a code the numbering plan does not assign.
    #[error("unknown calling code {code}")]
    UnknownCallingCode {
        /// The unassigned code.
        code: u16,
    },
    /// A business override has an empty id.
    #[error("business override {index} has an empty id")]
    EmptyBusinessId {
        /// Position of the override, in call order from 0.
        index: usize,
    },
    /// A business id is longer than 64 bytes or has a character outside `A-Z a-z 0-9 _ -`.
    #[error("business override {index} has a malformed id")]
    InvalidBusinessId {
        /// Position of the override, in call order from 0.
        index: usize,
    },
    /// Two business overrides of the same id name different regions.
    #[error("business override {index} conflicts with another override of the same id")]
    ConflictingBusiness {
        /// Position of the later conflicting override, in call order from 0.
        index: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::{Unattributed, attribute, attribute_phone};

    fn c(s: &'static str) -> Country {
        Country::from_static(s)
    }

    #[test]
    fn seed_buckets() {
        let p = Policy::seed();
        for (country, region) in [
            ("DE", &Region::EU),
            ("GP", &Region::EU),
            ("AX", &Region::EU),
            ("NO", &Region::EU),
            ("GB", &Region::EU),
            ("JE", &Region::EU),
            ("CH", &Region::EU),
            ("BR", &Region::LATAM),
            ("MX", &Region::LATAM),
            ("IN", &Region::INDIA),
            ("US", &Region::US),
            ("JM", &Region::US),
            ("NC", &Region::US),
            ("BL", &Region::US),
            ("KZ", &Region::US),
        ] {
            assert_eq!(p.region_for_country(c(country)), region, "{country}");
        }
        assert_eq!(p.default_region(), &Region::US);
    }

    #[test]
    fn seed_agrees_with_regimes() {
        // Every GDPR-family, UK, crown-dependency and Swiss country is in EU.
        for (k, r) in SEED.entries() {
            let country: Country = k.parse().unwrap();
            let regime = Regime::of(country);
            if *r == Region::EU {
                assert!(
                    matches!(
                        regime,
                        Regime::EuGdpr
                            | Regime::EeaGdpr
                            | Regime::UkGdpr
                            | Regime::CrownDependency
                            | Regime::SwissFadp
                    ) || *k == "SJ",
                    "{k}"
                );
            }
        }
        for country in ["FR", "IS", "GB", "IM", "CH", "YT", "MF"] {
            assert_eq!(SEED.get(country), Some(&Region::EU), "{country}");
        }
    }

    #[test]
    fn precedence_country_then_code_then_regime_then_seed() {
        let a = Region::from_static("A");
        let b = Region::from_static("B");
        let d = Region::from_static("D");
        let p = Policy::builder(Region::from_static("DEF"))
            .country(c("KZ"), a.clone())
            .calling_code(7, b.clone())
            .regime(Regime::EuGdpr, d.clone())
            .build()
            .unwrap();
        assert_eq!(p.region_for(&attribute_phone("77012345678")), &a); // KZ: country
        assert_eq!(p.region_for(&attribute_phone("79161234567")), &b); // RU: code
        assert_eq!(p.region_for(&attribute_phone("4915123456789")), &d); // DE: regime
        assert_eq!(p.region_for(&attribute_phone("447700900123")), &Region::EU); // GB: seed
        assert_eq!(
            p.region_for(&attribute_phone("12125550123")).as_str(),
            "DEF"
        );
        assert_eq!(p.region_for(&attribute(None, None)).as_str(), "DEF");
        // A user-id attribution has no calling code: the +7 override does not apply.
        assert_eq!(p.region_for(&attribute(None, Some("KZ.1"))), &a);
        assert_eq!(p.region_for(&attribute(None, Some("RU.1"))).as_str(), "DEF");
    }

    #[test]
    fn non_geographic_numbers_route_by_calling_code() {
        let p = Policy::builder(Region::US)
            .calling_code(882, Region::EU)
            .build()
            .unwrap();
        let a = attribute_phone("+882 16 1234 5678");
        assert_eq!(a.reason, Some(Unattributed::NonGeographic));
        assert_eq!(p.region_for(&a), &Region::EU);
        assert_eq!(Policy::seed().region_for(&a), &Region::US);
    }

    #[test]
    fn without_seed_uses_only_overrides() {
        let p = Policy::builder(Region::US)
            .without_seed()
            .country(c("DE"), Region::EU)
            .build()
            .unwrap();
        assert_eq!(p.region_for_country(c("DE")), &Region::EU);
        assert_eq!(p.region_for_country(c("FR")), &Region::US);
        let names: Vec<_> = p.regions().map(Region::as_str).collect();
        assert_eq!(names, ["EU", "US"]);
    }

    #[test]
    fn business_routing() {
        let p = Policy::builder(Region::US)
            .business("111", Region::EU)
            .business("222", Region::INDIA)
            .business("111", Region::EU)
            .build()
            .unwrap();
        assert_eq!(p.region_for_business(Some("111"), None), &Region::EU);
        assert_eq!(
            p.region_for_business(Some("111"), Some("222")),
            &Region::INDIA
        );
        assert_eq!(p.region_for_business(Some("333"), Some("444")), &Region::US);
        assert_eq!(p.region_for(&Attribution::business()), &Region::US);
    }

    #[test]
    fn configuration_errors_at_build_time() {
        let e = Policy::builder(Region::US)
            .calling_code(280, Region::EU)
            .build()
            .unwrap_err();
        assert_eq!(e, PolicyError::UnknownCallingCode { code: 280 });
        assert_eq!(e.to_string(), "unknown calling code 280");
        let e = Policy::builder(Region::US)
            .country(c("DE"), Region::EU)
            .country(c("DE"), Region::US)
            .build()
            .unwrap_err();
        assert_eq!(e.to_string(), "conflicting regions for country DE");
        let e = Policy::builder(Region::US)
            .regime(Regime::Lgpd, Region::EU)
            .regime(Regime::Lgpd, Region::LATAM)
            .build()
            .unwrap_err();
        assert_eq!(e.to_string(), "conflicting regions for regime lgpd");
        let e = Policy::builder(Region::US)
            .calling_code(1, Region::EU)
            .calling_code(1, Region::US)
            .build()
            .unwrap_err();
        assert_eq!(e, PolicyError::ConflictingCallingCode { code: 1 });
        let e = Policy::builder(Region::US)
            .business("", Region::EU)
            .build()
            .unwrap_err();
        assert_eq!(e, PolicyError::EmptyBusinessId { index: 0 });
        let e = Policy::builder(Region::US)
            .business("1", Region::EU)
            .business("12 34", Region::EU)
            .build()
            .unwrap_err();
        assert_eq!(e.to_string(), "business override 1 has a malformed id");
        let e = Policy::builder(Region::US)
            .business("9", Region::EU)
            .business("9", Region::US)
            .build()
            .unwrap_err();
        assert_eq!(e, PolicyError::ConflictingBusiness { index: 1 });
        assert!(!e.to_string().contains('9'));
    }

    #[test]
    fn regions_lists_every_answer() {
        let p = Policy::builder(Region::from_static("ROW"))
            .business("1", Region::from_static("BIZ"))
            .build()
            .unwrap();
        let names: Vec<_> = p.regions().map(Region::as_str).collect();
        assert_eq!(names, ["BIZ", "EU", "INDIA", "LATAM", "ROW"]);
    }
}
