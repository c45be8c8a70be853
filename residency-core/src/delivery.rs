//! Delivery policy: failover, retries, idempotency and dead letters, decided sans-IO.
//!
//! A webhook router that forwards a body to its regional node has to answer a handful of
//! questions every time something goes wrong: is that endpoint down, where may this body go
//! instead, may it go there unmasked, how long to wait before trying again, was this update
//! seen before, and what to do when nothing answers. This module answers them; the caller
//! does the I/O. Time is always passed in (a [`Millis`] timestamp since an epoch the caller
//! picks), randomness is supplied by the caller ([`RandomSource`]), and nothing here opens a
//! socket, spawns a thread or reads a clock.
//!
//! | Concern | Module | Main types |
//! | --- | --- | --- |
//! | endpoint health (passive and active signals, cool-down, half-open probe) | [`health`] | [`HealthBook`], [`EndpointHealth`], [`Signal`] |
//! | the regions' endpoints and their failover rules | [`topology`] | [`DeliveryPolicy`], [`RegionPolicy`], [`CrossBorder`] |
//! | the ordered attempt list for one body | [`plan`] | [`DeliveryBody`], [`Plan`], [`Attempt`], [`Compliance`] |
//! | loop protection (`x-failover-count`) | [`hops`] | [`FailoverCount`] |
//! | exponential backoff with full jitter | [`retry`] | [`RetryPolicy`], [`RetryDecision`] |
//! | idempotency keys and the bounded dedupe window | [`dedupe`] | [`IdempotencyKey`], [`DedupeWindow`] |
//! | dead-letter records and replay order | [`dead_letter`] | [`DeadLetter`], [`DeadLetterQueue`] |
//! | the JSON events operators chart | [`events`] | [`FailoverEvent`], [`EventStatus`] |
//! | the per-message state machine that ties them together | [`dispatch`] | [`Dispatch`], [`Step`] |
//!
//! # Example
//!
//! ```
//! use residency_core::delivery::{
//!     Compliance, CrossBorder, DeliveryBody, DeliveryPolicy, FailoverCount, Millis, RegionPolicy,
//! };
//! use residency_core::{Regime, Region};
//!
//! let policy = DeliveryPolicy::new(vec![
//!     RegionPolicy::new(Region::EU, ["eu-central", "eu-west"])?
//!         .holding([Regime::EuGdpr, Regime::EeaGdpr])
//!         .failover_to([Region::US], CrossBorder::Compliant),
//!     RegionPolicy::new(Region::US, ["us-east"])?,
//! ])?;
//! let body = DeliveryBody::new(Region::EU, Millis::from_secs(1_700_000_000))
//!     .with_countries(["DE".parse()?])
//!     .with_message_ids(["wamid.1"]);
//! let plan = policy.plan(&body, FailoverCount::ZERO)?.into_plan().expect("a plan");
//! let targets: Vec<_> = plan.attempts().iter().map(|a| (a.endpoint().as_str(), a.compliance())).collect();
//! assert_eq!(
//!     targets,
//!     [
//!         ("eu-central", Compliance::Full),
//!         ("eu-west", Compliance::Full),
//!         // GDPR data may leave the EU only with its personal data masked.
//!         ("us-east", Compliance::MaskedPii),
//!     ]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod dead_letter;
pub mod dedupe;
pub mod dispatch;
pub mod events;
pub mod health;
pub mod hops;
pub mod plan;
pub mod retry;
pub mod topology;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use dead_letter::{
    AttemptRecord, DeadLetter, DeadLetterQueue, DeadLetterReason, DecisionSummary,
};
pub use dedupe::{DedupeWindow, IdempotencyKey, Seen};
pub use dispatch::{Dispatch, DispatchOutcome, Step};
pub use events::{EventStatus, EventType, FailoverEvent};
pub use health::{EndpointHealth, HealthBook, HealthConfig, HealthState, Signal, Transition};
pub use hops::{FAILOVER_COUNT_HEADER, FailoverCount};
pub use plan::{Attempt, Compliance, DeliveryBody, Plan, Planned, Skip, SkipReason};
pub use retry::{RandomSource, RetryDecision, RetryPolicy};
pub use topology::{CrossBorder, DeliveryPolicy, EndpointId, RegionPolicy};

/// A point in time, in milliseconds since an epoch the caller picks.
///
/// The delivery policy never reads a clock: every function that needs the time takes a
/// `Millis`. Use the same epoch for every call on one value (Unix time is the usual
/// choice; a monotonic clock's origin works as well).
///
/// ```
/// use residency_core::delivery::Millis;
/// use std::time::Duration;
///
/// let t = Millis::from_secs(10);
/// assert_eq!(t.as_u64(), 10_000);
/// assert_eq!(t + Duration::from_millis(250), Millis::new(10_250));
/// assert_eq!(Millis::new(10_250).saturating_since(t), Duration::from_millis(250));
/// assert_eq!(t.saturating_since(Millis::new(10_250)), Duration::ZERO);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millis(u64);

impl Millis {
    /// The epoch itself.
    pub const ZERO: Self = Self(0);

    /// A timestamp `ms` milliseconds after the epoch.
    pub const fn new(ms: u64) -> Self {
        Self(ms)
    }

    /// A timestamp `secs` seconds after the epoch (saturating), e.g. a webhook's `timestamp`.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the epoch.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The time elapsed from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// `self` plus `d`, saturating at the largest representable time.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_ms(d)))
    }
}

impl std::ops::Add<Duration> for Millis {
    type Output = Self;

    /// Saturating addition: see [`Millis::saturating_add`].
    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// Whole milliseconds in `d`, saturating at `u64::MAX`.
pub(crate) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Everything that can go wrong in the delivery policy.
///
/// Messages are lowercase, without a trailing period, and name the field or position at
/// fault, never the value found there.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryError {
    /// A timestamp is earlier than one already observed by the same state.
    #[error("clock went backwards for {what}")]
    ClockWentBackwards {
        /// What the timestamp was for (e.g. `endpoint health`).
        what: &'static str,
    },
    /// The `x-failover-count` header is not a small non-negative decimal integer.
    #[error("header x-failover-count is {problem}")]
    InvalidFailoverCount {
        /// What is wrong with it: `empty`, `negative`, `not a decimal integer`, `too large`.
        problem: &'static str,
    },
    /// An HTTP status outside 100..=599 was reported as a health signal.
    #[error("http status of a health signal is outside 100..=599")]
    InvalidStatus,
    /// An endpoint id is empty, too long or holds control characters.
    #[error("endpoint id is {problem}")]
    InvalidEndpointId {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A region policy lists no endpoint.
    #[error("region policy has an empty endpoint list")]
    EmptyEndpoints,
    /// The same endpoint id appears twice in the delivery policy.
    #[error("endpoint at position {position} of region policy {region_position} is declared twice")]
    DuplicateEndpoint {
        /// Index of the region policy in the list given to [`DeliveryPolicy::new`].
        region_position: usize,
        /// Index of the endpoint in that region's endpoint list.
        position: usize,
    },
    /// Two region policies name the same region.
    #[error("region policy at position {position} repeats a region declared earlier")]
    DuplicateRegion {
        /// Index of the repeated region policy.
        position: usize,
    },
    /// A region policy fails over to a region the delivery policy does not know, or to itself.
    #[error("failover target {target_position} of region policy {region_position} is {problem}")]
    InvalidFailoverTarget {
        /// Index of the region policy.
        region_position: usize,
        /// Index of the target in its failover list.
        target_position: usize,
        /// `unknown` or `the region itself`.
        problem: &'static str,
    },
    /// A delivery policy holds no region.
    #[error("delivery policy has no region")]
    NoRegions,
    /// A body was planned for a region the delivery policy does not know.
    #[error("no delivery policy for the body's region")]
    UnknownRegion,
    /// A retry policy parameter is out of range.
    #[error("retry policy {field} is out of range")]
    InvalidRetryPolicy {
        /// The parameter: `max_attempts`, `base` or `cap`.
        field: &'static str,
    },
    /// A retry was asked for an attempt number below 1.
    #[error("retry attempt numbers start at 1")]
    InvalidAttemptNumber,
    /// A dedupe window parameter is out of range.
    #[error("dedupe window {field} is out of range")]
    InvalidDedupeWindow {
        /// The parameter: `window` or `cap`.
        field: &'static str,
    },
    /// A dead-letter JSON line does not parse.
    #[error("dead-letter line is not a valid record at line {line}, column {column}")]
    InvalidDeadLetter {
        /// 1-based line inside the text given.
        line: usize,
        /// 1-based column inside that line.
        column: usize,
    },
    /// A dead-letter record's `body` is not valid base64.
    #[error("dead-letter field body is not valid base64")]
    InvalidDeadLetterBody,
    /// A dead-letter record names a field value this version does not accept.
    #[error("dead-letter field {field} is invalid")]
    InvalidDeadLetterField {
        /// The field name.
        field: &'static str,
    },
    /// A dispatch was told about an outcome while no attempt was in flight.
    #[error("dispatch received an outcome with no attempt in flight")]
    NoAttemptInFlight,
    /// A dispatch was asked for its next step while an attempt awaits its outcome.
    #[error("dispatch has an attempt in flight awaiting its outcome")]
    AttemptInFlight,
    /// An active health-check signal was reported as the outcome of an attempt.
    #[error("health-check signal is not an attempt outcome")]
    NotAnAttemptOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_arithmetic_saturates() {
        assert_eq!(
            Millis::new(u64::MAX) + Duration::from_secs(1),
            Millis::new(u64::MAX)
        );
        assert_eq!(Millis::from_secs(u64::MAX), Millis::new(u64::MAX));
        assert_eq!(
            Millis::new(5).saturating_since(Millis::new(9)),
            Duration::ZERO
        );
        assert_eq!(Millis::new(9).to_string(), "9ms");
    }

    #[test]
    fn error_messages_are_lowercase_fragments() {
        let errors = [
            DeliveryError::ClockWentBackwards {
                what: "endpoint health",
            },
            DeliveryError::InvalidFailoverCount {
                problem: "negative",
            },
            DeliveryError::UnknownRegion,
            DeliveryError::InvalidDeadLetter { line: 1, column: 2 },
        ];
        for e in errors {
            let s = e.to_string();
            assert!(s.chars().next().is_some_and(|c| c.is_lowercase()), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
    }
}
