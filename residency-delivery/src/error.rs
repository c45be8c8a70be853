//! [`DeliveryError`]: the crate's one error type.

use residency_core::Region;
use residency_core::auth::AuthError;
use residency_core::route::RouteError;

/// Everything that can go wrong in this crate.
///
/// Messages are lowercase fragments without a trailing period. They name the field, the
/// position or the configured region at fault, never a value taken from a webhook body, a
/// header or a secret.
///
/// ```
/// use residency_delivery::{DeliveryError, EndpointId};
///
/// let err = "eu central".parse::<EndpointId>().unwrap_err();
/// assert_eq!(err.to_string(), "endpoint id is holding a space or control character");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// An endpoint id is empty, too long or holds a space or control character.
    #[error("endpoint id is {problem}")]
    InvalidEndpointId {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A region of the topology lists no endpoint.
    #[error("region topology has an empty endpoint list")]
    EmptyEndpoints,
    /// The same endpoint id appears twice in the topology.
    #[error("endpoint at position {position} of region {region_position} is declared twice")]
    DuplicateEndpoint {
        /// Index of the region in the list given to [`Topology::new`](crate::Topology::new).
        region_position: usize,
        /// Index of the endpoint in that region's endpoint list.
        position: usize,
    },
    /// Two regions of the topology have the same name.
    #[error("region at position {position} repeats a region declared earlier")]
    DuplicateRegion {
        /// Index of the repeated region.
        position: usize,
    },
    /// A region fails over to a region the topology does not know, to itself, or twice to
    /// the same region.
    #[error("failover target {target_position} of region {region_position} is {problem}")]
    InvalidFailoverTarget {
        /// Index of the region.
        region_position: usize,
        /// Index of the target in its failover list.
        target_position: usize,
        /// `unknown`, `the region itself` or `repeated`.
        problem: &'static str,
    },
    /// A region lists more failover targets than a plan can hold.
    #[error("region {region_position} lists more than 63 failover targets")]
    TooManyFailoverTargets {
        /// Index of the region.
        region_position: usize,
    },
    /// A topology holds no region.
    #[error("topology has no region")]
    NoRegions,
    /// A plan was asked for a region the topology does not know.
    #[error("no topology for the body's region")]
    UnknownRegion,
    /// The residency policy can route items to a region the topology has no endpoints for.
    #[error("policy region {region} has no topology")]
    RegionWithoutTopology {
        /// The region (a configured name, not personal data).
        region: Region,
    },
    /// A configuration value is out of range.
    #[error("configuration {field} is out of range")]
    InvalidConfig {
        /// The field, e.g. `deadline`, `health.cooldown`, `retry.max_rounds`, `dedupe.cap`.
        field: &'static str,
    },
    /// The `x-failover-count` header is not a small non-negative decimal integer.
    #[error("header x-failover-count is {problem}")]
    InvalidFailoverCount {
        /// What is wrong with it: `empty`, `negative`, `not a decimal integer`, `too large`.
        problem: &'static str,
    },
    /// A relayed request has failed over more than once already: forwarding it again could
    /// bounce it between regions.
    #[error("request already failed over {failover_count} times")]
    LoopDetected {
        /// The hop count it arrived with.
        failover_count: u8,
    },
    /// A reply was reported for an attempt this delivery did not issue, or twice.
    #[error("reply for an attempt that is not in flight")]
    UnknownAttempt,
    /// A secret for item keys is shorter than 16 bytes.
    #[error("item-key secret is shorter than 16 bytes")]
    ShortSecret,
    /// An item key in text form is not 32 hexadecimal digits.
    #[error("item key is not 32 hexadecimal digits at position {position}")]
    InvalidItemKey {
        /// Byte offset of the first offending character (or the length, for a wrong length).
        position: usize,
    },
    /// A body handed to [`KeyScheme::keys`](crate::KeyScheme::keys) is not a webhook.
    #[error(transparent)]
    Payload(#[from] wa_payload::PayloadError),
    /// A dedupe reservation expired and another request took the key over: the caller must
    /// not acknowledge the items it reserved.
    #[error("dedupe reservation was lost to another request")]
    ReservationLost,
    /// The dedupe store holds as many live reservations as it allows.
    #[error("dedupe store has too many reservations in flight")]
    TooManyReservations,
    /// A dead letter was handed to the queue of another region.
    #[error("dead letter belongs to another region")]
    DeadLetterOutsideRegion,
    /// The dead-letter queue is at its bound.
    #[error("dead-letter queue is full ({limit})")]
    DeadLettersFull {
        /// The bound reached: `count` or `bytes`.
        limit: &'static str,
    },
    /// A dead-letter JSON line does not parse.
    #[error("dead-letter line is not a valid record at line {line}, column {column}")]
    InvalidDeadLetter {
        /// 1-based line inside the text given.
        line: usize,
        /// 1-based column inside that line.
        column: usize,
    },
    /// A dead letter's body could not be routed again.
    #[error(transparent)]
    Route(#[from] RouteError),
}

impl From<AuthError> for DeliveryError {
    /// Keeps the hop-count problem of [`AuthError::InvalidFailoverCount`]; any other
    /// authentication error is not something this crate produces, and reads as an
    /// unreadable hop count.
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidFailoverCount { problem } => Self::InvalidFailoverCount { problem },
            _ => Self::InvalidFailoverCount {
                problem: "not verifiable",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_fragments_naming_fields() {
        let errors = [
            DeliveryError::InvalidEndpointId { problem: "empty" },
            DeliveryError::EmptyEndpoints,
            DeliveryError::RegionWithoutTopology {
                region: Region::LATAM,
            },
            DeliveryError::InvalidConfig {
                field: "health.cooldown",
            },
            DeliveryError::InvalidFailoverCount {
                problem: "negative",
            },
            DeliveryError::LoopDetected { failover_count: 2 },
            DeliveryError::UnknownAttempt,
            DeliveryError::ReservationLost,
            DeliveryError::DeadLettersFull { limit: "bytes" },
            DeliveryError::InvalidDeadLetter { line: 1, column: 2 },
            DeliveryError::Route(RouteError::Payload(wa_payload::PayloadError::NotAnObject)),
        ];
        for e in errors {
            let s = e.to_string();
            assert!(s.chars().next().is_some_and(char::is_lowercase), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
        assert_eq!(
            DeliveryError::RegionWithoutTopology {
                region: Region::LATAM
            }
            .to_string(),
            "policy region LATAM has no topology"
        );
    }

    #[test]
    fn wrapped_errors_print_their_cause_once() {
        let e = DeliveryError::Route(RouteError::Payload(wa_payload::PayloadError::NotAnObject));
        assert_eq!(
            e.to_string(),
            wa_payload::PayloadError::NotAnObject.to_string()
        );
        assert!(std::error::Error::source(&e).is_none());
        let e = DeliveryError::from(AuthError::InvalidFailoverCount { problem: "empty" });
        assert!(matches!(
            e,
            DeliveryError::InvalidFailoverCount { problem: "empty" }
        ));
    }
}
