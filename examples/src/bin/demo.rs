//! `demo`: the topology of DESIGN.md in one process on loopback. An `edge-router` and one
//! `regional-node` per region of the seed policy (EU, INDIA, LATAM, US) start on free ports
//! over SQLite and local files in a temporary folder, with a Graph API stand-in serving the
//! bundled media; the bundled samples are sent to the edge signed as their providers sign
//! them; then the demo prints where each item landed, each region's archive records and one
//! verified inclusion proof, and stops everything.
//!
//! ```text
//! demo             the stack (exit 0 when everything landed as expected, 1 otherwise)
//! demo --library   the older walkthrough of the library crates alone, without services
//! ```
//!
//! Exit codes: 0 as expected; 1 something did not land, archive or verify as expected (each
//! named on stderr); 2 usage, or the stack could not start.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use examples::demo::stack::Stack;
use examples::demo::{library, tour};

const USAGE: &str = "usage: demo [--library]";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn stack_demo(out: &mut dyn Write, started: Instant) -> io::Result<ExitCode> {
    let stack = match Stack::start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo: cannot start the stack: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    writeln!(
        out,
        "wa-residency demo: the DESIGN.md topology in one process, on loopback, in {}",
        stack.dir().display()
    )?;
    writeln!(
        out,
        "  edge-router     http://{}  (POST /webhook/meta, /webhook/wasender)",
        stack.edge
    )?;
    for node in &stack.nodes {
        writeln!(
            out,
            "  regional-node   http://{}  {:<8} region {:<6} SQLite database, file archive",
            node.addr,
            node.name,
            node.region()
        )?;
    }
    writeln!(
        out,
        "  graph stand-in  {}  (the bundled media, samples/media/)",
        stack.graph.base()
    )?;
    writeln!(out, "  started in {}", ms(started.elapsed()))?;
    writeln!(out)?;
    let found = tour::run(out, &stack).await;
    let clean = stack.shutdown().await;
    let mut found = found?;
    if !clean {
        found.problems.push("a server did not stop cleanly".into());
    }
    let latencies = &found.latencies;
    let (min, max) = (
        latencies.iter().min().copied().unwrap_or_default(),
        latencies.iter().max().copied().unwrap_or_default(),
    );
    writeln!(out)?;
    writeln!(
        out,
        "summary: {}/{} items landed in their region, {} archive records as expected, proof {}; \
         the edge answered {} POSTs in {} to {} (median {}); stopped cleanly: {}; {} in all",
        found.landed,
        found.items,
        found.records,
        if found.proof_verified {
            "verified"
        } else {
            "NOT verified"
        },
        latencies.len(),
        ms(min),
        ms(max),
        ms(median(latencies.clone())),
        if clean { "yes" } else { "no" },
        ms(started.elapsed()),
    )?;
    out.flush()?;
    if found.problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for p in &found.problems {
        eprintln!("demo: {p}");
    }
    Ok(ExitCode::from(1))
}

fn main() -> ExitCode {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let library = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => false,
        ["--library"] => true,
        ["--help" | "-h"] => {
            println!(
                "{USAGE}\n\n  (nothing)   run the edge and one node per region on loopback, send the bundled samples\n  --library   walk through the library crates alone, without services"
            );
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("demo: {USAGE}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = if library {
        library::run(&mut out).map(|()| ExitCode::SUCCESS)
    } else {
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(stack_demo(&mut out, started)),
            Err(e) => {
                eprintln!("demo: cannot start the runtime: {}", e.kind());
                return ExitCode::from(2);
            }
        }
    };
    match result.and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo: cannot write output: {}", e.kind());
            ExitCode::from(2)
        }
    }
}
