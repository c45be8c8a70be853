//! `regional-node`: a region's webhook store and media archive (see `examples::node`).

use std::process::ExitCode;

fn main() -> ExitCode {
    examples::node::cli::main(std::env::args_os())
}
