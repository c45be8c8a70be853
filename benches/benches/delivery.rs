//! `delivery`: planning an attempt list and a dedupe check per message, at one million keys,
//! beside `baseline-hashmap-dedupe` (an unbounded `HashMap<String, Instant>` keyed by the
//! concatenated strings, as an edge function would write it).
//!
//! Both dedupe variants start holding one million keys and then see the same stream of
//! fresh Cloud API keys `(phone_number_id, wamid, status)`. The window stays at its cap of
//! one million (evicting the oldest); the baseline keeps growing. The memory each holds is
//! printed on stderr.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use residency_core::delivery::{
    CrossBorder, DedupeWindow, DeliveryBody, DeliveryPolicy, FailoverCount, IdempotencyKey, Millis,
    RegionPolicy,
};
use residency_core::{Country, Regime, Region};

const KEYS: usize = 1_000_000;
const BATCH: usize = 1_000;
/// Distinct keys in the measured stream: more than the cap, so the window really evicts.
const STREAM: usize = 1_500_000;
const PHONE_NUMBER_ID: &str = "106540352242922";

fn wamid(buf: &mut String, n: usize) -> &str {
    buf.clear();
    let _ = write!(buf, "wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTRBNjU5OUFF{n:012}");
    buf.as_str()
}

fn policy() -> DeliveryPolicy {
    DeliveryPolicy::new(vec![
        RegionPolicy::new(Region::EU, ["eu-central", "eu-west"])
            .expect("endpoints")
            .holding([
                Regime::EuGdpr,
                Regime::EeaGdpr,
                Regime::UkGdpr,
                Regime::CrownDependency,
                Regime::SwissFadp,
            ])
            .failover_to([Region::US], CrossBorder::Compliant),
        RegionPolicy::new(Region::LATAM, ["sa-east"])
            .expect("endpoints")
            .holding([Regime::Lgpd])
            .failover_to([Region::US], CrossBorder::MaskedOnly),
        RegionPolicy::new(Region::INDIA, ["ap-south"])
            .expect("endpoints")
            .holding([Regime::Dpdp]),
        RegionPolicy::new(Region::US, ["us-east", "us-west"])
            .expect("endpoints")
            .holding([Regime::UsState]),
    ])
    .expect("a valid policy")
}

fn bodies() -> Vec<DeliveryBody> {
    let cases: [(Region, &[&'static str]); 5] = [
        (Region::EU, &["DE"]),
        (Region::EU, &["FR", "GB"]),
        (Region::LATAM, &["BR"]),
        (Region::INDIA, &["IN"]),
        (Region::US, &["US", "CA"]),
    ];
    (0..BATCH)
        .map(|i| {
            let (region, countries) = &cases[i % cases.len()];
            DeliveryBody::new(region.clone(), Millis::from_secs(1_700_000_000 + i as u64))
                .with_countries(countries.iter().map(|c| Country::from_static(c)))
                .with_message_ids([format!("wamid.{i}")])
        })
        .collect()
}

fn baseline_bytes(map: &HashMap<String, Instant>) -> usize {
    let buckets = (map.capacity() * 8 / 7).next_power_of_two();
    buckets * (size_of::<(String, Instant)>() + 1) + map.keys().map(String::capacity).sum::<usize>()
}

fn delivery(c: &mut Criterion) {
    let policy = policy();
    let bodies = bodies();
    let mut buf = String::new();

    let mut window = DedupeWindow::new(Duration::from_secs(7 * 24 * 3600), KEYS).expect("window");
    let mut baseline: HashMap<String, Instant> = HashMap::new();
    for n in 0..KEYS {
        let id = wamid(&mut buf, n);
        window.check(
            IdempotencyKey::cloud_api(PHONE_NUMBER_ID, id, "delivered"),
            Millis::new(n as u64),
        );
        baseline.insert(format!("{PHONE_NUMBER_ID}|{id}|delivered"), Instant::now());
    }
    eprintln!(
        "delivery: memory at {KEYS} keys: dedupe window {:.1} MiB (cap {KEYS}), baseline HashMap<String, Instant> {:.1} MiB",
        window.memory_bytes() as f64 / 1048576.0,
        baseline_bytes(&baseline) as f64 / 1048576.0,
    );

    let mut group = c.benchmark_group("delivery");
    group.throughput(Throughput::Elements(BATCH as u64));

    group.bench_function("plan", |b| {
        b.iter(|| {
            for body in &bodies {
                black_box(
                    policy
                        .plan(black_box(body), FailoverCount::ZERO)
                        .expect("known region"),
                );
            }
        });
    });

    let mut next = KEYS;
    let mut clock = KEYS as u64;
    group.bench_function("dedupe-window", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                let id = wamid(&mut buf, next);
                next = KEYS + (next + 1 - KEYS) % STREAM;
                clock += 1;
                let key = IdempotencyKey::cloud_api(PHONE_NUMBER_ID, id, "delivered");
                black_box(window.check(key, Millis::new(clock)));
            }
        });
    });

    let mut next_base = KEYS;
    group.bench_function("baseline-hashmap-dedupe", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                let id = wamid(&mut buf, next_base);
                next_base = KEYS + (next_base + 1 - KEYS) % STREAM;
                let key = format!("{PHONE_NUMBER_ID}|{id}|delivered");
                let seen = baseline.contains_key(&key);
                if !seen {
                    baseline.insert(key, Instant::now());
                }
                black_box(seen);
            }
        });
    });

    group.bench_function("plan+dedupe-window", |b| {
        b.iter(|| {
            for body in &bodies {
                let id = wamid(&mut buf, next);
                next = KEYS + (next + 1 - KEYS) % STREAM;
                clock += 1;
                let key = IdempotencyKey::cloud_api(PHONE_NUMBER_ID, id, "delivered");
                if black_box(window.check(key, Millis::new(clock)))
                    == residency_core::delivery::Seen::New
                {
                    black_box(
                        policy
                            .plan(body, FailoverCount::ZERO)
                            .expect("known region"),
                    );
                }
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
