//! Integration tests of `residency-delivery`: one test binary, one module per area.

mod common;
mod corpus;
mod delivery;
mod props;
mod simulation;
