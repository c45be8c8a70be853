//! JSON logs (`tracing`) and Prometheus metrics (`prometheus-client`).
//!
//! Logs are one JSON object per line on stdout; the level comes from `RUST_LOG` (default
//! `info`). Nothing the services log carries an unmasked phone number, user id, message id or
//! body: identities go through pii-mask first (see each service's compliance log).
//!
//! Metrics live in a [`Registry`] per service (not a process-wide global), so the demo, which
//! runs an edge and four nodes in one process, still serves each its own `/metrics`.

use std::sync::Once;

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

/// Installs the JSON log subscriber once per process (later calls do nothing).
pub fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        // A subscriber set elsewhere (a test harness) wins; ours is then simply not used.
        let _ = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stdout)
            .try_init();
    });
}

/// The Prometheus text exposition of `registry`.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;

    #[test]
    fn renders_a_registry_as_prometheus_text() {
        let mut registry = Registry::default();
        let c: Counter = Counter::default();
        registry.register("requests", "Requests received", c.clone());
        c.inc();
        let text = render(&registry);
        assert!(text.contains("# TYPE requests counter"), "{text}");
        assert!(text.contains("requests_total 1"), "{text}");
        assert!(text.ends_with("# EOF\n"));
        init_logging();
        init_logging();
    }
}
