//! `route` group: our router beside the tutorial pattern (`baseline-serde-value`: parse into a
//! `serde_json::Value`, walk every item, prefix-match the phone), on one text message, one
//! status, a 100-item single-region batch, and a 100-item batch that must be split.

use std::collections::HashMap;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use residency_core::route::{Router, Scratch};
use serde_json::Value;

const TEXT: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Lena Vogel"},"wa_id":"4915112345678"}],"messages":[{"from":"4915112345678","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIzNDU2Nzg5MEFCQ0RFRgA=","timestamp":"1763719200","type":"text","text":{"body":"Hallo, meine Bestellung 4711 ist noch nicht da. Bitte um Rueckruf."}}]},"field":"messages"}]}]}"#;

const STATUS: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjRBMkY3QjE5RDBGRDk2QjMxAA==","status":"delivered","timestamp":"1763719260","recipient_id":"5511987654321","conversation":{"id":"c3b1f0e2a9d84f5e8a7b6c5d4e3f2a1b","origin":{"type":"utility"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"utility","type":"regular"}}]},"field":"messages"}]}]}"#;

/// A batch of `n` text messages from the given phone numbers, cycling.
fn batch(n: usize, phones: &[&str]) -> String {
    let mut contacts = Vec::new();
    let mut messages = Vec::new();
    for i in 0..n {
        let phone = phones[i % phones.len()];
        contacts.push(format!(
            r#"{{"profile":{{"name":"User {i}"}},"wa_id":"{phone}"}}"#
        ));
        messages.push(format!(
            r#"{{"from":"{phone}","id":"wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBBMTIz{i:06}","timestamp":"17637192{:02}","type":"text","text":{{"body":"Message number {i} about order {}"}}}}"#,
            i % 60,
            4000 + i
        ));
    }
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"contacts":[{}],"messages":[{}]}},"field":"messages"}}]}}]}}"#,
        contacts.join(","),
        messages.join(",")
    )
}

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
