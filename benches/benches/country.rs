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

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use residency_core::attribution::attribute_phone;
use residency_core::numbering;
use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, PhoneNumberType};

const COUNT: usize = 10_000;

const TYPES: [PhoneNumberType; 6] = [
    PhoneNumberType::Mobile,
    PhoneNumberType::FixedLine,
    PhoneNumberType::TollFree,
    PhoneNumberType::PremiumRate,
    PhoneNumberType::VoIP,
    PhoneNumberType::UAN,
];

/// 10,000 valid E.164 numbers (with `+`), round-robin over every region: each region's
/// example numbers with their last digits varied, kept only when libphonenumber validates
/// them. Deterministic.
fn numbers() -> Vec<String> {
    let mut regions: Vec<_> = PHONE_NUMBER_UTIL.get_supported_regions().collect();
    regions.sort_by_key(|r| r.to_string());
    let mut seeds: Vec<Vec<String>> = regions
        .iter()
        .map(|r| {
            TYPES
                .iter()
                .filter_map(|t| {
                    PHONE_NUMBER_UTIL
                        .get_example_number_for_type_and_region(*r, *t)
                        .ok()
                })
                .map(|n| n.format_as(PhoneNumberFormat::E164).into_owned())
                .collect()
        })
        .collect();
    seeds.retain(|s| !s.is_empty());
    let mut state = 0x2026_1122_u64;
    let mut out = Vec::with_capacity(COUNT);
    let mut attempts = 0;
    'fill: while out.len() < COUNT && attempts < 50 {
        attempts += 1;
        for region_seeds in &seeds {
            for seed in region_seeds {
                let mut bytes = seed.clone().into_bytes();
                let len = bytes.len();
                for d in bytes.iter_mut().skip(len.saturating_sub(4)) {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *d = b'0' + (state % 10) as u8;
                }
                let candidate = String::from_utf8(bytes).expect("ASCII");
                let valid = candidate.parse::<PhoneNumber>().is_ok_and(|n| n.is_valid());
                if valid {
                    out.push(candidate);
                    if out.len() == COUNT {
                        break 'fill;
                    }
                }
            }
        }
    }
    out
}

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
