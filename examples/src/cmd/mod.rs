//! One module per `residency` subcommand; each exposes `run(args) -> CmdResult`.

pub mod country;
