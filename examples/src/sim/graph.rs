//! A local stand-in for the Graph API's media endpoints and the CDN behind them, on a
//! loopback port: what a regional node's archive worker downloads Cloud API media from in the
//! demo and the node tests.
//!
//! * `GET /v24.0/{media-id}` with `Authorization: Bearer <token>` answers the media's metadata
//!   as Graph does: `{"messaging_product","url","mime_type","id"}` and, when the file was added
//!   with one, its hex `sha256`; 401 for another token, 404 for an unknown id;
//! * `GET /files/{media-id}` answers the bytes (the `url` of the metadata, unless the file was
//!   added with a URL of its own, e.g. one off the node's allowlist).
//!
//! A node reaches it with `[media] graph_url = base()` and `allowed_hosts = ["127.0.0.1"]`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The media type the metadata names when a file was added without one.
const DEFAULT_MIME: &str = "image/png";

/// One file the stand-in serves.
#[derive(Debug, Clone, Default)]
struct StandFile {
    bytes: Vec<u8>,
    /// The hex `sha256` the metadata gives, if any.
    sha256: Option<String>,
    mime_type: Option<String>,
    /// A download URL to give instead of the stand-in's own.
    url: Option<String>,
}

#[derive(Clone)]
struct Stand {
    token: Arc<str>,
    files: Arc<Mutex<HashMap<String, StandFile>>>,
    token_seen: Arc<AtomicBool>,
    base: Arc<str>,
}

impl Stand {
    fn file(&self, id: &str) -> Option<StandFile> {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }
}

async fn metadata(
    State(s): State<Stand>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(&*s.token) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    s.token_seen.store(true, Ordering::SeqCst);
    let Some(file) = s.file(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let url = file.url.unwrap_or_else(|| format!("{}/files/{id}", s.base));
    let mut doc = serde_json::json!({
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": file.mime_type.as_deref().unwrap_or(DEFAULT_MIME),
        "id": id,
    });
    if let Some(sha) = file.sha256 {
        doc["sha256"] = sha.into();
    }
    axum::Json(doc).into_response()
}

async fn download(State(s): State<Stand>, UrlPath(id): UrlPath<String>) -> Response {
    match s.file(&id) {
        Some(f) => f.bytes.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The Graph API stand-in. Dropping it stops the server.
#[derive(Debug)]
pub struct GraphStandIn {
    stand: Stand,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Stand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stand")
            .field("token", &"[REDACTED]")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl GraphStandIn {
    /// Starts the stand-in on a free port of 127.0.0.1; it accepts the bearer `token`.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(token: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stand = Stand {
            token: token.into(),
            files: Arc::default(),
            token_seen: Arc::default(),
            base: format!("http://{addr}").into(),
        };
        let app = axum::Router::new()
            .route("/v24.0/{id}", get(metadata))
            .route("/files/{id}", get(download))
            .with_state(stand.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { stand, addr, task })
    }

    /// The `graph_url` of a node's `[media]` section: `http://127.0.0.1:PORT/v24.0`.
    pub fn base(&self) -> String {
        format!("http://{}/v24.0", self.addr)
    }

    fn insert(&self, id: &str, file: StandFile) {
        self.stand
            .files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.into(), file);
    }

    /// Serves `bytes` as media `id`, the metadata giving `sha_hex` when there is one.
    pub fn add(&self, id: &str, bytes: Vec<u8>, sha_hex: Option<String>) {
        self.insert(
            id,
            StandFile {
                bytes,
                sha256: sha_hex,
                ..StandFile::default()
            },
        );
    }

    /// Serves `bytes` of type `mime_type` as media `id`, the metadata giving `sha_hex` when
    /// there is one.
    pub fn add_media(&self, id: &str, bytes: Vec<u8>, mime_type: &str, sha_hex: Option<String>) {
        self.insert(
            id,
            StandFile {
                bytes,
                sha256: sha_hex,
                mime_type: Some(mime_type.into()),
                url: None,
            },
        );
    }

    /// Media `id` whose metadata sends the download to `url` instead.
    pub fn add_redirect(&self, id: &str, url: &str) {
        self.insert(
            id,
            StandFile {
                url: Some(url.into()),
                ..StandFile::default()
            },
        );
    }

    /// Serves `bytes` at [`file_url`](Self::file_url)`(name)` (e.g. an encrypted WASender
    /// file).
    pub fn add_file(&self, name: &str, bytes: Vec<u8>) {
        self.add(name, bytes, None);
    }

    /// The download URL of file `name`.
    pub fn file_url(&self, name: &str) -> String {
        format!("{}/files/{name}", self.stand.base)
    }

    /// Whether a metadata request came with the right bearer token.
    pub fn saw_token(&self) -> bool {
        self.stand.token_seen.load(Ordering::SeqCst)
    }

    /// Stops the server.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for GraphStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}
