//! The `regional-node` service: stores its region's webhook items, archives their media with
//! proof of integrity, applies retention and answers data-subject requests.
//!
//! Embeddable: build a [`NodeState`] ([`NodeState::open`]), serve [`app`] (an
//! `axum::Router`; wrap it with [`crate::service::http::harden`]), and start the archive
//! worker and the retention sweeper with [`spawn_tasks`]. The binary
//! (`src/bin/regional-node.rs`) does exactly that; the demo and the tests do too.
//!
//! | endpoint | answer |
//! | --- | --- |
//! | `POST /ingest`, `/ingest/masked`, `/ingest/dead-letters` | see [`ingest`] |
//! | `GET /admin/items` | JSON lines, oldest first, `{"id","kind","status","country","region","masked"}`; bearer `admin_token` (401 otherwise) |
//! | `GET /archive/head` | the signed tree head ([`tlog::TreeHead`]); 404 while the log is empty |
//! | `GET /archive/proof?id=ID` | an RFC 6962 inclusion proof ([`tlog::InclusionProof`]) of the item's archive record (ID: the item id as listed, or the record's message id) |
//! | `GET /health` | `ok` (503 when the database does not answer) |
//! | `GET /metrics` | Prometheus text |

pub mod archive;
pub mod cli;
pub mod config;
pub mod ingest;
pub mod items;
pub mod media;
pub mod metrics;
pub mod replay;
pub mod retention;
pub mod store;
pub mod subject;
pub mod tlog;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use object_store::ObjectStore;
use subtle::ConstantTimeEq;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use self::config::Settings;
use self::ingest::{AppError, Endpoint};
use self::metrics::Metrics;
use self::store::{NewLeaf, Store, StoreError};
use self::tlog::{HeadKey, InclusionProof, TreeHead};

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Everything a node's handlers and tasks share.
#[derive(Clone)]
pub struct NodeState {
    /// The validated configuration.
    pub settings: Arc<Settings>,
    /// The region's database.
    pub store: Arc<dyn Store>,
    /// The archive's object store.
    pub archive: Arc<dyn ObjectStore>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Wakes the archive worker when jobs are queued.
    pub wake: Arc<Notify>,
    /// The worker's HTTP client.
    pub http: reqwest::Client,
    /// Signs tree heads.
    pub head_key: Arc<HeadKey>,
    /// The strip masker the masked-copy check re-masks with (a key of its own).
    pub strip_check: Arc<pii_mask::Masker>,
    /// The lease of an idempotency reservation.
    pub lease: Duration,
    tokens: Arc<AtomicU64>,
}

impl std::fmt::Debug for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeState")
            .field("region", &self.settings.region)
            .field("store", &self.store.backend())
            .finish_non_exhaustive()
    }
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The archive or the HTTP client.
    #[error("{0}")]
    Setup(String),
}

impl NodeState {
    /// Opens the database (running migrations) and the archive named by `settings`.
    ///
    /// # Errors
    /// [`StartError`] naming what failed (never a secret).
    pub async fn open(settings: Settings) -> Result<Self, StartError> {
        let store = store::open(&settings.database).await?;
        let archive =
            archive::open_store(&settings.archive, &settings.s3).map_err(StartError::Setup)?;
        Self::with_parts(settings, store, archive)
    }

    /// A state over an already opened store and archive.
    ///
    /// # Errors
    /// [`StartError::Setup`] when the signing key or the HTTP client cannot be made.
    pub fn with_parts(
        settings: Settings,
        store: Arc<dyn Store>,
        archive: Arc<dyn ObjectStore>,
    ) -> Result<Self, StartError> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        base16ct::mixed::decode(settings.log_signing.expose().trim(), seed.as_mut()).map_err(
            |_| StartError::Setup("config: `keys.log_signing`: is not 32 bytes of hex".into()),
        )?;
        let head_key = HeadKey::from_seed(&seed);
        let http = archive::http_client(settings.media.as_ref()).map_err(StartError::Setup)?;
        let mut check_key = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(check_key.as_mut())
            .map_err(|_| StartError::Setup("no random source".into()))?;
        let check = pii_mask::PseudonymKey::new("check", check_key.as_ref())
            .map_err(|_| StartError::Setup("masked-copy check key".into()))?;
        let mut token = [0u8; 8];
        getrandom::fill(&mut token).map_err(|_| StartError::Setup("no random source".into()))?;
        Ok(Self {
            settings: Arc::new(settings),
            store,
            archive,
            metrics: Arc::new(Metrics::new()),
            wake: Arc::new(Notify::new()),
            http,
            head_key: Arc::new(head_key),
            strip_check: Arc::new(pii_mask::Masker::strip(check)),
            lease: residency_delivery::dedupe::DEFAULT_LEASE,
            tokens: Arc::new(AtomicU64::new(u64::from_le_bytes(token) >> 2)),
        })
    }

    /// A fresh reservation token (positive, unique per request within the node; random
    /// across nodes).
    pub fn next_token(&self) -> i64 {
        let t = self.tokens.fetch_add(1, Ordering::Relaxed) & (i64::MAX as u64);
        i64::try_from(t).unwrap_or(1)
    }
}

/// Appends leaves to the region's log with a freshly signed head.
///
/// # Errors
/// The store's errors.
pub async fn append(
    state: &NodeState,
    leaves: &[NewLeaf],
) -> Result<(Vec<u64>, String), StoreError> {
    let key = state.head_key.clone();
    let region = state.settings.region.as_str().to_owned();
    let sign = move |size: u64, root: [u8; 32]| {
        let head = key.sign(
            &region,
            size,
            root,
            u64::try_from(now_ms() / 1000).unwrap_or(0),
        );
        serde_json::to_string(&head).unwrap_or_default()
    };
    let out = state.store.append_leaves(leaves, &sign).await?;
    if let Ok(head) = serde_json::from_str::<TreeHead>(&out.1) {
        state
            .metrics
            .log_size
            .set(i64::try_from(head.tree_size).unwrap_or(i64::MAX));
    }
    Ok(out)
}

/// The node's routes (not yet hardened: see [`crate::service::http::harden`]).
pub fn app(state: NodeState) -> Router {
    Router::new()
        .route("/ingest", post(ingest_deliver))
        .route("/ingest/masked", post(ingest_masked))
        .route("/ingest/dead-letters", post(ingest_dead_letters))
        .route("/admin/items", get(admin_items))
        .route("/archive/head", get(archive_head))
        .route("/archive/proof", get(archive_proof))
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

/// Runs one ingest to its end in a task of its own, so a client that goes away (an edge
/// whose deadline passed) or the request timeout does not drop it between reserving its
/// keys and committing them: the items are committed, or the reservations released, and
/// the provider's retry finds them stored instead of reserved for the whole lease.
async fn ingest_any(
    state: &NodeState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let task = {
        let (state, headers) = (state.clone(), headers.clone());
        tokio::spawn(async move { ingest_to_end(&state, endpoint, &headers, body).await })
    };
    task.await.unwrap_or_else(|_| {
        AppError::Unavailable {
            retry_after: 1,
            what: "the ingest task failed",
        }
        .into_response()
    })
}

async fn ingest_to_end(
    state: &NodeState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let result = ingest::handle(state, endpoint, headers, body).await;
    let response = match result {
        Ok(outcome) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{}\n", serde_json::to_string(&outcome).unwrap_or_default()),
        )
            .into_response(),
        Err(e) => {
            if !matches!(e, AppError::Unavailable { .. }) {
                tracing::info!(endpoint = endpoint.label(), status = e.status().as_u16(), reason = %e, "ingest refused");
            }
            e.into_response()
        }
    };
    ingest::count(state, endpoint, response.status());
    state
        .metrics
        .latency
        .observe(started.elapsed().as_secs_f64());
    response
}

async fn ingest_deliver(
    State(state): State<NodeState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ingest_any(&state, Endpoint::Deliver, &headers, body).await
}

async fn ingest_masked(
    State(state): State<NodeState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ingest_any(&state, Endpoint::Masked, &headers, body).await
}

async fn ingest_dead_letters(
    State(state): State<NodeState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    ingest_any(&state, Endpoint::DeadLetter, &headers, body).await
}

/// Whether the request carries `Authorization: Bearer <admin_token>` (constant time).
fn is_admin(state: &NodeState, headers: &HeaderMap) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let want = state.settings.admin_token.expose().as_bytes();
    given.len() == want.len() && bool::from(given.as_bytes().ct_eq(want))
}

/// One line of `/admin/items`, exactly as DESIGN.md gives it.
#[derive(serde::Serialize)]
struct AdminLine<'a> {
    id: Option<&'a str>,
    kind: &'a str,
    status: Option<&'a str>,
    country: Option<&'a str>,
    region: &'a str,
    masked: bool,
}

async fn admin_items(State(state): State<NodeState>, headers: HeaderMap) -> Response {
    if !is_admin(&state, &headers) {
        return AppError::Unauthorized.into_response();
    }
    let mut out = String::new();
    let mut after = 0;
    loop {
        let rows = match state.store.items_after(after, 1000).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "admin listing: store unavailable");
                return AppError::Unavailable {
                    retry_after: 1,
                    what: "store unavailable",
                }
                .into_response();
            }
        };
        let Some(last) = rows.last() else { break };
        after = last.id;
        for r in &rows {
            let line = AdminLine {
                id: r.item_id.as_deref(),
                kind: &r.kind,
                status: r.status.as_deref(),
                country: r.country.as_deref(),
                region: &r.region,
                masked: r.masked,
            };
            out.push_str(&serde_json::to_string(&line).unwrap_or_default());
            out.push('\n');
        }
    }
    ([(header::CONTENT_TYPE, "application/x-ndjson")], out).into_response()
}

async fn archive_head(State(state): State<NodeState>) -> Response {
    match state.store.latest_head().await {
        Ok(Some(head)) => ([(header::CONTENT_TYPE, "application/json")], head).into_response(),
        Ok(None) => AppError::NotFound.into_response(),
        Err(e) => AppError::Unavailable {
            retry_after: 1,
            what: if matches!(e, StoreError::Db { .. }) {
                "store unavailable"
            } else {
                "archive log unavailable"
            },
        }
        .into_response(),
    }
}

/// The inclusion proof of the archive record of item `id` (the id as `/admin/items` lists
/// it, or the record's message id), against the latest signed head.
///
/// # Errors
/// [`AppError::NotFound`] when no record exists; store failures as 503.
pub async fn proof(state: &NodeState, id: &str) -> Result<InclusionProof, AppError> {
    let unavailable = |_| AppError::Unavailable {
        retry_after: 1,
        what: "store unavailable",
    };
    let items = state
        .store
        .items_by_item_id(id)
        .await
        .map_err(unavailable)?;
    let mut leaves = Vec::new();
    for item in &items {
        leaves.extend(
            state
                .store
                .records_for(Some(item.id), None)
                .await
                .map_err(unavailable)?,
        );
    }
    if leaves.is_empty() {
        let pseudonym = state
            .settings
            .pseudonyms
            .pseudonymize_message_id(id)
            .into_string();
        leaves.extend(
            state
                .store
                .records_for(None, Some(&pseudonym))
                .await
                .map_err(unavailable)?,
        );
        leaves.extend(
            state
                .store
                .records_for(None, Some(id))
                .await
                .map_err(unavailable)?,
        );
    }
    let leaf = leaves
        .into_iter()
        .max_by_key(|l| l.idx)
        .ok_or(AppError::NotFound)?;
    let record: archive_hash::ArchiveRecord = leaf
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .ok_or(AppError::NotFound)?;
    let head: TreeHead = state
        .store
        .latest_head()
        .await
        .map_err(unavailable)?
        .and_then(|h| serde_json::from_str(&h).ok())
        .ok_or(AppError::NotFound)?;
    let hashes = state.store.leaf_hashes().await.map_err(unavailable)?;
    let log = tlog::log_of(&hashes);
    let index = u64::try_from(leaf.idx).map_err(|_| AppError::NotFound)?;
    let size = head.tree_size.min(log.len());
    let path = log
        .inclusion_proof(index, size)
        .map_err(|_| AppError::NotFound)?;
    let leaf_hash = log.leaf_hash(index).ok_or(AppError::NotFound)?;
    let head = if size == head.tree_size {
        head
    } else {
        state
            .store
            .head_at(size)
            .await
            .map_err(unavailable)?
            .and_then(|h| serde_json::from_str(&h).ok())
            .ok_or(AppError::NotFound)?
    };
    Ok(InclusionProof {
        id: id.to_owned(),
        leaf_index: index,
        tree_size: size,
        leaf_hash: leaf_hash.to_hex(),
        audit_path: path.iter().map(archive_hash::Sha256::to_hex).collect(),
        record,
        tree_head: head,
    })
}

async fn archive_proof(
    State(state): State<NodeState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = q.get("id").filter(|i| !i.is_empty() && i.len() <= 512) else {
        return AppError::BadRequest("query parameter id is missing".into()).into_response();
    };
    match proof(&state, id).await {
        Ok(p) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&p).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn health(State(state): State<NodeState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ok".into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response(),
    }
}

async fn metrics_text(State(state): State<NodeState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// The node's background tasks: the archive worker and the retention sweeper.
#[derive(Debug)]
pub struct Tasks {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Tasks {
    /// Stops the tasks after their current step and waits for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// Starts the archive worker (always) and the retention sweeper (when a retention policy is
/// configured) on the current runtime.
pub fn spawn_tasks(state: &NodeState) -> Tasks {
    let (stop, rx) = watch::channel(false);
    let mut handles = Vec::new();
    let worker_state = state.clone();
    let mut worker_stop = rx.clone();
    handles.push(tokio::spawn(async move {
        let poll = Duration::from_millis(worker_state.settings.worker.poll_ms.max(10));
        loop {
            if *worker_stop.borrow() {
                break;
            }
            let ran = archive::drain(&worker_state, 1000).await;
            if ran == 0 {
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    () = worker_state.wake.notified() => {}
                    _ = worker_stop.changed() => {}
                }
            }
        }
    }));
    if let Some(policy) = state.settings.retention.clone() {
        let sweeper = state.clone();
        let mut sweeper_stop = rx;
        handles.push(tokio::spawn(async move {
            let every = sweeper.settings.retention_interval;
            loop {
                let now =
                    archive_hash::UnixSeconds::new(u64::try_from(now_ms() / 1000).unwrap_or(0));
                if let Err(e) = retention::sweep(&sweeper, &policy, now).await {
                    tracing::warn!(error = %e, "retention sweep failed");
                }
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    _ = sweeper_stop.changed() => break,
                }
            }
        }));
    }
    Tasks { stop, handles }
}
