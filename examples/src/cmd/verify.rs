//! `residency verify --secret S --signature HEADER [FILE]`: checks Meta's
//! `X-Hub-Signature-256` over the body's raw bytes.
//!
//! Prints `{"valid":true}` and exits 0 when the signature matches; prints `{"valid":false}`
//! and exits 1 when it does not; exits 2 on a malformed header or bad usage.

use std::fmt;
use std::path::PathBuf;

use residency_core::auth::{AuthError, Secret, verify_signature};
use serde_json::json;

use crate::cli::{CliError, CmdResult, Outcome, print_json, read_input};

/// Arguments of `residency verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The app secret that signs the webhooks (Meta's App Secret), as text.
    #[arg(long, value_name = "SECRET")]
    pub secret: String,
    /// The `X-Hub-Signature-256` header value: `sha256=` and 64 hex digits.
    #[arg(long, value_name = "HEADER")]
    pub signature: String,
    /// The body exactly as received; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `Debug` leaves the secret out.
impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Args")
            .field("secret", &"[REDACTED]")
            .field("signature", &self.signature)
            .field("file", &self.file)
            .finish()
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let secret = Secret::from_text(&args.secret).map_err(|e| CliError::usage("verify", e))?;
    let body = read_input(args.file.as_deref())?;
    match verify_signature(&secret, &body, &args.signature) {
        Ok(()) => {
            print_json(&json!({ "valid": true }))?;
            Ok(Outcome::Success)
        }
        Err(AuthError::SignatureMismatch) => {
            print_json(&json!({ "valid": false }))?;
            Ok(Outcome::Negative)
        }
        Err(e) => Err(CliError::new(format!("bad signature header: {e}"))),
    }
}
