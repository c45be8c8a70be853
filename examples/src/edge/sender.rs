//! The node protocol: how an [`Attempt`] becomes an HTTP request to a regional node, how the
//! node's answer becomes an [`Answer`], and the loop that drives one POST's [`Delivery`](residency_delivery::Delivery).
//!
//! | purpose | URL | body |
//! | --- | --- | --- |
//! | [`Purpose::Deliver`] | the configured endpoint (`http://10.0.0.7:9001/ingest`) | the region body: the provider's bytes, or the split body of a mixed batch |
//! | [`Purpose::MaskedCopy`] | the endpoint + `/masked` | a masked copy for a failover region |
//! | [`Purpose::DeadLetter`] | the endpoint + `/dead-letters` | a dead letter (one JSON line) |
//!
//! Every request carries `content-type: application/json`, `x-failover-count` and
//! `x-residency-signature` ([`Attempt::headers`]: the edge key's signature over the body, the
//! hop count and the purpose), plus the provider's own signature header as received when the
//! body is the provider's bytes ([`Attempt::forwards_provider_signature`]). Nothing else of the
//! provider's request is passed on: an `x-failover-count` sent to the public ingress never
//! reaches a node (every body starts at hop 0).
//!
//! A node's status goes to the engine as it is ([`Answer::Status`]), which reads 2xx as
//! accepted, 401/403/421 (and 3xx, 404, 405) as refused (the next endpoint is tried),
//! 400/413/422 and the other 4xx as poison (the body goes to its region's dead letters), and
//! 408/429/5xx as transient. A timeout, a refused connection or a reset is
//! [`Answer::NoResponse`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderName, HeaderValue};
use residency_core::auth::EdgeKey;
use residency_core::route::Decision;
use residency_delivery::{
    Answer, Attempt, AttemptId, Deployment, EndpointId, HealthBook, HealthState, Next, Purpose,
    RegionOutcome, UnixMillis, Verdict,
};
use tokio::task::JoinSet;

use super::config::NodeUrls;
use super::metrics::{AttemptLabels, EdgeMetrics, EndpointLabels};
use crate::service::config::ConfigError;
use crate::service::http::client_builder;

/// The most of a node's answer body read (to keep its connection in the pool); the rest is
/// dropped with the connection.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The HTTP client to the nodes: one pool for every endpoint.
#[derive(Debug)]
pub struct Sender {
    client: reqwest::Client,
    nodes: HashMap<EndpointId, NodeUrls>,
}

impl Sender {
    /// A pooled client (HTTP/1.1, rustls with the ring provider, no proxy, no redirects) for
    /// these endpoints.
    ///
    /// # Errors
    /// A [`ConfigError`] for `tls` when the client cannot be set up (no usable certificate
    /// store).
    pub fn new(nodes: HashMap<EndpointId, NodeUrls>) -> Result<Self, ConfigError> {
        let client = client_builder(concat!(
            "wa-residency-edge-router/",
            env!("CARGO_PKG_VERSION")
        ))
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|_| ConfigError::new("tls", "cannot set up the HTTP client"))?;
        Ok(Self { client, nodes })
    }

    /// The URL an attempt goes to.
    pub fn url(&self, endpoint: &EndpointId, purpose: Purpose) -> Option<&reqwest::Url> {
        let urls = self.nodes.get(endpoint)?;
        Some(match purpose {
            Purpose::MaskedCopy => &urls.masked,
            Purpose::DeadLetter => &urls.dead_letters,
            _ => &urls.deliver,
        })
    }

    /// The request of `attempt`, ready to run: answered by `timeout` or read as no answer.
    fn send(
        &self,
        attempt: &Attempt,
        edge_key: &EdgeKey,
        provider_signature: Option<&(HeaderName, HeaderValue)>,
        now: UnixMillis,
    ) -> impl Future<Output = Answer> + Send + 'static {
        let timeout = attempt.respond_by().saturating_since(now);
        let request = self.url(attempt.endpoint(), attempt.purpose()).map(|url| {
            let mut request = self
                .client
                .post(url.clone())
                .timeout(timeout)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )
                .body(attempt.body().clone());
            for (name, value) in attempt.headers(edge_key, now.to_seconds()) {
                request = request.header(name, value);
            }
            if attempt.forwards_provider_signature()
                && let Some((name, value)) = provider_signature
            {
                request = request.header(name.clone(), value.clone());
            }
            request
        });
        async move {
            let Some(request) = request else {
                // An endpoint of the topology always has URLs; fail as an unreachable node.
                return Answer::NoResponse;
            };
            if timeout.is_zero() {
                return Answer::NoResponse;
            }
            match request.send().await {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let mut read = 0usize;
                    while read < MAX_ANSWER_BYTES {
                        match response.chunk().await {
                            Ok(Some(chunk)) => read += chunk.len(),
                            _ => break,
                        }
                    }
                    Answer::Status(status)
                }
                Err(_) => Answer::NoResponse,
            }
        }
    }
}

/// The current time for the engine.
pub fn now() -> UnixMillis {
    UnixMillis::try_from(SystemTime::now()).unwrap_or(UnixMillis::ZERO)
}

/// Locks the health book; a panic elsewhere while it was held leaves it usable.
pub fn lock(health: &Mutex<HealthBook>) -> MutexGuard<'_, HealthBook> {
    health.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The randomness of the backoff jitter: splitmix64 seeded from the OS.
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Self {
        let seed = getrandom::u64().unwrap_or_else(|_| now().get());
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// What the edge needs to deliver one POST.
#[derive(Debug, Clone, Copy)]
pub struct Context<'s> {
    /// Policy, topology and timing.
    pub deployment: &'s Deployment,
    /// The shared circuit breakers.
    pub health: &'s Mutex<HealthBook>,
    /// The signing key.
    pub edge_key: &'s EdgeKey,
    /// The client.
    pub sender: &'s Sender,
    /// Where attempts are counted.
    pub metrics: &'s EdgeMetrics,
}

/// How one POST's delivery ended: the verdict and, per region body, where it went. Names
/// regions, endpoints and counts, never an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Requests sent to nodes.
    pub attempts: u32,
    /// Per region body: home region, items, outcome (`accepted`, `accepted:US`,
    /// `dead_lettered`, `pending:deadline`, ...).
    pub regions: Vec<(String, usize, String)>,
    /// The delivery's events (regions, endpoints, statuses and counts, never an item).
    pub events: Vec<residency_delivery::DeliveryEvent>,
}

/// Delivers every region body of `decision` within the deployment's deadline, sending
/// attempts concurrently, and gives the verdict.
pub async fn deliver(
    ctx: Context<'_>,
    decision: &Decision,
    provider_signature: Option<&(HeaderName, HeaderValue)>,
) -> Report {
    let mut delivery = ctx.deployment.deliver(decision, now());
    let mut in_flight: JoinSet<(AttemptId, Answer)> = JoinSet::new();
    let mut tasks: HashMap<tokio::task::Id, (AttemptId, AttemptLabels)> = HashMap::new();
    let mut jitter = Jitter::seeded();
    let mut rng = move || jitter.next();
    let mut attempts = 0u32;
    let verdict = loop {
        // Bound first: the lock is released before any await.
        let next = delivery.next(&mut lock(ctx.health), &mut rng, now());
        match next {
            Next::Send(attempt) => {
                attempts = attempts.saturating_add(1);
                let purpose = attempt.purpose();
                let labels = AttemptLabels {
                    endpoint: attempt.endpoint().to_string(),
                    purpose: purpose.edge_purpose().as_str(),
                    status: String::new(),
                };
                tracing::debug!(
                    endpoint = %attempt.endpoint(),
                    region = %attempt.region(),
                    home_region = %attempt.home_region(),
                    purpose = purpose.edge_purpose().as_str(),
                    failover_count = attempt.failover_count().get(),
                    bytes = attempt.body().len(),
                    "attempt"
                );
                let id = attempt.id();
                let request = ctx
                    .sender
                    .send(&attempt, ctx.edge_key, provider_signature, now());
                let handle = in_flight.spawn(async move { (id, request.await) });
                tasks.insert(handle.id(), (id, labels));
            }
            Next::Wait { until } => {
                let wake = tokio::time::Instant::now() + until.saturating_since(now());
                tokio::select! {
                    Some(joined) = in_flight.join_next_with_id() => {
                        let (task, answer) = match joined {
                            Ok((task, (_, answer))) => (task, answer),
                            // A request task that panicked is a node that did not answer.
                            Err(e) => (e.id(), Answer::NoResponse),
                        };
                        if let Some((id, mut labels)) = tasks.remove(&task) {
                            labels.status = match answer {
                                Answer::Status(s) => s.to_string(),
                                _ => "none".to_owned(),
                            };
                            ctx.metrics.attempts.get_or_create(&labels).inc();
                            // Only an attempt this delivery issued and has not settled can
                            // come back, so this cannot fail.
                            let _ = delivery.report(id, answer, &mut lock(ctx.health), now());
                        }
                    }
                    () = tokio::time::sleep_until(wake) => {}
                }
            }
            Next::Done(verdict) => break verdict,
            // A variant this service does not know: fail closed, the provider keeps the body.
            _ => break Verdict::RetryLater,
        }
    };
    // Answers after the verdict change nothing: stop waiting for them.
    in_flight.abort_all();
    let regions = delivery
        .regions()
        .map(|r| {
            let outcome = match r.outcome() {
                Some(RegionOutcome::Accepted { region, .. }) if region != r.region() => {
                    format!("accepted:{region}")
                }
                Some(RegionOutcome::Accepted { .. }) => "accepted".to_owned(),
                Some(RegionOutcome::DeadLettered { .. }) => "dead_lettered".to_owned(),
                Some(RegionOutcome::Pending { reason, .. }) => {
                    format!("pending:{}", snake(&format!("{reason:?}")))
                }
                _ => "pending".to_owned(),
            };
            (r.region().to_string(), r.items(), outcome)
        })
        .collect();
    Report {
        verdict,
        attempts,
        regions,
        events: delivery.take_events(),
    }
}

/// Sets `edge_endpoint_up` from the breakers, at `now`.
pub fn update_endpoint_gauges(health: &Mutex<HealthBook>, metrics: &EdgeMetrics, now: UnixMillis) {
    let book = lock(health);
    for (endpoint, tracker) in book.iter() {
        let up = i64::from(tracker.state(now) == HealthState::Up);
        metrics
            .endpoint_up
            .get_or_create(&EndpointLabels {
                endpoint: endpoint.to_string(),
            })
            .set(up);
    }
}

/// `RoundsExhausted` -> `rounds_exhausted`.
fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_differs_between_draws_and_names_are_snake_case() {
        let mut j = Jitter(1);
        assert_ne!(j.next(), j.next());
        assert_eq!(snake("RoundsExhausted"), "rounds_exhausted");
        assert_eq!(snake("Deadline"), "deadline");
    }
}
