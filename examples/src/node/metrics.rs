//! The node's Prometheus metrics (one registry per node, served at `/metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of an ingest answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct IngestLabels {
    /// `deliver`, `masked` or `dead_letter`.
    pub endpoint: &'static str,
    /// The HTTP status answered.
    pub status: u16,
}

/// Labels of an item outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ItemLabels {
    /// `stored` or `duplicate`.
    pub outcome: &'static str,
    /// Whether the item is a masked copy.
    pub masked: &'static str,
}

/// Labels of an archive outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ArchiveLabels {
    /// `cloud_media`, `wasender_media` or `template`.
    pub task: &'static str,
    /// `match`, `mismatch`, `unverifiable`, `retry`, `failed`.
    pub outcome: &'static str,
}

/// Labels of a retention outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RetentionLabels {
    /// `item` or `record`.
    pub what: &'static str,
    /// `expired`, `held` or `cold`.
    pub disposition: &'static str,
}

/// The node's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Ingest requests by endpoint and status.
    pub requests: Family<IngestLabels, Counter>,
    /// Items by outcome.
    pub items: Family<ItemLabels, Counter>,
    /// Ingest latency, seconds.
    pub latency: Histogram,
    /// Archive outcomes.
    pub archive: Family<ArchiveLabels, Counter>,
    /// Checksum mismatches (alerts).
    pub mismatches: Counter,
    /// Retention outcomes.
    pub retention: Family<RetentionLabels, Counter>,
    /// Outbox jobs waiting.
    pub outbox_pending: Gauge,
    /// Outbox jobs given up on.
    pub outbox_failed: Gauge,
    /// The archive log's size.
    pub log_size: Gauge,
}

impl Metrics {
    /// A fresh registry with every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("node");
        let requests = Family::<IngestLabels, Counter>::default();
        registry.register(
            "ingest_requests",
            "Ingest requests by endpoint and status",
            requests.clone(),
        );
        let items = Family::<ItemLabels, Counter>::default();
        registry.register("items", "Items received, by outcome", items.clone());
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register("ingest_seconds", "Ingest latency", latency.clone());
        let archive = Family::<ArchiveLabels, Counter>::default();
        registry.register(
            "archive_jobs",
            "Archive jobs by task and outcome",
            archive.clone(),
        );
        let mismatches = Counter::default();
        registry.register(
            "archive_checksum_mismatches",
            "Media whose checksum did not match (never archived as good)",
            mismatches.clone(),
        );
        let retention = Family::<RetentionLabels, Counter>::default();
        registry.register(
            "retention",
            "Retention dispositions applied",
            retention.clone(),
        );
        let outbox_pending = Gauge::default();
        registry.register(
            "outbox_pending",
            "Archive jobs waiting",
            outbox_pending.clone(),
        );
        let outbox_failed = Gauge::default();
        registry.register(
            "outbox_failed",
            "Archive jobs given up on",
            outbox_failed.clone(),
        );
        let log_size = Gauge::default();
        registry.register(
            "archive_log_size",
            "Leaves in the archive log",
            log_size.clone(),
        );
        Self {
            registry,
            requests,
            items,
            latency,
            archive,
            mismatches,
            retention,
            outbox_pending,
            outbox_failed,
            log_size,
        }
    }

    /// The Prometheus text.
    pub fn render(&self) -> String {
        crate::service::telemetry::render(&self.registry)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
