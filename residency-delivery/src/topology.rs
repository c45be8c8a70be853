//! The regions' endpoints and failover rules: [`Topology`], [`RegionTopology`], [`EndpointId`].
//!
//! Each region lists its endpoints (the primary first, then in-region secondaries), the
//! regimes whose personal data it may hold unmasked, the other regions it may fail over to,
//! and how it may cross that border ([`CrossBorder`]). A [`Topology`] validates them as a
//! whole, once; [`Topology::plan`] reads it for each body.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use residency_core::{Localisation, Regime, Region};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DeliveryError;
use crate::regime_set::RegimeSet;

/// Longest endpoint id accepted, in bytes.
pub const MAX_ENDPOINT_ID_LEN: usize = 256;

/// Most failover targets one region may list.
pub const MAX_FAILOVER_TARGETS: usize = 63;

/// The operator's name for one regional endpoint (`eu-central`, `http://10.0.0.7:9001/ingest`).
///
/// 1 to 256 bytes without spaces or control characters. It names configuration, not people,
/// so `Debug` shows it. Cloning is cheap (a shared string).
///
/// ```
/// use residency_delivery::EndpointId;
///
/// let id: EndpointId = "http://127.0.0.1:9001/ingest".parse()?;
/// assert_eq!(id.as_str(), "http://127.0.0.1:9001/ingest");
/// assert!("".parse::<EndpointId>().is_err());
/// assert!("eu central".parse::<EndpointId>().is_err());
/// # Ok::<(), residency_delivery::DeliveryError>(())
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
                problem: "longer than 256 bytes",
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
/// Whatever the setting, a body holding a localised regime never leaves for a region that
/// does not hold that regime (unless [`Topology::masked_failover_for_localised`] allows it
/// masked), and a transfer-restricted regime's data reaches a region that does not hold it
/// only masked.
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

/// One region's endpoints and failover rules.
///
/// ```
/// use residency_delivery::{CrossBorder, RegionTopology};
/// use residency_core::{Regime, Region};
///
/// let eu = RegionTopology::new(Region::EU, ["eu-central", "eu-west"])?
///     .holding([Regime::EuGdpr, Regime::EeaGdpr])
///     .failover_to([Region::US], CrossBorder::MaskedOnly);
/// assert_eq!(eu.endpoints().len(), 2);
/// assert!(eu.holds(Regime::EuGdpr));
/// assert!(RegionTopology::new(Region::EU, Vec::<&str>::new()).is_err());
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionTopology {
    region: Region,
    endpoints: Vec<EndpointId>,
    holds: RegimeSet,
    failover: Vec<Region>,
    cross_border: CrossBorder,
}

impl RegionTopology {
    /// A region with its endpoints, primary first; it holds no regime and fails over nowhere
    /// until told otherwise.
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
            holds: RegimeSet::EMPTY,
            failover: Vec::new(),
            cross_border: CrossBorder::Never,
        })
    }

    /// Adds regimes whose personal data this region may hold unmasked.
    #[must_use]
    pub fn holding(mut self, regimes: impl IntoIterator<Item = Regime>) -> Self {
        for r in regimes {
            self.holds.insert(r);
        }
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
        self.holds.contains(regime)
    }

    /// The regimes this region may hold unmasked.
    pub fn held_regimes(&self) -> impl Iterator<Item = Regime> + '_ {
        self.holds.iter()
    }

    /// The failover regions, in order.
    pub fn failover(&self) -> &[Region] {
        &self.failover
    }

    /// How this region's bodies may cross into another region.
    pub fn cross_border(&self) -> CrossBorder {
        self.cross_border
    }

    pub(crate) fn held(&self) -> RegimeSet {
        self.holds
    }
}

/// Every region's endpoints and failover rules, validated as a whole.
///
/// Conditional localisation (PIPL, Indonesia, Vietnam, Kenya) counts as localisation by
/// default, the conservative reading for a messaging product at scale
/// ([`Topology::conditional_localisation_is_hard`]); masked failover of localised data is off
/// by default ([`Topology::masked_failover_for_localised`]).
///
/// ```
/// use residency_delivery::{CrossBorder, DeliveryError, RegionTopology, Topology};
/// use residency_core::Region;
///
/// let bad = Topology::new(vec![
///     RegionTopology::new(Region::EU, ["eu-1"])?.failover_to([Region::INDIA], CrossBorder::MaskedOnly),
/// ]);
/// assert!(matches!(
///     bad,
///     Err(DeliveryError::InvalidFailoverTarget { region_position: 0, target_position: 0, problem: "unknown" })
/// ));
/// # Ok::<(), DeliveryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    regions: Vec<RegionTopology>,
    /// Per region: the global index of its first endpoint.
    first_endpoint: Vec<u32>,
    /// Per region: its failover targets as region indices.
    failover: Vec<Vec<u32>>,
    endpoints: Vec<EndpointId>,
    conditional_is_hard: bool,
    masked_localised: bool,
}

impl Topology {
    /// A topology over these regions.
    ///
    /// # Errors
    /// [`DeliveryError::NoRegions`], [`DeliveryError::DuplicateRegion`],
    /// [`DeliveryError::DuplicateEndpoint`], [`DeliveryError::InvalidFailoverTarget`],
    /// [`DeliveryError::TooManyFailoverTargets`], and [`DeliveryError::InvalidConfig`]
    /// (`endpoints`) beyond `u32::MAX` endpoints.
    pub fn new(regions: Vec<RegionTopology>) -> Result<Self, DeliveryError> {
        if regions.is_empty() {
            return Err(DeliveryError::NoRegions);
        }
        let mut endpoints: Vec<EndpointId> = Vec::new();
        let mut first_endpoint = Vec::with_capacity(regions.len());
        for (position, r) in regions.iter().enumerate() {
            if regions[..position].iter().any(|o| o.region == r.region) {
                return Err(DeliveryError::DuplicateRegion { position });
            }
            first_endpoint.push(
                u32::try_from(endpoints.len())
                    .map_err(|_| DeliveryError::InvalidConfig { field: "endpoints" })?,
            );
            for (e, id) in r.endpoints.iter().enumerate() {
                if endpoints.contains(id) {
                    return Err(DeliveryError::DuplicateEndpoint {
                        region_position: position,
                        position: e,
                    });
                }
                endpoints.push(id.clone());
            }
        }
        u32::try_from(endpoints.len())
            .map_err(|_| DeliveryError::InvalidConfig { field: "endpoints" })?;
        let mut failover = Vec::with_capacity(regions.len());
        for (region_position, r) in regions.iter().enumerate() {
            if r.failover.len() > MAX_FAILOVER_TARGETS {
                return Err(DeliveryError::TooManyFailoverTargets { region_position });
            }
            let mut targets: Vec<u32> = Vec::with_capacity(r.failover.len());
            for (target_position, target) in r.failover.iter().enumerate() {
                let invalid = |problem| DeliveryError::InvalidFailoverTarget {
                    region_position,
                    target_position,
                    problem,
                };
                if *target == r.region {
                    return Err(invalid("the region itself"));
                }
                let Some(t) = regions.iter().position(|o| o.region == *target) else {
                    return Err(invalid("unknown"));
                };
                // At most 63 targets and as many regions as endpoints: fits.
                let t = u32::try_from(t).map_err(|_| invalid("unknown"))?;
                if targets.contains(&t) {
                    return Err(invalid("repeated"));
                }
                targets.push(t);
            }
            failover.push(targets);
        }
        Ok(Self {
            regions,
            first_endpoint,
            failover,
            endpoints,
            conditional_is_hard: true,
            masked_localised: false,
        })
    }

    /// Sets whether conditional localisation counts as localisation (default `true`).
    #[must_use]
    pub fn conditional_localisation_is_hard(mut self, yes: bool) -> Self {
        self.conditional_is_hard = yes;
        self
    }

    /// Sets whether a body holding a localised regime may fail over **masked** to a region
    /// that does not hold that regime (default `false`: it stays in regions that hold it, and
    /// waits for them).
    #[must_use]
    pub fn masked_failover_for_localised(mut self, yes: bool) -> Self {
        self.masked_localised = yes;
        self
    }

    /// Whether `regime` requires its data to stay in a region that holds it: hard
    /// localisation always, conditional localisation unless turned off.
    pub fn is_localised(&self, regime: Regime) -> bool {
        match regime.localisation() {
            Localisation::Hard => true,
            Localisation::Conditional => self.conditional_is_hard,
            _ => false,
        }
    }

    /// The rules of `region`, if the topology knows it.
    pub fn region(&self, region: &Region) -> Option<&RegionTopology> {
        self.index_of(region).and_then(|i| self.regions.get(i))
    }

    /// Every region's rules, in declaration order.
    pub fn regions(&self) -> impl Iterator<Item = &RegionTopology> {
        self.regions.iter()
    }

    /// Every endpoint, region by region, primary first.
    pub fn endpoints(&self) -> &[EndpointId] {
        &self.endpoints
    }

    pub(crate) fn index_of(&self, region: &Region) -> Option<usize> {
        self.regions.iter().position(|r| r.region == *region)
    }

    pub(crate) fn region_at(&self, index: usize) -> Option<&RegionTopology> {
        self.regions.get(index)
    }

    pub(crate) fn failover_of(&self, index: usize) -> &[u32] {
        self.failover.get(index).map_or(&[], Vec::as_slice)
    }

    /// The global index of endpoint `e` of region `region`.
    pub(crate) fn endpoint_index(&self, region: usize, e: usize) -> Option<usize> {
        let r = self.regions.get(region)?;
        if e >= r.endpoints.len() {
            return None;
        }
        let first = usize::try_from(*self.first_endpoint.get(region)?).ok()?;
        Some(first + e)
    }

    /// The endpoint at a global index, or `-` for an index this topology does not have
    /// (indices always come from the same topology, so that never shows).
    pub(crate) fn endpoint_or_placeholder(&self, index: usize) -> EndpointId {
        self.endpoints
            .get(index)
            .cloned()
            .unwrap_or_else(|| EndpointId(Arc::from("-")))
    }

    pub(crate) fn localised(&self) -> RegimeSet {
        Regime::all()
            .iter()
            .copied()
            .filter(|r| self.is_localised(*r))
            .collect()
    }

    pub(crate) fn allows_masked_localised(&self) -> bool {
        self.masked_localised
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_ids_are_validated() {
        assert!(matches!(
            "".parse::<EndpointId>(),
            Err(DeliveryError::InvalidEndpointId { problem: "empty" })
        ));
        assert!("x".repeat(257).parse::<EndpointId>().is_err());
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
    fn validation_names_positions() {
        let eu = || RegionTopology::new(Region::EU, ["eu-1"]).unwrap();
        assert!(matches!(
            Topology::new(vec![]),
            Err(DeliveryError::NoRegions)
        ));
        assert!(matches!(
            Topology::new(vec![eu(), eu()]),
            Err(DeliveryError::DuplicateRegion { position: 1 })
        ));
        let us_reusing = RegionTopology::new(Region::US, ["us-1", "eu-1"]).unwrap();
        assert!(matches!(
            Topology::new(vec![eu(), us_reusing]),
            Err(DeliveryError::DuplicateEndpoint {
                region_position: 1,
                position: 1
            })
        ));
        let to_self = eu().failover_to([Region::EU], CrossBorder::Compliant);
        assert!(matches!(
            Topology::new(vec![to_self]),
            Err(DeliveryError::InvalidFailoverTarget {
                problem: "the region itself",
                ..
            })
        ));
        let twice = eu().failover_to([Region::US, Region::US], CrossBorder::Compliant);
        let us = RegionTopology::new(Region::US, ["us-1"]).unwrap();
        assert!(matches!(
            Topology::new(vec![twice, us]),
            Err(DeliveryError::InvalidFailoverTarget {
                target_position: 1,
                problem: "repeated",
                ..
            })
        ));
    }

    #[test]
    fn localisation_follows_the_settings() {
        let t = Topology::new(vec![RegionTopology::new(Region::US, ["us-1"]).unwrap()]).unwrap();
        assert!(t.is_localised(Regime::Russia152Fz));
        assert!(t.is_localised(Regime::Pipl));
        assert!(!t.is_localised(Regime::EuGdpr));
        assert!(!t.allows_masked_localised());
        let t = t.conditional_localisation_is_hard(false);
        assert!(t.is_localised(Regime::Russia152Fz));
        assert!(!t.is_localised(Regime::Pipl));
    }

    #[test]
    fn endpoints_have_global_indices() {
        let t = Topology::new(vec![
            RegionTopology::new(Region::EU, ["eu-1", "eu-2"]).unwrap(),
            RegionTopology::new(Region::US, ["us-1"]).unwrap(),
        ])
        .unwrap();
        assert_eq!(t.endpoint_index(1, 0), Some(2));
        assert_eq!(t.endpoint_index(1, 1), None);
        assert_eq!(t.endpoint_or_placeholder(2).as_str(), "us-1");
        assert_eq!(t.endpoint_or_placeholder(9).as_str(), "-");
        assert_eq!(t.endpoints().len(), 3);
        assert_eq!(t.index_of(&Region::US), Some(1));
        assert!(t.region(&Region::LATAM).is_none());
    }
}
