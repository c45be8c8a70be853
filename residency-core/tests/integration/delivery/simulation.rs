//! An outage simulation with a fake clock: primary down, both EU endpoints down, everything
//! down, a flapping primary, then recovery and replay. Every message is delivered exactly
//! once, or dead-lettered and then delivered exactly once on replay.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use bytes::Bytes;
use residency_core::delivery::{
    Compliance, CrossBorder, DeadLetterQueue, DedupeWindow, DeliveryBody, DeliveryPolicy, Dispatch,
    DispatchOutcome, EndpointId, EventStatus, FailoverCount, HealthBook, HealthConfig,
    IdempotencyKey, Millis, Planned, RegionPolicy, RetryPolicy, Seen, Signal, Step,
};
use residency_core::{Country, Regime, Region};

const ENDPOINTS: [&str; 3] = ["eu-1", "eu-2", "us-1"];
const PHONE_NUMBER_ID: &str = "106540352242922";

/// Whether `endpoint` answers at time `t` (ms).
fn is_up(endpoint: &str, t: u64) -> bool {
    let flapping = (t / 700) % 2 == 1;
    match endpoint {
        // primary down, both down, everything down, flapping
        "eu-1" => {
            let down = (10_000..70_000).contains(&t) || ((70_000..90_000).contains(&t) && flapping);
            !down
        }
        "eu-2" => !(30_000..90_000).contains(&t),
        "us-1" => !(50_000..70_000).contains(&t),
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Event {
    Arrive(usize),
    Wake(usize),
    Answer(usize, u16), // 0: timeout
    Check(usize),
}

struct Message {
    body: DeliveryBody,
    bytes: Bytes,
    wamid: String,
    arrived_at: Millis,
}

struct Sim {
    policy: DeliveryPolicy,
    health: HealthBook,
    dedupe: DedupeWindow,
    dead: DeadLetterQueue,
    rng_state: u64,
    heap: BinaryHeap<Reverse<(u64, u64, Event)>>,
    seq: u64,
    messages: Vec<Message>,
    dispatches: BTreeMap<usize, Dispatch>,
    delivered: BTreeMap<String, Vec<(String, Compliance, bool)>>, // wamid -> (endpoint, compliance, replay)
    events: Vec<residency_core::delivery::FailoverEvent>,
    duplicates_dropped: usize,
    replay_order: Vec<Millis>,
}

impl Sim {
    fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, event)));
    }

    fn drive(&mut self, i: usize, now: u64, replay: bool) {
        let mut state = self.rng_state;
        let mut rng = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let d = self.dispatches.get_mut(&i).expect("dispatch exists");
        let step = d
            .next(&mut self.health, &mut rng, Millis::new(now))
            .expect("next step");
        self.rng_state = state;
        self.events.extend(d.take_events());
        match step {
            Step::Send(attempt) => {
                assert!(
                    attempt.failover_count().get() <= 1,
                    "never more than one hop"
                );
                let up = is_up(attempt.endpoint().as_str(), now);
                let (latency, status) = if up { (30, 200) } else { (1_000, 0) };
                self.schedule(now + latency, Event::Answer(i, status));
            }
            Step::Wait { until } => self.schedule(until.as_u64(), Event::Wake(i)),
            Step::Done(outcome) => {
                let m = &self.messages[i];
                match outcome {
                    DispatchOutcome::Delivered {
                        endpoint,
                        region,
                        compliance,
                    } => {
                        let has_ru = m.body.countries().any(|c| c == Country::from_static("RU"));
                        assert!(
                            !(has_ru && region != Region::EU),
                            "a Russian user's data left its region"
                        );
                        if region == Region::US {
                            assert_eq!(
                                compliance,
                                Compliance::MaskedPii,
                                "GDPR data reached the US unmasked"
                            );
                        }
                        if replay {
                            self.replay_order.push(m.body.payload_timestamp());
                        }
                        self.delivered.entry(m.wamid.clone()).or_default().push((
                            endpoint.as_str().to_owned(),
                            compliance,
                            replay,
                        ));
                    }
                    DispatchOutcome::DeadLettered(_) => {
                        let d = &self.dispatches[&i];
                        let letter = d
                            .dead_letter(m.bytes.clone(), &m.body, m.arrived_at)
                            .expect("a dead letter");
                        self.dead.push(letter);
                    }
                    _ => unreachable!("new outcome variant"),
                }
                self.dispatches.remove(&i);
            }
            _ => unreachable!("new step variant"),
        }
    }

    fn start(&mut self, i: usize, now: u64, replay: bool) {
        let body = &self.messages[i].body;
        let plan = match self
            .policy
            .plan(body, FailoverCount::ZERO)
            .expect("known region")
        {
            Planned::Deliver(plan) => plan,
            other => panic!("fresh messages are planned, got {other:?}"),
        };
        let mut d = Dispatch::new(plan, body, RetryPolicy::forwarding(), Millis::new(now));
        if replay {
            d = d.replaying();
        }
        self.dispatches.insert(i, d);
        self.drive(i, now, replay);
    }

    fn run(&mut self, replay: bool) -> u64 {
        let mut now = 0;
        while let Some(Reverse((t, _, event))) = self.heap.pop() {
            assert!(t >= now, "events run in time order");
            now = t;
            match event {
                Event::Arrive(i) => {
                    let key = IdempotencyKey::cloud_api(
                        PHONE_NUMBER_ID,
                        &self.messages[i].wamid,
                        "message",
                    );
                    if self.dedupe.check(key, Millis::new(now)) == Seen::Duplicate {
                        self.duplicates_dropped += 1;
                        continue;
                    }
                    self.start(i, now, replay);
                }
                Event::Wake(i) => self.drive(i, now, replay),
                Event::Answer(i, status) => {
                    let signal = if status == 0 {
                        Signal::Timeout
                    } else {
                        Signal::Response(status)
                    };
                    let d = self.dispatches.get_mut(&i).expect("dispatch in flight");
                    d.report(signal, &mut self.health, Millis::new(now))
                        .expect("report");
                    self.drive(i, now, replay);
                }
                Event::Check(e) => {
                    let id: EndpointId = ENDPOINTS[e].parse().unwrap();
                    let signal = if is_up(ENDPOINTS[e], now) {
                        Signal::CheckPassed
                    } else {
                        Signal::CheckFailed
                    };
                    self.health
                        .observe(&id, signal, Millis::new(now))
                        .expect("monotonic clock");
                    if now < 96_000 {
                        self.schedule(now + 2_000, Event::Check(e));
                    }
                }
            }
        }
        now
    }
}

#[test]
fn outages_lose_no_message() {
    let policy = DeliveryPolicy::new(vec![
        RegionPolicy::new(Region::EU, ["eu-1", "eu-2"])
            .unwrap()
            .holding([Regime::EuGdpr, Regime::EeaGdpr, Regime::UkGdpr])
            .failover_to([Region::US], CrossBorder::Compliant),
        RegionPolicy::new(Region::US, ["us-1"])
            .unwrap()
            .holding([Regime::UsState]),
    ])
    .unwrap();
    let mut sim = Sim {
        policy,
        health: HealthBook::new(HealthConfig {
            down_after: 2,
            up_after: 2,
            cooldown: Duration::from_secs(5),
        }),
        dedupe: DedupeWindow::default(),
        dead: DeadLetterQueue::new(),
        rng_state: 0x9e37_79b9_7f4a_7c15,
        heap: BinaryHeap::new(),
        seq: 0,
        messages: Vec::new(),
        dispatches: BTreeMap::new(),
        delivered: BTreeMap::new(),
        events: Vec::new(),
        duplicates_dropped: 0,
        replay_order: Vec::new(),
    };
    let mut duplicates = 0;
    for i in 0..240usize {
        let t = 400 * i as u64;
        // Payload timestamps run slightly out of arrival order, as Meta's retries do.
        let payload_ts = Millis::new(t.saturating_sub((i as u64 % 3) * 900));
        let countries: &[&'static str] = if i % 7 == 3 {
            &["DE", "RU"]
        } else if i % 2 == 0 {
            &["DE"]
        } else {
            &["FR", "GB"]
        };
        let wamid = format!("wamid.SIM{i:04}");
        let body = DeliveryBody::new(Region::EU, payload_ts)
            .with_countries(countries.iter().map(|c| Country::from_static(c)))
            .with_message_ids([wamid.clone()]);
        sim.messages.push(Message {
            body,
            bytes: Bytes::from(format!("{{\"id\":\"{wamid}\",\"from\":\"4915112345678\"}}")),
            wamid,
            arrived_at: Millis::new(t),
        });
        sim.schedule(t, Event::Arrive(i));
        if i % 5 == 0 {
            // Meta delivers the same update again a few seconds later.
            sim.schedule(t + 3_100, Event::Arrive(i));
            duplicates += 1;
        }
    }
    for e in 0..ENDPOINTS.len() {
        sim.schedule(1_000, Event::Check(e));
    }
    let end = sim.run(false);
    assert!(sim.dispatches.is_empty(), "every dispatch finished");
    assert_eq!(
        sim.duplicates_dropped, duplicates,
        "Meta's duplicates were recognised"
    );
    let dead_count = sim.dead.len();
    assert!(dead_count > 0, "the total outage dead-lettered messages");

    // The queue is durable as JSON lines; recovery replays it in payload order.
    let stored = sim.dead.to_json_lines();
    assert!(
        !stored.contains("4915112345678"),
        "bodies are stored as base64"
    );
    let mut queue = DeadLetterQueue::from_json_lines(&stored).unwrap();
    let letters = queue.drain_for_replay();
    assert!(
        letters
            .windows(2)
            .all(|w| w[0].replay_key() < w[1].replay_key())
    );
    let index: BTreeMap<String, usize> = sim
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.wamid.clone(), i))
        .collect();
    let mut now = end.max(100_000);
    for letter in &letters {
        assert!(!letter.reasons.is_empty(), "a dead letter says why");
        let replay = letter.replay_body();
        let i = index[&replay.message_ids()[0]];
        assert_eq!(
            replay, sim.messages[i].body,
            "replay re-enters the plan with the same decision"
        );
        sim.start(i, now, true);
        now = sim.run(true).max(now);
    }

    // Every message delivered exactly once, dead letters exactly once on replay.
    for m in &sim.messages {
        let deliveries = sim.delivered.get(&m.wamid).map_or(0, Vec::len);
        assert_eq!(deliveries, 1, "message delivered {deliveries} times");
    }
    let replayed = sim
        .delivered
        .values()
        .flatten()
        .filter(|(_, _, replay)| *replay)
        .count();
    assert_eq!(replayed, dead_count);
    assert!(
        sim.replay_order.windows(2).all(|w| w[0] <= w[1]),
        "replay is chronological"
    );

    // Each scenario happened.
    let at = |e: &str| {
        sim.delivered
            .values()
            .flatten()
            .filter(|(ep, _, r)| ep == e && !r)
            .count()
    };
    assert!(
        at("eu-2") > 0,
        "primary down: the in-region secondary took over"
    );
    assert!(
        at("us-1") > 0,
        "both EU endpoints down: masked failover to the US"
    );
    let statuses: Vec<EventStatus> = sim.events.iter().map(|e| e.status).collect();
    for s in [
        EventStatus::FailoverTriggered,
        EventStatus::Recovered,
        EventStatus::DeadLettered,
        EventStatus::Replayed,
    ] {
        assert!(statuses.contains(&s), "no {s:?} event");
    }
    for e in &sim.events {
        let json = e.to_json();
        assert!(
            json.starts_with("{\"event_type\":") && json.contains("\"primary_region\":\"EU\""),
            "{json}"
        );
    }
    // A body with a Russian user never failed over: while the EU was down it waited or
    // went to the dead-letter queue.
    let ru_masked = sim
        .events
        .iter()
        .filter(|e| e.target_region == Some(Region::US))
        .filter(|e| {
            let i = index[e.message_id.as_deref().unwrap()];
            sim.messages[i]
                .body
                .countries()
                .any(|c| c == Country::from_static("RU"))
        })
        .count();
    assert_eq!(ru_masked, 0);
    eprintln!(
        "simulation: {} messages, {} duplicates dropped, {} dead-lettered and replayed, eu-1 {}, eu-2 {}, us-1 {}, {} events",
        sim.messages.len(),
        duplicates,
        dead_count,
        at("eu-1"),
        at("eu-2"),
        at("us-1"),
        sim.events.len()
    );
}
