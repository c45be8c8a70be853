//! The `regional-node` command line.
//!
//! ```text
//! regional-node --config FILE                      serve
//! regional-node --config FILE --check-config       validate and exit (0, or 2 naming the key)
//! regional-node replay --config FILE               replay the region's dead letters
//! regional-node subject export --config FILE (--phone NUMBER | --user-id ID)
//! regional-node subject erase  --config FILE (--phone NUMBER | --user-id ID)
//! ```
//!
//! Exit codes: 0 done; 1 refused (a legal hold, named; or the service failed while running);
//! 2 bad input or configuration, with one line on stderr naming the flag or key, never a
//! value. clap's own messages quote what was typed, so they are replaced by ours.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand};

use super::config::Settings;
use super::subject::{Subject, SubjectError};
use super::{NodeState, app, replay, spawn_tasks, subject};
use crate::service::http::{harden, serve, shutdown_signal};
use crate::service::telemetry::init_logging;

/// The `regional-node` command line.
#[derive(Debug, Parser)]
#[command(
    name = "regional-node",
    version,
    about = "A regional node: stores its region's WhatsApp webhook items and archives their media",
    disable_help_subcommand = true
)]
pub struct NodeCli {
    /// The configuration file (TOML; any key may come from RESIDENCY_* variables).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Validate the configuration and exit.
    #[arg(long)]
    pub check_config: bool,
    /// A one-off command instead of serving.
    #[command(subcommand)]
    pub command: Option<NodeCommand>,
}

/// One-off commands.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Re-send the region's dead letters through the node's own checks.
    Replay,
    /// A data-subject request.
    Subject {
        /// What to do.
        #[command(subcommand)]
        action: SubjectAction,
    },
}

/// A data-subject request.
#[derive(Debug, Subcommand)]
pub enum SubjectAction {
    /// Print everything the region holds about the person, as one JSON document.
    Export(Who),
    /// Delete it, append a tombstone to the archive log, print counts.
    Erase(Who),
}

/// The person a request is about.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Who {
    /// The person's phone number.
    #[arg(long, value_name = "NUMBER")]
    pub phone: Option<String>,
    /// The person's user id (business-scoped user id, or WASender LID).
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,
}

impl Who {
    fn subject(&self) -> Subject {
        match (&self.phone, &self.user_id) {
            (Some(p), _) => Subject::Phone(p.clone()),
            (None, Some(u)) => Subject::UserId(u.clone()),
            (None, None) => Subject::UserId(String::new()),
        }
    }
}

fn fail(code: u8, line: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "regional-node: {line}");
    ExitCode::from(code)
}

fn print(line: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Runs the command line; `args` include the program name.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match NodeCli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            return print(e.render().to_string().trim_end());
        }
        Err(e) => {
            let what = match e.kind() {
                ErrorKind::MissingRequiredArgument | ErrorKind::ArgumentConflict => {
                    "give exactly one of --phone or --user-id"
                }
                ErrorKind::InvalidSubcommand => "unknown command",
                ErrorKind::UnknownArgument => "unexpected argument",
                ErrorKind::MissingSubcommand
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => "expected a command",
                _ => "invalid arguments",
            };
            return fail(2, what);
        }
    };
    let Some(path) = cli.config.clone() else {
        return fail(2, "--config FILE is required");
    };
    let settings = match Settings::load(Some(&path), std::env::vars()) {
        Ok(s) => s,
        Err(e) => return fail(2, &e.to_string()),
    };
    if cli.check_config {
        return ExitCode::SUCCESS;
    }
    if let Some(NodeCommand::Subject { action }) = &cli.command {
        let who = match action {
            SubjectAction::Export(w) | SubjectAction::Erase(w) => w,
        };
        if let Err(line) = who.subject().check() {
            return fail(2, line);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(_) => return fail(1, "cannot start the async runtime"),
    };
    runtime.block_on(run(cli.command, settings))
}

async fn run(command: Option<NodeCommand>, settings: Settings) -> ExitCode {
    let serving = command.is_none();
    if serving {
        init_logging();
    }
    let limits = settings.http;
    let listen = settings.listen;
    let state = match NodeState::open(settings).await {
        Ok(s) => s,
        Err(e) => return fail(1, &e.to_string()),
    };
    match command {
        None => {
            let listener = match tokio::net::TcpListener::bind(listen).await {
                Ok(l) => l,
                Err(e) => return fail(1, &format!("cannot listen: {}", e.kind())),
            };
            tracing::info!(region = %state.settings.region, store = state.store.backend(), "regional node listening");
            let tasks = spawn_tasks(&state);
            let result = serve(
                listener,
                harden(app(state), &limits),
                &limits,
                shutdown_signal(),
            )
            .await;
            tasks.shutdown().await;
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(1, &format!("server failed: {}", e.kind())),
            }
        }
        Some(NodeCommand::Replay) => match replay::replay(&state).await {
            Ok(r) => print(&serde_json::to_string(&r).unwrap_or_default()),
            Err(e) => fail(1, &e.to_string()),
        },
        Some(NodeCommand::Subject { action }) => match action {
            SubjectAction::Export(who) => match subject::export(&state, &who.subject()).await {
                Ok(doc) => print(&doc.to_string()),
                Err(e) => fail(1, &e.to_string()),
            },
            SubjectAction::Erase(who) => match subject::erase(&state, &who.subject()).await {
                Ok(counts) => print(&serde_json::to_string(&counts).unwrap_or_default()),
                Err(e @ SubjectError::Held(_)) => fail(1, &e.to_string()),
                Err(e) => fail(1, &e.to_string()),
            },
        },
    }
}
