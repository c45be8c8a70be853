//! Integration tests of `residency-core`: one test binary, one module per area.
mod fail_closed;
mod numbering;
mod policy;
mod route;
mod shared;
