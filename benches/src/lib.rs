//! Shared inputs for the criterion benches in `benches/benches/`.
//!
//! The benches themselves live in `benches/benches/*.rs` (`harness = false`); each group
//! measures one of our functions beside the baseline a user would otherwise write, on the
//! same inputs, so the ratio comes out of one run.
#![forbid(unsafe_code)]

pub mod inputs;
