//! Fake regional nodes, an edge on a loopback port, and signed requests to it.
//!
//! A [`FakeNode`] is a small axum server with the node side of the protocol: it verifies the
//! edge signature with [`EdgeVerifier`] for the purpose its path stands for (`/ingest`,
//! `/ingest/masked`, `/ingest/dead-letters`), answers 401 when it does not verify and the
//! configured status otherwise, and records every request.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use examples::edge::{self, EdgeState};
use examples::service::http::serve;
use residency_core::UnixSeconds;
use residency_core::auth::{
    AuthError, EdgeKey, EdgePurpose, EdgeVerifier, Secret, sign_hub_signature,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const APP_SECRET: &str = "test-app-secret-0123";
pub(crate) const VERIFY_TOKEN: &str = "test-verify-token";
pub(crate) const WASENDER_SECRET: &str = "test-wasender-secret";
pub(crate) const EDGE_KEY_HEX: &str =
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
pub(crate) const FAILOVER_KEY_HEX: &str =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Every test's bound: a hung socket fails the test instead of the CI job.
pub(crate) async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), test)
        .await
        .expect("the test finished within 30 s")
}

/// A bundled webhook sample.
pub(crate) fn sample(name: &str) -> Bytes {
    let path = format!("{}/samples/payloads/{name}", env!("CARGO_MANIFEST_DIR"));
    Bytes::from(std::fs::read(path).expect("bundled sample"))
}

/// Meta's `X-Hub-Signature-256` of `body` under the test app secret.
pub(crate) fn meta_signature(body: &[u8]) -> String {
    sign_hub_signature(&Secret::from_text(APP_SECRET).expect("secret"), body)
}

fn edge_key() -> EdgeKey {
    let mut bytes = [0u8; 32];
    base16ct::mixed::decode(EDGE_KEY_HEX, &mut bytes).expect("hex");
    EdgeKey::new("k1", Secret::new(bytes.to_vec()).expect("secret")).expect("key")
}

fn now() -> UnixSeconds {
    UnixSeconds::try_from(SystemTime::now()).expect("clock after 1970")
}

/// One request a fake node received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// What the path stands for.
    pub(crate) purpose: EdgePurpose,
    /// The body, as received.
    pub(crate) body: Bytes,
    /// `x-failover-count`, as received.
    pub(crate) failover_count: Option<String>,
    /// `x-hub-signature-256`, when forwarded.
    pub(crate) hub_signature: Option<String>,
    /// `x-webhook-signature`, when forwarded.
    pub(crate) wasender_signature: Option<String>,
    /// `content-type`.
    pub(crate) content_type: Option<String>,
    /// The edge signature's check: the hop count it vouches for, or why it failed.
    pub(crate) verified: Result<u8, AuthError>,
}

#[derive(Clone)]
struct NodeState {
    verifier: Arc<EdgeVerifier>,
    status: Arc<AtomicU16>,
    side_status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A fake regional node on a loopback port.
pub(crate) struct FakeNode {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

async fn ingest(
    purpose: EdgePurpose,
    State(node): State<NodeState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let failover_count = header("x-failover-count");
    let verified = match header("x-residency-signature") {
        Some(sig) => node.verifier.verify(
            &body,
            &sig,
            failover_count.as_deref().map(str::as_bytes),
            purpose,
            now(),
        ),
        None => Err(AuthError::MissingPrefix("v1=")),
    };
    let ok = verified.is_ok();
    node.received.lock().expect("lock").push(Received {
        purpose,
        body,
        failover_count,
        hub_signature: header("x-hub-signature-256"),
        wasender_signature: header("x-webhook-signature"),
        content_type: header("content-type"),
        verified,
    });
    if !ok {
        return StatusCode::UNAUTHORIZED;
    }
    let status = match purpose {
        EdgePurpose::Deliver => &node.status,
        _ => &node.side_status,
    };
    StatusCode::from_u16(status.load(Ordering::SeqCst)).expect("status")
}

impl FakeNode {
    /// A node answering `status` to every verified region body, and 200 to verified masked
    /// copies and dead letters.
    pub(crate) async fn start(status: u16) -> Self {
        let state = NodeState {
            verifier: Arc::new(EdgeVerifier::new(
                vec![edge_key()],
                Duration::from_secs(300),
            )),
            status: Arc::new(AtomicU16::new(status)),
            side_status: Arc::new(AtomicU16::new(200)),
            received: Arc::default(),
        };
        let app = Router::new()
            .route(
                "/ingest",
                post(|s, h, b| ingest(EdgePurpose::Deliver, s, h, b)),
            )
            .route(
                "/ingest/masked",
                post(|s, h, b| ingest(EdgePurpose::MaskedCopy, s, h, b)),
            )
            .route(
                "/ingest/dead-letters",
                post(|s, h, b| ingest(EdgePurpose::DeadLetter, s, h, b)),
            )
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            addr,
            received: state.received,
            stop: Some(stop),
            task,
        }
    }

    /// The node's ingest endpoint.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}/ingest", self.addr)
    }

    /// Everything received so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// An endpoint nobody listens on: connections are refused.
pub(crate) async fn down_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/ingest")
}

/// How the EU region's two nodes behave.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Eu {
    /// Both answer `200`.
    Up,
    /// The primary answers this status, the secondary 200.
    PrimaryAnswers(u16),
    /// The primary's port is closed, the secondary answers 200.
    PrimaryDown,
    /// Both ports are closed.
    AllDown,
}

/// The options of a test topology.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) eu: Eu,
    pub(crate) wasender: bool,
    pub(crate) deadline_ms: u64,
    /// TOML appended to the configuration.
    pub(crate) extra: String,
    /// TOML added to `[regions.EU]`.
    pub(crate) eu_extra: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            eu: Eu::Up,
            wasender: false,
            deadline_ms: 2_000,
            extra: String::new(),
            eu_extra: String::new(),
        }
    }
}

/// The edge and one fake node per region of the seed policy (two in the EU).
pub(crate) struct Cluster {
    /// The EU primary, unless its port is closed.
    pub(crate) eu1: Option<FakeNode>,
    /// The EU secondary, unless its port is closed.
    pub(crate) eu2: Option<FakeNode>,
    pub(crate) latam: FakeNode,
    pub(crate) india: FakeNode,
    pub(crate) us: FakeNode,
    pub(crate) edge: Edge,
}

impl Cluster {
    pub(crate) async fn start(options: Options) -> Self {
        let (eu1, eu2) = match options.eu {
            Eu::Up => (
                Some(FakeNode::start(200).await),
                Some(FakeNode::start(200).await),
            ),
            Eu::PrimaryAnswers(s) => (
                Some(FakeNode::start(s).await),
                Some(FakeNode::start(200).await),
            ),
            Eu::PrimaryDown => (None, Some(FakeNode::start(200).await)),
            Eu::AllDown => (None, None),
        };
        let eu1_endpoint = match &eu1 {
            Some(n) => n.endpoint(),
            None => down_endpoint().await,
        };
        let eu2_endpoint = match &eu2 {
            Some(n) => n.endpoint(),
            None => down_endpoint().await,
        };
        let latam = FakeNode::start(200).await;
        let india = FakeNode::start(200).await;
        let us = FakeNode::start(200).await;
        let toml = config_toml(
            &options,
            &[
                ("EU", vec![eu1_endpoint, eu2_endpoint]),
                ("LATAM", vec![latam.endpoint()]),
                ("INDIA", vec![india.endpoint()]),
                ("US", vec![us.endpoint()]),
            ],
        );
        let edge = Edge::start(&toml).await;
        Self {
            eu1,
            eu2,
            latam,
            india,
            us,
            edge,
        }
    }

    /// Every request any node received.
    pub(crate) fn all_received(&self) -> Vec<Received> {
        let mut all = Vec::new();
        for node in [&self.eu1, &self.eu2].into_iter().flatten() {
            all.extend(node.received());
        }
        for node in [&self.latam, &self.india, &self.us] {
            all.extend(node.received());
        }
        all
    }
}

/// The edge configuration for these regions.
pub(crate) fn config_toml(options: &Options, regions: &[(&str, Vec<String>)]) -> String {
    let mut toml = format!(
        "listen = \"127.0.0.1:0\"\n\
         [meta]\napp_secret = \"{APP_SECRET}\"\nverify_token = \"{VERIFY_TOKEN}\"\n\
         [edge_key]\nid = \"k1\"\nsecret = \"{EDGE_KEY_HEX}\"\n\
         [failover]\nkey = \"{FAILOVER_KEY_HEX}\"\n\
         [delivery]\ndeadline_ms = {}\nattempt_timeout_ms = 500\n\
         [delivery.breaker]\ncooldown_ms = 200\n",
        options.deadline_ms
    );
    if options.wasender {
        toml.push_str(&format!("[wasender]\nsecret = \"{WASENDER_SECRET}\"\n"));
    }
    for (name, endpoints) in regions {
        let list: Vec<String> = endpoints.iter().map(|e| format!("\"{e}\"")).collect();
        toml.push_str(&format!(
            "[regions.{name}]\nendpoints = [{}]\n",
            list.join(", ")
        ));
        if *name == "EU" {
            toml.push_str(&options.eu_extra);
        }
    }
    toml.push_str(&options.extra);
    toml
}

/// The edge's app served on a loopback port.
pub(crate) struct Edge {
    pub(crate) addr: SocketAddr,
    pub(crate) state: Arc<EdgeState>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Edge {
    pub(crate) async fn start(toml: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("edge.toml");
        std::fs::write(&path, toml).expect("write config");
        let state = Arc::new(
            EdgeState::from_config(Some(&path), std::iter::empty()).expect("valid config"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = edge::app(Arc::clone(&state));
        let limits = *state.limits();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve(listener, app, &limits, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        Self {
            addr,
            state,
            stop: Some(stop),
            task,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// A client for the tests (no proxy, no pooling surprises between tests).
pub(crate) fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// POSTs `body` to the Meta endpoint with a valid signature and extra headers.
pub(crate) async fn post_meta(
    edge: &Edge,
    body: &Bytes,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client()
        .post(edge.url("/webhook/meta"))
        .header("x-hub-signature-256", meta_signature(body))
        .header("content-type", "application/json")
        .body(body.clone());
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    request.send().await.expect("edge answers")
}
