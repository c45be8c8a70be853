//! `residency hash [--expect VALUE] FILE`: streaming SHA-256 of a media file.
//!
//! Prints `HEX BASE64 SIZE` (one line). With `--expect VALUE` (64 hex digits, as the media
//! endpoint returns, or 44 base64 characters, as the Cloud API webhook sends) it exits 0 when
//! the file matches and 1 when it does not. A malformed `--expect` value is bad input (exit
//! 2): unlike the archive, which records such a value as "unverifiable", an operator asking
//! for a comparison gets told the comparison is impossible. FILE may be `-` (or absent) for
//! stdin. Input larger than [`MAX_INPUT`] is refused.

use std::io::{self, Read, Write};

use archive_hash::{Hasher, Sha256};

use crate::cli::{CliError, CmdResult, MAX_INPUT, Outcome, parse_args};

/// Runs the subcommand.
pub fn run(args: &[String]) -> CmdResult {
    let parsed = parse_args("hash", args, &[("expect", true)])?;
    let expect = parsed
        .value("expect")
        .map(|v| {
            v.trim().parse::<Sha256>().map_err(|e| {
                CliError::usage("hash", format_args!("--expect is not a sha-256 value: {e}"))
            })
        })
        .transpose()?;
    let mut hasher = Hasher::new().with_limit(MAX_INPUT);
    let res = match parsed.input_path("hash")? {
        None | Some("-") => hasher.read_from(&mut io::stdin().lock()),
        Some(path) => {
            let mut file = std::fs::File::open(path)
                .map_err(|e| CliError::new(format!("cannot read input: {}", e.kind())))?;
            hasher.read_from(&mut file as &mut dyn Read)
        }
    };
    res.map_err(|e| CliError::new(format!("cannot hash input: {e}")))?;
    let digest = hasher
        .finish()
        .map_err(|e| CliError::new(format!("cannot hash input: {e}")))?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{} {} {}",
        digest.sha256,
        digest.sha256.to_base64(),
        digest.size
    )
    .and_then(|()| out.flush())
    .map_err(|_| CliError::new("cannot write output"))?;
    match expect {
        Some(want) if want != digest.sha256 => {
            eprintln!("residency: hash: checksum mismatch");
            Ok(Outcome::Negative)
        }
        _ => Ok(Outcome::Success),
    }
}
