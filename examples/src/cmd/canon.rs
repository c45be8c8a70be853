//! `residency canon [FILE]`: the RFC 8785 (JCS) canonical form of one JSON document.
//!
//! Writes the canonical bytes exactly, with no newline added. Input that is not I-JSON
//! (duplicate keys, lone surrogates, numbers beyond a double, NaN or infinities, bad syntax)
//! is bad input: exit 2 with the reason and byte position on stderr.

use std::path::PathBuf;

use crate::cli::{CliError, CmdResult, Outcome, read_input, write_stdout};

/// Arguments of `residency canon`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON document; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let input = read_input(args.file.as_deref())?;
    let canonical = archive_hash::canonicalize(&input)
        .map_err(|e| CliError::new(format!("cannot canonicalize input: {e}")))?;
    write_stdout(&canonical)?;
    Ok(Outcome::Success)
}
