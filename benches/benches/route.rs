//! `route` group: our router beside the tutorial pattern (`baseline-serde-value`: parse into a
//! `serde_json::Value`, walk every item, prefix-match the phone), on one text message, one
//! status, a 100-item single-region batch, and a 100-item batch that must be split.

use std::collections::HashMap;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use residency_core::route::{Router, Scratch};
use serde_json::Value;

use benches::inputs::{STATUS, TEXT, batch};

/// The tutorial router: parse to a `Value`, walk every message and status, prefix-match the
/// phone against a calling-code table, and rebuild one `Value` per region when they differ.
struct Baseline {
    prefixes: HashMap<&'static str, &'static str>,
}

impl Baseline {
    fn new() -> Self {
        let mut prefixes = HashMap::new();
        for cc in [
            "30", "31", "32", "33", "34", "36", "39", "40", "43", "44", "45", "46", "47", "48",
            "49", "351", "352", "353", "354", "356", "357", "358", "359", "370", "371", "372",
            "385", "386", "41", "420", "421", "423",
        ] {
            prefixes.insert(cc, "EU");
        }
        for cc in [
            "52", "53", "54", "55", "56", "57", "58", "51", "591", "593", "595", "598", "502",
            "503", "504", "505", "506", "507",
        ] {
            prefixes.insert(cc, "LATAM");
        }
        prefixes.insert("91", "INDIA");
        Self { prefixes }
    }

    fn region(&self, phone: &str) -> &'static str {
        for len in [3, 2, 1] {
            if let Some(r) = phone.get(..len).and_then(|p| self.prefixes.get(p)) {
                return r;
            }
        }
        "US"
    }

    fn route(&self, body: &Bytes) -> Vec<(&'static str, Bytes)> {
        let v: Value = serde_json::from_slice(body).expect("valid body");
        let mut regions: Vec<&'static str> = Vec::new();
        for entry in v["entry"].as_array().into_iter().flatten() {
            for change in entry["changes"].as_array().into_iter().flatten() {
                let value = &change["value"];
                for m in value["messages"].as_array().into_iter().flatten() {
                    regions.push(self.region(m["from"].as_str().unwrap_or("")));
                }
                for s in value["statuses"].as_array().into_iter().flatten() {
                    regions.push(self.region(s["recipient_id"].as_str().unwrap_or("")));
                }
            }
        }
        let mut distinct = regions.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() <= 1 {
            // One region: forward the bytes received (a cheap `Bytes` clone, as ours).
            return vec![(distinct.first().copied().unwrap_or("US"), body.clone())];
        }
        distinct
            .into_iter()
            .map(|r| {
                let mut copy = v.clone();
                let mut k = 0;
                for entry in copy["entry"].as_array_mut().into_iter().flatten() {
                    for change in entry["changes"].as_array_mut().into_iter().flatten() {
                        if let Some(ms) = change["value"]["messages"].as_array_mut() {
                            ms.retain(|_| {
                                k += 1;
                                regions[k - 1] == r
                            });
                        }
                    }
                }
                (
                    r,
                    Bytes::from(serde_json::to_vec(&copy).expect("serializes")),
                )
            })
            .collect()
    }
}

fn route(c: &mut Criterion) {
    let router = Router::seed();
    let baseline = Baseline::new();
    let inputs = [
        ("text", TEXT.to_owned(), 1u64),
        ("status", STATUS.to_owned(), 1),
        (
            "batch-100",
            batch(100, &["4915112345678", "4930901820", "33612345678"]),
            100,
        ),
        (
            "mixed-100",
            batch(
                100,
                &[
                    "4915112345678",
                    "919876543210",
                    "5511987654321",
                    "12025550123",
                ],
            ),
            100,
        ),
    ];
    let mut group = c.benchmark_group("route");
    for (name, body, items) in &inputs {
        let bytes = Bytes::from(body.clone());
        // Both sides must agree on the number of bodies before we time them.
        let ours = router.route(bytes.clone()).expect("routes").bodies().len();
        assert_eq!(ours, baseline.route(&bytes).len(), "{name}");
        group.throughput(Throughput::Elements(*items));
        let mut scratch = Scratch::default();
        group.bench_with_input(
            BenchmarkId::new("residency-core", name),
            &bytes,
            |b, bytes| b.iter(|| router.route_with(black_box(bytes.clone()), &mut scratch)),
        );
        group.bench_with_input(
            BenchmarkId::new("baseline-serde-value", name),
            &bytes,
            |b, bytes| b.iter(|| baseline.route(black_box(bytes))),
        );
    }
    group.finish();
}

criterion_group!(benches, route);
criterion_main!(benches);
