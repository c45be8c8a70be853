//! Health of regional endpoints, from passive and active signals, driven by caller time.
//!
//! Each endpoint is a small circuit breaker:
//!
//! ```text
//!        down_after consecutive failures
//!   Up ------------------------------------> Down (since t)
//!    ^                                        |  cooldown elapsed
//!    |  up_after consecutive successes        v
//!    +------------------------------------ HalfOpen: one probe admitted at a time
//!                                             |  any failure
//!                                             +--------------> Down (since now)
//! ```
//!
//! Passive signals are the answers to forwarded requests ([`Signal::Response`],
//! [`Signal::Timeout`]); active signals are the caller's own health checks
//! ([`Signal::CheckPassed`], [`Signal::CheckFailed`]). A `4xx` answer means the endpoint is
//! alive (the request was at fault), except `408` and `429`, which count as failures.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{DeliveryError, EndpointId, Millis};

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
    /// Whether this signal shows the endpoint healthy (`Ok(true)`) or failing (`Ok(false)`).
    ///
    /// ```
    /// use residency_core::delivery::Signal;
    ///
    /// assert_eq!(Signal::Response(200).is_healthy(), Ok(true));
    /// assert_eq!(Signal::Response(404).is_healthy(), Ok(true)); // alive, the request was bad
    /// assert_eq!(Signal::Response(429).is_healthy(), Ok(false));
    /// assert_eq!(Signal::Response(503).is_healthy(), Ok(false));
    /// assert!(Signal::Response(42).is_healthy().is_err());
    /// ```
    pub fn is_healthy(self) -> Result<bool, DeliveryError> {
        match self {
            Self::Response(status) => match status {
                408 | 429 => Ok(false),
                100..=499 => Ok(true),
                500..=599 => Ok(false),
                _ => Err(DeliveryError::InvalidStatus),
            },
            Self::Timeout | Self::CheckFailed => Ok(false),
            Self::CheckPassed => Ok(true),
        }
    }
}

/// Thresholds of the health model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthConfig {
    /// Consecutive failures that mark an `Up` endpoint down (at least 1).
    pub down_after: u32,
    /// Consecutive successes that mark a down endpoint up again (at least 1).
    pub up_after: u32,
    /// Time a down endpoint is left alone before a half-open probe is admitted.
    pub cooldown: Duration,
}

impl Default for HealthConfig {
    /// Three failures to go down, two successes to come back, thirty seconds of cool-down.
    fn default() -> Self {
        Self {
            down_after: 3,
            up_after: 2,
            cooldown: Duration::from_secs(30),
        }
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
/// use residency_core::delivery::{EndpointHealth, HealthConfig, HealthState, Millis, Signal, Transition};
/// use std::time::Duration;
///
/// let config = HealthConfig { down_after: 2, up_after: 1, cooldown: Duration::from_secs(10) };
/// let mut h = EndpointHealth::new(config);
/// assert_eq!(h.observe(Signal::Response(503), Millis::from_secs(1))?, None);
/// assert_eq!(h.observe(Signal::Timeout, Millis::from_secs(2))?, Some(Transition::WentDown));
/// assert_eq!(h.state(Millis::from_secs(5)), HealthState::Down);
/// assert!(!h.admit(Millis::from_secs(5))?);
/// // After the cool-down, one probe goes through, and only one.
/// assert!(h.admit(Millis::from_secs(12))?);
/// assert!(!h.admit(Millis::from_secs(12))?);
/// assert_eq!(h.observe(Signal::Response(200), Millis::from_secs(13))?, Some(Transition::CameUp));
/// # Ok::<(), residency_core::delivery::DeliveryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointHealth {
    config: HealthConfig,
    up: bool,
    consecutive_failures: u32,
    consecutive_successes: u32,
    down_since: Millis,
    probe_since: Option<Millis>,
    last_seen: Option<Millis>,
}

impl EndpointHealth {
    /// A healthy endpoint with these thresholds (zero thresholds are treated as 1).
    pub fn new(config: HealthConfig) -> Self {
        let config = HealthConfig {
            down_after: config.down_after.max(1),
            up_after: config.up_after.max(1),
            cooldown: config.cooldown,
        };
        Self {
            config,
            up: true,
            consecutive_failures: 0,
            consecutive_successes: 0,
            down_since: Millis::ZERO,
            probe_since: None,
            last_seen: None,
        }
    }

    /// The thresholds in force.
    pub fn config(&self) -> HealthConfig {
        self.config
    }

    fn check_clock(&mut self, now: Millis) -> Result<(), DeliveryError> {
        if self.last_seen.is_some_and(|last| now < last) {
            return Err(DeliveryError::ClockWentBackwards {
                what: "endpoint health",
            });
        }
        self.last_seen = Some(now);
        Ok(())
    }

    /// The state at `now` (a read: a time earlier than the last observation reads as that time).
    pub fn state(&self, now: Millis) -> HealthState {
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
    ///
    /// # Errors
    /// [`DeliveryError::ClockWentBackwards`] when `now` is earlier than a time already seen.
    pub fn admit(&mut self, now: Millis) -> Result<bool, DeliveryError> {
        self.check_clock(now)?;
        Ok(match self.state(now) {
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
        })
    }

    /// Feed one signal observed at `now`; returns the availability change it caused, if any.
    ///
    /// # Errors
    /// [`DeliveryError::ClockWentBackwards`] when `now` is earlier than a time already seen,
    /// [`DeliveryError::InvalidStatus`] for a status outside 100..=599. The state is left
    /// unchanged on error.
    pub fn observe(
        &mut self,
        signal: Signal,
        now: Millis,
    ) -> Result<Option<Transition>, DeliveryError> {
        let healthy = signal.is_healthy()?;
        self.check_clock(now)?;
        if self.up {
            if healthy {
                self.consecutive_failures = 0;
                return Ok(None);
            }
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
            if self.consecutive_failures >= self.config.down_after {
                self.mark_down(now);
                return Ok(Some(Transition::WentDown));
            }
            return Ok(None);
        }
        self.probe_since = None;
        if healthy {
            self.consecutive_successes = self.consecutive_successes.saturating_add(1);
            if self.consecutive_successes >= self.config.up_after {
                self.up = true;
                self.consecutive_failures = 0;
                self.consecutive_successes = 0;
                return Ok(Some(Transition::CameUp));
            }
        } else {
            self.mark_down(now);
        }
        Ok(None)
    }

    fn mark_down(&mut self, now: Millis) {
        self.up = false;
        self.down_since = now;
        self.consecutive_failures = 0;
        self.consecutive_successes = 0;
        self.probe_since = None;
    }
}

/// The health of every endpoint, by id; endpoints not seen yet are healthy.
///
/// ```
/// use residency_core::delivery::{EndpointId, HealthBook, HealthConfig, HealthState, Millis, Signal};
///
/// let mut book = HealthBook::new(HealthConfig { down_after: 1, ..HealthConfig::default() });
/// let eu: EndpointId = "eu-central".parse()?;
/// assert_eq!(book.state(&eu, Millis::ZERO), HealthState::Up);
/// book.observe(&eu, Signal::Timeout, Millis::new(5))?;
/// assert_eq!(book.state(&eu, Millis::new(6)), HealthState::Down);
/// # Ok::<(), residency_core::delivery::DeliveryError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct HealthBook {
    config: HealthConfig,
    endpoints: BTreeMap<EndpointId, EndpointHealth>,
}

impl HealthBook {
    /// An empty book whose endpoints use `config`.
    pub fn new(config: HealthConfig) -> Self {
        Self {
            config,
            endpoints: BTreeMap::new(),
        }
    }

    /// The state of `endpoint` at `now`.
    pub fn state(&self, endpoint: &EndpointId, now: Millis) -> HealthState {
        self.endpoints
            .get(endpoint)
            .map_or(HealthState::Up, |h| h.state(now))
    }

    /// The tracker of `endpoint`, created healthy on first use.
    pub fn endpoint_mut(&mut self, endpoint: &EndpointId) -> &mut EndpointHealth {
        let config = self.config;
        self.endpoints
            .entry(endpoint.clone())
            .or_insert_with(|| EndpointHealth::new(config))
    }

    /// See [`EndpointHealth::admit`].
    ///
    /// # Errors
    /// [`DeliveryError::ClockWentBackwards`].
    pub fn admit(&mut self, endpoint: &EndpointId, now: Millis) -> Result<bool, DeliveryError> {
        self.endpoint_mut(endpoint).admit(now)
    }

    /// See [`EndpointHealth::observe`].
    ///
    /// # Errors
    /// [`DeliveryError::ClockWentBackwards`], [`DeliveryError::InvalidStatus`].
    pub fn observe(
        &mut self,
        endpoint: &EndpointId,
        signal: Signal,
        now: Millis,
    ) -> Result<Option<Transition>, DeliveryError> {
        self.endpoint_mut(endpoint).observe(signal, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> HealthConfig {
        HealthConfig {
            down_after: 3,
            up_after: 2,
            cooldown: Duration::from_millis(100),
        }
    }

    #[test]
    fn failures_must_be_consecutive_to_mark_down() {
        let mut h = EndpointHealth::new(cfg());
        for (t, s) in
            [(1, 500), (2, 500), (3, 200), (4, 502), (5, 503)].map(|(t, s)| (Millis::new(t), s))
        {
            assert_eq!(h.observe(Signal::Response(s), t), Ok(None));
        }
        assert_eq!(
            h.observe(Signal::Timeout, Millis::new(6)),
            Ok(Some(Transition::WentDown))
        );
        assert_eq!(h.state(Millis::new(7)), HealthState::Down);
    }

    #[test]
    fn client_errors_keep_an_endpoint_up() {
        let mut h = EndpointHealth::new(HealthConfig {
            down_after: 1,
            ..cfg()
        });
        assert_eq!(h.observe(Signal::Response(400), Millis::new(1)), Ok(None));
        assert_eq!(h.observe(Signal::Response(401), Millis::new(2)), Ok(None));
        assert_eq!(h.state(Millis::new(3)), HealthState::Up);
        assert_eq!(
            h.observe(Signal::Response(429), Millis::new(4)),
            Ok(Some(Transition::WentDown))
        );
    }

    #[test]
    fn half_open_failure_restarts_the_cooldown() {
        let mut h = EndpointHealth::new(HealthConfig {
            down_after: 1,
            ..cfg()
        });
        h.observe(Signal::Timeout, Millis::new(0)).unwrap();
        assert_eq!(h.state(Millis::new(99)), HealthState::Down);
        assert_eq!(h.state(Millis::new(100)), HealthState::HalfOpen);
        assert_eq!(h.admit(Millis::new(100)), Ok(true));
        assert_eq!(h.observe(Signal::Timeout, Millis::new(150)), Ok(None));
        assert_eq!(h.state(Millis::new(200)), HealthState::Down);
        assert_eq!(h.state(Millis::new(250)), HealthState::HalfOpen);
    }

    #[test]
    fn up_needs_the_configured_successes() {
        let mut h = EndpointHealth::new(HealthConfig {
            down_after: 1,
            ..cfg()
        });
        h.observe(Signal::CheckFailed, Millis::new(0)).unwrap();
        assert_eq!(h.observe(Signal::CheckPassed, Millis::new(10)), Ok(None));
        assert_eq!(
            h.observe(Signal::CheckPassed, Millis::new(20)),
            Ok(Some(Transition::CameUp))
        );
        assert_eq!(h.state(Millis::new(21)), HealthState::Up);
    }

    #[test]
    fn a_lost_probe_is_given_up_after_a_cooldown() {
        let mut h = EndpointHealth::new(HealthConfig {
            down_after: 1,
            ..cfg()
        });
        h.observe(Signal::Timeout, Millis::new(0)).unwrap();
        assert_eq!(h.admit(Millis::new(100)), Ok(true));
        assert_eq!(h.admit(Millis::new(150)), Ok(false));
        assert_eq!(h.admit(Millis::new(200)), Ok(true));
    }

    #[test]
    fn clock_going_backwards_is_an_error_and_changes_nothing() {
        let mut h = EndpointHealth::new(HealthConfig {
            down_after: 1,
            ..cfg()
        });
        h.observe(Signal::Response(200), Millis::new(50)).unwrap();
        let before = h.clone();
        assert_eq!(
            h.observe(Signal::Timeout, Millis::new(49)),
            Err(DeliveryError::ClockWentBackwards {
                what: "endpoint health"
            })
        );
        assert_eq!(
            h.admit(Millis::new(10)),
            Err(DeliveryError::ClockWentBackwards {
                what: "endpoint health"
            })
        );
        assert_eq!(h, before);
    }

    #[test]
    fn invalid_status_is_an_error_and_changes_nothing() {
        let mut h = EndpointHealth::new(cfg());
        let before = h.clone();
        assert_eq!(
            h.observe(Signal::Response(0), Millis::new(1)),
            Err(DeliveryError::InvalidStatus)
        );
        assert_eq!(
            h.observe(Signal::Response(600), Millis::new(1)),
            Err(DeliveryError::InvalidStatus)
        );
        assert_eq!(h, before);
    }

    #[test]
    fn zero_thresholds_are_treated_as_one() {
        let mut h = EndpointHealth::new(HealthConfig {
            down_after: 0,
            up_after: 0,
            cooldown: Duration::ZERO,
        });
        assert_eq!(
            h.observe(Signal::Timeout, Millis::new(1)),
            Ok(Some(Transition::WentDown))
        );
        assert_eq!(h.state(Millis::new(1)), HealthState::HalfOpen);
        assert_eq!(
            h.observe(Signal::CheckPassed, Millis::new(2)),
            Ok(Some(Transition::CameUp))
        );
    }
}
