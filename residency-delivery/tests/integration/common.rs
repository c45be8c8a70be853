//! Shared fixtures: topologies, bodies, a deterministic RNG, and a fake-clock driver for one
//! delivery against a scripted network.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use residency_core::route::{Decision, Router};
use residency_core::{Regime, Region};
use residency_delivery::{
    Answer, Attempt, AttemptId, CrossBorder, DeliveryConfig, DeliveryEvent, Deployment, HealthBook,
    HealthConfig, Next, RegionOutcome, RegionTopology, Topology, UnixMillis, Verdict,
};

pub(crate) const EU_REGIMES: [Regime; 5] = [
    Regime::EuGdpr,
    Regime::EeaGdpr,
    Regime::UkGdpr,
    Regime::CrownDependency,
    Regime::SwissFadp,
];

/// The seed policy's four regions: EU (two endpoints) fails over to US compliantly (masked
/// for GDPR data), LATAM masked-only to US, INDIA and US stay home.
pub(crate) fn seed_topology() -> Topology {
    Topology::new(vec![
        RegionTopology::new(Region::EU, ["eu-1", "eu-2"])
            .unwrap()
            .holding(EU_REGIMES)
            .failover_to([Region::US], CrossBorder::Compliant),
        RegionTopology::new(Region::LATAM, ["br-1"])
            .unwrap()
            .holding([Regime::Lgpd])
            .failover_to([Region::US], CrossBorder::MaskedOnly),
        RegionTopology::new(Region::INDIA, ["in-1"])
            .unwrap()
            .holding([Regime::Dpdp]),
        RegionTopology::new(Region::US, ["us-1"])
            .unwrap()
            .holding([Regime::UsState]),
    ])
    .unwrap()
}

pub(crate) fn deployment(topology: Topology, config: DeliveryConfig) -> Deployment {
    Deployment::new(Router::seed(), topology, config, failover_key()).unwrap()
}

pub(crate) fn seed_deployment() -> Deployment {
    deployment(seed_topology(), DeliveryConfig::default())
}

/// A Cloud API batch of text messages from `senders` (phone numbers), ids `wamid.<tag><n>`.
pub(crate) fn batch(tag: &str, senders: &[&str]) -> Bytes {
    let messages: Vec<String> = senders
        .iter()
        .enumerate()
        .map(|(n, phone)| {
            format!(
                r#"{{"from":"{phone}","id":"wamid.{tag}{n}","timestamp":"1763719200","type":"text","text":{{"body":"hello {n}"}}}}"#
            )
        })
        .collect();
    Bytes::from(format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"messages":[{}]}}}}]}}]}}"#,
        messages.join(",")
    ))
}

pub(crate) const DE: &str = "4915112345678";
pub(crate) const FR: &str = "33612345678";
pub(crate) const BR: &str = "5511987654321";
pub(crate) const IN: &str = "919876543210";
pub(crate) const US: &str = "12125550123";
pub(crate) const RU: &str = "79161234567";

pub(crate) fn route(body: Bytes) -> Decision {
    Router::seed().route(body).unwrap()
}

/// A xorshift generator, for deterministic jitter and scenarios.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What happened while driving one delivery.
pub(crate) struct Run {
    pub(crate) verdict: Verdict,
    pub(crate) sent: Vec<(UnixMillis, Attempt)>,
    pub(crate) events: Vec<DeliveryEvent>,
    pub(crate) finished_at: UnixMillis,
    pub(crate) outcomes: Vec<(Region, Option<RegionOutcome>)>,
}

/// Drives `delivery`-to-be on a fake clock: `answer(attempt, now)` gives each attempt's reply
/// and its latency in ms (a `NoResponse` arrives at the attempt's answer-by time).
pub(crate) fn drive(
    deployment: &Deployment,
    decision: &Decision,
    health: &mut HealthBook,
    start: UnixMillis,
    mut answer: impl FnMut(&Attempt, UnixMillis) -> (Answer, u64),
) -> Run {
    let mut delivery = deployment.deliver(decision, start);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut jitter = move || rng.next();
    let mut pending: BinaryHeap<Reverse<(u64, u32, AttemptId, Answer)>> = BinaryHeap::new();
    let mut now = start;
    let mut sent = Vec::new();
    let mut seq = 0u32;
    let verdict = loop {
        match delivery.next(health, &mut jitter, now) {
            Next::Send(attempt) => {
                let (reply, latency) = answer(&attempt, now);
                let at = match reply {
                    Answer::NoResponse => attempt.respond_by(),
                    _ => now + Duration::from_millis(latency),
                };
                seq += 1;
                pending.push(Reverse((at.get(), seq, attempt.id(), reply)));
                sent.push((now, attempt));
            }
            Next::Wait { until } => {
                assert!(until > now, "a wait moves time on");
                match pending.peek() {
                    Some(Reverse((at, ..))) if *at <= until.get() => {
                        let Some(Reverse((at, _, id, reply))) = pending.pop() else {
                            unreachable!()
                        };
                        now = now.max(UnixMillis::new(at));
                        delivery.report(id, reply, health, now).unwrap();
                    }
                    _ => now = now.max(until),
                }
            }
            Next::Done(v) => break v,
            other => panic!("unexpected {other:?}"),
        }
    };
    Run {
        verdict,
        sent,
        events: delivery.take_events(),
        finished_at: now,
        outcomes: delivery
            .regions()
            .map(|r| (r.region().clone(), r.outcome().cloned()))
            .collect(),
    }
}

pub(crate) fn health(deployment: &Deployment) -> HealthBook {
    deployment.health_book()
}

pub(crate) fn fast_breaker() -> HealthConfig {
    HealthConfig::default()
        .with_down_after(1)
        .with_up_after(1)
        .with_cooldown(Duration::from_millis(1_000))
}

/// `../shared`, or `None` with a note when it is absent outside CI. Under CI (`CI` set) a
/// missing folder fails the test.
pub(crate) fn shared_dir(what: &str) -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    if dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared is missing and CI is set: the conformance data must be present"
    );
    eprintln!("note: ../shared not found, skipping {what}");
    None
}

/// Every `*.json` body under `../shared/corpus/<sub>`, sorted by file name.
pub(crate) fn corpus(sub: &str) -> Vec<(String, Vec<u8>)> {
    let Some(dir) = shared_dir("the corpus tests") else {
        return Vec::new();
    };
    let mut out: Vec<_> = std::fs::read_dir(dir.join("corpus").join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The key of the failover masker in tests: every edge of a deployment shares one.
pub(crate) fn failover_key() -> pii_mask::PseudonymKey {
    pii_mask::PseudonymKey::new("fk1", &[7u8; 32]).expect("a valid key")
}
