//! Integration tests of the `edge-router` service over real HTTP on loopback: the edge's
//! `app` (or the built binary) in front of fake regional nodes that check the edge signature
//! as a real node does. One test binary, one module per area.

mod auth;
mod binary;
mod delivery;
mod metrics;
mod support;
