//! The steps of the `demo` binary, one module per crate they show.

pub mod pii;
