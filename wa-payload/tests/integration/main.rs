//! Integration tests of `wa-payload`: one test binary, one module per area.
