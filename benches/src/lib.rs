//! Shared inputs and baselines for the criterion benches in `benches/benches/` and the
//! instruction-count workloads (`src/bin/workload.rs`).
//!
//! The benches themselves live in `benches/benches/*.rs` (`harness = false`); each group
//! measures one of our functions beside the baseline a user would otherwise write, on the
//! same inputs, so the ratio comes out of one run.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod floor;
pub mod inputs;
