//! `residency country [NUMBER...]`: the country and region of phone numbers.
//!
//! Numbers come as arguments, or one per line on stdin when there are none (blank lines are
//! skipped), with or without `+`, with spaces, dashes, dots or brackets. For each number it
//! prints `ISO REGION` (the seed policy's region), or `- REGION` when no country applies
//! (non-geographic code, unknown code, malformed input: the default region). Exits 0; a
//! flag is a usage error (exit 2), and no number is ever echoed on stderr.

use std::io::{self, BufWriter, Write};

use residency_core::Policy;
use residency_core::attribution::attribute_phone;

use crate::cli::{CliError, CmdResult, Outcome, read_input};

/// Arguments of `residency country`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Phone numbers, with or without `+`; without any, one per line is read from stdin.
    #[arg(value_name = "NUMBER")]
    pub numbers: Vec<String>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let policy = Policy::seed();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut answer = |raw: &str| -> Result<(), CliError> {
        let a = attribute_phone(raw.trim());
        let region = policy.region_for(&a);
        let res = match a.country {
            Some(c) => writeln!(out, "{c} {region}"),
            None => writeln!(out, "- {region}"),
        };
        res.map_err(|_| CliError::new("cannot write output"))
    };
    if args.numbers.is_empty() {
        let input = read_input(None)?;
        let text = String::from_utf8_lossy(&input);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            answer(line)?;
        }
    } else {
        for raw in &args.numbers {
            answer(raw)?;
        }
    }
    out.flush()
        .map_err(|_| CliError::new("cannot write output"))?;
    Ok(Outcome::Success)
}
