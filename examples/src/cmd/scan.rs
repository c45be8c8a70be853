//! `residency scan [--redact] [FILE]`: personal data in free text.
//!
//! Prints one JSON line `{"kind":K,"start":B,"end":B}` per finding (byte offsets into the
//! input; `K` is `phone`, `email`, `card`, `iban` or `ip`), or with `--redact` the text itself
//! with each finding replaced by `[PHONE]`, `[EMAIL]`, ... and nothing else changed (no
//! newline is added). The input may be any bytes, invalid UTF-8 included. Exit 0.

use std::fmt::Write as _;
use std::path::PathBuf;

use pii_mask::scan;

use crate::cli::{CmdResult, Outcome, read_input, write_stdout};

/// Arguments of `residency scan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the text with each finding replaced by `[KIND]` instead of the findings.
    #[arg(long)]
    pub redact: bool,
    /// The text; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let text = read_input(args.file.as_deref())?;
    if args.redact {
        write_stdout(&scan::redact(&text))?;
    } else {
        write_stdout(findings_json_lines(&text).as_bytes())?;
    }
    Ok(Outcome::Success)
}

/// The findings of `text` as JSON lines, each ending in a newline.
pub fn findings_json_lines(text: &[u8]) -> String {
    let mut out = String::new();
    for f in scan::scan(text) {
        // Writing into a String cannot fail.
        let _ = writeln!(
            out,
            r#"{{"kind":"{}","start":{},"end":{}}}"#,
            f.entity().as_str(),
            f.start(),
            f.end()
        );
    }
    out
}
