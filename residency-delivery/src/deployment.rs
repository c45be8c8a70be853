//! [`Deployment`]: the residency policy (through its [`Router`]) and the delivery
//! [`Topology`], checked against each other once, at start-up.
//!
//! Building a deployment checks that every region the policy can route to has endpoints,
//! validates the delivery timing ([`DeliveryConfig`]), and lists every country whose regime
//! requires localisation but whose region does not hold that regime ([`Uncovered`]), so a
//! service can refuse to start or warn once. Nothing of this is checked per request.

use std::time::Duration;

use pii_mask::{Masker, PseudonymKey};
use residency_core::attribution::{Attribution, Basis};
use residency_core::numbering::CallingCode;
use residency_core::route::{Decision, Router};
use residency_core::{Country, Regime, Region};

use crate::regime_set::RegimeSet;
use crate::time::duration_ms;
use crate::{
    Delivery, DeliveryError, FailoverCount, HealthBook, HealthConfig, RetryPolicy, Topology,
    UnixMillis,
};

/// What the edge does with a region body holding items of a localised regime that its region
/// does not hold (the policy routes them there; see [`Deployment::uncovered`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UncoveredAction {
    /// Deliver it where the policy routes it, with an
    /// [`EventKind::UncoveredRegime`](crate::EventKind::UncoveredRegime) event: the operator
    /// accepted the gap when the service started.
    #[default]
    Deliver,
    /// Do not send it: the region body stays pending and the POST is answered `RetryLater`,
    /// so the provider keeps the data until the topology covers it.
    Hold,
}

/// Timing and behaviour of every delivery of a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// The budget of one POST, from receipt to verdict (the edge config's `deadline_ms`).
    pub(crate) deadline: Duration,
    /// How long to wait for one attempt's answer (at most the time left to the deadline).
    pub(crate) attempt_timeout: Duration,
    /// Rounds and backoff between them.
    pub(crate) retry: RetryPolicy,
    /// The circuit breaker's thresholds; its cool-down must be shorter than the deadline.
    pub(crate) health: HealthConfig,
    /// What to do with region bodies holding uncovered items.
    pub(crate) uncovered: UncoveredAction,
}

impl Default for DeliveryConfig {
    /// A 3 s deadline, 1 s per attempt, [`RetryPolicy::forwarding`],
    /// [`HealthConfig::default`] (1 s cool-down), [`UncoveredAction::Deliver`].
    fn default() -> Self {
        Self {
            deadline: Duration::from_millis(3_000),
            attempt_timeout: Duration::from_millis(1_000),
            retry: RetryPolicy::forwarding(),
            health: HealthConfig::default(),
            uncovered: UncoveredAction::Deliver,
        }
    }
}

impl DeliveryConfig {
    /// The budget of one POST, from receipt to verdict.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The same configuration with another `deadline` (the budget of one POST, from receipt to verdict).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long to wait for one attempt's answer.
    pub fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }

    /// The same configuration with another `attempt_timeout` (how long to wait for one attempt's answer).
    #[must_use]
    pub fn with_attempt_timeout(mut self, attempt_timeout: Duration) -> Self {
        self.attempt_timeout = attempt_timeout;
        self
    }

    /// Rounds and backoff between them.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The same configuration with another `retry` (rounds and backoff between them).
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The circuit breaker's thresholds.
    pub fn health(&self) -> HealthConfig {
        self.health
    }

    /// The same configuration with another `health` (the circuit breaker's thresholds).
    #[must_use]
    pub fn with_health(mut self, health: HealthConfig) -> Self {
        self.health = health;
        self
    }

    /// What to do with region bodies holding uncovered items.
    pub fn uncovered(&self) -> UncoveredAction {
        self.uncovered
    }

    /// The same configuration with another `uncovered` (what to do with region bodies holding uncovered items).
    #[must_use]
    pub fn with_uncovered(mut self, uncovered: UncoveredAction) -> Self {
        self.uncovered = uncovered;
        self
    }
}

impl DeliveryConfig {
    /// The default configuration with a deadline of `deadline_ms` milliseconds.
    ///
    /// ```
    /// use residency_delivery::DeliveryConfig;
    /// assert_eq!(DeliveryConfig::with_deadline_ms(3000), DeliveryConfig::default());
    /// ```
    pub fn with_deadline_ms(deadline_ms: u64) -> Self {
        Self {
            deadline: Duration::from_millis(deadline_ms),
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<(), DeliveryError> {
        let invalid = |field| Err(DeliveryError::InvalidConfig { field });
        if duration_ms(self.deadline) == 0 {
            return invalid("deadline");
        }
        if duration_ms(self.attempt_timeout) == 0 || self.attempt_timeout > self.deadline {
            return invalid("attempt_timeout");
        }
        if self.health.cooldown >= self.deadline {
            return invalid("health.cooldown");
        }
        Ok(())
    }
}

/// A country whose regime requires localisation, routed by the policy to a region that does
/// not hold that regime.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uncovered {
    /// The country.
    pub country: Country,
    /// Its regime.
    pub regime: Regime,
    /// The region the policy routes it to.
    pub region: Region,
}

/// The policy and the topology of one edge, checked together, plus the failover masker.
///
/// ```
/// use residency_core::{Regime, Region, route::Router};
/// use residency_delivery::{CrossBorder, DeliveryConfig, DeliveryError, Deployment, RegionTopology, Topology};
///
/// let region = |r: Region, e: &str| RegionTopology::new(r, [e]);
/// let topology = Topology::new(vec![
///     region(Region::EU, "http://eu-1/ingest")?.holding([Regime::EuGdpr, Regime::EeaGdpr, Regime::UkGdpr,
///         Regime::CrownDependency, Regime::SwissFadp]),
///     region(Region::LATAM, "http://br-1/ingest")?.holding([Regime::Lgpd]),
///     region(Region::INDIA, "http://in-1/ingest")?.holding([Regime::Dpdp]),
///     region(Region::US, "http://us-1/ingest")?.holding([Regime::UsState]),
/// ])?;
/// let deployment = Deployment::new(Router::seed(), topology, DeliveryConfig::default(), pii_mask::PseudonymKey::new("fk1", &[7u8; 32]).unwrap())?;
/// // The seed policy sends Russia, China, Indonesia, Vietnam and Kenya to US, which does not
/// // hold their regimes: the service learns it at start-up.
/// let mut gaps: Vec<_> = deployment.uncovered().iter().map(|u| u.country.as_str()).collect();
/// gaps.dedup();
/// assert_eq!(gaps, ["CN", "ID", "KE", "RU", "VN"]);
///
/// // A topology that misses a region of the policy is refused.
/// let partial = Topology::new(vec![region(Region::US, "http://us-1/ingest")?])?;
/// assert!(matches!(
///     Deployment::new(Router::seed(), partial, DeliveryConfig::default(), pii_mask::PseudonymKey::new("fk1", &[7u8; 32]).unwrap()),
///     Err(DeliveryError::RegionWithoutTopology { .. })
/// ));
/// # Ok::<(), DeliveryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Deployment {
    router: Router,
    topology: Topology,
    config: DeliveryConfig,
    masker: Masker,
    uncovered: Vec<Uncovered>,
    /// Per topology region: the localised regimes it does not hold.
    unheld_localised: Vec<RegimeSet>,
}

impl Deployment {
    /// Checks `router`'s policy against `topology` and `config`, and lists the uncovered
    /// countries. The failover masker is [`Masker::strip`] under `failover_key`, which
    /// pseudonymizes message ids: every edge of a deployment must use the same key, so a
    /// masked copy's ids match across edges and redeliveries.
    ///
    /// # Errors
    /// [`DeliveryError::RegionWithoutTopology`] for a region the policy routes to that the
    /// topology lacks; [`DeliveryError::InvalidConfig`] (`deadline`, `attempt_timeout`,
    /// `health.cooldown`) for timing that cannot work.
    pub fn new(
        router: Router,
        topology: Topology,
        config: DeliveryConfig,
        failover_key: PseudonymKey,
    ) -> Result<Self, DeliveryError> {
        config.validate()?;
        for region in router.policy().regions() {
            if topology.region(region).is_none() {
                return Err(DeliveryError::RegionWithoutTopology {
                    region: region.clone(),
                });
            }
        }
        let localised = topology.localised();
        let unheld_localised = topology
            .regions()
            .map(|r| localised.minus(r.held()))
            .collect();
        let uncovered = uncovered(&router, &topology);
        Ok(Self {
            router,
            topology,
            config,
            masker: Masker::strip(failover_key),
            uncovered,
            unheld_localised,
        })
    }

    /// Replaces the masker of masked failover legs (default [`Masker::strip`]: only message
    /// ids, timestamps, types, statuses, calling codes and country prefixes survive).
    #[must_use]
    pub fn with_failover_masker(mut self, masker: Masker) -> Self {
        self.masker = masker;
        self
    }

    /// The router, with the policy that was checked: route with it.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The delivery configuration.
    pub fn config(&self) -> &DeliveryConfig {
        &self.config
    }

    /// The failover masker.
    pub fn failover_masker(&self) -> &Masker {
        &self.masker
    }

    /// Every country whose regime requires localisation but which the policy routes to a
    /// region that does not hold that regime, sorted by country. Empty when the topology
    /// covers the policy.
    ///
    /// The check follows the policy's precedence for each country as a user-id prefix and
    /// under each calling code whose main country it is; per request, the delivery also
    /// counts the uncovered items of each region body, whatever rule routed them
    /// ([`Delivery::uncovered_items`]).
    pub fn uncovered(&self) -> &[Uncovered] {
        &self.uncovered
    }

    /// A health book over this deployment's endpoints, with its configured thresholds.
    /// Share one per service (behind a lock).
    pub fn health_book(&self) -> HealthBook {
        HealthBook::new(&self.topology, self.config.health)
    }

    /// Starts the delivery of every region body of `decision`, a POST received at `now` from
    /// the public ingress (hop count zero, whatever the request's headers say).
    pub fn deliver<'a>(&'a self, decision: &'a Decision, now: UnixMillis) -> Delivery<'a> {
        Delivery::start(self, decision, FailoverCount::ZERO, None, now)
    }

    /// Starts the delivery of a body relayed by another edge or node, whose edge signature
    /// verified with hop count `arrived`: a body that failed over once goes to its home
    /// region only.
    ///
    /// # Errors
    /// [`DeliveryError::LoopDetected`] when `arrived` is above one.
    pub fn relay<'a>(
        &'a self,
        decision: &'a Decision,
        arrived: FailoverCount,
        now: UnixMillis,
    ) -> Result<Delivery<'a>, DeliveryError> {
        if arrived.is_loop() {
            return Err(DeliveryError::LoopDetected {
                failover_count: arrived.get(),
            });
        }
        Ok(Delivery::start(self, decision, arrived, None, now))
    }

    /// Starts the replay of a dead letter of `region`: `decision` is the letter's body routed
    /// again ([`DeadLetter::reroute`](crate::DeadLetter::reroute) tells the same). Only the
    /// region body of `region` is sent, to that region's own endpoints; items that now route
    /// elsewhere are left out.
    pub fn replay<'a>(
        &'a self,
        region: &Region,
        decision: &'a Decision,
        now: UnixMillis,
    ) -> Delivery<'a> {
        Delivery::start(self, decision, FailoverCount::ZERO, Some(region), now)
    }

    pub(crate) fn unheld_localised(&self, region: usize) -> RegimeSet {
        self.unheld_localised
            .get(region)
            .copied()
            .unwrap_or_default()
    }
}

/// Every (country, regime, region) the policy routes a localised regime's user to, where the
/// region does not hold the regime.
fn uncovered(router: &Router, topology: &Topology) -> Vec<Uncovered> {
    let policy = router.policy();
    let mut out = Vec::new();
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            let Some(country) = Country::from_bytes(&[a, b]) else {
                continue;
            };
            let regime = Regime::of(country);
            if !topology.is_localised(regime) {
                continue;
            }
            let mut regions: Vec<&Region> = vec![policy.region_for(&Attribution {
                country: Some(country),
                basis: Basis::UserIdPrefix,
                calling_code: None,
                reason: None,
            })];
            for code in CallingCode::all().filter(|c| c.main_country() == Some(country)) {
                regions.push(policy.region_for(&Attribution {
                    country: Some(country),
                    basis: Basis::CallingCode,
                    calling_code: Some(code),
                    reason: None,
                }));
            }
            for region in regions {
                let held = topology.region(region).is_some_and(|r| r.holds(regime));
                let gap = Uncovered {
                    country,
                    regime,
                    region: region.clone(),
                };
                if !held && !out.contains(&gap) {
                    out.push(gap);
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of the failover masker in tests: every edge of a deployment shares one.
    fn failover_key() -> pii_mask::PseudonymKey {
        pii_mask::PseudonymKey::new("fk1", &[7u8; 32]).expect("a valid key")
    }
    use crate::{CrossBorder, RegionTopology};
    use residency_core::Policy;

    fn seed_topology(us_holds: &[Regime]) -> Topology {
        Topology::new(vec![
            RegionTopology::new(Region::EU, ["eu-1"]).unwrap(),
            RegionTopology::new(Region::LATAM, ["br-1"]).unwrap(),
            RegionTopology::new(Region::INDIA, ["in-1"]).unwrap(),
            RegionTopology::new(Region::US, ["us-1"])
                .unwrap()
                .holding(us_holds.iter().copied())
                .failover_to([Region::EU], CrossBorder::Compliant),
        ])
        .unwrap()
    }

    #[test]
    fn the_seed_policy_leaves_localised_regimes_uncovered_in_us() {
        let d = Deployment::new(
            Router::seed(),
            seed_topology(&[]),
            DeliveryConfig::default(),
            failover_key(),
        )
        .unwrap();
        let got: Vec<(&str, Regime, &str)> = d
            .uncovered()
            .iter()
            .map(|u| (u.country.as_str(), u.regime, u.region.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("CN", Regime::Pipl, "US"),
                ("ID", Regime::IndonesiaPdp, "US"),
                ("KE", Regime::KenyaDpa, "US"),
                ("RU", Regime::Russia152Fz, "US"),
                ("VN", Regime::VietnamPdp, "US"),
            ]
        );
        // Conditional localisation read as soft: only Russia remains.
        let soft = seed_topology(&[]).conditional_localisation_is_hard(false);
        let d = Deployment::new(
            Router::seed(),
            soft,
            DeliveryConfig::default(),
            failover_key(),
        )
        .unwrap();
        assert_eq!(d.uncovered().len(), 1);
        // A topology where US holds them all covers the policy.
        let all = [
            Regime::Pipl,
            Regime::IndonesiaPdp,
            Regime::KenyaDpa,
            Regime::Russia152Fz,
            Regime::VietnamPdp,
        ];
        let d = Deployment::new(
            Router::seed(),
            seed_topology(&all),
            DeliveryConfig::default(),
            failover_key(),
        )
        .unwrap();
        assert!(d.uncovered().is_empty());
    }

    #[test]
    fn overrides_are_followed_by_calling_code_and_country() {
        let ru = Region::from_static("RU");
        let mut regions: Vec<RegionTopology> = vec![
            RegionTopology::new(Region::US, ["us-1"]).unwrap(),
            RegionTopology::new(ru.clone(), ["ru-1"])
                .unwrap()
                .holding([Regime::Russia152Fz]),
        ];
        for r in [Region::EU, Region::LATAM, Region::INDIA] {
            let name = format!("{}-1", r.as_str().to_lowercase());
            regions.push(RegionTopology::new(r, [name]).unwrap());
        }
        let topology = Topology::new(regions)
            .unwrap()
            .conditional_localisation_is_hard(false);
        // The regime goes to RU, but +7 numbers go to US by a calling-code override (which
        // takes precedence over a regime override).
        let policy = Policy::builder(Region::US)
            .regime(Regime::Russia152Fz, ru.clone())
            .calling_code(7, Region::US)
            .build()
            .unwrap();
        let d = Deployment::new(
            Router::new(policy),
            topology.clone(),
            DeliveryConfig::default(),
            failover_key(),
        )
        .unwrap();
        assert_eq!(
            d.uncovered(),
            [Uncovered {
                country: Country::from_static("RU"),
                regime: Regime::Russia152Fz,
                region: Region::US
            }]
        );
        let policy = Policy::builder(Region::US)
            .regime(Regime::Russia152Fz, ru)
            .build()
            .unwrap();
        let d = Deployment::new(
            Router::new(policy),
            topology,
            DeliveryConfig::default(),
            failover_key(),
        )
        .unwrap();
        assert!(d.uncovered().is_empty());
    }

    #[test]
    fn region_names_and_timing_are_checked_once() {
        let partial = Topology::new(vec![
            RegionTopology::new(Region::US, ["us-1"]).unwrap(),
            RegionTopology::new(Region::EU, ["eu-1"]).unwrap(),
        ])
        .unwrap();
        let err = Deployment::new(
            Router::seed(),
            partial,
            DeliveryConfig::default(),
            failover_key(),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "policy region INDIA has no topology");
        let slow_breaker = DeliveryConfig::default()
            .with_health(HealthConfig::default().with_cooldown(Duration::from_secs(30)));
        assert!(matches!(
            Deployment::new(
                Router::seed(),
                seed_topology(&[]),
                slow_breaker,
                failover_key()
            ),
            Err(DeliveryError::InvalidConfig {
                field: "health.cooldown"
            })
        ));
        for (config, field) in [
            (DeliveryConfig::with_deadline_ms(0), "deadline"),
            (
                DeliveryConfig::default().with_attempt_timeout(Duration::from_secs(4)),
                "attempt_timeout",
            ),
        ] {
            assert!(matches!(
                Deployment::new(Router::seed(), seed_topology(&[]), config, failover_key()),
                Err(DeliveryError::InvalidConfig { field: f }) if f == field
            ));
        }
    }
}
