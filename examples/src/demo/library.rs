//! `demo --library`: the library crates alone, without any service. Each bundled body is
//! parsed, its parties masked, routed (original bytes or an edge-signed split), given a masked
//! compliance log line and an anonymized record; then each bundled media file is hashed,
//! checked, keyed, recorded and appended to a Merkle log whose proofs are verified. This is
//! what a router embedded in a Lambda or a Worker does, step by step.

use std::io::{self, Write};
use std::time::SystemTime;

use residency_core::auth::{EdgeKey, Secret};
use residency_core::route::Router;
use residency_time::UnixSeconds;

use crate::demo;
use crate::samples::SAMPLES;

/// Writes the walkthrough to `out`.
///
/// # Errors
/// When `out` cannot be written, or a bundled sample is broken.
pub fn run(out: &mut dyn Write) -> io::Result<()> {
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
        "wa-residency library walkthrough: {} bundled webhook bodies",
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
