//! The `edge-router` service: verifies the provider's signature over the raw bytes, routes
//! each body with residency-core, delivers every region body to a node of a region that may
//! hold it (residency-delivery), and answers the provider 200 or 503 (DESIGN invariant 9: the
//! edge keeps nothing, the provider is the durable queue).
//!
//! `main` (`src/bin/edge-router.rs`) loads the configuration into an [`EdgeState`] and
//! serves [`app`]; the integration tests (`tests/edge/`) serve the same [`app`] on a loopback
//! port.
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | the TOML file and `RESIDENCY_*` overrides, validated into [`EdgeSettings`](config::EdgeSettings) |
//! | [`state`] | [`EdgeState`], shared by every request |
//! | [`handlers`] | the endpoints and [`EdgeError`](handlers::EdgeError), the one place refusals get their status |
//! | [`sender`] | the node protocol (URLs, headers, answers) and the loop that drives a delivery |
//! | [`metrics`] | the Prometheus metrics |

pub mod config;
pub mod handlers;
pub mod metrics;
pub mod sender;
pub mod state;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use state::EdgeState;

use crate::service::http::{harden, health};

/// The edge's router: the endpoints, hardened (3 MB body bound, timeouts, load shedding, a
/// span per request), with every answer counted.
pub fn app(state: Arc<EdgeState>) -> Router {
    let routes = Router::new()
        .route(
            "/webhook/meta",
            post(handlers::meta).get(handlers::handshake),
        )
        .route("/webhook/wasender", post(handlers::wasender))
        .route("/health", get(health))
        .route("/metrics", get(handlers::metrics))
        .with_state(Arc::clone(&state));
    harden(routes, state.limits()).layer(from_fn_with_state(state, handlers::track))
}
