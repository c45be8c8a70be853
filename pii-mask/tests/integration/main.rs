//! Integration tests of `pii-mask`: one test binary, one module per area.

mod corpus;
mod fuzz;
mod planted;
mod properties;
mod touching;
