//! `residency mask [--mode partial|pseudonym|strip] [--key HEX] [FILE]`: the masked webhook
//! body, as compact JSON and a newline.
//!
//! The default mode is `partial` (for logs). `pseudonym` needs `--key`: the operator's
//! secret in hex (non-empty); the key id in each token is derived from it
//! ([`pii_mask::PseudonymKey::from_secret`]). `strip` pseudonymizes message ids under
//! `--key` when given, so they match across runs; without it, under a key drawn from the
//! system's random source for this run only, so ids match within one output (a message and
//! its statuses) but not across runs. A body that does not parse is refused with exit code 2
//! and one line on stderr that names a position, never a value; nothing of the body is
//! echoed.

use std::fmt;
use std::path::PathBuf;

use pii_mask::{Masker, Mode, PseudonymKey};

use crate::cli::{CliError, CmdResult, Outcome, read_input, write_stdout};

/// Arguments of `residency mask`.
#[derive(clap::Args)]
pub struct Args {
    /// How to mask: `partial` (the default, for logs), `pseudonym` (keyed, stable tokens;
    /// needs --key) or `strip`.
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// The pseudonym key: the operator's secret, in hex.
    #[arg(long, value_name = "HEX")]
    pub key: Option<String>,
    /// The webhook body; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `Debug` leaves the key out.
impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Args")
            .field("mode", &self.mode)
            .field("key", &self.key.as_ref().map(|_| "[REDACTED]"))
            .field("file", &self.file)
            .finish()
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let mode: Mode = match args.mode.as_deref() {
        None => Mode::Partial,
        Some(m) => m.parse().map_err(|e| CliError::usage("mask", e))?,
    };
    let key = match (args.key.as_deref(), mode) {
        (Some(hex), _) => Some(
            PseudonymKey::from_secret_hex(hex)
                .map_err(|e| CliError::usage("mask", format_args!("--key: {e}")))?,
        ),
        (None, Mode::Strip) => Some(one_run_key()?),
        (None, _) => None,
    };
    let masker = Masker::new(mode, key)
        .map_err(|_| CliError::usage("mask", "--mode pseudonym needs --key HEX"))?;
    let body = read_input(args.file.as_deref())?;
    let mut out = masker
        .mask(&body)
        .map_err(|e| CliError::new(format!("cannot mask the body: {e}")))?;
    out.push(b'\n');
    write_stdout(&out)?;
    Ok(Outcome::Success)
}

/// A pseudonym key for this run only, from the system's random source.
fn one_run_key() -> Result<PseudonymKey, CliError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|_| CliError::new("cannot read the system's random source"))?;
    let key = PseudonymKey::from_secret(&secret);
    secret.fill(0);
    key.map_err(|_| CliError::new("cannot make a key for this run"))
}
