//! One module per `residency` subcommand; each exposes `run(args) -> CmdResult`.

pub mod mask;
pub mod scan;
