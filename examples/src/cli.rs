//! Plumbing shared by every `residency` subcommand: input, output and exit codes.
//!
//! The contract (DESIGN.md): exit 0 on success, 1 for a negative verdict (mismatch, invalid
//! signature), 2 for bad input or usage, with one line on stderr that carries no personal data.

use std::fmt;
use std::io::{self, Read, Write};
use std::process::ExitCode;

/// Largest input the CLI reads, file or stdin: 64 MiB (media files for `hash` included).
pub const MAX_INPUT: u64 = 64 * 1024 * 1024;

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
/// The message is written by our code, never copied from the input, so it carries no
/// personal data. Library error messages qualify: they name fields, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    message: String,
}

impl CliError {
    /// A usage or input error with the given message (no personal data in it).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// A usage error naming the subcommand and what was wrong.
    pub fn usage(command: &str, what: impl fmt::Display) -> Self {
        Self::new(format!("usage: residency {command}: {what}"))
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

/// Reads the input named by `path`: a file, or stdin when `path` is `None` or `"-"`.
///
/// Inputs larger than [`MAX_INPUT`] are refused rather than read into memory.
pub fn read_input(path: Option<&str>) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    let res = match path {
        None | Some("-") => io::stdin().lock().take(MAX_INPUT + 1).read_to_end(&mut buf),
        Some(p) => std::fs::File::open(p).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut buf)),
    };
    match res {
        Ok(_) if buf.len() as u64 > MAX_INPUT => Err(CliError::new(format!(
            "input exceeds the limit of {MAX_INPUT} bytes"
        ))),
        Ok(_) => Ok(buf),
        Err(e) => Err(CliError::new(format!("cannot read input: {}", e.kind()))),
    }
}

/// Writes one compact JSON document followed by a newline to stdout.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    serde_json::to_writer(&mut out, value).map_err(|_| CliError::new("cannot write output"))?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|_| CliError::new("cannot write output"))
}

/// Splits `args` into flags with a value (`--name VALUE` or `--name=VALUE`), bare flags and
/// positional arguments, refusing any flag that `known` does not list.
///
/// `known` pairs each flag name (without `--`) with whether it takes a value.
pub fn parse_args(
    command: &str,
    args: &[String],
    known: &[(&str, bool)],
) -> Result<ParsedArgs, CliError> {
    let mut parsed = ParsedArgs::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if let Some(flag) = arg.strip_prefix("--") {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (flag, None),
            };
            let Some(&(_, takes_value)) = known.iter().find(|(k, _)| *k == name) else {
                return Err(CliError::usage(command, format!("unknown flag --{name}")));
            };
            if takes_value {
                let value = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| {
                        CliError::usage(command, format!("--{name} needs a value"))
                    })?,
                };
                parsed.values.push((name.to_owned(), value));
            } else if inline.is_some() {
                return Err(CliError::usage(command, format!("--{name} takes no value")));
            } else {
                parsed.flags.push(name.to_owned());
            }
        } else {
            parsed.positional.push(arg.clone());
        }
    }
    Ok(parsed)
}

/// Arguments split by [`parse_args`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ParsedArgs {
    /// `--name VALUE` pairs, in order.
    pub values: Vec<(String, String)>,
    /// Bare `--name` flags, in order.
    pub flags: Vec<String>,
    /// Everything that is not a flag, in order.
    pub positional: Vec<String>,
}

impl ParsedArgs {
    /// The last value given for `--name`, if any.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the bare flag `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|n| n == name)
    }

    /// The single optional input path (FILE, `-` or nothing); more than one is a usage error.
    pub fn input_path(&self, command: &str) -> Result<Option<&str>, CliError> {
        match self.positional.as_slice() {
            [] => Ok(None),
            [p] => Ok(Some(p.as_str())),
            _ => Err(CliError::usage(command, "expected at most one FILE")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn parses_values_flags_and_positionals() {
        let p = parse_args(
            "mask",
            &s(&["--mode", "strip", "--key=00ff", "--redact", "file.json"]),
            &[("mode", true), ("key", true), ("redact", false)],
        )
        .unwrap();
        assert_eq!(p.value("mode"), Some("strip"));
        assert_eq!(p.value("key"), Some("00ff"));
        assert!(p.flag("redact"));
        assert_eq!(p.input_path("mask").unwrap(), Some("file.json"));
    }

    #[test]
    fn rejects_unknown_and_incomplete_flags() {
        let e = parse_args("x", &s(&["--nope"]), &[]).unwrap_err();
        assert_eq!(e.to_string(), "usage: residency x: unknown flag --nope");
        let e = parse_args("x", &s(&["--mode"]), &[("mode", true)]).unwrap_err();
        assert_eq!(e.to_string(), "usage: residency x: --mode needs a value");
        let e = parse_args("x", &s(&["--redact=1"]), &[("redact", false)]).unwrap_err();
        assert!(e.to_string().contains("takes no value"));
    }
}
