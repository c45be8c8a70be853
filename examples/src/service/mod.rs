//! What the two services (`edge-router`, `regional-node`) share: configuration from a TOML file
//! overridden by the environment ([`config`]), JSON logs and Prometheus metrics
//! ([`telemetry`]), and a hardened HTTP server with graceful shutdown ([`http`]).

pub mod config;
pub mod http;
pub mod policy;
pub mod telemetry;
