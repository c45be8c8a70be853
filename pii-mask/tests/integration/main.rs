//! Integration tests of `pii-mask`: one test binary, one module per area.

mod corpus;
mod planted;
mod properties;
mod touching;
