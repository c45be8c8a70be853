//! Black-box tests of the `residency` CLI and the `demo` binary: one test binary, one module
//! per area of the contract in DESIGN.md.

mod archive;
mod country;
mod demo;
mod pii;
mod route;
mod sim;
mod support;
mod usage;
