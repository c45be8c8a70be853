//! One measured workload, run `N` times: what `benches/instructions.sh` counts instructions of
//! under `valgrind --tool=callgrind`. Instruction counts do not drift with machine load, so
//! they show what a change costs where criterion's medians are too noisy.
//!
//! ```text
//! workload <name> <iterations>
//! ```
//!
//! Each workload does its setup (parsing inputs, building tables) once, then runs its
//! operation `iterations` times and prints a checksum so nothing is optimized away. The
//! script runs each workload at two iteration counts and divides the difference.

use std::hint::black_box;
use std::process::ExitCode;

use bytes::Bytes;
use residency_core::attribution::attribute_phone;
use residency_core::numbering;
use residency_core::route::{Router, Scratch};

use benches::inputs::{STATUS, TEXT, batch, numbers};

/// The workloads, with what one operation is.
const WORKLOADS: &[(&str, &str)] = &[
    ("route-text", "route one text message"),
    ("route-status", "route one status"),
    (
        "route-batch-1000",
        "route a 1,000-message single-region batch",
    ),
    (
        "route-mixed-100",
        "route (and split) a 100-message batch of 4 regions",
    ),
    (
        "parse-text",
        "wa_payload::parse one text message and read its items",
    ),
    (
        "country-attribute",
        "attribute_phone on 10,000 valid numbers",
    ),
    (
        "country-lookup",
        "numbering::lookup on 10,000 normalised numbers",
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: workload <name> <iterations>; names:");
        for (name, what) in WORKLOADS {
            eprintln!("  {name:18} {what}");
        }
        return ExitCode::from(2);
    };
    let checksum = match name.as_str() {
        "route-text" => route(TEXT.to_owned(), n),
        "route-status" => route(STATUS.to_owned(), n),
        "route-batch-1000" => route(
            batch(1000, &["4915112345678", "4930901820", "33612345678"]),
            n,
        ),
        "route-mixed-100" => route(
            batch(
                100,
                &[
                    "4915112345678",
                    "919876543210",
                    "5511987654321",
                    "12025550123",
                ],
            ),
            n,
        ),
        "parse-text" => {
            let mut sum = 0usize;
            for _ in 0..n {
                let w = wa_payload::parse(black_box(TEXT.as_bytes())).expect("parses");
                sum += w
                    .items()
                    .map(|i| i.party.phone.map_or(0, str::len))
                    .sum::<usize>();
            }
            sum as u64
        }
        "country-attribute" => {
            let numbers = numbers();
            let mut sum = 0u64;
            for _ in 0..n {
                for number in &numbers {
                    let a = attribute_phone(black_box(number));
                    sum += u64::from(a.country.is_some());
                }
            }
            sum
        }
        "country-lookup" => {
            let numbers = numbers();
            let digits: Vec<&[u8]> = numbers.iter().map(|n| &n.as_bytes()[1..]).collect();
            let mut sum = 0u64;
            for _ in 0..n {
                for d in &digits {
                    sum += u64::from(
                        numbering::lookup(black_box(d)).is_some_and(|m| m.country.is_some()),
                    );
                }
            }
            sum
        }
        _ => {
            eprintln!("workload: unknown workload (run without arguments for the list)");
            return ExitCode::from(2);
        }
    };
    println!("{checksum}");
    ExitCode::SUCCESS
}

fn route(body: String, n: u64) -> u64 {
    let router = Router::seed();
    let bytes = Bytes::from(body);
    let mut scratch = Scratch::default();
    let mut sum = 0u64;
    for _ in 0..n {
        let d = router
            .route_with(black_box(bytes.clone()), &mut scratch)
            .expect("routes");
        sum += d.bodies().len() as u64 + d.items().len() as u64;
    }
    sum
}
