//! Integration tests of `wa-payload`: one test binary, one module per area.

mod corpus;
mod malformed;
mod props;
