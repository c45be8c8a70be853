//! `residency`: the operator CLI (contract in DESIGN.md).

use std::io::{self, Write};
use std::process::ExitCode;

use examples::cli::{self, CliError, Invocation};

fn fail(e: &CliError) -> ExitCode {
    // Nothing more can be reported if stderr itself is gone.
    let _ = writeln!(io::stderr(), "{}", e.line());
    ExitCode::from(2)
}

fn main() -> ExitCode {
    match cli::parse(std::env::args_os()) {
        Ok(Invocation::Print(text)) => match cli::write_stdout(text.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        },
        Ok(Invocation::Run(command)) => match command.run() {
            Ok(outcome) => outcome.into(),
            Err(e) => fail(&e),
        },
        Err(e) => fail(&e),
    }
}
