//! One module per `residency` subcommand; each exposes `run(args) -> CmdResult`.

pub mod canon;
pub mod country;
pub mod hash;
pub mod mask;
pub mod merkle;
pub mod route;
pub mod scan;
pub mod verify;
