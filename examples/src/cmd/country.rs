//! `residency country [NUMBER...]`: the country and region of phone numbers.
//!
//! Numbers come as arguments, or one per line on stdin when there are none, with or without
//! `+`, with spaces, dashes, dots or brackets. Each argument, and each line of stdin, gets
//! exactly one line of output in the same order, so answers pair with inputs: `ISO REGION`
//! (the seed policy's region), or `- REGION` when no country applies (non-geographic code,
//! unknown code, malformed, blank or overlong input: the default region). Stdin is read line
//! by line, so input of any length works, and answers are flushed whenever the input pauses,
//! so a program can write a number and read its answer. Exits 0; a flag is a usage error
//! (exit 2), and no number is ever echoed on stderr.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

use residency_core::Policy;
use residency_core::attribution::attribute_phone;

use crate::cli::{CliError, CmdResult, Outcome, read_error};

/// Longest stdin line read as a number: 4 KiB. A longer line is answered like any other
/// input that is not a phone number, and the rest of it is skipped.
pub const MAX_LINE: u64 = 4096;

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
    let write_err = |_| CliError::new("cannot write output");
    let mut out = BufWriter::new(io::stdout().lock());
    let answer = |raw: &str, out: &mut BufWriter<_>| {
        let a = attribute_phone(raw.trim());
        let region = policy.region_for(&a);
        match a.country {
            Some(c) => writeln!(out, "{c} {region}"),
            None => writeln!(out, "- {region}"),
        }
    };
    if args.numbers.is_empty() {
        let mut input = BufReader::with_capacity(64 * 1024, io::stdin());
        let mut line = Vec::new();
        while let Some(whole) = next_line(&mut input, &mut line).map_err(|e| read_error(&e))? {
            let text = if whole {
                String::from_utf8_lossy(&line)
            } else {
                "".into()
            };
            answer(&text, &mut out).map_err(write_err)?;
            if input.buffer().is_empty() {
                out.flush().map_err(write_err)?;
            }
        }
    } else {
        for raw in &args.numbers {
            answer(raw, &mut out).map_err(write_err)?;
        }
    }
    out.flush().map_err(write_err)?;
    Ok(Outcome::Success)
}

/// Reads the next line into `line`, without its `\n` or `\r\n`: `None` at the end of the
/// input, `Some(false)` for a line longer than [`MAX_LINE`] (its rest is skipped).
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Option<bool>> {
    line.clear();
    let n = Read::take(&mut *input, MAX_LINE + 1).read_until(b'\n', line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    if line.len() as u64 > MAX_LINE {
        input.skip_until(b'\n')?;
        return Ok(Some(false));
    }
    Ok(Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_one_input_blank_and_overlong_included() {
        let long = "1".repeat(MAX_LINE as usize + 10);
        let text = format!("+49 151\r\n\n{long}\n{long}x\r\nlast");
        let mut input = io::Cursor::new(text.into_bytes());
        let mut line = Vec::new();
        let mut lines = Vec::new();
        while let Some(whole) = next_line(&mut input, &mut line).unwrap() {
            lines.push(whole.then(|| String::from_utf8(line.clone()).unwrap()));
        }
        assert_eq!(
            lines,
            [
                Some("+49 151".to_owned()),
                Some(String::new()),
                None,
                None,
                Some("last".to_owned())
            ]
        );
        // Exactly MAX_LINE bytes is still a whole line.
        let exact = "2".repeat(MAX_LINE as usize);
        let mut input = io::Cursor::new(format!("{exact}\n").into_bytes());
        assert_eq!(next_line(&mut input, &mut line).unwrap(), Some(true));
        assert_eq!(line.len() as u64, MAX_LINE);
        assert_eq!(next_line(&mut input, &mut line).unwrap(), None);
    }
}
