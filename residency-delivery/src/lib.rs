#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! | concern | module | main types |
//! | --- | --- | --- |
//! | one POST, from region bodies to a verdict | [`dispatch`] | [`Delivery`], [`Next`], [`Attempt`], [`Answer`], [`Verdict`], [`RegionOutcome`] |
//! | policy and topology checked together, uncovered regimes | [`deployment`] | [`Deployment`], [`DeliveryConfig`], [`Uncovered`], [`UncoveredAction`] |
//! | regions, endpoints and failover rules | [`topology`] | [`Topology`], [`RegionTopology`], [`EndpointId`], [`CrossBorder`] |
//! | the attempts of one region body | [`plan`] | [`Plan`], [`Leg`], [`Compliance`], [`Skip`] |
//! | endpoint health (circuit breaker) | [`health`] | [`HealthBook`], [`EndpointHealth`], [`Signal`] |
//! | rounds and backoff with full jitter | [`retry`] | [`RetryPolicy`], [`RandomSource`] |
//! | the signed hop count | [`hops`] | [`FailoverCount`] |
//! | idempotency keys | [`keys`] | [`ItemKey`], [`KeyScheme`] |
//! | reserve / commit / release dedupe | [`dedupe`] | [`DedupeStore`], [`DedupeWindow`], [`claim`] |
//! | dead letters, bounded and region-bound | [`dead_letter`] | [`DeadLetter`], [`DeadLetterQueue`], [`Rerouted`] |
//! | events for operators | [`events`] | [`DeliveryEvent`], [`EventKind`] |
//! | time, passed in | [`time`] | [`UnixMillis`] |

// No unsafe code anywhere in this crate.
#![forbid(unsafe_code)]
// Every public item is documented.
#![deny(missing_docs)]

mod error;
mod regime_set;

pub mod dead_letter;
pub mod dedupe;
pub mod deployment;
pub mod dispatch;
pub mod events;
pub mod health;
pub mod hops;
pub mod keys;
pub mod plan;
pub mod retry;
pub mod time;
pub mod topology;

pub use dead_letter::{
    AttemptRecord, DeadLetter, DeadLetterQueue, DeadLetterReason, DecisionSummary, Rerouted,
};
pub use dedupe::{
    Claim, Claimed, DedupeConfig, DedupeStore, DedupeWindow, Reservation, Reserve, claim,
};
pub use deployment::{DeliveryConfig, Deployment, Uncovered, UncoveredAction};
pub use dispatch::{
    Answer, Attempt, AttemptId, Delivery, MaskedPayload, Next, Payload, PendingReason, Purpose,
    RegionOutcome, RegionStatus, Verdict,
};
pub use error::DeliveryError;
pub use events::{DeliveryEvent, EventKind};
pub use health::{EndpointHealth, HealthBook, HealthConfig, HealthState, Signal, Transition};
pub use hops::{FAILOVER_COUNT_HEADER, FailoverCount};
pub use keys::{ItemKey, KeyScheme};
pub use plan::{Compliance, Leg, Plan, Skip, SkipReason};
pub use residency_time::UnixSeconds;
pub use retry::{RandomSource, RetryDecision, RetryPolicy};
pub use time::UnixMillis;
pub use topology::{CrossBorder, EndpointId, RegionTopology, Topology};
