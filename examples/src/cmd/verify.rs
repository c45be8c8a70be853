//! `residency verify --secret S --signature HEADER [FILE]`: checks Meta's
//! `X-Hub-Signature-256` over the body's raw bytes.
//!
//! Prints `{"valid":true}` and exits 0 when the signature matches; prints `{"valid":false}`
//! and exits 1 when it does not; exits 2 on a malformed header or bad usage.

use residency_core::auth::{AuthError, Secret, verify_signature};
use serde_json::json;

use crate::cli::{CliError, CmdResult, Outcome, parse_args, print_json, read_input};

/// Runs the subcommand.
pub fn run(args: &[String]) -> CmdResult {
    let parsed = parse_args("verify", args, &[("secret", true), ("signature", true)])?;
    let secret = parsed
        .value("secret")
        .ok_or_else(|| CliError::usage("verify", "--secret is required"))?;
    let header = parsed
        .value("signature")
        .ok_or_else(|| CliError::usage("verify", "--signature is required"))?;
    let secret = Secret::from_text(secret).map_err(|e| CliError::usage("verify", e))?;
    let body = read_input(parsed.input_path("verify")?)?;
    match verify_signature(&secret, &body, header) {
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
