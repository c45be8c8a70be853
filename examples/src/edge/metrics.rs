//! The edge's Prometheus metrics, in a registry of its own (see
//! [`telemetry`](crate::service::telemetry)).
//!
//! | metric | labels | what |
//! | --- | --- | --- |
//! | `edge_requests_total` | `route`, `method`, `status` | every request answered, by route (`/webhook/meta`, ..., `other`) |
//! | `edge_verdicts_total` | `provider`, `verdict` | POSTs delivered: `ack` (200) or `retry_later` (503) |
//! | `edge_region_items_total` | `region` | routed items per region |
//! | `edge_attempts_total` | `endpoint`, `purpose`, `status` | requests to nodes, by answer (`200`, `503`, `none` for no answer) |
//! | `edge_failovers_total` | `home_region`, `kind` | `endpoint` (an attempt past the home primary), `masked_copy` (a masked copy accepted elsewhere) |
//! | `edge_delivery_events_total` | `event`, `home_region` | every delivery event (`pending`, `poisoned`, `endpoint_refused`, ...) |
//! | `edge_endpoint_up` | `endpoint` | 1 while the endpoint's circuit is closed, 0 when down or half-open |
//! | `edge_post_duration_seconds` | `provider` | time to answer a webhook POST, from the moment its body is read |
//!
//! Labels name routes, regions, endpoints and statuses: configuration, never personal data.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::service::telemetry::render;

/// `route`, `method`, `status`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route, or `other`.
    pub route: String,
    /// The HTTP method.
    pub method: String,
    /// The status answered.
    pub status: u16,
}

/// `provider`, `verdict`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabels {
    /// `meta` or `wasender`.
    pub provider: &'static str,
    /// `ack` or `retry_later`.
    pub verdict: &'static str,
}

/// `region`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RegionLabels {
    /// The region name.
    pub region: String,
}

/// `endpoint`, `purpose`, `status`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    /// The configured endpoint.
    pub endpoint: String,
    /// `deliver`, `masked` or `dead-letter`.
    pub purpose: &'static str,
    /// The status, or `none` when no answer came in time.
    pub status: String,
}

/// `home_region`, `kind`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailoverLabels {
    /// The region body's home region.
    pub home_region: String,
    /// `endpoint` or `masked_copy`.
    pub kind: &'static str,
}

/// `event`, `home_region`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    /// The event kind (snake case).
    pub event: &'static str,
    /// The region body's home region.
    pub home_region: String,
}

/// `endpoint`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    /// The configured endpoint.
    pub endpoint: String,
}

/// `provider`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderLabels {
    /// `meta` or `wasender`.
    pub provider: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The edge's metrics and the registry that renders them.
#[derive(Debug)]
pub struct EdgeMetrics {
    registry: Registry,
    /// `edge_requests_total`.
    pub requests: Family<RequestLabels, Counter>,
    /// `edge_verdicts_total`.
    pub verdicts: Family<VerdictLabels, Counter>,
    /// `edge_region_items_total`.
    pub region_items: Family<RegionLabels, Counter>,
    /// `edge_attempts_total`.
    pub attempts: Family<AttemptLabels, Counter>,
    /// `edge_failovers_total`.
    pub failovers: Family<FailoverLabels, Counter>,
    /// `edge_delivery_events_total`.
    pub events: Family<EventLabels, Counter>,
    /// `edge_endpoint_up`.
    pub endpoint_up: Family<EndpointLabels, Gauge>,
    /// `edge_post_duration_seconds`.
    pub post_duration: Family<ProviderLabels, Histogram, fn() -> Histogram>,
}

impl Default for EdgeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl EdgeMetrics {
    /// Every metric, registered under the `edge` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("edge");
        let requests = Family::default();
        let verdicts = Family::default();
        let region_items = Family::default();
        let attempts = Family::default();
        let failovers = Family::default();
        let events = Family::default();
        let endpoint_up = Family::default();
        let post_duration =
            Family::<ProviderLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "requests",
            "Requests answered, by route, method and status",
            requests.clone(),
        );
        registry.register(
            "verdicts",
            "Webhook POSTs delivered, by verdict (ack: 200, retry_later: 503)",
            verdicts.clone(),
        );
        registry.register(
            "region_items",
            "Routed items, by region",
            region_items.clone(),
        );
        registry.register(
            "attempts",
            "Requests to regional nodes, by endpoint, purpose and answer",
            attempts.clone(),
        );
        registry.register(
            "failovers",
            "Failovers: attempts past the home primary (endpoint), masked copies accepted elsewhere (masked_copy)",
            failovers.clone(),
        );
        registry.register(
            "delivery_events",
            "Delivery events, by kind and home region",
            events.clone(),
        );
        registry.register(
            "endpoint_up",
            "1 while an endpoint's circuit breaker is closed, 0 when down or half-open",
            endpoint_up.clone(),
        );
        registry.register(
            "post_duration_seconds",
            "Time to answer a webhook POST, from the moment its body is read",
            post_duration.clone(),
        );
        Self {
            registry,
            requests,
            verdicts,
            region_items,
            attempts,
            failovers,
            events,
            endpoint_up,
            post_duration,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        render(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_its_labels() {
        let m = EdgeMetrics::new();
        m.verdicts
            .get_or_create(&VerdictLabels {
                provider: "meta",
                verdict: "ack",
            })
            .inc();
        m.post_duration
            .get_or_create(&ProviderLabels { provider: "meta" })
            .observe(0.004);
        m.endpoint_up
            .get_or_create(&EndpointLabels {
                endpoint: "http://eu-1/ingest".into(),
            })
            .set(1);
        let text = m.render();
        assert!(
            text.contains(r#"edge_verdicts_total{provider="meta",verdict="ack"} 1"#),
            "{text}"
        );
        assert!(
            text.contains("# TYPE edge_post_duration_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains(r#"edge_endpoint_up{endpoint="http://eu-1/ingest"} 1"#),
            "{text}"
        );
    }
}
