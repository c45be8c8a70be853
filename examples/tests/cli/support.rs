//! Runs the built binaries with arguments and stdin, and captures what they print.

use std::io::Write;
use std::process::{Command, Stdio};

/// What one run of a binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code (`-1` if killed by a signal).
    pub(crate) code: i32,
    /// Everything written to stdout.
    pub(crate) stdout: Vec<u8>,
    /// Everything written to stderr, as text.
    pub(crate) stderr: String,
}

impl Run {
    /// Stdout as UTF-8 text.
    #[allow(dead_code)]
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Stdout parsed as one JSON document.
    #[allow(dead_code)]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).expect("stdout is one JSON document")
    }
}

/// Runs `residency ARGS...` with `stdin` piped in.
#[allow(dead_code)]
pub(crate) fn residency(args: &[&str], stdin: &[u8]) -> Run {
    run(env!("CARGO_BIN_EXE_residency"), args, stdin)
}

/// Runs the binary at `exe` with `args` and `stdin`.
pub(crate) fn run(exe: &str, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    // A binary that exits before reading everything closes the pipe: that is not a test failure.
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().expect("binary finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Path of a file bundled under `examples/samples/`.
#[allow(dead_code)]
pub(crate) fn sample(rel: &str) -> String {
    format!("{}/samples/{rel}", env!("CARGO_MANIFEST_DIR"))
}
