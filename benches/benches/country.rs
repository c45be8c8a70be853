//! `country` group: the country of 10,000 valid numbers across every region libphonenumber
//! knows, from the E.164 string.
//!
//! - `residency-core/attribute_phone`: normalise the string and look it up in our
//!   compile-time tables (what the router does per party);
//! - `residency-core/lookup`: the table lookup alone, on digits already normalised;
//! - `baseline-phonenumber`: `phonenumber::parse` then `country().id()`;
//! - `baseline-rlibphonenumber`: `PhoneNumber` from the string then `get_region_code()`.
//!
//! All four answer the same question on the same inputs; throughput is in numbers.

use std::hint::black_box;

use benches::inputs::{COUNT, numbers};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use residency_core::attribution::attribute_phone;
use residency_core::numbering;
use rlibphonenumber::PhoneNumber;

fn country(c: &mut Criterion) {
    let numbers = numbers();
    assert_eq!(numbers.len(), COUNT, "not enough valid numbers generated");
    let digits: Vec<&[u8]> = numbers.iter().map(|n| &n.as_bytes()[1..]).collect();

    let mut group = c.benchmark_group("country");
    group.throughput(Throughput::Elements(COUNT as u64));
    group.bench_function("residency-core/attribute_phone", |b| {
        b.iter(|| {
            for n in &numbers {
                black_box(attribute_phone(black_box(n)).country);
            }
        });
    });
    group.bench_function("residency-core/lookup", |b| {
        b.iter(|| {
            for d in &digits {
                black_box(numbering::lookup(black_box(d)).and_then(|m| m.country));
            }
        });
    });
    group.bench_function("baseline-phonenumber", |b| {
        b.iter(|| {
            for n in &numbers {
                let id = phonenumber::parse(None, black_box(n))
                    .ok()
                    .and_then(|p| p.country().id());
                black_box(id);
            }
        });
    });
    group.bench_function("baseline-rlibphonenumber", |b| {
        b.iter(|| {
            for n in &numbers {
                let region = black_box(n)
                    .parse::<PhoneNumber>()
                    .ok()
                    .and_then(|p| p.get_region_code());
                black_box(region);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, country);
criterion_main!(benches);
