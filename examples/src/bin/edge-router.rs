//! `edge-router`: the public webhook endpoint that picks each item's region before anything
//! is logged or stored, and delivers it to that region's nodes (see `examples/README.md`).
//!
//! ```text
//! edge-router --config edge.toml                 # serve until SIGTERM or Ctrl-C
//! edge-router --config edge.toml --check-config  # validate and exit 0, or 2 and one line
//! ```
//!
//! Exit codes: 0 after a clean shutdown (or a valid configuration), 1 when the server cannot
//! listen or fails, 2 for a bad configuration or usage. Every error is one line on stderr that
//! names a key or an option, never a value.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use clap::error::ErrorKind;
use examples::edge::{self, EdgeState};
use examples::service::http::{serve, shutdown_signal};
use examples::service::telemetry::init_logging;

/// The edge router: verifies, routes and delivers WhatsApp webhooks to the nodes of the
/// region that may hold each item.
#[derive(Debug, Parser)]
#[command(name = "edge-router", version)]
struct Args {
    /// The TOML configuration; any key may instead come from `RESIDENCY_<SECTION>_<KEY>`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Validate the configuration (building the deployment too) and exit: 0 and nothing
    /// printed, or 2 and one line naming the bad key.
    #[arg(long)]
    check_config: bool,
}

fn usage(e: &clap::Error) -> ExitCode {
    // clap's own messages quote what was typed: name the kind of problem only.
    let what = match e.kind() {
        ErrorKind::UnknownArgument => "unknown option",
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "invalid value for --config",
        ErrorKind::ArgumentConflict => "an option is repeated or conflicts with another",
        ErrorKind::TooManyValues => "an option is repeated",
        ErrorKind::InvalidUtf8 => "an argument is not utf-8",
        _ => "invalid arguments",
    };
    eprintln!("edge-router: usage: {what} (see --help)");
    ExitCode::from(2)
}

/// The environment's `RESIDENCY_*` variables (a variable that is not UTF-8 cannot be one).
fn env() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage(&e),
    };
    let state = match EdgeState::from_config(args.config.as_deref(), env()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("edge-router: {e}");
            return ExitCode::from(2);
        }
    };
    if args.check_config {
        return ExitCode::SUCCESS;
    }
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("edge-router: cannot start the runtime: {}", e.kind());
            return ExitCode::from(1);
        }
    };
    let state = Arc::new(state);
    runtime.block_on(async move {
        let listen = state.listen();
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("edge-router: cannot listen on {listen}: {}", e.kind());
                return ExitCode::from(1);
            }
        };
        state.log_start_up();
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(addr = %addr, "listening");
        }
        let limits = *state.limits();
        match serve(listener, edge::app(state), &limits, shutdown_signal()).await {
            Ok(()) => {
                tracing::info!("edge-router stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!(error = %e.kind(), "edge-router cannot accept connections");
                eprintln!("edge-router: cannot accept connections: {}", e.kind());
                ExitCode::from(1)
            }
        }
    })
}
