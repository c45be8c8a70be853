//! The failover plan of one region body: [`Plan`], its [`Leg`]s and what was skipped.
//!
//! A plan lists the home region's endpoints (primary first), then, when the body has not
//! failed over yet and the home region's [`CrossBorder`] setting allows it, the endpoints of
//! its failover regions, each leg marked with the [`Compliance`] it requires:
//!
//! * a body holding a localised regime (hard, or conditional when the topology says so) never
//!   goes to a region that does not hold that regime: the leg is skipped (or, when
//!   [`Topology::masked_failover_for_localised`] allows it, masked);
//! * a body holding a transfer-restricted regime (GDPR, LGPD, DPDP, PIPL, 152-FZ, ...) goes to
//!   a region that does not hold it only as [`Compliance::MaskedPii`];
//! * [`CrossBorder::MaskedOnly`] masks every failover leg.
//!
//! Planning allocates nothing: a plan is a few bit masks over the topology.

use residency_core::{Regime, Region};
use serde::{Deserialize, Serialize};

use crate::regime_set::{RegimeSet, restricted};
use crate::{CrossBorder, DeliveryError, EndpointId, FailoverCount, Topology};

/// Whether an attempt carries the body as received or only with personal data masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Compliance {
    /// The body as routed, byte for byte.
    Full,
    /// Only a [`MaskedBody`](pii_mask::MaskedBody) made by the deployment's failover masker.
    MaskedPii,
}

impl Compliance {
    /// `full` or `masked_pii`, as in events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::MaskedPii => "masked_pii",
        }
    }
}

/// Why a failover region was left out of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// The home region's topology forbids crossing its border.
    CrossBorderNever,
    /// The body holds a localised regime the target does not hold.
    Localised(Regime),
    /// The body already failed over once; a second hop could bounce it back.
    AlreadyFailedOver,
}

/// A failover region left out of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// The region left out.
    pub region: Region,
    /// Why.
    pub reason: SkipReason,
}

/// One region of a plan: its endpoints, in order, and how the body goes there.
#[derive(Clone, Copy, Debug)]
pub struct Leg<'t> {
    region: &'t Region,
    endpoints: &'t [EndpointId],
    compliance: Compliance,
    failover_count: FailoverCount,
}

impl<'t> Leg<'t> {
    /// The region.
    pub fn region(&self) -> &'t Region {
        self.region
    }

    /// Its endpoints, primary first.
    pub fn endpoints(&self) -> &'t [EndpointId] {
        self.endpoints
    }

    /// Whether the body goes as routed or masked.
    pub fn compliance(&self) -> Compliance {
        self.compliance
    }

    /// The value of `x-failover-count` on these requests (never above one).
    pub fn failover_count(&self) -> FailoverCount {
        self.failover_count
    }
}

/// The ordered attempts for one region body.
///
/// ```
/// use residency_delivery::{Compliance, CrossBorder, FailoverCount, RegionTopology, Topology};
/// use residency_core::{Regime, Region};
///
/// let topology = Topology::new(vec![
///     RegionTopology::new(Region::EU, ["eu-central", "eu-west"])?
///         .holding([Regime::EuGdpr, Regime::EeaGdpr])
///         .failover_to([Region::US], CrossBorder::Compliant),
///     RegionTopology::new(Region::US, ["us-east"])?,
/// ])?;
/// let plan = topology.plan(&Region::EU, [Regime::EuGdpr], FailoverCount::ZERO)?;
/// let legs: Vec<_> = plan.legs().map(|l| (l.region().as_str(), l.compliance())).collect();
/// // GDPR data may leave the EU only with its personal data masked.
/// assert_eq!(legs, [("EU", Compliance::Full), ("US", Compliance::MaskedPii)]);
/// assert_eq!(plan.attempts().count(), 3);
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Plan<'t> {
    topology: &'t Topology,
    home: usize,
    home_rules: &'t crate::RegionTopology,
    arrived: FailoverCount,
    regimes: RegimeSet,
    /// Bit `i`: failover target `i` of the home region is part of the plan.
    allowed: u64,
    /// Bit `i`: failover target `i` only takes the body masked.
    masked: u64,
}

/// A position in a plan: the leg (0 is home, `i + 1` is failover target `i`) and the
/// endpoint within it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) leg: u8,
    pub(crate) endpoint: u16,
}

/// One attempt of a plan, by indices into the topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) at: Cursor,
    pub(crate) region: usize,
    pub(crate) endpoint: usize,
    pub(crate) compliance: Compliance,
    pub(crate) failover_count: FailoverCount,
}

impl Topology {
    /// Plans the delivery of a body homed in `home` that holds data under `regimes` and
    /// arrived with `arrived` hops.
    ///
    /// * `arrived` zero: the home region's endpoints, then the failover regions' allowed
    ///   ones;
    /// * otherwise: the home region's endpoints only.
    ///
    /// # Errors
    /// [`DeliveryError::UnknownRegion`] when the topology has no rules for `home`.
    pub fn plan(
        &self,
        home: &Region,
        regimes: impl IntoIterator<Item = Regime>,
        arrived: FailoverCount,
    ) -> Result<Plan<'_>, DeliveryError> {
        self.index_of(home)
            .and_then(|index| self.plan_at(index, regimes.into_iter().collect(), arrived))
            .ok_or(DeliveryError::UnknownRegion)
    }

    /// The plan of a body homed in region `home` (an index of this topology).
    pub(crate) fn plan_at(
        &self,
        home: usize,
        regimes: RegimeSet,
        arrived: FailoverCount,
    ) -> Option<Plan<'_>> {
        let home_rules = self.region_at(home)?;
        let mut allowed = 0u64;
        let mut masked = 0u64;
        for i in 0..self.failover_of(home).len() {
            if let Ok(compliance) = self.leg_rule(home, i, regimes, arrived) {
                allowed |= 1 << i;
                if compliance == Compliance::MaskedPii {
                    masked |= 1 << i;
                }
            }
        }
        Some(Plan {
            topology: self,
            home,
            home_rules,
            arrived,
            regimes,
            allowed,
            masked,
        })
    }

    /// Whether failover target `i` of `home` takes a body of `regimes`, and how.
    fn leg_rule(
        &self,
        home: usize,
        i: usize,
        regimes: RegimeSet,
        arrived: FailoverCount,
    ) -> Result<Compliance, SkipReason> {
        if arrived != FailoverCount::ZERO {
            return Err(SkipReason::AlreadyFailedOver);
        }
        let Some(home_rules) = self.region_at(home) else {
            return Err(SkipReason::CrossBorderNever);
        };
        let cross = home_rules.cross_border();
        if cross == CrossBorder::Never {
            return Err(SkipReason::CrossBorderNever);
        }
        let target = self
            .failover_of(home)
            .get(i)
            .and_then(|&t| self.region_at(t as usize));
        let Some(target) = target else {
            return Err(SkipReason::CrossBorderNever);
        };
        let localised_missing = regimes.and(self.localised()).minus(target.held());
        let mut masked = cross == CrossBorder::MaskedOnly;
        if let Some(r) = localised_missing.first() {
            if !self.allows_masked_localised() {
                return Err(SkipReason::Localised(r));
            }
            masked = true;
        }
        if !regimes.and(restricted()).minus(target.held()).is_empty() {
            masked = true;
        }
        Ok(if masked {
            Compliance::MaskedPii
        } else {
            Compliance::Full
        })
    }
}

impl<'t> Plan<'t> {
    /// The body's home region.
    pub fn home(&self) -> &'t Region {
        self.home_rules.region()
    }

    /// The regions the body goes to, home first.
    pub fn legs(&self) -> impl Iterator<Item = Leg<'t>> + 't {
        let plan = *self;
        (0..=self.topology.failover_of(self.home).len()).filter_map(move |leg| plan.leg(leg))
    }

    /// Every attempt, in order: endpoint, region, compliance and `x-failover-count`.
    pub fn attempts(
        &self,
    ) -> impl Iterator<Item = (&'t EndpointId, &'t Region, Compliance, FailoverCount)> + 't {
        self.legs().flat_map(|leg| {
            leg.endpoints
                .iter()
                .map(move |e| (e, leg.region, leg.compliance, leg.failover_count))
        })
    }

    /// The failover regions left out, with the reason (computed on demand).
    pub fn skipped(&self) -> Vec<Skip> {
        let targets = self.topology.failover_of(self.home);
        targets
            .iter()
            .enumerate()
            .filter_map(|(i, &t)| {
                let reason = self
                    .topology
                    .leg_rule(self.home, i, self.regimes, self.arrived)
                    .err()?;
                let region = self.topology.region_at(t as usize)?.region().clone();
                Some(Skip { region, reason })
            })
            .collect()
    }

    /// Leg `leg` (0 is home), if it is part of the plan.
    fn leg(&self, leg: usize) -> Option<Leg<'t>> {
        let (region, compliance, failover_count) = self.leg_parts(leg)?;
        let rules = self.topology.region_at(region)?;
        Some(Leg {
            region: rules.region(),
            endpoints: rules.endpoints(),
            compliance,
            failover_count,
        })
    }

    fn leg_parts(&self, leg: usize) -> Option<(usize, Compliance, FailoverCount)> {
        if leg == 0 {
            return Some((self.home, Compliance::Full, self.arrived));
        }
        let i = leg - 1;
        if i >= 64 || self.allowed & (1 << i) == 0 {
            return None;
        }
        let region = *self.topology.failover_of(self.home).get(i)? as usize;
        let compliance = if self.masked & (1 << i) != 0 {
            Compliance::MaskedPii
        } else {
            Compliance::Full
        };
        Some((region, compliance, FailoverCount::ONE))
    }

    /// The first attempt at or after `from` that `accept` takes, with its position.
    ///
    /// `home_only` restricts the walk to leg 0 (dead letters and replays stay home).
    pub(crate) fn find(
        &self,
        from: Cursor,
        home_only: bool,
        mut accept: impl FnMut(&Step) -> bool,
    ) -> Option<Step> {
        let legs = if home_only {
            1
        } else {
            self.topology.failover_of(self.home).len() + 1
        };
        let mut leg = usize::from(from.leg);
        let mut endpoint = usize::from(from.endpoint);
        while leg < legs {
            if let Some((region, compliance, failover_count)) = self.leg_parts(leg) {
                let count = self
                    .topology
                    .region_at(region)
                    .map_or(0, |r| r.endpoints().len());
                while endpoint < count {
                    let global = self.topology.endpoint_index(region, endpoint)?;
                    let step = Step {
                        at: Cursor {
                            leg: u8::try_from(leg).ok()?,
                            endpoint: u16::try_from(endpoint).ok()?,
                        },
                        region,
                        endpoint: global,
                        compliance,
                        failover_count,
                    };
                    if accept(&step) {
                        return Some(step);
                    }
                    endpoint += 1;
                }
            }
            leg += 1;
            endpoint = 0;
        }
        None
    }

    /// Every attempt's global endpoint index and compliance, in order.
    pub(crate) fn steps(&self, home_only: bool) -> impl Iterator<Item = (usize, Compliance)> + 't {
        let plan = *self;
        let legs = if home_only {
            1
        } else {
            self.topology.failover_of(self.home).len() + 1
        };
        (0..legs).flat_map(move |leg| {
            let (region, compliance, count) = match plan.leg_parts(leg) {
                Some((region, compliance, _)) => (
                    region,
                    compliance,
                    plan.topology
                        .region_at(region)
                        .map_or(0, |r| r.endpoints().len()),
                ),
                None => (0, Compliance::Full, 0),
            };
            (0..count).filter_map(move |e| {
                plan.topology
                    .endpoint_index(region, e)
                    .map(|i| (i, compliance))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegionTopology;

    const RU: Region = Region::from_static("RU");

    fn topology(cross: CrossBorder) -> Topology {
        Topology::new(vec![
            RegionTopology::new(Region::EU, ["eu-1", "eu-2"])
                .unwrap()
                .holding([Regime::EuGdpr, Regime::EeaGdpr, Regime::UkGdpr])
                .failover_to([Region::LATAM, Region::US], cross),
            RegionTopology::new(Region::LATAM, ["br-1"])
                .unwrap()
                .holding([Regime::Lgpd, Regime::EuGdpr]),
            RegionTopology::new(Region::US, ["us-1"])
                .unwrap()
                .holding([Regime::UsState]),
            RegionTopology::new(RU, ["ru-1"])
                .unwrap()
                .holding([Regime::Russia152Fz])
                .failover_to([Region::EU], CrossBorder::MaskedOnly),
        ])
        .unwrap()
    }

    fn targets(p: &Plan<'_>) -> Vec<(String, Compliance, u8)> {
        p.attempts()
            .map(|(e, _, c, n)| (e.as_str().to_owned(), c, n.get()))
            .collect()
    }

    fn t(e: &str, c: Compliance, n: u8) -> (String, Compliance, u8) {
        (e.to_owned(), c, n)
    }

    #[test]
    fn restricted_data_goes_masked_where_it_is_not_held() {
        let topo = topology(CrossBorder::Compliant);
        let plan = topo
            .plan(&Region::EU, [Regime::EuGdpr], FailoverCount::ZERO)
            .unwrap();
        assert_eq!(
            targets(&plan),
            [
                t("eu-1", Compliance::Full, 0),
                t("eu-2", Compliance::Full, 0),
                t("br-1", Compliance::Full, 1), // LATAM holds EU GDPR in this topology
                t("us-1", Compliance::MaskedPii, 1),
            ]
        );
        // A UK user is not held in LATAM: masked there too.
        let plan = topo
            .plan(
                &Region::EU,
                [Regime::EuGdpr, Regime::UkGdpr],
                FailoverCount::ZERO,
            )
            .unwrap();
        assert_eq!(targets(&plan)[2], t("br-1", Compliance::MaskedPii, 1));
    }

    #[test]
    fn masked_only_and_never_settings() {
        let topo = topology(CrossBorder::MaskedOnly);
        let plan = topo
            .plan(&Region::EU, [Regime::EuGdpr], FailoverCount::ZERO)
            .unwrap();
        assert!(
            targets(&plan)[2..]
                .iter()
                .all(|(_, c, _)| *c == Compliance::MaskedPii)
        );
        let topo = topology(CrossBorder::Never);
        let plan = topo
            .plan(&Region::EU, [Regime::EuGdpr], FailoverCount::ZERO)
            .unwrap();
        assert_eq!(plan.attempts().count(), 2);
        assert_eq!(
            plan.skipped(),
            [
                Skip {
                    region: Region::LATAM,
                    reason: SkipReason::CrossBorderNever
                },
                Skip {
                    region: Region::US,
                    reason: SkipReason::CrossBorderNever
                }
            ]
        );
    }

    #[test]
    fn localisation_never_leaves_unless_masked_failover_is_allowed() {
        let topo = topology(CrossBorder::Compliant);
        let plan = topo
            .plan(&RU, [Regime::Russia152Fz], FailoverCount::ZERO)
            .unwrap();
        assert_eq!(targets(&plan), [t("ru-1", Compliance::Full, 0)]);
        assert_eq!(
            plan.skipped(),
            [Skip {
                region: Region::EU,
                reason: SkipReason::Localised(Regime::Russia152Fz)
            }]
        );
        // A mixed EU body with a Russian user stays in the EU as well.
        let plan = topo
            .plan(
                &Region::EU,
                [Regime::EuGdpr, Regime::Russia152Fz],
                FailoverCount::ZERO,
            )
            .unwrap();
        assert_eq!(plan.attempts().count(), 2);
        // Opt-in: masked failover for localised data.
        let topo = topology(CrossBorder::Compliant).masked_failover_for_localised(true);
        let plan = topo
            .plan(&RU, [Regime::Russia152Fz], FailoverCount::ZERO)
            .unwrap();
        assert_eq!(
            targets(&plan),
            [
                t("ru-1", Compliance::Full, 0),
                t("eu-1", Compliance::MaskedPii, 1),
                t("eu-2", Compliance::MaskedPii, 1)
            ]
        );
    }

    #[test]
    fn a_body_that_failed_over_stays_home() {
        let topo = topology(CrossBorder::Compliant);
        let plan = topo
            .plan(&Region::EU, [Regime::EuGdpr], FailoverCount::ONE)
            .unwrap();
        assert_eq!(
            targets(&plan),
            [
                t("eu-1", Compliance::Full, 1),
                t("eu-2", Compliance::Full, 1)
            ]
        );
        assert!(
            plan.skipped()
                .iter()
                .all(|s| s.reason == SkipReason::AlreadyFailedOver)
        );
        assert!(matches!(
            topo.plan(&Region::INDIA, [], FailoverCount::ZERO),
            Err(DeliveryError::UnknownRegion)
        ));
    }

    #[test]
    fn find_walks_the_plan_from_a_cursor() {
        let topo = topology(CrossBorder::Compliant);
        let plan = topo
            .plan(&Region::EU, [Regime::EuGdpr], FailoverCount::ZERO)
            .unwrap();
        let all: Vec<(usize, Compliance)> = plan.steps(false).collect();
        assert_eq!(
            all,
            [
                (0, Compliance::Full),
                (1, Compliance::Full),
                (2, Compliance::Full),
                (3, Compliance::MaskedPii)
            ]
        );
        assert_eq!(plan.steps(true).count(), 2);
        let second = plan
            .find(Cursor::default(), false, |s| s.endpoint == 1)
            .unwrap();
        assert_eq!(
            second.at,
            Cursor {
                leg: 0,
                endpoint: 1
            }
        );
        let after = plan
            .find(
                Cursor {
                    leg: 0,
                    endpoint: 2,
                },
                false,
                |_| true,
            )
            .unwrap();
        assert_eq!((after.at.leg, after.region), (1, 1));
        assert!(
            plan.find(
                Cursor {
                    leg: 0,
                    endpoint: 2
                },
                true,
                |_| true
            )
            .is_none()
        );
        assert_eq!(plan.home(), &Region::EU);
    }
}
