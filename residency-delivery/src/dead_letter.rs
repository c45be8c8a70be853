//! Dead letters: region bodies a node refused as such, kept **in their own region**.
//!
//! A body whose items a node rejects (400, 413, 422, ...) cannot be helped by retrying, and
//! must not be answered 503 for a week of provider retries either. It becomes a
//! [`DeadLetter`]: the region's own body (for a split batch, the split one, holding only that
//! region's items), a summary of the routing decision made of counts, countries and regimes
//! (never an item id or a phone number), the attempts made and the reason. The edge never
//! keeps it: a [`Delivery`](crate::Delivery) sends it to a node of the same region
//! ([`Purpose::DeadLetter`](crate::Purpose::DeadLetter)), which stores it; the store is the
//! caller's, and [`DeadLetterQueue`] is the bounded bookkeeping for it.
//!
//! Before replay a letter is **routed again** ([`DeadLetter::reroute`]) with the policy in
//! force: only the items that still belong to the letter's region are handed back for
//! replay, so a letter never reaches a region that may not hold it, even after a policy
//! change.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use residency_core::route::{Decision, Router};
use residency_core::{Country, Regime, Region};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Compliance, DeliveryError, EndpointId, UnixMillis};

/// Most attempt records a letter keeps (the latest ones).
pub const MAX_ATTEMPT_RECORDS: usize = 16;

/// Most reasons a letter keeps (the latest ones).
pub const MAX_REASONS: usize = 8;

/// The routing decision of a letter's body, as counts and configuration values only.
///
/// It holds no id and no phone number, so `Debug` is derived.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionSummary {
    /// Routed items in the body.
    pub items: u32,
    /// Items whose party has no country (routed to the default region, or by business).
    pub unattributed: u32,
    /// The users' countries, sorted, without repeats.
    pub countries: Vec<Country>,
    /// The users' regimes, sorted, without repeats.
    pub regimes: Vec<Regime>,
}

impl DecisionSummary {
    /// The summary of the items `decision` routes to `region`.
    pub fn of(decision: &Decision, region: &Region) -> Self {
        let mut summary = Self::default();
        for item in decision.items().filter(|i| i.region() == region) {
            summary.items = summary.items.saturating_add(1);
            match item.country() {
                Some(c) => {
                    summary.countries.push(c);
                    summary.regimes.extend(item.regime());
                }
                None => summary.unattributed = summary.unattributed.saturating_add(1),
            }
        }
        summary.countries.sort_unstable();
        summary.countries.dedup();
        summary.regimes.sort_unstable();
        summary.regimes.dedup();
        summary
    }
}

/// One attempt made before a body was dead-lettered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// The endpoint tried.
    pub endpoint: EndpointId,
    /// Its region.
    pub region: Region,
    /// Whether the body went as routed or masked.
    pub compliance: Compliance,
    /// When the attempt was answered (or given up on).
    pub at: UnixMillis,
    /// The HTTP status answered, or `None` for a timeout or connection failure.
    pub status: Option<u16>,
}

/// Why a body was dead-lettered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// A node refused the body itself with this client error: retrying cannot help.
    Rejected {
        /// The HTTP status.
        status: u16,
    },
}

/// A region body nothing will take as it is, kept in its own region.
///
/// `Debug` prints the body's length, never its bytes.
///
/// ```
/// use bytes::Bytes;
/// use residency_core::{Region, route::Router};
/// use residency_delivery::{DeadLetter, DeadLetterReason, UnixMillis};
///
/// let body = Bytes::from_static(br#"{"object":"whatsapp_business_account","entry":[{"id":"1",
///   "changes":[{"field":"messages","value":{"messages":[{"from":"4915112345678","id":"wamid.A",
///   "timestamp":"1","type":"text","text":{"body":"hallo"}}]}}]}]}"#);
/// let decision = Router::seed().route(body)?;
/// let letter = DeadLetter::new(&decision, &Region::EU, UnixMillis::from_secs(7), DeadLetterReason::Rejected { status: 422 })?;
/// assert_eq!(letter.summary().items, 1);
/// assert!(!format!("{letter:?}").contains("4915112345678"));
/// let line = letter.to_json_line();
/// assert!(line.ends_with('\n') && !line.contains("wamid.A")); // the body is base64
/// assert_eq!(DeadLetter::from_json_line(&line)?, letter);
/// // A letter is only ever made of its own region's items.
/// assert!(DeadLetter::new(&decision, &Region::US, UnixMillis::ZERO, DeadLetterReason::Rejected { status: 400 }).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    sequence: u64,
    region: Region,
    received_at: UnixMillis,
    summary: DecisionSummary,
    attempts: Vec<AttemptRecord>,
    reasons: Vec<DeadLetterReason>,
    #[serde(serialize_with = "ser_b64", deserialize_with = "de_b64")]
    body: Bytes,
}

fn ser_b64<S: Serializer>(b: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&BASE64.encode(b))
}

fn de_b64<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
    let s = String::deserialize(d)?;
    BASE64
        .decode(s.as_bytes())
        .map(Bytes::from)
        .map_err(|_| serde::de::Error::custom("field body is not valid base64"))
}

impl DeadLetter {
    /// The letter for the body `decision` routes to `region` (the split one, for a mixed
    /// batch), received at `received_at`, refused for `reason`.
    ///
    /// # Errors
    /// [`DeliveryError::DeadLetterOutsideRegion`] when `decision` has no body for `region`.
    pub fn new(
        decision: &Decision,
        region: &Region,
        received_at: UnixMillis,
        reason: DeadLetterReason,
    ) -> Result<Self, DeliveryError> {
        let body = decision
            .bodies()
            .iter()
            .find(|b| b.region() == region)
            .ok_or(DeliveryError::DeadLetterOutsideRegion)?;
        Ok(Self {
            sequence: 0,
            region: region.clone(),
            received_at,
            summary: DecisionSummary::of(decision, region),
            attempts: Vec::new(),
            reasons: vec![reason],
            body: body.body().clone(),
        })
    }

    /// Adds attempt records, keeping the latest [`MAX_ATTEMPT_RECORDS`].
    #[must_use]
    pub fn with_attempts(mut self, attempts: impl IntoIterator<Item = AttemptRecord>) -> Self {
        self.attempts.extend(attempts);
        let excess = self.attempts.len().saturating_sub(MAX_ATTEMPT_RECORDS);
        self.attempts.drain(..excess);
        self
    }

    /// Adds a reason (a replayed letter refused again), keeping the latest [`MAX_REASONS`].
    #[must_use]
    pub fn with_reason(mut self, reason: DeadLetterReason) -> Self {
        self.reasons.push(reason);
        let excess = self.reasons.len().saturating_sub(MAX_REASONS);
        self.reasons.drain(..excess);
        self
    }

    /// The arrival sequence its [`DeadLetterQueue`] gave it (0 until pushed).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The region that holds it, and the only one its body may be replayed in.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// When the edge received the body.
    pub fn received_at(&self) -> UnixMillis {
        self.received_at
    }

    /// The routing decision, as counts, countries and regimes.
    pub fn summary(&self) -> &DecisionSummary {
        &self.summary
    }

    /// The attempts made, oldest first.
    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.attempts
    }

    /// Why the body was dead-lettered, oldest first.
    pub fn reasons(&self) -> &[DeadLetterReason] {
        &self.reasons
    }

    /// The region body, as routed. It holds personal data of the region's users: keep it in
    /// the region.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The replay key: arrival time at the edge, then arrival sequence in the queue.
    pub fn replay_key(&self) -> (UnixMillis, u64) {
        (self.received_at, self.sequence)
    }

    /// Routes the letter's body again with `router` (the policy in force now) and keeps what
    /// still belongs to the letter's region: the only part that may be replayed.
    ///
    /// # Errors
    /// [`DeliveryError::Route`] when the body no longer routes (e.g. tighter limits).
    pub fn reroute(&self, router: &Router) -> Result<Rerouted, DeliveryError> {
        let decision = router.route(self.body.clone())?;
        let mut here = None;
        let mut elsewhere = Vec::new();
        for body in decision.bodies() {
            if body.region() == &self.region {
                here = Some((body.body().clone(), body.item_count()));
            } else if body.item_count() > 0 {
                elsewhere.push((body.region().clone(), body.item_count()));
            }
        }
        Ok(Rerouted {
            region: self.region.clone(),
            here,
            elsewhere,
        })
    }

    /// The record as one JSON line (compact, newline-terminated; the body in base64).
    pub fn to_json_line(&self) -> String {
        // Strings, numbers and enums with string tags only: serialization cannot fail.
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }

    /// Reads one JSON line (a trailing newline is allowed); attempt records and reasons
    /// beyond their bounds are dropped, oldest first.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidDeadLetter`] with the line and column at fault.
    pub fn from_json_line(line: &str) -> Result<Self, DeliveryError> {
        let letter: Self =
            serde_json::from_str(line.trim_end_matches(['\n', '\r'])).map_err(|e| {
                DeliveryError::InvalidDeadLetter {
                    line: e.line(),
                    column: e.column(),
                }
            })?;
        let attempts = letter.attempts.clone();
        let reasons = letter.reasons.clone();
        let mut bounded = Self {
            attempts: Vec::new(),
            reasons: Vec::new(),
            ..letter
        }
        .with_attempts(attempts);
        for r in reasons {
            bounded = bounded.with_reason(r);
        }
        Ok(bounded)
    }
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("sequence", &self.sequence)
            .field("region", &self.region)
            .field("received_at", &self.received_at)
            .field("summary", &self.summary)
            .field("attempts", &self.attempts)
            .field("reasons", &self.reasons)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A letter routed again: the part that may be replayed in its region, and what now belongs
/// elsewhere.
///
/// `Debug` prints lengths and counts only.
#[derive(Clone, PartialEq, Eq)]
pub struct Rerouted {
    region: Region,
    here: Option<(Bytes, usize)>,
    elsewhere: Vec<(Region, usize)>,
}

impl Rerouted {
    /// The letter's region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The body to replay in the letter's region, holding only the items that still belong
    /// there (`None` when none does).
    pub fn body(&self) -> Option<&Bytes> {
        self.here.as_ref().map(|(b, _)| b)
    }

    /// Items of the replayable body.
    pub fn items(&self) -> usize {
        self.here.as_ref().map_or(0, |(_, n)| *n)
    }

    /// Regions the rest of the items now route to, with their counts. They are not replayed:
    /// the letter stays until an operator decides.
    pub fn elsewhere(&self) -> &[(Region, usize)] {
        &self.elsewhere
    }

    /// Whether every item still belongs to the letter's region.
    pub fn is_complete(&self) -> bool {
        self.elsewhere.is_empty()
    }
}

impl fmt::Debug for Rerouted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rerouted")
            .field("region", &self.region)
            .field("body_len", &self.here.as_ref().map(|(b, _)| b.len()))
            .field("items", &self.items())
            .field("elsewhere", &self.elsewhere)
            .finish()
    }
}

/// A region's dead letters, bounded by count and bytes: sequence numbers, replay order and
/// the JSON-lines form. The durable store is the caller's (the regional node's database).
///
/// ```
/// use bytes::Bytes;
/// use residency_core::{Region, route::Router};
/// use residency_delivery::{DeadLetter, DeadLetterQueue, DeadLetterReason, UnixMillis};
///
/// let decision = Router::seed().route(Bytes::from_static(br#"{"event":"messages.upsert","data":{"key":{"id":"K1",
///   "remoteJid":"4915112345678@s.whatsapp.net"}}}"#))?;
/// let mut queue = DeadLetterQueue::new(Region::EU, 1_000, 16 << 20)?;
/// for at in [20, 10] {
///     let letter = DeadLetter::new(&decision, &Region::EU, UnixMillis::new(at), DeadLetterReason::Rejected { status: 400 })?;
///     queue.push(letter)?;
/// }
/// let order: Vec<_> = queue.drain_for_replay().iter().map(|l| l.received_at().get()).collect();
/// assert_eq!(order, [10, 20]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct DeadLetterQueue {
    region: Region,
    max_letters: usize,
    max_bytes: usize,
    bytes: usize,
    next_sequence: u64,
    letters: Vec<DeadLetter>,
}

impl DeadLetterQueue {
    /// An empty queue for `region`, holding at most `max_letters` letters and `max_bytes`
    /// bytes of bodies.
    ///
    /// # Errors
    /// [`DeliveryError::InvalidConfig`] (`dead_letters.max_letters`, `dead_letters.max_bytes`)
    /// for a zero bound.
    pub fn new(
        region: Region,
        max_letters: usize,
        max_bytes: usize,
    ) -> Result<Self, DeliveryError> {
        if max_letters == 0 {
            return Err(DeliveryError::InvalidConfig {
                field: "dead_letters.max_letters",
            });
        }
        if max_bytes == 0 {
            return Err(DeliveryError::InvalidConfig {
                field: "dead_letters.max_bytes",
            });
        }
        Ok(Self {
            region,
            max_letters,
            max_bytes,
            bytes: 0,
            next_sequence: 0,
            letters: Vec::new(),
        })
    }

    /// The region whose letters this queue holds.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Appends `letter`, giving it the next arrival sequence number, which is returned.
    ///
    /// # Errors
    /// [`DeliveryError::DeadLetterOutsideRegion`] for a letter of another region,
    /// [`DeliveryError::DeadLettersFull`] when a bound would be passed (the node answers 503:
    /// the body stays with the provider).
    pub fn push(&mut self, mut letter: DeadLetter) -> Result<u64, DeliveryError> {
        if letter.region != self.region {
            return Err(DeliveryError::DeadLetterOutsideRegion);
        }
        if self.letters.len() >= self.max_letters {
            return Err(DeliveryError::DeadLettersFull { limit: "count" });
        }
        let bytes = self.bytes.saturating_add(letter.body.len());
        if bytes > self.max_bytes {
            return Err(DeliveryError::DeadLettersFull { limit: "bytes" });
        }
        let sequence = self.next_sequence;
        letter.sequence = sequence;
        self.next_sequence = self.next_sequence.saturating_add(1);
        self.bytes = bytes;
        self.letters.push(letter);
        Ok(sequence)
    }

    /// Letters held.
    pub fn len(&self) -> usize {
        self.letters.len()
    }

    /// Whether no letter is held.
    pub fn is_empty(&self) -> bool {
        self.letters.is_empty()
    }

    /// Bytes of bodies held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The letters, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = &DeadLetter> {
        self.letters.iter()
    }

    /// Takes every letter out, in replay order: arrival time, then arrival sequence.
    pub fn drain_for_replay(&mut self) -> Vec<DeadLetter> {
        let mut out = std::mem::take(&mut self.letters);
        self.bytes = 0;
        out.sort_by_key(DeadLetter::replay_key);
        out
    }

    /// Every letter as JSON lines, in arrival order.
    pub fn to_json_lines(&self) -> String {
        self.letters.iter().map(DeadLetter::to_json_line).collect()
    }

    /// A queue for `region` read back from JSON lines (blank lines are skipped); new letters
    /// are numbered after the highest sequence read.
    ///
    /// # Errors
    /// As [`DeadLetter::from_json_line`] with the 1-based line number of the text, and as
    /// [`DeadLetterQueue::push`] for a letter of another region or past a bound.
    pub fn from_json_lines(
        region: Region,
        max_letters: usize,
        max_bytes: usize,
        text: &str,
    ) -> Result<Self, DeliveryError> {
        let mut queue = Self::new(region, max_letters, max_bytes)?;
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
            let sequence = letter.sequence;
            queue.push(letter)?;
            if let Some(last) = queue.letters.last_mut() {
                last.sequence = sequence;
            }
            queue.next_sequence = queue.next_sequence.max(sequence.saturating_add(1));
        }
        Ok(queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"2"},"messages":[{"from":"4915112345678","id":"wamid.DE","timestamp":"1","type":"text","text":{"body":"hallo"}},{"from":"5511987654321","id":"wamid.BR","timestamp":"1","type":"text","text":{"body":"oi"}}]}}]}]}"#;

    fn decision() -> Decision {
        Router::seed().route(Bytes::from_static(MIXED)).unwrap()
    }

    fn letter(at: u64) -> DeadLetter {
        DeadLetter::new(
            &decision(),
            &Region::EU,
            UnixMillis::new(at),
            DeadLetterReason::Rejected { status: 422 },
        )
        .unwrap()
    }

    #[test]
    fn a_letter_holds_only_its_regions_body_and_no_ids() {
        let l = letter(1);
        let body = std::str::from_utf8(l.body()).unwrap();
        assert!(body.contains("wamid.DE") && !body.contains("wamid.BR"));
        assert_eq!(l.summary().items, 1);
        assert_eq!(l.summary().countries, [Country::from_static("DE")]);
        assert_eq!(l.summary().regimes, [Regime::EuGdpr]);
        let line = l.to_json_line();
        assert!(!line.contains("wamid") && !line.contains("4915112345678"));
        let debug = format!("{l:?}");
        assert!(
            !debug.contains("wamid") && !debug.contains("4915"),
            "{debug}"
        );
        assert!(debug.contains("body_len"));
    }

    #[test]
    fn json_line_shape_and_errors() {
        let l = letter(7);
        let line = l.to_json_line();
        assert!(line.starts_with(
            r#"{"sequence":0,"region":"EU","received_at":7,"summary":{"items":1,"unattributed":0,"countries":["DE"],"regimes":["eu_gdpr"]},"attempts":[],"reasons":[{"reason":"rejected","status":422}],"body":""#
        ));
        let bad_region = line.replace("\"EU\"", "\"eu-secret\"");
        let err = DeadLetter::from_json_line(&bad_region).unwrap_err();
        assert!(matches!(
            err,
            DeliveryError::InvalidDeadLetter { line: 1, .. }
        ));
        assert!(!err.to_string().contains("secret"));
        let text = format!("{line}\nnot json\n");
        assert!(matches!(
            DeadLetterQueue::from_json_lines(Region::EU, 10, 1 << 20, &text),
            Err(DeliveryError::InvalidDeadLetter { line: 3, .. })
        ));
    }

    #[test]
    fn records_and_reasons_are_bounded() {
        let record = AttemptRecord {
            endpoint: "eu-1".parse().unwrap(),
            region: Region::EU,
            compliance: Compliance::Full,
            at: UnixMillis::new(1),
            status: Some(422),
        };
        let mut l = letter(1).with_attempts(vec![record; 40]);
        for s in 0..20 {
            l = l.with_reason(DeadLetterReason::Rejected { status: 400 + s });
        }
        assert_eq!(l.attempts().len(), MAX_ATTEMPT_RECORDS);
        assert_eq!(l.reasons().len(), MAX_REASONS);
        assert_eq!(
            l.reasons().last(),
            Some(&DeadLetterReason::Rejected { status: 419 })
        );
        assert_eq!(DeadLetter::from_json_line(&l.to_json_line()).unwrap(), l);
    }

    #[test]
    fn queue_is_bounded_and_region_bound() {
        let size = letter(1).body().len();
        let mut q = DeadLetterQueue::new(Region::EU, 2, size * 3).unwrap();
        assert_eq!(q.push(letter(5)).unwrap(), 0);
        assert_eq!(q.push(letter(3)).unwrap(), 1);
        assert!(matches!(
            q.push(letter(1)),
            Err(DeliveryError::DeadLettersFull { limit: "count" })
        ));
        let mut small = DeadLetterQueue::new(Region::EU, 10, size).unwrap();
        small.push(letter(1)).unwrap();
        assert!(matches!(
            small.push(letter(2)),
            Err(DeliveryError::DeadLettersFull { limit: "bytes" })
        ));
        let mut latam = DeadLetterQueue::new(Region::LATAM, 10, 1 << 20).unwrap();
        assert!(matches!(
            latam.push(letter(1)),
            Err(DeliveryError::DeadLetterOutsideRegion)
        ));
        assert!(matches!(
            DeadLetterQueue::from_json_lines(Region::LATAM, 10, 1 << 20, &q.to_json_lines()),
            Err(DeliveryError::DeadLetterOutsideRegion)
        ));
        let mut back =
            DeadLetterQueue::from_json_lines(Region::EU, 10, 1 << 20, &q.to_json_lines()).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back.push(letter(1)).unwrap(), 2);
        let order: Vec<u64> = back
            .drain_for_replay()
            .iter()
            .map(DeadLetter::sequence)
            .collect();
        assert_eq!(order, [2, 1, 0]);
        assert!(back.is_empty() && back.bytes() == 0);
    }

    #[test]
    fn reroute_keeps_only_what_belongs_to_the_region() {
        let l = letter(1);
        let r = l.reroute(&Router::seed()).unwrap();
        assert!(r.is_complete());
        assert_eq!((r.items(), r.body()), (1, Some(l.body())));
        // The policy moved Germany to its own region: nothing is replayed in the EU.
        let de = Region::from_static("DE");
        let policy = residency_core::Policy::builder(Region::US)
            .country(Country::from_static("DE"), de.clone())
            .build()
            .unwrap();
        let r = l.reroute(&Router::new(policy)).unwrap();
        assert_eq!(r.body(), None);
        assert_eq!(r.elsewhere(), [(de, 1)]);
        assert!(!format!("{r:?}").contains("wamid"));
    }
}
