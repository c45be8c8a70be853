//! The `[policy]` section both services read: overrides of the seed residency policy, so the
//! edge and the nodes route every body the same way.
//!
//! ```toml
//! [policy]
//! default = "US"                       # the region of unattributed items
//! countries = { CH = "EU" }            # ISO country -> region
//! calling_codes = { "44" = "EU" }      # calling code -> region
//! regimes = { gdpr = "EU" }            # regime (residency-core's names) -> region
//! businesses = { "102290129340398" = "EU" } # WABA or phone number id -> region
//! without_seed = false                 # true: only these rules (and the default)
//! ```

use std::collections::BTreeMap;

use residency_core::{Country, Policy, Regime, Region};
use serde::Deserialize;

use super::config::ConfigError;

/// The `[policy]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The default region (the seed's `US` when absent).
    #[serde(default)]
    pub default: Option<String>,
    /// Country overrides.
    #[serde(default)]
    pub countries: BTreeMap<String, String>,
    /// Calling-code overrides.
    #[serde(default)]
    pub calling_codes: BTreeMap<String, String>,
    /// Regime overrides.
    #[serde(default)]
    pub regimes: BTreeMap<String, String>,
    /// Business (WABA or phone number id) overrides.
    #[serde(default)]
    pub businesses: BTreeMap<String, String>,
    /// Start from no seed rules.
    #[serde(default)]
    pub without_seed: bool,
}

fn region(key: String, value: &str) -> Result<Region, ConfigError> {
    value
        .parse::<Region>()
        .map_err(|_| ConfigError::new(key, "is not a region name"))
}

impl PolicyConfig {
    /// The policy these overrides describe.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the key (`policy.countries.XX`, ...) that is wrong.
    pub fn build(&self) -> Result<Policy, ConfigError> {
        let is_empty = self.default.is_none()
            && self.countries.is_empty()
            && self.calling_codes.is_empty()
            && self.regimes.is_empty()
            && self.businesses.is_empty()
            && !self.without_seed;
        if is_empty {
            return Ok(Policy::seed().clone());
        }
        let default = match &self.default {
            Some(d) => region("policy.default".into(), d)?,
            None => Policy::seed().default_region().clone(),
        };
        let mut b = Policy::builder(default);
        if self.without_seed {
            b = b.without_seed();
        }
        for (c, r) in &self.countries {
            let key = format!("policy.countries.{c}");
            let country = c
                .parse::<Country>()
                .map_err(|_| ConfigError::new(key.clone(), "is not an ISO country code"))?;
            b = b.country(country, region(key, r)?);
        }
        for (code, r) in &self.calling_codes {
            let key = format!("policy.calling_codes.{code}");
            let n = code
                .parse::<u16>()
                .map_err(|_| ConfigError::new(key.clone(), "is not a calling code"))?;
            b = b.calling_code(n, region(key, r)?);
        }
        for (name, r) in &self.regimes {
            let key = format!("policy.regimes.{name}");
            let regime = name
                .parse::<Regime>()
                .map_err(|_| ConfigError::new(key.clone(), "is not a regime name"))?;
            b = b.regime(regime, region(key, r)?);
        }
        for (id, r) in &self.businesses {
            let key = format!("policy.businesses.{id}");
            b = b.business(id, region(key, r)?);
        }
        b.build()
            .map_err(|_| ConfigError::new("policy", "is not a consistent policy"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_build_a_policy_and_errors_name_the_key() {
        let p: PolicyConfig =
            toml::from_str("default = \"EU\"\ncountries = { BR = \"EU\" }\n").unwrap();
        let policy = p.build().unwrap();
        assert_eq!(policy.default_region().as_str(), "EU");
        assert_eq!(
            policy.region_for_country("BR".parse().unwrap()).as_str(),
            "EU"
        );
        let bad: PolicyConfig = toml::from_str("countries = { XX1 = \"EU\" }\n").unwrap();
        assert_eq!(bad.build().unwrap_err().key(), "policy.countries.XX1");
        assert!(PolicyConfig::default().build().is_ok());
    }
}
