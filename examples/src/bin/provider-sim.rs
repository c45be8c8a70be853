//! `provider-sim`: sends signed Cloud API and WASender webhooks to an edge as the providers
//! do, writes pre-signed bodies for load generators, and checks regional stores against its
//! record. See `examples::sim::cli`.

use std::io::Write as _;
use std::process::ExitCode;

use examples::sim::cli::{self, SimInvocation, Verdict};

fn fail(line: &str) -> ExitCode {
    // Nothing more can be reported if stderr itself is gone.
    let _ = writeln!(std::io::stderr(), "provider-sim: {line}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args_os()) {
        Ok(SimInvocation::Print(text)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            return ExitCode::SUCCESS;
        }
        Ok(SimInvocation::Run(c)) => *c,
        Err(e) => return fail(&e.to_string()),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("runtime: {}", e.kind())),
    };
    match runtime.block_on(command.run()) {
        Ok(Verdict::AsExpected) => ExitCode::SUCCESS,
        Ok(Verdict::NotAsExpected) => ExitCode::from(1),
        Err(e) => fail(&e.to_string()),
    }
}
