//! Integration tests of `pii-mask`: one test binary, one module per area.

mod planted;
