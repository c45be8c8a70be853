//! Delivery events: the JSON records operators chart and alert on.
//!
//! An event names regions, endpoints, statuses and **counts** of items, never an item id, a
//! phone number or a body (DESIGN invariant 10: a wamid is personal data too).
//!
//! ```json
//! {"event":"failover_triggered","home_region":"EU","target_region":"US","endpoint":"us-east",
//!  "status":null,"compliance":"masked_pii","items":3,"latency_ms":1200,"at":1700000001200}
//! ```

use residency_core::Region;
use serde::{Deserialize, Serialize};

use crate::{Compliance, EndpointId, UnixMillis};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// An attempt went to an endpoint other than the home region's primary.
    FailoverTriggered,
    /// The body was accepted after at least one failed attempt.
    Recovered,
    /// A masked copy was accepted by a failover region; the home region still waits for the
    /// full body.
    MaskedCopyAccepted,
    /// The body could not be masked for a masked failover leg (the leg is skipped).
    MaskingFailed,
    /// An endpoint refused us rather than the body (401, 403, 3xx, 404, 405, 421): the next
    /// endpoint was tried. Check keys and URLs.
    EndpointRefused,
    /// A node refused the body itself (400, 413, 422, ...): it goes to its region's dead
    /// letters.
    Poisoned,
    /// The region's node stored the body as a dead letter.
    DeadLettered,
    /// The region body holds items of a localised regime its region does not hold (see
    /// [`Deployment::uncovered`](crate::Deployment::uncovered)).
    UncoveredRegime,
    /// The region body was held back, not sent, because of uncovered items
    /// ([`UncoveredAction::Hold`](crate::UncoveredAction::Hold)).
    Held,
    /// The region body is still pending when the verdict is given: the POST is answered
    /// `RetryLater` and the provider redelivers it.
    Pending,
    /// A region body of the decision is homed in a region the topology does not know.
    Unplanned,
}

impl EventKind {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailoverTriggered => "failover_triggered",
            Self::Recovered => "recovered",
            Self::MaskedCopyAccepted => "masked_copy_accepted",
            Self::MaskingFailed => "masking_failed",
            Self::EndpointRefused => "endpoint_refused",
            Self::Poisoned => "poisoned",
            Self::DeadLettered => "dead_lettered",
            Self::UncoveredRegime => "uncovered_regime",
            Self::Held => "held",
            Self::Pending => "pending",
            Self::Unplanned => "unplanned",
        }
    }
}

/// One event, serialized as a JSON object.
///
/// ```
/// use residency_delivery::{Compliance, DeliveryEvent, EventKind, UnixMillis};
/// use residency_core::Region;
///
/// let e = DeliveryEvent::new(EventKind::FailoverTriggered, Region::EU, 3, UnixMillis::new(5))
///     .to(Region::US, Compliance::MaskedPii)
///     .latency(1200);
/// assert_eq!(
///     e.to_json(),
///     r#"{"event":"failover_triggered","home_region":"EU","target_region":"US","endpoint":null,"status":null,"compliance":"masked_pii","items":3,"latency_ms":1200,"at":5}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryEvent {
    /// What happened.
    pub event: EventKind,
    /// The region body's home region.
    pub home_region: Region,
    /// Where the body went, when it went somewhere.
    pub target_region: Option<Region>,
    /// The endpoint concerned, when one is.
    pub endpoint: Option<EndpointId>,
    /// The HTTP status concerned, when one is.
    pub status: Option<u16>,
    /// How the body went, when it went somewhere.
    pub compliance: Option<Compliance>,
    /// How many routed items the region body holds (or, for
    /// [`EventKind::UncoveredRegime`], how many of them are uncovered).
    pub items: u32,
    /// Milliseconds from the start of the delivery to this event.
    pub latency_ms: u64,
    /// When the event happened (caller's epoch).
    pub at: UnixMillis,
}

impl DeliveryEvent {
    /// An event about a region body of `items` items homed in `home_region`.
    pub fn new(event: EventKind, home_region: Region, items: u32, at: UnixMillis) -> Self {
        Self {
            event,
            home_region,
            target_region: None,
            endpoint: None,
            status: None,
            compliance: None,
            items,
            latency_ms: 0,
            at,
        }
    }

    /// Sets the target region and compliance.
    #[must_use]
    pub fn to(mut self, target: Region, compliance: Compliance) -> Self {
        self.target_region = Some(target);
        self.compliance = Some(compliance);
        self
    }

    /// Sets the endpoint.
    #[must_use]
    pub fn endpoint(mut self, endpoint: EndpointId) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// Sets the HTTP status.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the latency.
    #[must_use]
    pub fn latency(mut self, ms: u64) -> Self {
        self.latency_ms = ms;
        self
    }

    /// The event as one compact JSON object (no newline).
    pub fn to_json(&self) -> String {
        // Strings, numbers and unit enums only: serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_match_serde() {
        let e = DeliveryEvent::new(
            EventKind::DeadLettered,
            Region::INDIA,
            2,
            UnixMillis::new(1),
        )
        .endpoint("in-1".parse().unwrap())
        .status(422);
        let json = e.to_json();
        assert!(json.starts_with(r#"{"event":"dead_lettered","home_region":"INDIA""#));
        assert_eq!(serde_json::from_str::<DeliveryEvent>(&json).unwrap(), e);
        for kind in [
            EventKind::FailoverTriggered,
            EventKind::Recovered,
            EventKind::MaskedCopyAccepted,
            EventKind::MaskingFailed,
            EventKind::EndpointRefused,
            EventKind::Poisoned,
            EventKind::DeadLettered,
            EventKind::UncoveredRegime,
            EventKind::Held,
            EventKind::Pending,
            EventKind::Unplanned,
        ] {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }
}
