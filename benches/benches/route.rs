//! `route` group: our router beside the tutorial pattern (`baseline-serde-value`: parse into a
//! `serde_json::Value`, walk every item, prefix-match the phone), on one text message, one
//! status, a 100-item single-region batch, a 100-item batch that must be split, a 1,000-item
//! single-region batch and a 3 MB body (1,000 long messages; these two in bytes per second).
//!
//! Beside them, three validation floors on the same bodies (`benches::floor`): what checking
//! the body's UTF-8 and JSON alone costs with our lexer (`floor-lex-validate`), with serde_json
//! (`floor-serde-json-validate`) and with sonic-rs, a SIMD parser (`floor-sonic-rs-validate`).
//! A router that fails closed validates every byte, so no route is faster than its floor.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use residency_core::route::{Router, Scratch};

use benches::baseline::Baseline;
use benches::floor;
use benches::inputs::{STATUS, TEXT, batch, large};

/// The phones of the single-region batches (all EU).
const EU_PHONES: &[&str] = &["4915112345678", "4930901820", "33612345678"];

fn route(c: &mut Criterion) {
    let router = Router::seed();
    let baseline = Baseline::new();
    let mixed = [
        "4915112345678",
        "919876543210",
        "5511987654321",
        "12025550123",
    ];
    // Per-item rows count messages; the large rows count bytes (the 1 GB/s target).
    let inputs = [
        ("text", TEXT.to_owned(), Throughput::Elements(1)),
        ("status", STATUS.to_owned(), Throughput::Elements(1)),
        (
            "batch-100",
            batch(100, EU_PHONES),
            Throughput::Elements(100),
        ),
        ("mixed-100", batch(100, &mixed), Throughput::Elements(100)),
        ("batch-1000", batch(1000, EU_PHONES), Throughput::Bytes(0)),
        ("3mb", large(EU_PHONES), Throughput::Bytes(0)),
    ];
    let mut group = c.benchmark_group("route");
    for (name, body, throughput) in inputs {
        let bytes = Bytes::from(body);
        // Both sides must agree on the number of bodies before we time them.
        let ours = router.route(bytes.clone()).expect("routes").bodies().len();
        assert_eq!(ours, baseline.route(&bytes).len(), "{name}");
        group.throughput(match throughput {
            Throughput::Bytes(_) => Throughput::Bytes(bytes.len() as u64),
            other => other,
        });
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
        for (id, valid) in floor::ALL {
            assert!(valid(&bytes), "{id} {name}");
            group.bench_with_input(BenchmarkId::new(id, name), &bytes, |b, bytes| {
                b.iter(|| valid(black_box(bytes)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, route);
criterion_main!(benches);
