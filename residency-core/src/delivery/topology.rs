//! The regions' endpoints and failover rules: [`DeliveryPolicy`], [`RegionPolicy`].
//!
//! Each region lists its endpoints (the primary first, then in-region secondaries), the
//! regimes whose personal data it may hold unmasked, the other regions it may fail over
//! to, and how it may cross that border ([`CrossBorder`]). The plan in
//! [`plan`](super::plan) reads it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DeliveryError;
use crate::{Localisation, Regime, Region};

/// Longest endpoint id accepted, in bytes.
pub const MAX_ENDPOINT_ID_LEN: usize = 128;

/// The operator's name for one regional endpoint (`eu-central`, `https://eu.example/hook`).
///
/// 1 to 128 bytes without control characters or spaces. It names configuration, not
/// people, so `Debug` shows it. Cloning is cheap (a shared string).
///
/// ```
/// use residency_core::delivery::EndpointId;
///
/// let id: EndpointId = "eu-central".parse()?;
/// assert_eq!(id.as_str(), "eu-central");
/// assert!("".parse::<EndpointId>().is_err());
/// assert!("eu central".parse::<EndpointId>().is_err());
/// # Ok::<(), residency_core::delivery::DeliveryError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointId(Arc<str>);

impl EndpointId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for EndpointId {
    type Err = DeliveryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(DeliveryError::InvalidEndpointId { problem: "empty" });
        }
        if s.len() > MAX_ENDPOINT_ID_LEN {
            return Err(DeliveryError::InvalidEndpointId {
                problem: "longer than 128 bytes",
            });
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(DeliveryError::InvalidEndpointId {
                problem: "holding a space or control character",
            });
        }
        Ok(Self(s.into()))
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EndpointId({})", self.0)
    }
}

impl Serialize for EndpointId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EndpointId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether, and how, a region's bodies may fail over to another region.
///
/// Whatever the setting, a body holding a hard-localised regime never leaves for a region
/// that does not hold that regime, and a restricted regime's data never reaches a region
/// that does not hold it unmasked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrossBorder {
    /// Never fail over to another region: in-region endpoints only.
    #[default]
    Never,
    /// Fail over only with personal data masked, whatever the target holds.
    MaskedOnly,
    /// Fail over unmasked when the target holds every restricted regime of the body, masked
    /// otherwise.
    Compliant,
}

/// One region's delivery rules.
///
/// ```
/// use residency_core::delivery::{CrossBorder, RegionPolicy};
/// use residency_core::{Regime, Region};
///
/// let eu = RegionPolicy::new(Region::EU, ["eu-central", "eu-west"])?
///     .holding([Regime::EuGdpr, Regime::EeaGdpr])
///     .failover_to([Region::US], CrossBorder::MaskedOnly);
/// assert_eq!(eu.endpoints().len(), 2);
/// assert!(eu.holds(Regime::EuGdpr));
/// assert!(RegionPolicy::new(Region::EU, Vec::<&str>::new()).is_err());
/// # Ok::<(), residency_core::delivery::DeliveryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionPolicy {
    region: Region,
    endpoints: Vec<EndpointId>,
    holds: BTreeSet<Regime>,
    failover: Vec<Region>,
    cross_border: CrossBorder,
}

impl RegionPolicy {
    /// A region with its endpoints, primary first; no failover to other regions yet.
    ///
    /// # Errors
    /// [`DeliveryError::EmptyEndpoints`] for an empty list,
    /// [`DeliveryError::InvalidEndpointId`] for a malformed id.
    pub fn new<I>(region: Region, endpoints: I) -> Result<Self, DeliveryError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let endpoints = endpoints
            .into_iter()
            .map(|e| e.as_ref().parse())
            .collect::<Result<Vec<EndpointId>, _>>()?;
        if endpoints.is_empty() {
            return Err(DeliveryError::EmptyEndpoints);
        }
        Ok(Self {
            region,
            endpoints,
            holds: BTreeSet::new(),
            failover: Vec::new(),
            cross_border: CrossBorder::Never,
        })
    }

    /// Adds regimes whose personal data this region may hold unmasked.
    #[must_use]
    pub fn holding(mut self, regimes: impl IntoIterator<Item = Regime>) -> Self {
        self.holds.extend(regimes);
        self
    }

    /// Sets the other regions to fail over to, in order, and how the border may be crossed.
    #[must_use]
    pub fn failover_to(
        mut self,
        regions: impl IntoIterator<Item = Region>,
        cross_border: CrossBorder,
    ) -> Self {
        self.failover = regions.into_iter().collect();
        self.cross_border = cross_border;
        self
    }

    /// The region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The endpoints, primary first.
    pub fn endpoints(&self) -> &[EndpointId] {
        &self.endpoints
    }

    /// Whether this region may hold `regime`'s personal data unmasked.
    pub fn holds(&self, regime: Regime) -> bool {
        self.holds.contains(&regime)
    }

    /// The regimes this region may hold unmasked.
    pub fn held_regimes(&self) -> impl Iterator<Item = Regime> + '_ {
        self.holds.iter().copied()
    }

    /// The failover regions, in order.
    pub fn failover(&self) -> &[Region] {
        &self.failover
    }

    /// How this region's bodies may cross into another region.
    pub fn cross_border(&self) -> CrossBorder {
        self.cross_border
    }
}

/// Every region's delivery rules, validated as a whole.
///
/// ```
/// use residency_core::delivery::{CrossBorder, DeliveryError, DeliveryPolicy, RegionPolicy};
/// use residency_core::Region;
///
/// let bad = DeliveryPolicy::new(vec![
///     RegionPolicy::new(Region::EU, ["eu-1"])?.failover_to([Region::INDIA], CrossBorder::MaskedOnly),
/// ]);
/// assert_eq!(
///     bad.unwrap_err(),
///     DeliveryError::InvalidFailoverTarget { region_position: 0, target_position: 0, problem: "unknown" }
/// );
/// # Ok::<(), DeliveryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryPolicy {
    regions: BTreeMap<Region, RegionPolicy>,
    conditional_is_hard: bool,
}

impl DeliveryPolicy {
    /// A policy over these regions.
    ///
    /// Conditional localisation (PIPL, Indonesia, Vietnam, Kenya) is treated as hard, the
    /// conservative reading for a messaging product at scale; see
    /// [`DeliveryPolicy::conditional_localisation_is_hard`].
    ///
    /// # Errors
    /// [`DeliveryError::NoRegions`], [`DeliveryError::DuplicateRegion`],
    /// [`DeliveryError::DuplicateEndpoint`], [`DeliveryError::InvalidFailoverTarget`].
    pub fn new(regions: Vec<RegionPolicy>) -> Result<Self, DeliveryError> {
        if regions.is_empty() {
            return Err(DeliveryError::NoRegions);
        }
        let mut endpoints = BTreeSet::new();
        let mut map = BTreeMap::new();
        for (position, policy) in regions.iter().enumerate() {
            for (e, id) in policy.endpoints.iter().enumerate() {
                if !endpoints.insert(id) {
                    return Err(DeliveryError::DuplicateEndpoint {
                        region_position: position,
                        position: e,
                    });
                }
            }
            if map.insert(policy.region.clone(), policy.clone()).is_some() {
                return Err(DeliveryError::DuplicateRegion { position });
            }
        }
        for (region_position, policy) in regions.iter().enumerate() {
            for (target_position, target) in policy.failover.iter().enumerate() {
                let problem = if *target == policy.region {
                    "the region itself"
                } else if !map.contains_key(target) {
                    "unknown"
                } else {
                    continue;
                };
                return Err(DeliveryError::InvalidFailoverTarget {
                    region_position,
                    target_position,
                    problem,
                });
            }
        }
        Ok(Self {
            regions: map,
            conditional_is_hard: true,
        })
    }

    /// Sets whether conditional localisation counts as hard (default `true`).
    #[must_use]
    pub fn conditional_localisation_is_hard(mut self, yes: bool) -> Self {
        self.conditional_is_hard = yes;
        self
    }

    /// Whether `regime`'s data must never leave a region that holds it, masked or not.
    pub fn is_localised(&self, regime: Regime) -> bool {
        match regime.localisation() {
            Localisation::Hard => true,
            Localisation::Conditional => self.conditional_is_hard,
            _ => false,
        }
    }

    /// The rules of `region`, if the policy knows it.
    pub fn region(&self, region: &Region) -> Option<&RegionPolicy> {
        self.regions.get(region)
    }

    /// Every region's rules, by region name.
    pub fn regions(&self) -> impl Iterator<Item = &RegionPolicy> {
        self.regions.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_ids_are_validated() {
        assert_eq!(
            "".parse::<EndpointId>(),
            Err(DeliveryError::InvalidEndpointId { problem: "empty" })
        );
        assert!("x".repeat(129).parse::<EndpointId>().is_err());
        assert!("a\u{7}".parse::<EndpointId>().is_err());
        let id: EndpointId = "https://eu.example/hook".parse().unwrap();
        assert_eq!(format!("{id:?}"), "EndpointId(https://eu.example/hook)");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"https://eu.example/hook\""
        );
        assert!(serde_json::from_str::<EndpointId>("\"\"").is_err());
    }

    #[test]
    fn policy_validation_names_positions() {
        let eu = || RegionPolicy::new(Region::EU, ["eu-1"]).unwrap();
        assert_eq!(DeliveryPolicy::new(vec![]), Err(DeliveryError::NoRegions));
        assert_eq!(
            DeliveryPolicy::new(vec![eu(), eu()]),
            Err(DeliveryError::DuplicateEndpoint {
                region_position: 1,
                position: 0
            })
        );
        let us_reusing = RegionPolicy::new(Region::US, ["us-1", "eu-1"]).unwrap();
        assert_eq!(
            DeliveryPolicy::new(vec![eu(), us_reusing]),
            Err(DeliveryError::DuplicateEndpoint {
                region_position: 1,
                position: 1
            })
        );
        let us_a = RegionPolicy::new(Region::US, ["us-1"]).unwrap();
        let us_b = RegionPolicy::new(Region::US, ["us-2"]).unwrap();
        assert_eq!(
            DeliveryPolicy::new(vec![us_a, us_b]),
            Err(DeliveryError::DuplicateRegion { position: 1 })
        );
        let to_self = eu().failover_to([Region::EU], CrossBorder::Compliant);
        assert_eq!(
            DeliveryPolicy::new(vec![to_self]),
            Err(DeliveryError::InvalidFailoverTarget {
                region_position: 0,
                target_position: 0,
                problem: "the region itself"
            })
        );
    }

    #[test]
    fn localisation_follows_the_setting() {
        let p =
            DeliveryPolicy::new(vec![RegionPolicy::new(Region::US, ["us-1"]).unwrap()]).unwrap();
        assert!(p.is_localised(Regime::Russia152Fz));
        assert!(p.is_localised(Regime::Pipl));
        assert!(!p.is_localised(Regime::EuGdpr));
        let p = p.conditional_localisation_is_hard(false);
        assert!(p.is_localised(Regime::Russia152Fz));
        assert!(!p.is_localised(Regime::Pipl));
    }
}
