//! `demo`: runs the bundled webhook samples through the crates and prints what each step
//! decides. Every identity printed is masked.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use examples::demo;
use examples::samples::SAMPLES;
use residency_core::auth::{EdgeKey, Secret};
use residency_core::route::Router;
use residency_time::UnixSeconds;

fn run(out: &mut dyn Write) -> io::Result<()> {
    let router = Router::seed();
    // A demo key: a real edge loads its key from a secret store.
    let edge_key = EdgeKey::new(
        "demo-2026",
        Secret::new(vec![0x5a; 32]).map_err(io::Error::other)?,
    )
    .map_err(io::Error::other)?;
    let now = UnixSeconds::try_from(SystemTime::now()).unwrap_or(UnixSeconds::ZERO);
    writeln!(
        out,
        "wa-residency demo: {} bundled webhook bodies",
        SAMPLES.len()
    )?;
    for (n, sample) in SAMPLES.iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "[{}/{}] {} ({})",
            n + 1,
            SAMPLES.len(),
            sample.name,
            sample.about
        )?;
        demo::route::run(out, &router, &edge_key, now, sample)?;
        demo::pii::run(out, router.policy(), sample.body)?;
    }
    writeln!(out)?;
    demo::archive::run(out)?;
    Ok(())
}

fn main() -> ExitCode {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match run(&mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: cannot write output: {}", e.kind());
            ExitCode::from(2)
        }
    }
}
