//! Integration tests of `wa-payload`: one test binary, one module per area.

mod corpus;
mod fuzz;
mod malformed;
pub mod oracle;
mod props;
