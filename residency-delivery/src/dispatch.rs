//! [`Delivery`]: the sans-IO state machine of one POST, from its region bodies to one
//! [`Verdict`].
//!
//! The caller (an async handler of the edge router) loops:
//!
//! 1. [`Delivery::next`] says what to do now: [`Next::Send`] an [`Attempt`] (to an
//!    endpoint, with its body, headers and answer-by time; call `next` again at once, other
//!    regions may have one too), [`Next::Wait`] until a time or an answer, or
//!    [`Next::Done`] with the verdict;
//! 2. when an attempt is answered (or times out), [`Delivery::report`] it with the time.
//!
//! Region bodies are delivered concurrently, one attempt in flight per region body. Within a
//! region body, attempts go down its [`Plan`] (home primary first); a failure
//! moves straight to the next endpoint, so every endpoint gets its turn in each round. A
//! round in which something was tried counts against [`RetryPolicy`](crate::RetryPolicy);
//! one in which the health book admitted nothing does not, and waits for the first half-open
//! probe instead.
//!
//! The verdict is [`Verdict::Ack`] only when **every** region body was accepted by a node of
//! a region that may hold it (its home region, or a failover region that holds its regimes),
//! or stored as a dead letter in its home region. A masked copy accepted elsewhere leaves the
//! region body pending. Anything pending at the deadline makes it [`Verdict::RetryLater`]:
//! answer 503 and the provider, which keeps the body, delivers it again.

use std::fmt;

use bytes::Bytes;
use pii_mask::{MaskedBody, Mode};
use residency_core::Region;
use residency_core::auth::{EDGE_SIGNATURE_HEADER, EdgeKey, EdgePurpose, FAILOVER_COUNT_HEADER};
use residency_core::route::Decision;

use crate::dead_letter::MAX_ATTEMPT_RECORDS;
use crate::health::{StatusClass, classify};
use crate::plan::{Cursor, Step};
use crate::time::{Clamp, duration_ms};
use crate::{
    AttemptRecord, Compliance, DeadLetter, DeadLetterReason, DeliveryError, DeliveryEvent,
    Deployment, EndpointId, EventKind, FailoverCount, HealthBook, Plan, RandomSource,
    RetryDecision, Signal, UncoveredAction, UnixMillis,
};

/// The answer to give the provider for one POST.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Every region body is held by a node of a region that may hold it: answer 200.
    Ack,
    /// Something is pending: answer 503 with `Retry-After`; the provider keeps the body and
    /// delivers it again.
    RetryLater,
}

impl Verdict {
    /// The HTTP status to answer: 200 or 503.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Ack => 200,
            Self::RetryLater => 503,
        }
    }
}

/// What the caller should do next.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Next {
    /// Send this attempt now, then call [`Delivery::next`] again (more may be ready).
    Send(Attempt),
    /// Nothing to send before `until`: wait for an in-flight answer or for that time,
    /// whichever comes first, then call [`Delivery::next`] again.
    Wait {
        /// The latest time to call `next` again (never after the deadline).
        until: UnixMillis,
    },
    /// Finished: answer the provider.
    Done(Verdict),
}

/// The handle of one attempt, to report its answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptId(u32);

impl AttemptId {
    /// The attempt's number within its delivery, from 0.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// What an attempt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// Deliver the region body as routed (the node's ingest endpoint).
    Deliver,
    /// Deliver a masked copy to a failover region (the node's masked-copy endpoint).
    MaskedCopy,
    /// Store a dead letter ([`DeadLetter`] as a JSON line) in the body's home region (the
    /// node's dead-letter endpoint).
    DeadLetter,
}

impl Purpose {
    /// The purpose the edge signature covers, so a node refuses a body sent to another
    /// purpose's endpoint.
    pub fn edge_purpose(self) -> EdgePurpose {
        match self {
            Self::Deliver => EdgePurpose::Deliver,
            Self::MaskedCopy => EdgePurpose::MaskedCopy,
            Self::DeadLetter => EdgePurpose::DeadLetter,
        }
    }
}

/// A masked body's bytes, made only from a [`MaskedBody`]: a masked route cannot be handed
/// anything else.
#[derive(Clone, PartialEq, Eq)]
pub struct MaskedPayload {
    bytes: Bytes,
    mode: Mode,
}

impl MaskedPayload {
    /// The masked JSON.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The masking mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

impl From<MaskedBody> for MaskedPayload {
    fn from(body: MaskedBody) -> Self {
        let mode = body.mode();
        Self {
            bytes: Bytes::from(body.into_vec()),
            mode,
        }
    }
}

impl fmt::Debug for MaskedPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaskedPayload")
            .field("mode", &self.mode)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The body of an attempt.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// The region body as routed: the original bytes, or the split body of a mixed batch.
    Full(Bytes),
    /// A masked copy, only ever made by the deployment's failover masker.
    Masked(MaskedPayload),
    /// A dead letter's JSON line.
    DeadLetter(Bytes),
}

impl Payload {
    /// The bytes to send.
    pub fn bytes(&self) -> &Bytes {
        match self {
            Self::Full(b) | Self::DeadLetter(b) => b,
            Self::Masked(m) => m.bytes(),
        }
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, len) = match self {
            Self::Full(b) => ("Full", b.len()),
            Self::Masked(m) => ("Masked", m.bytes.len()),
            Self::DeadLetter(b) => ("DeadLetter", b.len()),
        };
        write!(f, "{name}({len} bytes)")
    }
}

/// One request to make: where, what, with which headers, answered by when.
///
/// `Debug` shows the body's length, never its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Attempt {
    id: AttemptId,
    endpoint: EndpointId,
    region: Region,
    home: Region,
    payload: Payload,
    failover_count: FailoverCount,
    respond_by: UnixMillis,
    unchanged: bool,
}

impl Attempt {
    /// The handle to report the answer with.
    pub fn id(&self) -> AttemptId {
        self.id
    }

    /// The endpoint to send to.
    pub fn endpoint(&self) -> &EndpointId {
        &self.endpoint
    }

    /// The endpoint's region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The region body's home region.
    pub fn home_region(&self) -> &Region {
        &self.home
    }

    /// What goes in the request body.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The request body's bytes.
    pub fn body(&self) -> &Bytes {
        self.payload.bytes()
    }

    /// What the attempt is for (which endpoint path to use).
    pub fn purpose(&self) -> Purpose {
        match self.payload {
            Payload::Full(_) => Purpose::Deliver,
            Payload::Masked(_) => Purpose::MaskedCopy,
            Payload::DeadLetter(_) => Purpose::DeadLetter,
        }
    }

    /// Whether the body goes as routed or masked.
    pub fn compliance(&self) -> Compliance {
        match self.payload {
            Payload::Masked(_) => Compliance::MaskedPii,
            _ => Compliance::Full,
        }
    }

    /// The hop count to write into `x-failover-count` (it is part of the edge signature).
    pub fn failover_count(&self) -> FailoverCount {
        self.failover_count
    }

    /// The time by which an answer must have come; report [`Answer::NoResponse`] then.
    pub fn respond_by(&self) -> UnixMillis {
        self.respond_by
    }

    /// Whether the body is the provider's original bytes, so the provider's signature header
    /// (`x-hub-signature-256`) may be sent along and still verifies.
    pub fn forwards_provider_signature(&self) -> bool {
        self.unchanged && matches!(self.payload, Payload::Full(_))
    }

    /// The `x-residency-signature` value: the edge key's signature over the body, the hop
    /// count and the purpose, at `now`.
    pub fn edge_signature(&self, key: &EdgeKey, now: residency_time::UnixSeconds) -> String {
        key.sign(
            self.body(),
            self.failover_count.get(),
            self.purpose().edge_purpose(),
            now,
        )
    }

    /// The two headers every attempt carries: `x-failover-count` and
    /// `x-residency-signature` (signed with `key` at `now`).
    pub fn headers(
        &self,
        key: &EdgeKey,
        now: residency_time::UnixSeconds,
    ) -> [(&'static str, String); 2] {
        [
            (FAILOVER_COUNT_HEADER, self.failover_count.to_header_value()),
            (EDGE_SIGNATURE_HEADER, self.edge_signature(key, now)),
        ]
    }
}

impl fmt::Debug for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("home", &self.home)
            .field("payload", &self.payload)
            .field("failover_count", &self.failover_count)
            .field("respond_by", &self.respond_by)
            .finish()
    }
}

/// How an attempt was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Answer {
    /// The endpoint answered with this HTTP status.
    Status(u16),
    /// No answer by [`Attempt::respond_by`]: a timeout, a refused connection, a reset.
    NoResponse,
}

/// Why a region body is still pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PendingReason {
    /// The deadline came first.
    Deadline,
    /// Every round allowed by the retry policy failed.
    RoundsExhausted,
    /// No endpoint of the plan will admit a request before the deadline.
    Unavailable,
    /// Held back: it holds uncovered items ([`UncoveredAction::Hold`]).
    Held,
    /// Its region is not in the topology (a decision made with another policy).
    Unplanned,
}

/// Where a region body stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionOutcome {
    /// A node took the full body.
    Accepted {
        /// The node's region: the home region, or a failover region that holds every
        /// restricted regime of the body.
        region: Region,
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// A node refused the body itself, and a node of its home region stored it as a dead
    /// letter.
    DeadLettered {
        /// Why the body was refused.
        reason: DeadLetterReason,
    },
    /// Not settled: the POST is answered [`Verdict::RetryLater`].
    Pending {
        /// Why.
        reason: PendingReason,
        /// The failover region that accepted a masked copy, if one did: the full body
        /// still has to reach the home region.
        masked_copy: Option<Region>,
    },
}

impl RegionOutcome {
    /// Whether the region body is settled (accepted, or stored as a dead letter).
    pub fn is_settled(&self) -> bool {
        !matches!(self, Self::Pending { .. })
    }
}

/// One region body of a delivery, as it stands.
#[derive(Clone, Copy, Debug)]
pub struct RegionStatus<'d> {
    region: &'d Region,
    items: usize,
    uncovered: u32,
    outcome: Option<&'d RegionOutcome>,
    in_flight: bool,
}

impl<'d> RegionStatus<'d> {
    /// The home region.
    pub fn region(&self) -> &'d Region {
        self.region
    }

    /// Routed items in the region body.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Items of a localised regime the home region does not hold.
    pub fn uncovered(&self) -> u32 {
        self.uncovered
    }

    /// How it ended, once it has (all have once the verdict is given).
    pub fn outcome(&self) -> Option<&'d RegionOutcome> {
        self.outcome
    }

    /// Whether an attempt is awaiting its answer.
    pub fn in_flight(&self) -> bool {
        self.in_flight
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Delivering,
    DeadLettering(DeadLetterReason),
}

#[derive(Clone, Debug)]
enum MaskedState {
    NotBuilt,
    Built(MaskedPayload),
    Unavailable,
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    id: AttemptId,
    step: Step,
    masked: bool,
}

/// One region body's delivery.
struct Run<'a> {
    body: usize,
    region: &'a Region,
    items: u32,
    uncovered: u32,
    plan: Option<Plan<'a>>,
    home_only: bool,
    phase: Phase,
    cursor: Cursor,
    rounds: u32,
    tried_this_round: bool,
    failures: u32,
    not_before: UnixMillis,
    in_flight: Option<InFlight>,
    masked: MaskedState,
    masked_copy: Option<Region>,
    letter: Option<Bytes>,
    records: Vec<AttemptRecord>,
    outcome: Option<RegionOutcome>,
}

enum RunStep {
    Send(Attempt),
    Wait(UnixMillis),
    InFlight,
    Settled,
}

/// The delivery of every region body of one POST (see the module docs).
///
/// `Debug` shows regions, counts and states, never a body or an id.
pub struct Delivery<'a> {
    deployment: &'a Deployment,
    decision: &'a Decision,
    started: UnixMillis,
    deadline: UnixMillis,
    clock: Clamp,
    runs: Vec<Run<'a>>,
    next_id: u32,
    events: Vec<DeliveryEvent>,
    verdict: Option<Verdict>,
}

impl fmt::Debug for Delivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("started", &self.started)
            .field("deadline", &self.deadline)
            .field("verdict", &self.verdict)
            .field("regions", &self.regions().collect::<Vec<_>>())
            .field("attempts", &self.next_id)
            .finish_non_exhaustive()
    }
}

impl<'a> Delivery<'a> {
    pub(crate) fn start(
        deployment: &'a Deployment,
        decision: &'a Decision,
        arrived: FailoverCount,
        only: Option<&Region>,
        now: UnixMillis,
    ) -> Self {
        let topology = deployment.topology();
        let config = deployment.config();
        let bodies = decision.bodies();
        let mut runs = Vec::with_capacity(bodies.len());
        let mut events = Vec::new();
        for (b, body) in bodies.iter().enumerate() {
            let region = body.region();
            if only.is_some_and(|r| r != region) {
                continue;
            }
            let index = topology.index_of(region);
            let unheld = index.map_or_else(Default::default, |i| deployment.unheld_localised(i));
            let mut regimes = crate::regime_set::RegimeSet::EMPTY;
            let mut uncovered = 0u32;
            let mut items = 0u32;
            for item in decision.items() {
                if item.region() != region {
                    continue;
                }
                items = items.saturating_add(1);
                if let Some(r) = item.regime() {
                    regimes.insert(r);
                    if unheld.contains(r) {
                        uncovered = uncovered.saturating_add(1);
                    }
                }
            }
            let plan = index.and_then(|i| topology.plan_at(i, regimes, arrived));
            let mut outcome = None;
            if plan.is_none() {
                outcome = Some(pending(PendingReason::Unplanned, None));
                events.push(DeliveryEvent::new(
                    EventKind::Unplanned,
                    region.clone(),
                    items,
                    now,
                ));
            } else if uncovered > 0 {
                events.push(DeliveryEvent::new(
                    EventKind::UncoveredRegime,
                    region.clone(),
                    uncovered,
                    now,
                ));
                if config.uncovered == UncoveredAction::Hold {
                    outcome = Some(pending(PendingReason::Held, None));
                    events.push(DeliveryEvent::new(
                        EventKind::Held,
                        region.clone(),
                        items,
                        now,
                    ));
                }
            }
            runs.push(Run {
                body: b,
                region,
                items,
                uncovered,
                plan,
                home_only: only.is_some(),
                phase: Phase::Delivering,
                cursor: Cursor::default(),
                rounds: 0,
                tried_this_round: false,
                failures: 0,
                not_before: now,
                in_flight: None,
                masked: MaskedState::NotBuilt,
                masked_copy: None,
                letter: None,
                records: Vec::new(),
                outcome,
            });
        }
        Self {
            deployment,
            decision,
            started: now,
            deadline: now + config.deadline,
            clock: Clamp::new(now),
            runs,
            next_id: 0,
            events,
            verdict: None,
        }
    }

    /// When the delivery started.
    pub fn started(&self) -> UnixMillis {
        self.started
    }

    /// The time by which the verdict is given.
    pub fn deadline(&self) -> UnixMillis {
        self.deadline
    }

    /// The verdict, once given.
    pub fn verdict(&self) -> Option<Verdict> {
        self.verdict
    }

    /// The region bodies, in the decision's order.
    pub fn regions(&self) -> impl Iterator<Item = RegionStatus<'_>> {
        self.runs.iter().map(|run| RegionStatus {
            region: run.region,
            items: usize::try_from(run.items).unwrap_or(usize::MAX),
            uncovered: run.uncovered,
            outcome: run.outcome.as_ref(),
            in_flight: run.in_flight.is_some(),
        })
    }

    /// The positions, in [`Decision::items`], of the items of a localised regime whose
    /// region does not hold it: the items [`Deployment::uncovered`] warned about.
    pub fn uncovered_items(&self) -> impl Iterator<Item = usize> + '_ {
        let topology = self.deployment.topology();
        self.decision
            .items()
            .enumerate()
            .filter_map(move |(n, item)| {
                let region = topology.index_of(item.region())?;
                let regime = item.regime()?;
                self.deployment
                    .unheld_localised(region)
                    .contains(regime)
                    .then_some(n)
            })
    }

    /// Takes the events emitted so far.
    pub fn take_events(&mut self) -> Vec<DeliveryEvent> {
        std::mem::take(&mut self.events)
    }

    /// What to do at `now`: see [`Next`]. `health` is the service's shared book, `rng` draws
    /// the jitter of the waits between rounds. A `now` earlier than one already seen is read
    /// as the latest one.
    pub fn next(
        &mut self,
        health: &mut HealthBook,
        rng: &mut impl RandomSource,
        now: UnixMillis,
    ) -> Next {
        let now = self.clock.read(now);
        if let Some(v) = self.verdict {
            return Next::Done(v);
        }
        if now >= self.deadline {
            return Next::Done(self.finish(now));
        }
        let mut wake = self.deadline;
        let mut active = false;
        for i in 0..self.runs.len() {
            match self.step(i, health, rng, now) {
                RunStep::Send(attempt) => return Next::Send(attempt),
                RunStep::Wait(t) => {
                    active = true;
                    wake = wake.min(t);
                }
                RunStep::InFlight => active = true,
                RunStep::Settled => {}
            }
        }
        if active {
            Next::Wait { until: wake }
        } else {
            Next::Done(self.finish(now))
        }
    }

    /// Reports the answer to attempt `id` at `now`.
    ///
    /// An answer that comes after the verdict still feeds the health book, and changes nothing
    /// else.
    ///
    /// # Errors
    /// [`DeliveryError::UnknownAttempt`] for an attempt that is not in flight (never issued,
    /// or already reported); nothing changes then.
    pub fn report(
        &mut self,
        id: AttemptId,
        answer: Answer,
        health: &mut HealthBook,
        now: UnixMillis,
    ) -> Result<(), DeliveryError> {
        let now = self.clock.read(now);
        let i = self
            .runs
            .iter()
            .position(|r| r.in_flight.is_some_and(|f| f.id == id))
            .ok_or(DeliveryError::UnknownAttempt)?;
        let latency = duration_ms(now.saturating_since(self.started));
        let topology = self.deployment.topology();
        let Some(run) = self.runs.get_mut(i) else {
            return Err(DeliveryError::UnknownAttempt);
        };
        let Some(flight) = run.in_flight.take() else {
            return Err(DeliveryError::UnknownAttempt);
        };
        let status = match answer {
            Answer::Status(s) => Some(s),
            Answer::NoResponse => None,
        };
        health.observe_at(
            flight.step.endpoint,
            status.map_or(Signal::Timeout, Signal::Response),
            now,
        );
        if run.outcome.is_some() {
            return Ok(());
        }
        let class = status.map_or(StatusClass::Transient, classify);
        let endpoint = topology.endpoint_or_placeholder(flight.step.endpoint);
        let target = topology
            .region_at(flight.step.region)
            .map_or_else(|| run.region.clone(), |r| r.region().clone());
        run.cursor = after(flight.step.at);
        let event =
            |kind| DeliveryEvent::new(kind, run.region.clone(), run.items, now).latency(latency);
        let mut failed = true;
        match (run.phase, flight.masked, class) {
            (Phase::Delivering, false, StatusClass::Accepted) => {
                failed = false;
                if run.failures > 0 {
                    self.events.push(
                        event(EventKind::Recovered)
                            .to(target.clone(), Compliance::Full)
                            .endpoint(endpoint.clone()),
                    );
                }
                run.outcome = Some(RegionOutcome::Accepted {
                    region: target.clone(),
                    endpoint: endpoint.clone(),
                });
            }
            (Phase::Delivering, true, StatusClass::Accepted) => {
                failed = false;
                self.events.push(
                    event(EventKind::MaskedCopyAccepted)
                        .to(target.clone(), Compliance::MaskedPii)
                        .endpoint(endpoint.clone()),
                );
                run.masked_copy = Some(target.clone());
            }
            (Phase::Delivering, false, StatusClass::Poison) => {
                let status = status.unwrap_or_default();
                self.events.push(
                    event(EventKind::Poisoned)
                        .endpoint(endpoint.clone())
                        .status(status),
                );
                let reason = DeadLetterReason::Rejected { status };
                run.records
                    .push(record(&endpoint, &target, false, now, Some(status)));
                let letter = DeadLetter::new(self.decision, run.region, self.started, reason)
                    .map(|l| l.with_attempts(run.records.drain(..)));
                match letter {
                    Ok(letter) => {
                        run.letter = Some(Bytes::from(letter.to_json_line()));
                        run.phase = Phase::DeadLettering(reason);
                        run.cursor = Cursor::default();
                        run.rounds = 0;
                        run.tried_this_round = false;
                        run.not_before = now;
                    }
                    Err(_) => {
                        run.outcome = Some(pending(PendingReason::Unplanned, None));
                    }
                }
                return Ok(());
            }
            (Phase::Delivering, true, StatusClass::Poison) => {
                // The failover node refused the masked copy: no more masked legs this POST.
                run.masked = MaskedState::Unavailable;
            }
            (Phase::DeadLettering(reason), _, StatusClass::Accepted) => {
                failed = false;
                self.events.push(
                    event(EventKind::DeadLettered)
                        .to(target.clone(), Compliance::Full)
                        .endpoint(endpoint.clone()),
                );
                run.outcome = Some(RegionOutcome::DeadLettered { reason });
            }
            (_, _, StatusClass::Refused) => {
                self.events.push(
                    event(EventKind::EndpointRefused)
                        .endpoint(endpoint.clone())
                        .status(status.unwrap_or_default()),
                );
            }
            _ => {}
        }
        if failed {
            run.failures = run.failures.saturating_add(1);
            run.records
                .push(record(&endpoint, &target, flight.masked, now, status));
            let excess = run.records.len().saturating_sub(MAX_ATTEMPT_RECORDS);
            run.records.drain(..excess);
        }
        Ok(())
    }

    fn step(
        &mut self,
        i: usize,
        health: &mut HealthBook,
        rng: &mut impl RandomSource,
        now: UnixMillis,
    ) -> RunStep {
        let deployment = self.deployment;
        let config = deployment.config();
        let decision = self.decision;
        let deadline = self.deadline;
        let Some(run) = self.runs.get_mut(i) else {
            return RunStep::Settled;
        };
        if run.outcome.is_some() {
            return RunStep::Settled;
        }
        if run.in_flight.is_some() {
            return RunStep::InFlight;
        }
        if now < run.not_before {
            return RunStep::Wait(run.not_before);
        }
        let Some(plan) = run.plan else {
            run.outcome = Some(pending(PendingReason::Unplanned, None));
            return RunStep::Settled;
        };
        let home_only = run.home_only || matches!(run.phase, Phase::DeadLettering(_));
        let body = decision.bodies().get(run.body);
        let mut masking_failed = false;
        let found = {
            let masked = &mut run.masked;
            let masked_copy = run.masked_copy.is_some();
            plan.find(run.cursor, home_only, |step| {
                if step.compliance == Compliance::MaskedPii {
                    if masked_copy {
                        return false;
                    }
                    if let MaskedState::NotBuilt = masked {
                        *masked =
                            match body.map(|b| deployment.failover_masker().mask_body(b.body())) {
                                Some(Ok(m)) => MaskedState::Built(m.into()),
                                _ => {
                                    masking_failed = true;
                                    MaskedState::Unavailable
                                }
                            };
                    }
                    if !matches!(masked, MaskedState::Built(_)) {
                        return false;
                    }
                }
                health.admit_at(step.endpoint, now)
            })
        };
        if masking_failed {
            self.events.push(DeliveryEvent::new(
                EventKind::MaskingFailed,
                run.region.clone(),
                run.items,
                now,
            ));
        }
        if let Some(step) = found {
            run.tried_this_round = true;
            let payload = match (&run.phase, step.compliance, &run.masked, &run.letter) {
                (Phase::DeadLettering(_), _, _, Some(letter)) => {
                    Payload::DeadLetter(letter.clone())
                }
                (_, Compliance::MaskedPii, MaskedState::Built(m), _) => Payload::Masked(m.clone()),
                _ => Payload::Full(body.map(|b| b.body().clone()).unwrap_or_default()),
            };
            let topology = deployment.topology();
            let endpoint = topology.endpoint_or_placeholder(step.endpoint);
            let region = topology
                .region_at(step.region)
                .map_or_else(|| run.region.clone(), |r| r.region().clone());
            let masked = matches!(payload, Payload::Masked(_));
            if step.at != Cursor::default() && matches!(run.phase, Phase::Delivering) {
                self.events.push(
                    DeliveryEvent::new(
                        EventKind::FailoverTriggered,
                        run.region.clone(),
                        run.items,
                        now,
                    )
                    .to(region.clone(), step.compliance)
                    .endpoint(endpoint.clone())
                    .latency(duration_ms(now.saturating_since(self.started))),
                );
            }
            let id = AttemptId(self.next_id);
            self.next_id = self.next_id.saturating_add(1);
            run.in_flight = Some(InFlight { id, step, masked });
            return RunStep::Send(Attempt {
                id,
                endpoint,
                region,
                home: run.region.clone(),
                payload,
                failover_count: step.failover_count,
                respond_by: (now + config.attempt_timeout).min(deadline),
                unchanged: body.is_some_and(|b| b.is_unchanged()),
            });
        }
        // The round ran out.
        run.cursor = Cursor::default();
        if run.tried_this_round {
            run.tried_this_round = false;
            run.rounds = run.rounds.saturating_add(1);
            match config.retry.decide(run.rounds, rng) {
                RetryDecision::RetryAfter(delay) => {
                    run.not_before = now + delay;
                }
                _ => {
                    let masked_copy = run.masked_copy.clone();
                    run.outcome = Some(pending(PendingReason::RoundsExhausted, masked_copy));
                    return RunStep::Settled;
                }
            }
        } else {
            // Nothing was admitted: wait for the first endpoint to admit a probe.
            let skip_masked = run.masked_copy.is_some()
                || !matches!(run.masked, MaskedState::NotBuilt | MaskedState::Built(_));
            let earliest = plan
                .steps(home_only)
                .filter(|(_, c)| !(skip_masked && *c == Compliance::MaskedPii))
                .map(|(e, _)| health.next_admission_at(e, now))
                .min()
                .unwrap_or(UnixMillis::MAX);
            if earliest >= deadline {
                let masked_copy = run.masked_copy.clone();
                run.outcome = Some(pending(PendingReason::Unavailable, masked_copy));
                return RunStep::Settled;
            }
            run.not_before = earliest.max(now + std::time::Duration::from_millis(1));
        }
        if run.not_before >= deadline {
            let masked_copy = run.masked_copy.clone();
            run.outcome = Some(pending(PendingReason::Deadline, masked_copy));
            return RunStep::Settled;
        }
        RunStep::Wait(run.not_before)
    }

    /// Gives the verdict at `now`: every region body not settled is pending.
    fn finish(&mut self, now: UnixMillis) -> Verdict {
        let latency = duration_ms(now.saturating_since(self.started));
        let mut verdict = Verdict::Ack;
        for run in &mut self.runs {
            let outcome = run
                .outcome
                .get_or_insert_with(|| pending(PendingReason::Deadline, run.masked_copy.clone()));
            if !outcome.is_settled() {
                verdict = Verdict::RetryLater;
                let mut e =
                    DeliveryEvent::new(EventKind::Pending, run.region.clone(), run.items, now)
                        .latency(latency);
                if let RegionOutcome::Pending {
                    masked_copy: Some(r),
                    ..
                } = outcome
                {
                    e = e.to(r.clone(), Compliance::MaskedPii);
                }
                self.events.push(e);
            }
        }
        self.verdict = Some(verdict);
        verdict
    }
}

fn pending(reason: PendingReason, masked_copy: Option<Region>) -> RegionOutcome {
    RegionOutcome::Pending {
        reason,
        masked_copy,
    }
}

fn after(at: Cursor) -> Cursor {
    Cursor {
        leg: at.leg,
        endpoint: at.endpoint.saturating_add(1),
    }
}

fn record(
    endpoint: &EndpointId,
    region: &Region,
    masked: bool,
    at: UnixMillis,
    status: Option<u16>,
) -> AttemptRecord {
    AttemptRecord {
        endpoint: endpoint.clone(),
        region: region.clone(),
        compliance: if masked {
            Compliance::MaskedPii
        } else {
            Compliance::Full
        },
        at,
        status,
    }
}
