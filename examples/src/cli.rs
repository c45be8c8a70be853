//! Plumbing shared by every `residency` subcommand: arguments, input, output and exit codes.
//!
//! The contract (DESIGN.md): exit 0 on success, 1 for a negative verdict (mismatch, invalid
//! signature), 2 for bad input or usage, with one line on stderr that carries no personal data.
//!
//! Arguments are parsed by `clap` (derive), which gives every command `--help` and
//! `--version` (printed on stdout, exit 0). Its own error messages quote what the user typed
//! (`unexpected argument '--4915112345678' found`), so [`parse`] never prints them: it maps
//! the error's kind to one line of ours that names the subcommand and the problem, and at most
//! a flag name from our own definitions.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};

use crate::cmd;

/// Largest input the whole-document commands read, file or stdin: 64 MiB. `hash` streams
/// and has no limit; `country` reads stdin line by line.
pub const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// The `residency` command line.
#[derive(Debug, Parser)]
#[command(
    name = "residency",
    version,
    about = "Where WhatsApp webhook data may live: routing, masking, hashing and proofs",
    long_about = None,
    propagate_version = true,
    subcommand_required = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, each run by its module in [`crate::cmd`].
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The routing decision for one webhook body (either provider), as JSON.
    Route(cmd::route::Args),
    /// The country and region of phone numbers: `ISO REGION` per number, `- REGION` when no
    /// country applies.
    Country(cmd::country::Args),
    /// Checks Meta's X-Hub-Signature-256 over the body's raw bytes (exit 1 when it does not
    /// match).
    Verify(cmd::verify::Args),
    /// The masked webhook body, as compact JSON.
    Mask(cmd::mask::Args),
    /// Personal data in free text, as JSON lines of byte offsets, or the text redacted.
    Scan(cmd::scan::Args),
    /// Streaming SHA-256 of a file of any size: `HEX BASE64 SIZE`.
    Hash(cmd::hash::Args),
    /// The RFC 8785 canonical form of one JSON document, with no newline added.
    Canon(cmd::canon::Args),
    /// An RFC 6962 Merkle tree over hex leaves read one per line: its root or a proof.
    ///
    /// Reads one leaf per line as hex of the leaf DATA (hashed as SHA-256(0x00 || data), the
    /// convention of the RFC 6962 test vectors; an empty line is an empty leaf) and prints the
    /// root, or the proof's hashes, one lowercase hex per line.
    Merkle(cmd::merkle::Args),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> CmdResult {
        match self {
            Self::Route(a) => cmd::route::run(a),
            Self::Country(a) => cmd::country::run(a),
            Self::Verify(a) => cmd::verify::run(a),
            Self::Mask(a) => cmd::mask::run(a),
            Self::Scan(a) => cmd::scan::run(a),
            Self::Hash(a) => cmd::hash::run(a),
            Self::Canon(a) => cmd::canon::run(a),
            Self::Merkle(a) => cmd::merkle::run(a),
        }
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    /// Run a subcommand.
    Run(Command),
    /// Print this text on stdout and exit 0 (`--help`, `--version`).
    Print(String),
}

/// Parses the whole command line (`args` starts with the program name).
///
/// A usage error becomes one line naming the subcommand and the problem, never an argument's
/// value.
///
/// ```
/// use examples::cli::{Invocation, parse};
///
/// assert!(matches!(parse(["residency", "country", "+4915123456789"]), Ok(Invocation::Run(_))));
/// assert!(matches!(parse(["residency", "country", "--help"]), Ok(Invocation::Print(_))));
/// let err = parse(["residency", "country", "--4915123456789"]).unwrap_err();
/// assert_eq!(err.to_string(), "usage: residency country: unexpected option");
/// ```
pub fn parse<I, T>(args: I) -> Result<Invocation, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => Ok(Invocation::Run(cli.command)),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            Ok(Invocation::Print(e.render().to_string()))
        }
        Err(e) => Err(usage_error(&e, &args)),
    }
}

/// The subcommand path the user reached (`country`, `merkle inclusion`), built from our own
/// command names only: the walk stops at the first argument that is not one of them.
fn command_path(args: &[OsString]) -> String {
    let mut cmd = Cli::command();
    let mut path = Vec::new();
    for arg in args.iter().skip(1) {
        let Some(arg) = arg.to_str() else { break };
        if arg.starts_with('-') {
            continue;
        }
        let Some(sub) = cmd.find_subcommand(arg).cloned() else {
            break;
        };
        path.push(sub.get_name().to_owned());
        cmd = sub;
    }
    path.join(" ")
}

/// The flag names (`--index`) of the arguments an error is about, from our own definitions
/// (clap renders them as `--index <I>`; the placeholder is dropped).
fn flags_of(e: &clap::Error) -> Vec<String> {
    let name = |s: &str| s.split(' ').next().unwrap_or_default().to_owned();
    match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => vec![name(s)],
        Some(ContextValue::Strings(v)) => v.iter().map(|s| name(s)).collect(),
        _ => Vec::new(),
    }
}

/// One line of ours for a clap error. Only the kind, our command names and our flag names
/// are used; what the user typed (the `InvalidArg` of an unknown argument, any
/// `InvalidValue`) never is, except to tell an option from a plain argument.
fn usage_error(e: &clap::Error, args: &[OsString]) -> CliError {
    let path = command_path(args);
    let flags = flags_of(e).join(", ");
    let what = match e.kind() {
        ErrorKind::InvalidSubcommand => "unknown command".to_owned(),
        ErrorKind::UnknownArgument => {
            let option = matches!(
                e.get(ContextKind::InvalidArg),
                Some(ContextValue::String(s)) if s.starts_with('-')
            );
            if option {
                "unexpected option".to_owned()
            } else {
                "unexpected argument".to_owned()
            }
        }
        ErrorKind::MissingRequiredArgument if flags_of(e).len() > 1 => {
            format!("{flags} are required")
        }
        ErrorKind::MissingRequiredArgument => format!("{flags} is required"),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let mut cmd = Cli::command();
            for name in path.split(' ').filter(|n| !n.is_empty()) {
                if let Some(sub) = cmd.find_subcommand(name).cloned() {
                    cmd = sub;
                }
            }
            let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
            format!("expected a command: {}", names.join(", "))
        }
        ErrorKind::InvalidValue
            if matches!(
                e.get(ContextKind::InvalidValue),
                Some(ContextValue::String(v)) if v.is_empty()
            ) =>
        {
            format!("{flags} needs a value")
        }
        ErrorKind::InvalidValue => format!("invalid value for {flags}"),
        ErrorKind::ValueValidation => match std::error::Error::source(e) {
            // Our parsers' errors name positions and lengths, never the value.
            Some(source) => format!("invalid value for {flags}: {source}"),
            None => format!("invalid value for {flags}"),
        },
        ErrorKind::TooManyValues => format!("too many values for {flags}"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("wrong number of values for {flags}")
        }
        ErrorKind::ArgumentConflict => {
            let prior = match e.get(ContextKind::PriorArg) {
                Some(ContextValue::String(s)) => s.split(' ').next().unwrap_or_default(),
                _ => "",
            };
            if prior.is_empty() || prior == flags {
                format!("{flags} is given more than once")
            } else {
                format!("{flags} cannot be used with {prior}")
            }
        }
        ErrorKind::NoEquals => format!("{flags} needs its value after ="),
        ErrorKind::InvalidUtf8 => "an argument is not utf-8".to_owned(),
        _ => "invalid arguments".to_owned(),
    };
    CliError::usage(&path, what)
}

/// How a subcommand ended, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0: the command did its job and the verdict, if any, is positive.
    Success,
    /// Exit 1: a negative verdict (mismatch, invalid signature).
    Negative,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Success => Self::SUCCESS,
            Outcome::Negative => Self::from(1),
        }
    }
}

/// A failure to report on stderr with exit code 2 (bad input or usage).
///
/// The message is written by our code, never copied from the input or the arguments, so it
/// carries no personal data. Library error messages qualify: they name fields, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    message: String,
    usage: bool,
}

impl CliError {
    /// An input or output error with the given message (no personal data in it).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            usage: false,
        }
    }

    /// A usage error naming the subcommand (empty for the top level) and what was wrong.
    pub fn usage(command: &str, what: impl fmt::Display) -> Self {
        let message = if command.is_empty() {
            format!("usage: residency: {what}")
        } else {
            format!("usage: residency {command}: {what}")
        };
        Self {
            message,
            usage: true,
        }
    }

    /// The line to print on stderr: usage errors as they are, others after `residency: `.
    pub fn line(&self) -> String {
        if self.usage {
            self.message.clone()
        } else {
            format!("residency: {}", self.message)
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The result every subcommand returns.
pub type CmdResult = Result<Outcome, CliError>;

/// Whether `path` means stdin: no path, or `-`.
pub fn is_stdin(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p == Path::new("-"))
}

/// The I/O error's kind only: an `io::Error`'s text can hold the path, which may itself be
/// personal data (`+4915112345678.json`).
pub fn read_error(e: &io::Error) -> CliError {
    CliError::new(format!("cannot read input: {}", e.kind()))
}

/// Reads the input named by `path`: a file, or stdin when `path` is `None` or `-`.
///
/// Inputs larger than [`MAX_INPUT`] are refused rather than read into memory.
pub fn read_input(path: Option<&Path>) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    let res = match path {
        p if is_stdin(p) => io::stdin().lock().take(MAX_INPUT + 1).read_to_end(&mut buf),
        Some(p) => std::fs::File::open(p).and_then(|f| {
            // Files say how long they are: one allocation of the right size.
            let len = f
                .metadata()
                .map(|m| m.len())
                .unwrap_or(0)
                .min(MAX_INPUT + 1);
            buf.reserve_exact(usize::try_from(len).unwrap_or(0));
            f.take(MAX_INPUT + 1).read_to_end(&mut buf)
        }),
        None => Ok(0),
    };
    match res {
        Ok(_) if buf.len() as u64 > MAX_INPUT => Err(CliError::new(format!(
            "input exceeds the limit of {MAX_INPUT} bytes"
        ))),
        Ok(_) => Ok(buf),
        Err(e) => Err(read_error(&e)),
    }
}

/// Writes `bytes` to stdout as they are and flushes.
pub fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|_| CliError::new("cannot write output"))
}

/// Writes one compact JSON document followed by a newline to stdout.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    serde_json::to_writer(&mut out, value).map_err(|_| CliError::new("cannot write output"))?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|_| CliError::new("cannot write output"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(args: &[&str]) -> String {
        let mut argv = vec!["residency"];
        argv.extend_from_slice(args);
        parse(argv).unwrap_err().to_string()
    }

    #[test]
    fn usage_errors_name_the_command_and_never_the_value() {
        let secret = "4915112345678";
        let cases: [(&[&str], &str); 14] = [
            (
                &["country", "--4915112345678"],
                "usage: residency country: unexpected option",
            ),
            (
                &["country", "-4915112345678"],
                "usage: residency country: unexpected option",
            ),
            (
                &["country", "+4915112345678", "--default=4915112345678"],
                "usage: residency country: unexpected option",
            ),
            (
                &["mask", "--mode", "strip", "--mode", "4915112345678"],
                "usage: residency mask: --mode is given more than once",
            ),
            (
                &["route", "a.json", "4915112345678"],
                "usage: residency route: unexpected argument",
            ),
            (&["4915112345678"], "usage: residency: unknown command"),
            (
                &[],
                "usage: residency: expected a command: route, country, verify, mask, scan, hash, canon, merkle",
            ),
            (
                &["merkle"],
                "usage: residency merkle: expected a command: root, inclusion, consistency",
            ),
            (
                &["merkle", "inclusion", "--index", "4915112345678x"],
                "usage: residency merkle inclusion: invalid value for --index: invalid digit found in string",
            ),
            (
                &["merkle", "inclusion"],
                "usage: residency merkle inclusion: --index is required",
            ),
            (
                &["merkle", "consistency", "--old"],
                "usage: residency merkle consistency: --old needs a value",
            ),
            (
                &["verify", "4915112345678"],
                "usage: residency verify: --secret, --signature are required",
            ),
            (
                &["hash", "--expect", "4915112345678"],
                "usage: residency hash: invalid value for --expect: digest must be 64 hex digits or 44 base64 characters, got 13 characters",
            ),
            (
                &["scan", "--redact=4915112345678"],
                "usage: residency scan: too many values for --redact",
            ),
        ];
        for (args, want) in cases {
            let got = err(args);
            assert_eq!(got, want, "{args:?}");
            assert!(!got.contains(secret), "{got}");
            assert_eq!(got.lines().count(), 1);
        }
    }

    #[test]
    fn help_and_version_are_printed_for_every_command() {
        for sub in [
            "route", "country", "verify", "mask", "scan", "hash", "canon", "merkle",
        ] {
            for flag in ["--help", "-h", "--version", "-V"] {
                match parse(["residency", sub, flag]) {
                    Ok(Invocation::Print(text)) => assert!(!text.is_empty(), "{sub} {flag}"),
                    other => panic!("{sub} {flag}: {other:?}"),
                }
            }
        }
        match parse(["residency", "--version"]) {
            Ok(Invocation::Print(text)) => {
                assert_eq!(text, format!("residency {}\n", env!("CARGO_PKG_VERSION")));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_lines_keep_their_prefix() {
        assert_eq!(
            CliError::usage("hash", "x").line(),
            "usage: residency hash: x"
        );
        assert_eq!(
            CliError::new("cannot write output").line(),
            "residency: cannot write output"
        );
    }
}
