//! Dead letters: bodies nothing could take, kept with their history and replayed in order.
//!
//! A [`DeadLetter`] keeps the original bytes (base64 in its JSON line), a summary of the
//! routing decision, the attempts made, the reasons, and the arrival sequence the
//! [`DeadLetterQueue`] gave it. Replay order is chronological by the payload's own
//! timestamp, then by arrival, and stable. Replaying re-enters the normal plan through
//! [`DeadLetter::replay_body`].

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Compliance, DeliveryBody, DeliveryError, EndpointId, Millis};
use crate::{Country, Regime, Region};

/// The routing decision a dead letter was made under, in plain serializable values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionSummary {
    /// The home region.
    pub region: Region,
    /// The users' countries.
    pub countries: Vec<Country>,
    /// The users' regimes.
    pub regimes: Vec<Regime>,
    /// The item ids (wamids, WASender key ids), in document order.
    pub item_ids: Vec<String>,
}

impl fmt::Debug for DecisionSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionSummary")
            .field("region", &self.region)
            .field("countries", &self.countries)
            .field("regimes", &self.regimes)
            .field("item_ids", &self.item_ids.len())
            .finish()
    }
}

/// One attempt made before a body was dead-lettered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// The endpoint tried.
    pub endpoint: EndpointId,
    /// Its region.
    pub region: Region,
    /// Whether the body went as received or masked.
    pub compliance: Compliance,
    /// When the attempt was sent.
    pub at: Millis,
    /// The HTTP status answered, or `None` for a timeout or connection failure.
    pub status: Option<u16>,
}

/// Why a body was dead-lettered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// The request arrived with `x-failover-count` above one.
    LoopDetected {
        /// The count it arrived with.
        failover_count: u8,
    },
    /// The `x-failover-count` header could not be read.
    InvalidFailoverCount,
    /// The body's region has no delivery policy.
    UnknownRegion,
    /// Every attempt allowed by the retry policy failed.
    RetriesExhausted {
        /// Attempts made (including rounds where no endpoint was available).
        attempts: u32,
    },
    /// An endpoint refused the body with a client error: retrying cannot help.
    Rejected {
        /// The HTTP status.
        status: u16,
    },
}

/// A body nothing could take.
///
/// `Debug` prints the body's length, never its bytes.
///
/// ```
/// use bytes::Bytes;
/// use residency_core::delivery::{DeadLetter, DeadLetterReason, DeliveryBody, Millis};
/// use residency_core::Region;
///
/// let body = DeliveryBody::new(Region::EU, Millis::from_secs(100)).with_countries(["DE".parse()?]);
/// let letter = DeadLetter::new(Bytes::from_static(b"{\"from\":\"4915112345678\"}"), &body, Millis::from_secs(101))
///     .with_reason(DeadLetterReason::RetriesExhausted { attempts: 5 });
/// assert!(!format!("{letter:?}").contains("4915112345678"));
/// let line = letter.to_json_line();
/// assert!(line.ends_with('\n'));
/// assert_eq!(DeadLetter::from_json_line(&line)?, letter);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Arrival sequence in the queue (0 until pushed).
    pub sequence: u64,
    /// The payload's own timestamp: the first replay key.
    pub payload_timestamp: Millis,
    /// When the router received the body.
    pub received_at: Millis,
    /// The routing decision.
    pub decision: DecisionSummary,
    /// The attempts made, in order.
    pub attempts: Vec<AttemptRecord>,
    /// Why the body was dead-lettered (a replayed letter that fails again gains reasons).
    pub reasons: Vec<DeadLetterReason>,
    /// The original bytes, as received (base64 in JSON).
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64")]
    pub body: Bytes,
}

fn ser_b64<S: Serializer>(b: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&BASE64.encode(b))
}

fn de_b64<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
    let s = String::deserialize(d)?;
    BASE64
        .decode(s.as_bytes())
        .map(Bytes::from)
        .map_err(|_| serde::de::Error::custom("body is not valid base64"))
}

impl DeadLetter {
    /// A letter for `body` (the original bytes) routed as `decision`, received at `received_at`.
    pub fn new(body: Bytes, decision: &DeliveryBody, received_at: Millis) -> Self {
        Self {
            sequence: 0,
            payload_timestamp: decision.payload_timestamp(),
            received_at,
            decision: decision.summary(),
            attempts: Vec::new(),
            reasons: Vec::new(),
            body,
        }
    }

    /// Adds a reason.
    #[must_use]
    pub fn with_reason(mut self, reason: DeadLetterReason) -> Self {
        self.reasons.push(reason);
        self
    }

    /// Adds attempt records.
    #[must_use]
    pub fn with_attempts(mut self, attempts: impl IntoIterator<Item = AttemptRecord>) -> Self {
        self.attempts.extend(attempts);
        self
    }

    /// The body to plan again on replay: same region, countries, regimes, ids and timestamp.
    ///
    /// Plan it with [`FailoverCount::ZERO`](super::FailoverCount::ZERO): a replay starts afresh.
    pub fn replay_body(&self) -> DeliveryBody {
        DeliveryBody::new(self.decision.region.clone(), self.payload_timestamp)
            .with_countries(self.decision.countries.iter().copied())
            .with_regimes(self.decision.regimes.iter().copied())
            .with_message_ids(self.decision.item_ids.iter().cloned())
    }

    /// The record as one JSON line (compact, newline-terminated).
    pub fn to_json_line(&self) -> String {
        // Every field serializes infallibly (strings, numbers, enums with string tags).
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }

    /// Reads one JSON line (a trailing newline is allowed).
    ///
    /// # Errors
    /// [`DeliveryError::InvalidDeadLetter`] with the line and column at fault, or
    /// [`DeliveryError::InvalidDeadLetterBody`] when the body is not base64.
    pub fn from_json_line(line: &str) -> Result<Self, DeliveryError> {
        serde_json::from_str(line.trim_end_matches(['\n', '\r'])).map_err(|e| {
            if e.to_string().starts_with("body is not valid base64") {
                DeliveryError::InvalidDeadLetterBody
            } else {
                DeliveryError::InvalidDeadLetter {
                    line: e.line(),
                    column: e.column(),
                }
            }
        })
    }

    /// The replay key: payload timestamp, then arrival sequence.
    pub fn replay_key(&self) -> (Millis, u64) {
        (self.payload_timestamp, self.sequence)
    }
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("sequence", &self.sequence)
            .field("payload_timestamp", &self.payload_timestamp)
            .field("received_at", &self.received_at)
            .field("decision", &self.decision)
            .field("attempts", &self.attempts)
            .field("reasons", &self.reasons)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Sorts letters into replay order: payload timestamp, then arrival sequence (stable).
pub fn sort_for_replay(letters: &mut [DeadLetter]) {
    letters.sort_by_key(DeadLetter::replay_key);
}

/// The dead-letter queue's bookkeeping: arrival sequence numbers and replay order.
///
/// The durable store is the caller's; this type keeps the letters it is given in memory,
/// numbers them, writes them as JSON lines and hands them back in replay order.
///
/// ```
/// use bytes::Bytes;
/// use residency_core::delivery::{DeadLetter, DeadLetterQueue, DeliveryBody, Millis};
/// use residency_core::Region;
///
/// let mut queue = DeadLetterQueue::new();
/// for (ts, text) in [(20, "late"), (10, "early"), (20, "late, second")] {
///     let body = DeliveryBody::new(Region::US, Millis::from_secs(ts));
///     queue.push(DeadLetter::new(Bytes::from(text), &body, Millis::from_secs(30)));
/// }
/// let order: Vec<_> = queue.drain_for_replay().into_iter().map(|l| l.body).collect();
/// assert_eq!(order, ["early", "late", "late, second"]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DeadLetterQueue {
    next_sequence: u64,
    letters: Vec<DeadLetter>,
}

impl DeadLetterQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `letter`, giving it the next arrival sequence number, which is returned.
    pub fn push(&mut self, mut letter: DeadLetter) -> u64 {
        let sequence = self.next_sequence;
        letter.sequence = sequence;
        self.next_sequence = self.next_sequence.saturating_add(1);
        self.letters.push(letter);
        sequence
    }

    /// Letters held.
    pub fn len(&self) -> usize {
        self.letters.len()
    }

    /// Whether no letter is held.
    pub fn is_empty(&self) -> bool {
        self.letters.is_empty()
    }

    /// The letters, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = &DeadLetter> {
        self.letters.iter()
    }

    /// Takes every letter out, in replay order.
    pub fn drain_for_replay(&mut self) -> Vec<DeadLetter> {
        let mut out = std::mem::take(&mut self.letters);
        sort_for_replay(&mut out);
        out
    }

    /// Every letter as JSON lines, in arrival order.
    pub fn to_json_lines(&self) -> String {
        self.letters.iter().map(DeadLetter::to_json_line).collect()
    }

    /// A queue read back from JSON lines (blank lines are skipped); new letters are numbered
    /// after the highest sequence read.
    ///
    /// # Errors
    /// As [`DeadLetter::from_json_line`], with the 1-based line number of the text.
    pub fn from_json_lines(text: &str) -> Result<Self, DeliveryError> {
        let mut queue = Self::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let letter = DeadLetter::from_json_line(line).map_err(|e| match e {
                DeliveryError::InvalidDeadLetter { column, .. } => {
                    DeliveryError::InvalidDeadLetter {
                        line: n.saturating_add(1),
                        column,
                    }
                }
                other => other,
            })?;
            queue.next_sequence = queue.next_sequence.max(letter.sequence.saturating_add(1));
            queue.letters.push(letter);
        }
        Ok(queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(ts: u64, text: &'static str) -> DeadLetter {
        let body = DeliveryBody::new(Region::EU, Millis::new(ts))
            .with_countries([Country::from_static("DE")])
            .with_message_ids(["wamid.X"]);
        DeadLetter::new(
            Bytes::from_static(text.as_bytes()),
            &body,
            Millis::new(ts + 5),
        )
    }

    #[test]
    fn json_line_shape() {
        let l = letter(7, "hi").with_reason(DeadLetterReason::Rejected { status: 401 });
        let line = l.to_json_line();
        assert_eq!(
            line,
            "{\"sequence\":0,\"payload_timestamp\":7,\"received_at\":12,\"decision\":{\"region\":\"EU\",\"countries\":[\"DE\"],\"regimes\":[\"eu_gdpr\"],\"item_ids\":[\"wamid.X\"]},\"attempts\":[],\"reasons\":[{\"reason\":\"rejected\",\"status\":401}],\"body\":\"aGk=\"}\n"
        );
    }

    #[test]
    fn bad_lines_are_typed_errors_without_values() {
        let good = letter(1, "x").to_json_line();
        let bad_b64 = good.replace("\"eA==\"", "\"%%%\"");
        assert_eq!(
            DeadLetter::from_json_line(&bad_b64),
            Err(DeliveryError::InvalidDeadLetterBody)
        );
        let bad_region = good.replace("\"EU\"", "\"eu-secret\"");
        let err = DeadLetter::from_json_line(&bad_region).unwrap_err();
        assert!(
            matches!(err, DeliveryError::InvalidDeadLetter { line: 1, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("secret"));
        let text = format!("{good}\nnot json\n");
        assert!(matches!(
            DeadLetterQueue::from_json_lines(&text),
            Err(DeliveryError::InvalidDeadLetter { line: 3, .. })
        ));
    }

    #[test]
    fn queue_round_trips_and_continues_numbering() {
        let mut q = DeadLetterQueue::new();
        q.push(letter(5, "a"));
        q.push(letter(3, "b"));
        let mut back = DeadLetterQueue::from_json_lines(&q.to_json_lines()).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back.push(letter(1, "c")), 2);
        let order: Vec<u64> = back.drain_for_replay().iter().map(|l| l.sequence).collect();
        assert_eq!(order, [2, 1, 0]);
        assert!(back.is_empty());
    }

    #[test]
    fn replay_body_matches_the_decision() {
        let l = letter(9, "z");
        let b = l.replay_body();
        assert_eq!(b.region(), &Region::EU);
        assert_eq!(b.payload_timestamp(), Millis::new(9));
        assert_eq!(b.summary(), l.decision);
    }

    #[test]
    fn debug_hides_bytes_and_ids() {
        let l = letter(1, "+4915112345678 says hi");
        let s = format!("{l:?}");
        assert!(
            s.contains("body_len: 22") && !s.contains("4915") && !s.contains("wamid"),
            "{s}"
        );
    }
}
