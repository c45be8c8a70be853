//! Shared code for the `residency` CLI, the `demo`, and the `edge-router` and `regional-node`
//! services.
//!
//! Everything that does I/O lives here, outside the sans-IO library crates: reading a body
//! from a file or stdin, printing JSON, mapping outcomes to exit codes.
#![forbid(unsafe_code)]

pub mod cli;
pub mod cmd;
pub mod demo;
pub mod node;
pub mod samples;
pub mod service;
