//! Integration tests of `archive-hash`: one test binary, one module per area.
