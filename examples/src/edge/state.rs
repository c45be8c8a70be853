//! [`EdgeState`]: everything a request handler needs, built once from the settings and
//! shared by every request (`Arc`).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;

use axum::http::HeaderValue;
use residency_core::auth::{EdgeKey, Secret};
use residency_delivery::{Deployment, HealthBook, UncoveredAction};

use super::config::{EdgeConfig, EdgeSettings};
use super::metrics::EdgeMetrics;
use super::sender::{Context, Sender, now, update_endpoint_gauges};
use crate::service::config::ConfigError;
use crate::service::http::HttpLimits;

/// The edge's shared state: secrets, the deployment, the circuit breakers, the client and
/// the metrics. It holds no webhook data: nothing of a request outlives it.
///
/// `Debug` redacts every secret.
#[derive(Debug)]
pub struct EdgeState {
    pub(crate) deployment: Deployment,
    pub(crate) health: Mutex<HealthBook>,
    pub(crate) edge_key: EdgeKey,
    pub(crate) app_secret: Secret,
    pub(crate) verify_token: Secret,
    pub(crate) wasender_secret: Option<Secret>,
    pub(crate) sender: Sender,
    pub(crate) metrics: EdgeMetrics,
    pub(crate) retry_after: HeaderValue,
    limits: HttpLimits,
    listen: SocketAddr,
}

impl EdgeState {
    /// Loads the configuration (`path`, then the `RESIDENCY_*` variables of `env`),
    /// validates it and builds the state: what `--check-config` runs.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first key at fault.
    pub fn from_config(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        Self::new(EdgeConfig::load(path, env)?.validate()?)
    }

    /// The state for validated settings.
    ///
    /// # Errors
    /// A [`ConfigError`] (`tls`) when the HTTP client cannot be set up.
    pub fn new(settings: EdgeSettings) -> Result<Self, ConfigError> {
        let sender = Sender::new(settings.nodes)?;
        let health = settings.deployment.health_book();
        let retry_after = HeaderValue::from(settings.retry_after.as_secs());
        let state = Self {
            deployment: settings.deployment,
            health: Mutex::new(health),
            edge_key: settings.edge_key,
            app_secret: settings.app_secret,
            verify_token: settings.verify_token,
            wasender_secret: settings.wasender_secret,
            sender,
            metrics: EdgeMetrics::new(),
            retry_after,
            limits: settings.limits,
            listen: settings.listen,
        };
        update_endpoint_gauges(&state.health, &state.metrics, now());
        Ok(state)
    }

    /// The address to listen on.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The public server's limits.
    pub fn limits(&self) -> &HttpLimits {
        &self.limits
    }

    /// Policy, topology and delivery timing.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The metrics.
    pub fn metrics(&self) -> &EdgeMetrics {
        &self.metrics
    }

    /// Logs the start-up: the topology (regions, endpoints), and once, as a warning, every
    /// country whose localised regime its region does not hold ([`Deployment::uncovered`]).
    pub fn log_start_up(&self) {
        let topology = self.deployment.topology();
        let mut regions = String::new();
        for r in topology.regions() {
            let sep = if regions.is_empty() { "" } else { "," };
            let _ = write!(regions, "{sep}{}={}", r.region(), r.endpoints().len());
        }
        tracing::info!(
            listen = %self.listen,
            regions = %regions,
            endpoints = topology.endpoints().len(),
            deadline_ms = u64::try_from(self.deployment.config().deadline().as_millis()).unwrap_or(u64::MAX),
            wasender = self.wasender_secret.is_some(),
            edge_key = self.edge_key.id(),
            "edge-router configured"
        );
        let uncovered = self.deployment.uncovered();
        if !uncovered.is_empty() {
            let mut list = String::new();
            for u in uncovered {
                let sep = if list.is_empty() { "" } else { "," };
                let _ = write!(list, "{sep}{}:{}->{}", u.country, u.regime, u.region);
            }
            tracing::warn!(
                count = uncovered.len(),
                uncovered = %list,
                action = if self.deployment.config().uncovered() == UncoveredAction::Hold {
                    "hold"
                } else {
                    "deliver"
                },
                "countries under localisation are routed to regions that do not hold their regime"
            );
        }
    }

    pub(crate) fn context(&self) -> Context<'_> {
        Context {
            deployment: &self.deployment,
            health: &self.health,
            edge_key: &self.edge_key,
            sender: &self.sender,
            metrics: &self.metrics,
        }
    }
}
