//! One module per `residency` subcommand; each defines its `Args` (clap derive) and
//! `run(Args) -> CmdResult`.

pub mod canon;
pub mod country;
pub mod hash;
pub mod mask;
pub mod merkle;
pub mod route;
pub mod scan;
pub mod verify;
