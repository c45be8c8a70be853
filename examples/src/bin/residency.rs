//! `residency`: the operator CLI (contract in DESIGN.md).

use std::process::ExitCode;

use examples::cli::{CliError, CmdResult};
use examples::cmd;

const USAGE: &str = "usage: residency <route|country|verify|mask|scan|hash|canon|merkle> [ARGS...]";

fn dispatch(command: &str, args: &[String]) -> CmdResult {
    match command {
        "route" => cmd::route::run(args),
        "country" => cmd::country::run(args),
        "verify" => cmd::verify::run(args),
        "hash" => cmd::hash::run(args),
        "canon" => cmd::canon::run(args),
        "merkle" => cmd::merkle::run(args),
        "mask" => cmd::mask::run(args),
        "scan" => cmd::scan::run(args),
        _ => Err(CliError::new(USAGE)),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match dispatch(command, rest) {
        Ok(outcome) => outcome.into(),
        Err(e) => {
            eprintln!("residency: {e}");
            ExitCode::from(2)
        }
    }
}
