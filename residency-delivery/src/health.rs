//! Endpoint health: a circuit breaker per endpoint, fed with passive and active signals.
//!
//! An endpoint is `Up` until `down_after` consecutive failures; it is then `Down` for a
//! cool-down, after which it is `HalfOpen`: one probe request at a time may go through, and
//! `up_after` consecutive successes bring it back `Up`. Signals are the answers to forwarded
//! requests ([`Signal::Response`], [`Signal::Timeout`]) and active health checks
//! ([`Signal::CheckPassed`], [`Signal::CheckFailed`]).
//!
//! The default cool-down (one second) is shorter than a POST's delivery deadline (three
//! seconds by default), and [`Deployment::new`](crate::Deployment::new) refuses a cool-down
//! that is not: a half-open probe always fits in the retry budget of the POST that finds the
//! endpoint down.
//!
//! Time is passed in and clamped: a time earlier than one already seen by an endpoint is read
//! as that time, so a clock that steps back neither errors nor reopens a breaker early.

use std::time::Duration;

use crate::{EndpointId, Topology, UnixMillis};

/// How an HTTP status reads, for health and for the delivery state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusClass {
    /// 2xx: the node took the body.
    Accepted,
    /// The body itself was refused (400, 409, 413, 415, 422, ... ): retrying cannot help, and
    /// the endpoint is alive.
    Poison,
    /// The endpoint refuses us, not the body: wrong key (401, 403), wrong URL (3xx, 404,
    /// 405), or a node that says the body is not its region's (421). Try the next endpoint.
    Refused,
    /// A transient failure: 408, 425, 429, 5xx, and anything outside 200..=599.
    Transient,
}

pub(crate) fn classify(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Accepted,
        300..=399 | 401 | 403 | 404 | 405 | 421 => StatusClass::Refused,
        408 | 425 | 429 => StatusClass::Transient,
        400..=499 => StatusClass::Poison,
        _ => StatusClass::Transient,
    }
}

/// One observation about an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// Passive: the endpoint answered a forwarded request with this HTTP status.
    Response(u16),
    /// Passive: the request timed out or the connection failed.
    Timeout,
    /// Active: a health check succeeded.
    CheckPassed,
    /// Active: a health check failed.
    CheckFailed,
}

impl Signal {
    /// Whether this signal shows the endpoint able to take bodies.
    ///
    /// A 2xx, or a 4xx that refuses the body itself (the endpoint is alive, the request was
    /// at fault), is healthy. 401/403 (wrong key), 3xx/404/405 (wrong URL) and 421 (wrong
    /// region) mean the endpoint cannot take our bodies: unhealthy, as are 408, 425, 429,
    /// 5xx and statuses outside 200..=599.
    ///
    /// ```
    /// use residency_delivery::Signal;
    ///
    /// assert!(Signal::Response(200).is_healthy());
    /// assert!(Signal::Response(422).is_healthy()); // alive, the body was bad
    /// assert!(!Signal::Response(401).is_healthy()); // alive, but not for us
    /// assert!(!Signal::Response(429).is_healthy());
    /// assert!(!Signal::Response(503).is_healthy());
    /// assert!(!Signal::Response(42).is_healthy());
    /// ```
    pub fn is_healthy(self) -> bool {
        match self {
            Self::Response(status) => matches!(
                classify(status),
                StatusClass::Accepted | StatusClass::Poison
            ),
            Self::Timeout | Self::CheckFailed => false,
            Self::CheckPassed => true,
        }
    }
}

/// Thresholds of the health model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthConfig {
    /// Consecutive failures that mark an `Up` endpoint down (0 reads as 1).
    pub(crate) down_after: u32,
    /// Consecutive successes that mark a down endpoint up again (0 reads as 1).
    pub(crate) up_after: u32,
    /// Time a down endpoint is left alone before a half-open probe is admitted. Keep it below
    /// the delivery deadline so a probe fits in one POST's budget.
    pub(crate) cooldown: Duration,
}

impl Default for HealthConfig {
    /// Three failures to go down, two successes to come back, one second of cool-down.
    fn default() -> Self {
        Self {
            down_after: 3,
            up_after: 2,
            cooldown: Duration::from_secs(1),
        }
    }
}

impl HealthConfig {
    /// Consecutive failures that mark an `Up` endpoint down (0 reads as 1).
    pub fn down_after(&self) -> u32 {
        self.down_after
    }

    /// The same configuration with another `down_after` (consecutive failures that mark an `Up` endpoint down (0 reads as 1)).
    #[must_use]
    pub fn with_down_after(mut self, down_after: u32) -> Self {
        self.down_after = down_after;
        self
    }

    /// Consecutive successes that mark a down endpoint up again (0 reads as 1).
    pub fn up_after(&self) -> u32 {
        self.up_after
    }

    /// The same configuration with another `up_after` (consecutive successes that mark a down endpoint up again (0 reads as 1)).
    #[must_use]
    pub fn with_up_after(mut self, up_after: u32) -> Self {
        self.up_after = up_after;
        self
    }

    /// Time a down endpoint is left alone before a half-open probe is admitted.
    pub fn cooldown(&self) -> Duration {
        self.cooldown
    }

    /// The same configuration with another `cooldown` (time a down endpoint is left alone before a half-open probe is admitted).
    #[must_use]
    pub fn with_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }
}

/// What an endpoint looks like at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HealthState {
    /// Taking traffic.
    Up,
    /// Marked down and still cooling down: send nothing.
    Down,
    /// Cool-down over: one probe request at a time may go through.
    HalfOpen,
}

/// A change of availability reported by [`EndpointHealth::observe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transition {
    /// The endpoint was up and is now down.
    WentDown,
    /// The endpoint was down (or half-open) and is now up.
    CameUp,
}

/// The health of one endpoint: a circuit breaker fed with [`Signal`]s.
///
/// ```
/// use residency_delivery::{EndpointHealth, HealthConfig, HealthState, UnixMillis, Signal, Transition};
/// use std::time::Duration;
///
/// let config = HealthConfig::default().with_down_after(2).with_up_after(1).with_cooldown(Duration::from_secs(1));
/// let mut h = EndpointHealth::new(config);
/// assert_eq!(h.observe(Signal::Response(503), UnixMillis::new(100)), None);
/// assert_eq!(h.observe(Signal::Timeout, UnixMillis::new(200)), Some(Transition::WentDown));
/// assert_eq!(h.state(UnixMillis::new(500)), HealthState::Down);
/// assert!(!h.admit(UnixMillis::new(500)));
/// assert_eq!(h.next_admission(UnixMillis::new(500)), UnixMillis::new(1_200));
/// // After the cool-down, one probe goes through, and only one.
/// assert!(h.admit(UnixMillis::new(1_200)));
/// assert!(!h.admit(UnixMillis::new(1_300)));
/// assert_eq!(h.observe(Signal::Response(200), UnixMillis::new(1_400)), Some(Transition::CameUp));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointHealth {
    config: HealthConfig,
    up: bool,
    consecutive_failures: u32,
    consecutive_successes: u32,
    down_since: UnixMillis,
    probe_since: Option<UnixMillis>,
    latest: UnixMillis,
}

impl EndpointHealth {
    /// A healthy endpoint with these thresholds.
    pub fn new(config: HealthConfig) -> Self {
        let config = HealthConfig::default()
            .with_down_after(config.down_after.max(1))
            .with_up_after(config.up_after.max(1))
            .with_cooldown(config.cooldown);
        Self {
            config,
            up: true,
            consecutive_failures: 0,
            consecutive_successes: 0,
            down_since: UnixMillis::ZERO,
            probe_since: None,
            latest: UnixMillis::ZERO,
        }
    }

    /// The thresholds in force.
    pub fn config(&self) -> HealthConfig {
        self.config
    }

    fn clamp(&mut self, now: UnixMillis) -> UnixMillis {
        self.latest = self.latest.max(now);
        self.latest
    }

    /// The state at `now` (a time earlier than the last one seen reads as that time).
    pub fn state(&self, now: UnixMillis) -> HealthState {
        let now = now.max(self.latest);
        if self.up {
            HealthState::Up
        } else if now.saturating_since(self.down_since) >= self.config.cooldown {
            HealthState::HalfOpen
        } else {
            HealthState::Down
        }
    }

    /// Whether a request may be sent now; in the half-open state this claims the single probe.
    ///
    /// A probe whose answer never arrives is given up on after another cool-down, so a lost
    /// probe cannot wedge the endpoint.
    pub fn admit(&mut self, now: UnixMillis) -> bool {
        let now = self.clamp(now);
        match self.state(now) {
            HealthState::Up => true,
            HealthState::Down => false,
            HealthState::HalfOpen => {
                let free = self
                    .probe_since
                    .is_none_or(|since| now.saturating_since(since) >= self.config.cooldown);
                if free {
                    self.probe_since = Some(now);
                }
                free
            }
        }
    }

    /// The earliest time at or after `now` at which [`EndpointHealth::admit`] would let a
    /// request through.
    pub fn next_admission(&self, now: UnixMillis) -> UnixMillis {
        let now = now.max(self.latest);
        match self.state(now) {
            HealthState::Up => now,
            HealthState::Down => self.down_since + self.config.cooldown,
            HealthState::HalfOpen => match self.probe_since {
                Some(since) => (since + self.config.cooldown).max(now),
                None => now,
            },
        }
    }

    /// Feeds one signal observed at `now`; returns the availability change it caused, if any.
    pub fn observe(&mut self, signal: Signal, now: UnixMillis) -> Option<Transition> {
        let now = self.clamp(now);
        let healthy = signal.is_healthy();
        if self.up {
            if healthy {
                self.consecutive_failures = 0;
                return None;
            }
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
            if self.consecutive_failures >= self.config.down_after {
                self.mark_down(now);
                return Some(Transition::WentDown);
            }
            return None;
        }
        self.probe_since = None;
        if healthy {
            self.consecutive_successes = self.consecutive_successes.saturating_add(1);
            if self.consecutive_successes >= self.config.up_after {
                self.up = true;
                self.consecutive_failures = 0;
                self.consecutive_successes = 0;
                return Some(Transition::CameUp);
            }
        } else {
            self.mark_down(now);
        }
        None
    }

    fn mark_down(&mut self, now: UnixMillis) {
        self.up = false;
        self.down_since = now;
        self.consecutive_failures = 0;
        self.consecutive_successes = 0;
        self.probe_since = None;
    }
}

/// The health of every endpoint of a [`Topology`], shared by every delivery of a service.
///
/// Build it once ([`Deployment::health_book`](crate::Deployment::health_book)) and keep it
/// behind a lock: each call of a delivery's `next` and `report` borrows it briefly.
///
/// ```
/// use residency_delivery::{HealthBook, HealthConfig, HealthState, UnixMillis, RegionTopology, Signal, Topology};
/// use residency_core::Region;
///
/// let topology = Topology::new(vec![RegionTopology::new(Region::EU, ["eu-central"])?])?;
/// let mut book = HealthBook::new(&topology, HealthConfig::default().with_down_after(1));
/// let eu = "eu-central".parse()?;
/// assert_eq!(book.state(&eu, UnixMillis::ZERO), Some(HealthState::Up));
/// book.observe(&eu, Signal::CheckFailed, UnixMillis::new(5));
/// assert_eq!(book.state(&eu, UnixMillis::new(6)), Some(HealthState::Down));
/// assert_eq!(book.state(&"us-east".parse()?, UnixMillis::new(6)), None);
/// # Ok::<(), residency_delivery::DeliveryError>(())
/// ```
#[derive(Clone, Debug)]
pub struct HealthBook {
    ids: Vec<EndpointId>,
    endpoints: Vec<EndpointHealth>,
}

impl HealthBook {
    /// A book over every endpoint of `topology`, all healthy, using `config`.
    pub fn new(topology: &Topology, config: HealthConfig) -> Self {
        let ids = topology.endpoints().to_vec();
        let endpoints = vec![EndpointHealth::new(config); ids.len()];
        Self { ids, endpoints }
    }

    fn position(&self, endpoint: &EndpointId) -> Option<usize> {
        self.ids.iter().position(|id| id == endpoint)
    }

    /// The state of `endpoint` at `now`, or `None` for an endpoint of no region.
    pub fn state(&self, endpoint: &EndpointId, now: UnixMillis) -> Option<HealthState> {
        let i = self.position(endpoint)?;
        self.endpoints.get(i).map(|h| h.state(now))
    }

    /// Feeds an active health check's result (or any signal) for `endpoint`; `None` when the
    /// endpoint is unknown or nothing changed.
    pub fn observe(
        &mut self,
        endpoint: &EndpointId,
        signal: Signal,
        now: UnixMillis,
    ) -> Option<Transition> {
        let i = self.position(endpoint)?;
        self.endpoints.get_mut(i)?.observe(signal, now)
    }

    /// Every endpoint with its tracker, in topology order.
    pub fn iter(&self) -> impl Iterator<Item = (&EndpointId, &EndpointHealth)> {
        self.ids.iter().zip(&self.endpoints)
    }

    /// Admission by global index; an index the book does not have reads as healthy.
    pub(crate) fn admit_at(&mut self, index: usize, now: UnixMillis) -> bool {
        self.endpoints.get_mut(index).is_none_or(|h| h.admit(now))
    }

    pub(crate) fn observe_at(
        &mut self,
        index: usize,
        signal: Signal,
        now: UnixMillis,
    ) -> Option<Transition> {
        self.endpoints.get_mut(index)?.observe(signal, now)
    }

    pub(crate) fn next_admission_at(&self, index: usize, now: UnixMillis) -> UnixMillis {
        self.endpoints
            .get(index)
            .map_or(now, |h| h.next_admission(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> HealthConfig {
        HealthConfig::default()
            .with_down_after(3)
            .with_up_after(2)
            .with_cooldown(Duration::from_millis(100))
    }

    #[test]
    fn statuses_are_classified_once() {
        assert_eq!(classify(204), StatusClass::Accepted);
        for s in [301, 401, 403, 404, 405, 421] {
            assert_eq!(classify(s), StatusClass::Refused, "{s}");
        }
        for s in [400, 409, 413, 415, 422] {
            assert_eq!(classify(s), StatusClass::Poison, "{s}");
        }
        for s in [0, 100, 408, 425, 429, 500, 503, 600, u16::MAX] {
            assert_eq!(classify(s), StatusClass::Transient, "{s}");
        }
    }

    #[test]
    fn failures_must_be_consecutive_to_mark_down() {
        let mut h = EndpointHealth::new(cfg());
        for (t, s) in [(1, 500), (2, 500), (3, 200), (4, 502), (5, 503)] {
            assert_eq!(h.observe(Signal::Response(s), UnixMillis::new(t)), None);
        }
        assert_eq!(
            h.observe(Signal::Timeout, UnixMillis::new(6)),
            Some(Transition::WentDown)
        );
        assert_eq!(h.state(UnixMillis::new(7)), HealthState::Down);
    }

    #[test]
    fn poison_keeps_an_endpoint_up_but_refusals_do_not() {
        let mut h = EndpointHealth::new(cfg().with_down_after(1));
        assert_eq!(h.observe(Signal::Response(400), UnixMillis::new(1)), None);
        assert_eq!(h.state(UnixMillis::new(3)), HealthState::Up);
        assert_eq!(
            h.observe(Signal::Response(401), UnixMillis::new(4)),
            Some(Transition::WentDown)
        );
    }

    #[test]
    fn half_open_failure_restarts_the_cooldown() {
        let mut h = EndpointHealth::new(cfg().with_down_after(1));
        h.observe(Signal::Timeout, UnixMillis::new(0));
        assert_eq!(h.state(UnixMillis::new(99)), HealthState::Down);
        assert_eq!(h.next_admission(UnixMillis::new(50)), UnixMillis::new(100));
        assert_eq!(h.state(UnixMillis::new(100)), HealthState::HalfOpen);
        assert!(h.admit(UnixMillis::new(100)));
        assert_eq!(h.observe(Signal::Timeout, UnixMillis::new(150)), None);
        assert_eq!(h.state(UnixMillis::new(200)), HealthState::Down);
        assert_eq!(h.state(UnixMillis::new(250)), HealthState::HalfOpen);
    }

    #[test]
    fn up_needs_the_configured_successes() {
        let mut h = EndpointHealth::new(cfg().with_down_after(1));
        h.observe(Signal::CheckFailed, UnixMillis::new(0));
        assert_eq!(h.observe(Signal::CheckPassed, UnixMillis::new(10)), None);
        assert_eq!(
            h.observe(Signal::CheckPassed, UnixMillis::new(20)),
            Some(Transition::CameUp)
        );
        assert_eq!(h.state(UnixMillis::new(21)), HealthState::Up);
    }

    #[test]
    fn a_lost_probe_is_given_up_after_a_cooldown() {
        let mut h = EndpointHealth::new(cfg().with_down_after(1));
        h.observe(Signal::Timeout, UnixMillis::new(0));
        assert!(h.admit(UnixMillis::new(100)));
        assert!(!h.admit(UnixMillis::new(150)));
        assert_eq!(h.next_admission(UnixMillis::new(150)), UnixMillis::new(200));
        assert!(h.admit(UnixMillis::new(200)));
    }

    #[test]
    fn a_clock_stepping_back_is_clamped() {
        let mut h = EndpointHealth::new(cfg().with_down_after(1));
        h.observe(Signal::Timeout, UnixMillis::new(500));
        // Read as t=500: still cooling down, not reopened early, no error.
        assert!(!h.admit(UnixMillis::new(10)));
        assert_eq!(h.state(UnixMillis::new(10)), HealthState::Down);
        assert_eq!(h.observe(Signal::Timeout, UnixMillis::new(20)), None);
        assert!(h.admit(UnixMillis::new(600)));
    }

    #[test]
    fn zero_thresholds_are_treated_as_one() {
        let mut h = EndpointHealth::new(
            HealthConfig::default()
                .with_down_after(0)
                .with_up_after(0)
                .with_cooldown(Duration::ZERO),
        );
        assert_eq!(
            h.observe(Signal::Timeout, UnixMillis::new(1)),
            Some(Transition::WentDown)
        );
        assert_eq!(h.state(UnixMillis::new(1)), HealthState::HalfOpen);
        assert_eq!(
            h.observe(Signal::CheckPassed, UnixMillis::new(2)),
            Some(Transition::CameUp)
        );
    }
}
