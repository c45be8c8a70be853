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

use benches::baseline::Baseline;
use benches::floor;
use benches::inputs::{STATUS, TEXT, batch, large, numbers};

/// The phones of the single-region batches (all EU).
const EU_PHONES: &[&str] = &["4915112345678", "4930901820", "33612345678"];

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
    ("route-3mb", "route a 3 MB body of 1,000 long text messages"),
    (
        "baseline-route-text",
        "the route group's baseline-serde-value on one text message",
    ),
    (
        "baseline-route-status",
        "the route group's baseline-serde-value on one status",
    ),
    (
        "baseline-route-batch-1000",
        "the route group's baseline-serde-value on the 1,000-message batch",
    ),
    (
        "baseline-route-mixed-100",
        "the route group's baseline-serde-value on the mixed 100-message batch",
    ),
    (
        "baseline-route-3mb",
        "the route group's baseline-serde-value on the 3 MB body",
    ),
    (
        "validate-route-text",
        "the validation floor (UTF-8, then wa_payload::lex::validate) of the text message",
    ),
    (
        "validate-route-status",
        "the validation floor of the status",
    ),
    (
        "validate-route-batch-1000",
        "the validation floor of the 1,000-message batch",
    ),
    (
        "validate-route-mixed-100",
        "the validation floor of the mixed 100-message batch",
    ),
    (
        "validate-route-3mb",
        "the validation floor of the 3 MB body",
    ),
    (
        "serde-validate-route-text",
        "serde_json's validation (IgnoredAny) of the text message",
    ),
    (
        "serde-validate-route-batch-1000",
        "serde_json's validation (IgnoredAny) of the 1,000-message batch",
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
    (
        "baseline-country-rlibphonenumber",
        "the country group's baseline-rlibphonenumber on the same 10,000 numbers",
    ),
];

/// The body a routing workload routes (its own or its baseline's), `None` for the others.
fn body(name: &str) -> Option<String> {
    let mixed = [
        "4915112345678",
        "919876543210",
        "5511987654321",
        "12025550123",
    ];
    let route = ["baseline-", "validate-", "serde-validate-"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    Some(match route {
        "route-text" => TEXT.to_owned(),
        "route-status" => STATUS.to_owned(),
        "route-batch-1000" => batch(1000, EU_PHONES),
        "route-3mb" => large(EU_PHONES),
        "route-mixed-100" => batch(100, &mixed),
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: workload <name> <iterations> [--bytes]; names:");
        for (name, what) in WORKLOADS {
            eprintln!("  {name:26} {what}");
        }
        return ExitCode::from(2);
    };
    // `--bytes`: print the size of the workload's body instead of running it.
    if args.get(3).map(String::as_str) == Some("--bytes") {
        println!("{}", body(name).map_or(0, |b| b.len()));
        return ExitCode::SUCCESS;
    }
    let checksum = match (name.as_str(), body(name)) {
        (w, Some(body)) if w.starts_with("baseline-") => baseline(body, n),
        (w, Some(body)) if w.starts_with("validate-") => validate(&body, n, floor::lex),
        (w, Some(body)) if w.starts_with("serde-validate-") => {
            validate(&body, n, floor::serde_json)
        }
        (_, Some(body)) => route(body, n),
        ("parse-text", None) => {
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
        ("country-attribute", None) => {
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
        ("country-lookup", None) => {
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
        ("baseline-country-rlibphonenumber", None) => {
            let numbers = numbers();
            let mut sum = 0u64;
            for _ in 0..n {
                for number in &numbers {
                    let region = black_box(number.as_str())
                        .parse::<rlibphonenumber::PhoneNumber>()
                        .ok()
                        .and_then(|p| p.get_region_code());
                    sum += u64::from(region.is_some());
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

fn baseline(body: String, n: u64) -> u64 {
    let baseline = Baseline::new();
    let bytes = Bytes::from(body);
    let mut sum = 0u64;
    for _ in 0..n {
        sum += baseline.route(black_box(&bytes)).len() as u64;
    }
    sum
}

fn validate(body: &str, n: u64, valid: floor::Check) -> u64 {
    let mut sum = 0u64;
    for _ in 0..n {
        sum += u64::from(valid(black_box(body.as_bytes())));
    }
    sum
}
