//! Failover events: the JSON records operators chart.
//!
//! ```json
//! {"event_type":"failover","message_id":"wamid.X","primary_region":"EU","status":"failover_triggered",
//!  "target_region":"US","latency_ms":1200,"compliance_mode":"masked_pii","timestamp":1700000001200}
//! ```

use serde::{Deserialize, Serialize};

use super::{Compliance, Millis};
use crate::Region;

/// The family of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventType {
    /// A body moved off its primary endpoint, or came back after failures.
    Failover,
    /// A body was dead-lettered.
    DeadLetter,
    /// A dead-lettered body was delivered on replay.
    Replay,
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventStatus {
    /// An attempt went to an endpoint other than the primary.
    FailoverTriggered,
    /// The body was delivered after at least one failed attempt.
    Recovered,
    /// Nothing could take the body: it went to the dead-letter queue.
    DeadLettered,
    /// A replayed dead letter was delivered.
    Replayed,
}

impl EventStatus {
    /// The event family this status belongs to.
    pub fn event_type(self) -> EventType {
        match self {
            Self::FailoverTriggered | Self::Recovered => EventType::Failover,
            Self::DeadLettered => EventType::DeadLetter,
            Self::Replayed => EventType::Replay,
        }
    }
}

/// One event, serialized as a JSON object.
///
/// ```
/// use residency_core::delivery::{Compliance, EventStatus, FailoverEvent, Millis};
/// use residency_core::Region;
///
/// let e = FailoverEvent::new(EventStatus::FailoverTriggered, Some("wamid.X"), Region::EU, Millis::new(5))
///     .to(Region::US, Compliance::MaskedPii)
///     .latency(1200);
/// assert_eq!(
///     e.to_json(),
///     r#"{"event_type":"failover","message_id":"wamid.X","primary_region":"EU","status":"failover_triggered","target_region":"US","latency_ms":1200,"compliance_mode":"masked_pii","timestamp":5}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverEvent {
    /// The event family.
    pub event_type: EventType,
    /// The item id (wamid, WASender key id), when the event is about one.
    pub message_id: Option<String>,
    /// The body's home region.
    pub primary_region: Region,
    /// What happened.
    pub status: EventStatus,
    /// Where the body went, when it went somewhere.
    pub target_region: Option<Region>,
    /// Milliseconds from the first attempt to this event.
    pub latency_ms: u64,
    /// Whether the body went as received (`full`) or masked (`masked_pii`).
    pub compliance_mode: Compliance,
    /// When the event happened (caller's epoch, milliseconds).
    pub timestamp: Millis,
}

impl FailoverEvent {
    /// An event about `message_id` of a body homed in `primary_region`, with no target yet.
    pub fn new(
        status: EventStatus,
        message_id: Option<&str>,
        primary_region: Region,
        timestamp: Millis,
    ) -> Self {
        Self {
            event_type: status.event_type(),
            message_id: message_id.map(str::to_owned),
            primary_region,
            status,
            target_region: None,
            latency_ms: 0,
            compliance_mode: Compliance::Full,
            timestamp,
        }
    }

    /// Sets the target region and compliance mode.
    #[must_use]
    pub fn to(mut self, target: Region, compliance: Compliance) -> Self {
        self.target_region = Some(target);
        self.compliance_mode = compliance;
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
    fn dead_letter_event_has_null_target() {
        let e = FailoverEvent::new(
            EventStatus::DeadLettered,
            None,
            Region::INDIA,
            Millis::new(1),
        );
        assert_eq!(
            e.to_json(),
            r#"{"event_type":"dead_letter","message_id":null,"primary_region":"INDIA","status":"dead_lettered","target_region":null,"latency_ms":0,"compliance_mode":"full","timestamp":1}"#
        );
        let back: FailoverEvent = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn statuses_map_to_families() {
        assert_eq!(EventStatus::Recovered.event_type(), EventType::Failover);
        assert_eq!(EventStatus::Replayed.event_type(), EventType::Replay);
    }
}
