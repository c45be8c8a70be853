//! `residency canon [FILE]`: the RFC 8785 (JCS) canonical form of one JSON document.
//!
//! Writes the canonical bytes exactly, with no newline added, streamed as they are produced
//! (`archive_hash::canonicalize_to`), after the whole input has been checked: input that is
//! not I-JSON (duplicate keys, lone surrogates, numbers beyond a double, NaN or infinities,
//! bad syntax) writes nothing and is bad input: exit 2 with the reason and byte position on
//! stderr. Peak memory is the input plus a small index (see `archive_hash::jcs`, "Memory").

use std::io;
use std::path::PathBuf;

use crate::cli::{CliError, CmdResult, Outcome, read_input};

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
    archive_hash::canonicalize_to(&input, &mut io::stdout().lock()).map_err(|e| match e {
        archive_hash::ArchiveError::Write { .. } => CliError::new("cannot write output"),
        e => CliError::new(format!("cannot canonicalize input: {e}")),
    })?;
    Ok(Outcome::Success)
}
