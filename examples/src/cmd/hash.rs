//! `residency hash [--expect VALUE] [FILE]`: streaming SHA-256 of a media file of any size.
//!
//! Prints `HEX BASE64 SIZE` (one line). With `--expect VALUE` (64 hex digits, as the media
//! endpoint returns, or 44 base64 characters, as the Cloud API webhook sends) it exits 0 when
//! the file matches and 1 when it does not. A malformed `--expect` value is bad input (exit
//! 2): unlike the archive, which records such a value as "unverifiable", an operator asking
//! for a comparison gets told the comparison is impossible. FILE may be `-` (or absent) for
//! stdin.
//!
//! The input streams through [`archive_hash::Hasher`] (64 KiB reads), so memory stays
//! constant and no size limit applies: WhatsApp documents reach 100 MB and archives more. A
//! service that must bound what it accepts sets [`Hasher::with_limit`].

use std::io::{self, Write};
use std::path::PathBuf;

use archive_hash::{DigestParseError, Hasher, Sha256};

use crate::cli::{CliError, CmdResult, Outcome, is_stdin, read_error};

/// Arguments of `residency hash`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The checksum to compare with: 64 hex digits (media endpoint) or 44 base64 characters
    /// (webhook); exit 1 when the file differs.
    #[arg(long, value_name = "VALUE", value_parser = parse_expect)]
    pub expect: Option<Sha256>,
    /// The file to hash; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `--expect`'s value, surrounding whitespace ignored.
fn parse_expect(value: &str) -> Result<Sha256, DigestParseError> {
    value.trim().parse()
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let mut hasher = Hasher::new();
    let res = match args.file.as_deref() {
        p if is_stdin(p) => hasher.read_from(&mut io::stdin().lock()),
        None => Ok(0),
        Some(path) => {
            let mut file = std::fs::File::open(path).map_err(|e| read_error(&e))?;
            hasher.read_from(&mut file)
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
    match args.expect {
        Some(want) if want != digest.sha256 => {
            let _ = writeln!(io::stderr(), "residency: hash: checksum mismatch");
            Ok(Outcome::Negative)
        }
        _ => Ok(Outcome::Success),
    }
}
