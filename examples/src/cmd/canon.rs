//! `residency canon [FILE]`: the RFC 8785 (JCS) canonical form of one JSON document.
//!
//! Writes the canonical bytes exactly, with no newline added. Input that is not I-JSON
//! (duplicate keys, lone surrogates, numbers beyond a double, NaN or infinities, bad syntax)
//! is bad input: exit 2 with the reason and byte position on stderr.

use std::io::{self, Write};

use crate::cli::{CliError, CmdResult, Outcome, parse_args, read_input};

/// Runs the subcommand.
pub fn run(args: &[String]) -> CmdResult {
    let parsed = parse_args("canon", args, &[])?;
    let input = read_input(parsed.input_path("canon")?)?;
    let canonical = archive_hash::canonicalize(&input)
        .map_err(|e| CliError::new(format!("cannot canonicalize input: {e}")))?;
    let mut out = io::stdout().lock();
    out.write_all(&canonical)
        .and_then(|()| out.flush())
        .map_err(|_| CliError::new("cannot write output"))?;
    Ok(Outcome::Success)
}
