//! The per-body state machine that drives a [`Plan`] with health, retries and dead letters.
//!
//! The caller loops: [`Dispatch::next`] says what to do ([`Step::Send`] an attempt,
//! [`Step::Wait`] until a time, or [`Step::Done`]); after sending, the caller reports the
//! answer with [`Dispatch::report`]. Within a round, attempts go down the plan (primary first),
//! skipping endpoints the [`HealthBook`] does not admit; a failure moves straight to the next
//! endpoint. When a round runs out, the [`RetryPolicy`] decides the wait before the next
//! round, starting again from the primary. After the policy's maximum of failed attempts (a
//! round with nothing admitted counts as one) or on a client error, the body is
//! dead-lettered.
//!
//! ```
//! use residency_core::delivery::*;
//! use residency_core::Region;
//!
//! let policy = DeliveryPolicy::new(vec![RegionPolicy::new(Region::US, ["us-1", "us-2"])?])?;
//! let body = DeliveryBody::new(Region::US, Millis::ZERO).with_message_ids(["wamid.1"]);
//! let plan = policy.plan(&body, FailoverCount::ZERO)?.into_plan().expect("a plan");
//! let mut health = HealthBook::new(HealthConfig::default());
//! let mut rng = || 0u64;
//! let mut d = Dispatch::new(plan, &body, RetryPolicy::forwarding(), Millis::ZERO);
//!
//! let Step::Send(first) = d.next(&mut health, &mut rng, Millis::new(1))? else { unreachable!() };
//! assert_eq!(first.endpoint().as_str(), "us-1");
//! d.report(Signal::Response(503), &mut health, Millis::new(2))?;
//! let Step::Send(second) = d.next(&mut health, &mut rng, Millis::new(2))? else { unreachable!() };
//! assert_eq!(second.endpoint().as_str(), "us-2");
//! d.report(Signal::Response(200), &mut health, Millis::new(3))?;
//! assert!(matches!(d.next(&mut health, &mut rng, Millis::new(3))?, Step::Done(DispatchOutcome::Delivered { .. })));
//! let statuses: Vec<_> = d.take_events().into_iter().map(|e| e.status).collect();
//! assert_eq!(statuses, [EventStatus::FailoverTriggered, EventStatus::Recovered]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::Bytes;

use super::{
    Attempt, AttemptRecord, Compliance, DeadLetter, DeadLetterReason, DeliveryBody, DeliveryError,
    EndpointId, EventStatus, FailoverEvent, HealthBook, Millis, Plan, RandomSource, RetryDecision,
    RetryPolicy, Signal,
};
use crate::Region;

/// What the caller should do next.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Send the body to this attempt's endpoint (masked first when its compliance says so),
    /// with its `x-failover-count`, then call [`Dispatch::report`].
    Send(Attempt),
    /// Nothing to send before this time; call [`Dispatch::next`] again then.
    Wait {
        /// The earliest time of the next attempt.
        until: Millis,
    },
    /// Finished.
    Done(DispatchOutcome),
}

/// How a dispatch ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DispatchOutcome {
    /// An endpoint took the body.
    Delivered {
        /// The endpoint.
        endpoint: EndpointId,
        /// Its region.
        region: Region,
        /// Whether the body went as received or masked.
        compliance: Compliance,
    },
    /// Nothing took it: build the letter with [`Dispatch::dead_letter`].
    DeadLettered(DeadLetterReason),
}

/// The delivery of one body, as a sans-IO state machine.
#[derive(Clone, Debug)]
pub struct Dispatch {
    plan: Plan,
    retry: RetryPolicy,
    message_ids: Vec<String>,
    replay: bool,
    started: Millis,
    cursor: usize,
    failed: u32,
    attempted_this_round: bool,
    in_flight: Option<usize>,
    not_before: Millis,
    records: Vec<AttemptRecord>,
    events: Vec<FailoverEvent>,
    outcome: Option<DispatchOutcome>,
}

impl Dispatch {
    /// Starts delivering `body` along `plan` at `now`.
    pub fn new(plan: Plan, body: &DeliveryBody, retry: RetryPolicy, now: Millis) -> Self {
        Self {
            plan,
            retry,
            message_ids: body.message_ids().to_vec(),
            replay: false,
            started: now,
            cursor: 0,
            failed: 0,
            attempted_this_round: false,
            in_flight: None,
            not_before: now,
            records: Vec::new(),
            events: Vec::new(),
            outcome: None,
        }
    }

    /// Marks this dispatch as the replay of a dead letter (its delivery emits `replayed`).
    #[must_use]
    pub fn replaying(mut self) -> Self {
        self.replay = true;
        self
    }

    /// The plan being followed.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The attempts made so far, with their answers.
    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.records
    }

    /// How the dispatch ended, once it has.
    pub fn outcome(&self) -> Option<&DispatchOutcome> {
        self.outcome.as_ref()
    }

    /// Takes the events emitted so far.
    pub fn take_events(&mut self) -> Vec<FailoverEvent> {
        std::mem::take(&mut self.events)
    }

    fn emit(&mut self, status: EventStatus, target: Option<(&Region, Compliance)>, now: Millis) {
        let latency = super::duration_ms(now.saturating_since(self.started));
        let region = self.plan.primary_region().clone();
        let ids: Vec<Option<&str>> = if self.message_ids.is_empty() {
            vec![None]
        } else {
            self.message_ids.iter().map(|s| Some(s.as_str())).collect()
        };
        for id in ids {
            let mut e = FailoverEvent::new(status, id, region.clone(), now).latency(latency);
            if let Some((r, c)) = target {
                e = e.to(r.clone(), c);
            }
            self.events.push(e);
        }
    }

    fn finish_dead(&mut self, reason: DeadLetterReason, now: Millis) {
        self.emit(EventStatus::DeadLettered, None, now);
        self.outcome = Some(DispatchOutcome::DeadLettered(reason));
    }

    /// What to do at `now`; `rng` draws the jitter of a wait between rounds.
    ///
    /// # Errors
    /// [`DeliveryError::AttemptInFlight`] when an attempt awaits its [`Dispatch::report`];
    /// [`DeliveryError::ClockWentBackwards`] from the health book.
    pub fn next(
        &mut self,
        health: &mut HealthBook,
        rng: &mut impl RandomSource,
        now: Millis,
    ) -> Result<Step, DeliveryError> {
        if let Some(done) = &self.outcome {
            return Ok(Step::Done(done.clone()));
        }
        if self.in_flight.is_some() {
            return Err(DeliveryError::AttemptInFlight);
        }
        if now < self.not_before {
            return Ok(Step::Wait {
                until: self.not_before,
            });
        }
        let mut index = self.cursor;
        while let Some(attempt) = self.plan.attempts().get(index) {
            if health.admit(attempt.endpoint(), now)? {
                let attempt = attempt.clone();
                self.in_flight = Some(index);
                if index > 0 {
                    self.emit(
                        EventStatus::FailoverTriggered,
                        Some((attempt.region(), attempt.compliance())),
                        now,
                    );
                }
                return Ok(Step::Send(attempt));
            }
            index = index.saturating_add(1);
        }
        // The round ran out; a round in which nothing could be tried counts as a failure.
        if !self.attempted_this_round {
            self.failed = self.failed.saturating_add(1);
        }
        match self.retry.decide(self.failed, rng)? {
            RetryDecision::GiveUp => {
                let reason = DeadLetterReason::RetriesExhausted {
                    attempts: self.failed,
                };
                self.finish_dead(reason, now);
                Ok(Step::Done(DispatchOutcome::DeadLettered(reason)))
            }
            RetryDecision::RetryAfter(delay) => {
                self.cursor = 0;
                self.attempted_this_round = false;
                self.not_before = now + delay;
                Ok(Step::Wait {
                    until: self.not_before,
                })
            }
        }
    }

    /// Reports the answer to the attempt last returned by [`Dispatch::next`], at `now`.
    ///
    /// # Errors
    /// [`DeliveryError::NoAttemptInFlight`] when nothing was sent,
    /// [`DeliveryError::NotAnAttemptOutcome`] for an active health-check signal, and the
    /// health book's errors (the dispatch is left unchanged on error).
    pub fn report(
        &mut self,
        signal: Signal,
        health: &mut HealthBook,
        now: Millis,
    ) -> Result<(), DeliveryError> {
        let index = self.in_flight.ok_or(DeliveryError::NoAttemptInFlight)?;
        let status = match signal {
            Signal::Response(s) => Some(s),
            Signal::Timeout => None,
            _ => return Err(DeliveryError::NotAnAttemptOutcome),
        };
        let attempt = self
            .plan
            .attempts()
            .get(index)
            .cloned()
            .ok_or(DeliveryError::NoAttemptInFlight)?;
        health.observe(attempt.endpoint(), signal, now)?;
        self.in_flight = None;
        self.records.push(AttemptRecord {
            endpoint: attempt.endpoint().clone(),
            region: attempt.region().clone(),
            compliance: attempt.compliance(),
            at: now,
            status,
        });
        match status {
            Some(200..=299) => {
                let event = if self.replay {
                    Some(EventStatus::Replayed)
                } else if self.failed > 0 {
                    Some(EventStatus::Recovered)
                } else {
                    None
                };
                if let Some(e) = event {
                    self.emit(e, Some((attempt.region(), attempt.compliance())), now);
                }
                self.outcome = Some(DispatchOutcome::Delivered {
                    endpoint: attempt.endpoint().clone(),
                    region: attempt.region().clone(),
                    compliance: attempt.compliance(),
                });
            }
            Some(s @ 400..=499) if s != 408 && s != 429 => {
                self.finish_dead(DeadLetterReason::Rejected { status: s }, now);
            }
            _ => {
                self.failed = self.failed.saturating_add(1);
                self.attempted_this_round = true;
                if self.failed >= u32::from(self.retry.max_attempts()) {
                    self.finish_dead(
                        DeadLetterReason::RetriesExhausted {
                            attempts: self.failed,
                        },
                        now,
                    );
                } else {
                    self.cursor = index.saturating_add(1);
                }
            }
        }
        Ok(())
    }

    /// The dead letter for this dispatch, once it ended dead-lettered.
    ///
    /// `bytes` are the original body, `body` its routing decision, `received_at` the time
    /// the router received it.
    pub fn dead_letter(
        &self,
        bytes: Bytes,
        body: &DeliveryBody,
        received_at: Millis,
    ) -> Option<DeadLetter> {
        match &self.outcome {
            Some(DispatchOutcome::DeadLettered(reason)) => Some(
                DeadLetter::new(bytes, body, received_at)
                    .with_attempts(self.records.iter().cloned())
                    .with_reason(*reason),
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{DeliveryPolicy, FailoverCount, HealthConfig, RegionPolicy};
    use std::time::Duration;

    fn setup() -> (DeliveryBody, Dispatch, HealthBook) {
        let policy = DeliveryPolicy::new(vec![
            RegionPolicy::new(Region::US, ["us-1", "us-2"]).unwrap(),
        ])
        .unwrap();
        let body =
            DeliveryBody::new(Region::US, Millis::new(5)).with_message_ids(["wamid.A", "wamid.B"]);
        let plan = policy
            .plan(&body, FailoverCount::ZERO)
            .unwrap()
            .into_plan()
            .unwrap();
        let retry =
            RetryPolicy::new(Duration::from_millis(100), Duration::from_millis(400), 3).unwrap();
        let health = HealthBook::new(HealthConfig {
            down_after: 1,
            up_after: 1,
            cooldown: Duration::from_secs(60),
        });
        (
            body.clone(),
            Dispatch::new(plan, &body, retry, Millis::ZERO),
            health,
        )
    }

    fn send(step: Step) -> Attempt {
        match step {
            Step::Send(a) => a,
            other => panic!("expected a send, got {other:?}"),
        }
    }

    #[test]
    fn client_error_dead_letters_at_once() {
        let (body, mut d, mut h) = setup();
        let mut rng = || u64::MAX;
        send(d.next(&mut h, &mut rng, Millis::new(1)).unwrap());
        d.report(Signal::Response(401), &mut h, Millis::new(2))
            .unwrap();
        let reason = DeadLetterReason::Rejected { status: 401 };
        assert_eq!(
            d.next(&mut h, &mut rng, Millis::new(3)).unwrap(),
            Step::Done(DispatchOutcome::DeadLettered(reason))
        );
        let letter = d
            .dead_letter(Bytes::from_static(b"{}"), &body, Millis::new(1))
            .unwrap();
        assert_eq!(letter.reasons, [reason]);
        assert_eq!(letter.attempts.len(), 1);
        assert_eq!(letter.attempts[0].status, Some(401));
        let events = d.take_events();
        assert_eq!(events.len(), 2, "one event per message id");
        assert!(events.iter().all(|e| e.status == EventStatus::DeadLettered));
    }

    #[test]
    fn rounds_back_off_and_the_budget_ends_in_a_dead_letter() {
        let (_, mut d, mut h) = setup();
        let mut rng = || u64::MAX;
        assert_eq!(
            send(d.next(&mut h, &mut rng, Millis::new(0)).unwrap())
                .endpoint()
                .as_str(),
            "us-1"
        );
        d.report(Signal::Timeout, &mut h, Millis::new(10)).unwrap();
        assert_eq!(
            send(d.next(&mut h, &mut rng, Millis::new(10)).unwrap())
                .endpoint()
                .as_str(),
            "us-2"
        );
        d.report(Signal::Response(503), &mut h, Millis::new(20))
            .unwrap();
        // Both are down now (down_after = 1) and cooling for a minute: the round is over.
        assert_eq!(
            d.next(&mut h, &mut rng, Millis::new(20)).unwrap(),
            Step::Wait {
                until: Millis::new(220)
            }
        );
        assert_eq!(
            d.next(&mut h, &mut rng, Millis::new(100)).unwrap(),
            Step::Wait {
                until: Millis::new(220)
            }
        );
        // Nothing is admitted in the next round either: three failures in all, give up.
        let done = d.next(&mut h, &mut rng, Millis::new(220)).unwrap();
        assert_eq!(
            done,
            Step::Done(DispatchOutcome::DeadLettered(
                DeadLetterReason::RetriesExhausted { attempts: 3 }
            ))
        );
        assert_eq!(d.attempts().len(), 2);
    }

    #[test]
    fn misuse_is_a_typed_error() {
        let (_, mut d, mut h) = setup();
        let mut rng = || 0;
        assert_eq!(
            d.report(Signal::Response(200), &mut h, Millis::new(1)),
            Err(DeliveryError::NoAttemptInFlight)
        );
        send(d.next(&mut h, &mut rng, Millis::new(1)).unwrap());
        assert_eq!(
            d.next(&mut h, &mut rng, Millis::new(1)),
            Err(DeliveryError::AttemptInFlight)
        );
        assert_eq!(
            d.report(Signal::CheckPassed, &mut h, Millis::new(2)),
            Err(DeliveryError::NotAnAttemptOutcome)
        );
        assert_eq!(
            d.report(Signal::Response(700), &mut h, Millis::new(2)),
            Err(DeliveryError::InvalidStatus)
        );
        d.report(Signal::Response(200), &mut h, Millis::new(2))
            .unwrap();
        assert!(
            d.take_events().is_empty(),
            "a first-try delivery is not an event"
        );
        assert!(matches!(
            d.outcome(),
            Some(DispatchOutcome::Delivered { .. })
        ));
    }

    #[test]
    fn a_replay_emits_replayed() {
        let (_, d, mut h) = setup();
        let mut d = d.replaying();
        let mut rng = || 0;
        send(d.next(&mut h, &mut rng, Millis::new(1)).unwrap());
        d.report(Signal::Response(204), &mut h, Millis::new(9))
            .unwrap();
        let events = d.take_events();
        assert_eq!(events.len(), 2);
        assert!(
            events
                .iter()
                .all(|e| e.status == EventStatus::Replayed && e.latency_ms == 9)
        );
    }
}
