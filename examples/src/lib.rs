//! Shared code for the `residency` CLI, the `demo`, the `edge-router` and `regional-node`
//! services, and the `provider-sim` load and outage driver.
//!
//! Everything that does I/O lives here, outside the sans-IO library crates: reading a body
//! from a file or stdin, printing JSON, mapping outcomes to exit codes.
#![forbid(unsafe_code)]

pub mod cli;
pub mod cmd;
pub mod demo;
pub mod edge;
pub mod node;
pub mod samples;
pub mod service;
pub mod sim;
