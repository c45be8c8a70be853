//! `residency merkle root|inclusion --index I|consistency --old M [FILE]`: an RFC 6962
//! Merkle tree over the leaves read from stdin (or FILE).
//!
//! Each input line is one leaf's **data** in hex (digits `0-9`, `a-f`, `A-F` only, an even
//! number of them; an empty line is an empty leaf), hashed as `SHA-256(0x00 || data)`, the
//! convention of the RFC 6962 test vectors (`leaf_inputs_hex`). Spaces or tabs around a
//! leaf and a `\r` before the newline are ignored. A final newline does not start another
//! leaf. The tree size is the number of lines. A line that is not hex is bad input: exit 2
//! with one stderr line naming its number, never its content.
//!
//! - `root` prints the root (the empty tree's root for no input).
//! - `inclusion --index I` prints the audit path of leaf `I` (0-based), one hash per line.
//! - `consistency --old M` prints the proof that the first `M` leaves (`M >= 1`) are a prefix
//!   of the whole tree, one hash per line.
//!
//! Hashes are lowercase hex. An empty proof prints nothing.

use std::path::{Path, PathBuf};

use archive_hash::MerkleLog;
use clap::Subcommand;

use crate::cli::{CliError, CmdResult, Outcome, read_input, write_stdout};

/// Arguments of `residency merkle`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to print.
    #[command(subcommand)]
    pub mode: Mode,
}

/// What `residency merkle` prints.
#[derive(Debug, Subcommand)]
pub enum Mode {
    /// The root (the empty tree's root for no input).
    Root {
        /// Leaves, one hex per line; `-` or nothing reads stdin.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// The audit path of one leaf, one hash per line.
    Inclusion {
        /// The leaf, counted from 0.
        #[arg(long, value_name = "I")]
        index: u64,
        /// Leaves, one hex per line; `-` or nothing reads stdin.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// The proof that the first M leaves (M >= 1) are a prefix of the whole tree.
    Consistency {
        /// The size of the older tree.
        #[arg(long, value_name = "M")]
        old: u64,
        /// Leaves, one hex per line; `-` or nothing reads stdin.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

/// Decodes one leaf line: an even number of hex digits and nothing else (`+a`, which
/// `from_str_radix` would take for 0x0a, is refused).
fn decode_hex(line: &str, number: usize) -> Result<Vec<u8>, CliError> {
    base16ct::mixed::decode_vec(line)
        .map_err(|_| CliError::new(format!("line {number} is not an even-length hex string")))
}

/// Builds the log from the input text, one hex leaf per line.
fn read_log(input: &[u8]) -> Result<MerkleLog, CliError> {
    let text = std::str::from_utf8(input)
        .map_err(|e| CliError::new(format!("input is not utf-8 at byte {}", e.valid_up_to())))?;
    let mut log = MerkleLog::new();
    if text.is_empty() {
        return Ok(log);
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    for (i, line) in body.split('\n').enumerate() {
        let line = line
            .strip_suffix('\r')
            .unwrap_or(line)
            .trim_matches([' ', '\t']);
        log.append(&decode_hex(line, i + 1)?);
    }
    Ok(log)
}

fn load(file: Option<&Path>) -> Result<MerkleLog, CliError> {
    read_log(&read_input(file)?)
}

/// Runs the subcommand.
pub fn run(args: Args) -> CmdResult {
    let lib = |e: archive_hash::ArchiveError| CliError::new(format!("merkle: {e}"));
    let hashes = match args.mode {
        Mode::Root { file } => vec![load(file.as_deref())?.root()],
        Mode::Inclusion { index, file } => {
            let log = load(file.as_deref())?;
            log.inclusion_proof(index, log.len()).map_err(lib)?
        }
        Mode::Consistency { old, file } => {
            let log = load(file.as_deref())?;
            log.consistency_proof(old, log.len()).map_err(lib)?
        }
    };
    let mut text = String::with_capacity(hashes.len() * 65);
    for h in &hashes {
        text.push_str(&h.to_hex());
        text.push('\n');
    }
    write_stdout(text.as_bytes())?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_leaves() {
        assert_eq!(read_log(b"").unwrap().len(), 0);
        assert_eq!(read_log(b"\n").unwrap().len(), 1);
        assert_eq!(read_log(b"00\n10").unwrap().len(), 2);
        assert_eq!(read_log(b"00\r\nAB\n").unwrap().len(), 2);
        assert_eq!(read_log(b" 0aFf\t\n").unwrap().len(), 1);
        let e = read_log(b"00\nxyz\n").err().unwrap();
        assert_eq!(e.to_string(), "line 2 is not an even-length hex string");
        assert!(read_log(b"0\n").is_err());
        assert!(read_log("é\n".as_bytes()).is_err());
    }

    #[test]
    fn signs_and_prefixes_are_not_hex() {
        for bad in ["+a", "-a", "0x", "+0", "a+", " +f", "0a +b", "é0"] {
            let e = decode_hex(bad.trim(), 7).unwrap_err();
            assert_eq!(
                e.to_string(),
                "line 7 is not an even-length hex string",
                "{bad}"
            );
        }
        assert_eq!(decode_hex("00ff7F", 1).unwrap(), [0x00, 0xff, 0x7f]);
    }
}
