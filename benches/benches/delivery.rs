//! `delivery` group: planning and dispatching one region body, and a dedupe reserve + commit
//! at one million keys, each beside the baseline an edge function would otherwise write.
//!
//! * `plan+dispatch`: per pre-routed single-region POST, `Deployment::deliver`, `next` (the
//!   plan, health admission, the attempt with its body and headers' inputs), `report(200)`
//!   and `next` again (the verdict). `baseline-naive-failover`: a `HashMap<String,
//!   Vec<String>>` of endpoints per region and a `HashMap<String, bool>` of health, first
//!   healthy endpoint, the request built from owned strings, no regime check.
//! * `dedupe-reserve-commit`: `DedupeWindow` holding its cap of one million committed keys
//!   sees a stream of fresh 16-byte item keys (more distinct keys than the cap, so it really
//!   evicts): reserve, then commit. Keys are made with a cheap mix of a counter (a real key is
//!   a `KeyScheme` digest, computed where the body is parsed). `baseline-hashmap-dedupe`: an
//!   unbounded `HashMap<String, Instant>` keyed by the id strings, check then insert, as an
//!   edge function writes it; its key string is formatted into a reused buffer.
//!
//! The memory each dedupe holds at one million keys is printed on stderr.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use residency_core::route::{Decision, Router};
use residency_core::{Regime, Region};
use residency_delivery::{
    Answer, CrossBorder, DedupeConfig, DedupeStore, DedupeWindow, DeliveryConfig, Deployment,
    ItemKey, Next, RegionTopology, Reserve, Topology, UnixMillis,
};

const KEYS: usize = 1_000_000;
const BATCH: usize = 1_000;
/// Distinct keys in the measured stream: more than the cap, so the window really evicts.
const STREAM: usize = 1_500_000;

fn deployment() -> Deployment {
    let topology = Topology::new(vec![
        RegionTopology::new(
            Region::EU,
            ["http://eu-central/ingest", "http://eu-west/ingest"],
        )
        .expect("endpoints")
        .holding([
            Regime::EuGdpr,
            Regime::EeaGdpr,
            Regime::UkGdpr,
            Regime::CrownDependency,
            Regime::SwissFadp,
        ])
        .failover_to([Region::US], CrossBorder::Compliant),
        RegionTopology::new(Region::LATAM, ["http://sa-east/ingest"])
            .expect("endpoints")
            .holding([Regime::Lgpd])
            .failover_to([Region::US], CrossBorder::MaskedOnly),
        RegionTopology::new(Region::INDIA, ["http://ap-south/ingest"])
            .expect("endpoints")
            .holding([Regime::Dpdp]),
        RegionTopology::new(
            Region::US,
            ["http://us-east/ingest", "http://us-west/ingest"],
        )
        .expect("endpoints")
        .holding([Regime::UsState]),
    ])
    .expect("a valid topology");
    Deployment::new(
        Router::seed(),
        topology,
        DeliveryConfig::default(),
        failover_key(),
    )
    .expect("a deployment")
}

/// 1000 single-message POSTs across the four regions, routed once.
fn decisions() -> Vec<Decision> {
    let phones = [
        "4915112345678",
        "447911123456",
        "5511987654321",
        "919876543210",
        "12125550123",
    ];
    let router = Router::seed();
    (0..BATCH)
        .map(|i| {
            let phone = phones[i % phones.len()];
            let body = format!(
                r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"messages":[{{"from":"{phone}","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIY{i:012}","timestamp":"1763719200","type":"text","text":{{"body":"Hallo {i}"}}}}]}},"field":"messages"}}]}}]}}"#
            );
            router.route(Bytes::from(body)).expect("routes")
        })
        .collect()
}

/// What an edge function writes without this crate: endpoints by region name, a health flag
/// per endpoint, the first healthy one.
struct NaiveFailover {
    endpoints: HashMap<String, Vec<String>>,
    healthy: HashMap<String, bool>,
}

struct NaiveRequest {
    url: String,
    body: Bytes,
    hops: String,
}

impl NaiveFailover {
    fn new() -> Self {
        let mut endpoints = HashMap::new();
        let mut healthy = HashMap::new();
        for (region, urls) in [
            (
                "EU",
                &["http://eu-central/ingest", "http://eu-west/ingest"][..],
            ),
            ("LATAM", &["http://sa-east/ingest"][..]),
            ("INDIA", &["http://ap-south/ingest"][..]),
            (
                "US",
                &["http://us-east/ingest", "http://us-west/ingest"][..],
            ),
        ] {
            endpoints.insert(
                region.to_owned(),
                urls.iter().map(|u| (*u).to_owned()).collect(),
            );
            for u in urls {
                healthy.insert((*u).to_owned(), true);
            }
        }
        Self { endpoints, healthy }
    }

    fn dispatch(&mut self, decision: &Decision) -> u16 {
        let mut status = 503;
        for body in decision.bodies() {
            let Some(urls) = self.endpoints.get(body.region().as_str()) else {
                return 503;
            };
            let Some(url) = urls.iter().find(|u| self.healthy.get(*u) == Some(&true)) else {
                return 503;
            };
            let request = NaiveRequest {
                url: url.clone(),
                body: body.body().clone(),
                hops: "0".to_owned(),
            };
            black_box((&request.url, &request.body, &request.hops));
            // The node answered 200.
            if let Some(h) = self.healthy.get_mut(&request.url) {
                *h = true;
            }
            status = 200;
        }
        status
    }
}

/// The `n`-th key of the stream: a cheap, well-mixed 16 bytes (splitmix64 of the counter).
fn key(n: u64) -> ItemKey {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&mix(n).to_le_bytes());
    bytes[8..].copy_from_slice(&mix(n ^ 0x5555_5555_5555_5555).to_le_bytes());
    ItemKey::from_bytes(bytes)
}

fn wamid(buf: &mut String, n: usize) -> &str {
    buf.clear();
    let _ = write!(
        buf,
        "106540352242922|wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTRBNjU5OUFF{n:012}|delivered"
    );
    buf.as_str()
}

fn baseline_bytes(map: &HashMap<String, Instant>) -> usize {
    let buckets = (map.capacity() * 8 / 7).next_power_of_two();
    buckets * (size_of::<(String, Instant)>() + 1) + map.keys().map(String::capacity).sum::<usize>()
}

fn delivery(c: &mut Criterion) {
    let deployment = deployment();
    let decisions = decisions();
    let mut health = deployment.health_book();
    let mut rng = || 0x2545_f491_4f6c_dd1d_u64;
    let mut naive = NaiveFailover::new();

    let mut group = c.benchmark_group("delivery");
    group.throughput(Throughput::Elements(BATCH as u64));

    let mut clock = 1_000u64;
    group.bench_function("plan+dispatch", |b| {
        b.iter(|| {
            for decision in &decisions {
                clock += 1;
                let now = UnixMillis::new(clock);
                let mut d = deployment.deliver(black_box(decision), now);
                let Next::Send(attempt) = d.next(&mut health, &mut rng, now) else {
                    panic!("an attempt");
                };
                black_box(attempt.body());
                d.report(attempt.id(), Answer::Status(200), &mut health, now)
                    .expect("in flight");
                black_box(d.next(&mut health, &mut rng, now));
            }
        });
    });
    group.bench_function("baseline-naive-failover", |b| {
        b.iter(|| {
            for decision in &decisions {
                black_box(naive.dispatch(black_box(decision)));
            }
        });
    });

    let config = DedupeConfig::default()
        .with_window(Duration::from_secs(7 * 24 * 3600))
        .with_cap(KEYS);
    let mut window = DedupeWindow::new(config, 0x5eed_1234_abcd_0042).expect("window");
    let mut baseline: HashMap<String, Instant> = HashMap::new();
    let mut buf = String::new();
    for n in 0..KEYS {
        let now = UnixMillis::new(n as u64);
        if let Ok(Reserve::Reserved(r)) = window.reserve(key(n as u64), now) {
            window.commit(&r, now).expect("committed");
        }
        baseline.insert(wamid(&mut buf, n).to_owned(), Instant::now());
    }
    eprintln!(
        "delivery: memory at {KEYS} keys: dedupe window {:.1} MiB (cap {KEYS}), baseline HashMap<String, Instant> {:.1} MiB",
        window.memory_bytes() as f64 / 1048576.0,
        baseline_bytes(&baseline) as f64 / 1048576.0,
    );

    let mut next = KEYS;
    let mut clock = KEYS as u64;
    group.bench_function("dedupe-reserve-commit", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                let k = key(next as u64);
                next = KEYS + (next + 1 - KEYS) % STREAM;
                clock += 1;
                let now = UnixMillis::new(clock);
                match window.reserve(black_box(k), now).expect("bounded") {
                    Reserve::Reserved(r) => window.commit(&r, now).expect("committed"),
                    other => {
                        black_box(other);
                    }
                }
            }
        });
    });

    let mut next_base = KEYS;
    group.bench_function("baseline-hashmap-dedupe", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                let id = wamid(&mut buf, next_base);
                next_base = KEYS + (next_base + 1 - KEYS) % STREAM;
                let seen = baseline.contains_key(id);
                if !seen {
                    baseline.insert(id.to_owned(), Instant::now());
                }
                black_box(seen);
            }
        });
    });
    group.finish();

    eprintln!(
        "delivery: memory after the run: dedupe window {:.1} MiB holding {} keys, baseline {:.1} MiB holding {} keys",
        window.memory_bytes() as f64 / 1048576.0,
        window.len(),
        baseline_bytes(&baseline) as f64 / 1048576.0,
        baseline.len(),
    );
}

criterion_group!(benches, delivery);
criterion_main!(benches);

/// The key of the failover masker in tests: every edge of a deployment shares one.
fn failover_key() -> pii_mask::PseudonymKey {
    pii_mask::PseudonymKey::new("fk1", &[7u8; 32]).expect("a valid key")
}
