//! The topology of DESIGN.md ("Services") in one process, on loopback: an `edge-router` and
//! one `regional-node` per region of the seed policy, each served on `127.0.0.1:0` by the
//! same code as the binaries ([`crate::edge::app`], [`crate::node::app`] and
//! [`crate::node::spawn_tasks`], through [`crate::service::http::serve`]), with their
//! configurations rendered as the TOML files of `examples/config/` into a temporary folder
//! that also holds the SQLite databases and the `file://` archives. A Graph API stand-in
//! ([`GraphStandIn`]) serves the bundled media, and the nodes' download allowlist names
//! 127.0.0.1 for it.
//!
//! Secrets are drawn at random for each run. [`Stack::shutdown`] stops the servers (requests
//! in flight finish) and the nodes' tasks; dropping the stack removes the folder.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use residency_core::policy::Policy;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::edge::{self, EdgeState};
use crate::node::config::Settings;
use crate::node::{self, NodeState, Tasks};
use crate::samples::MEDIA;
use crate::service::http::{harden, serve};
use crate::sim::Signer;
use crate::sim::graph::GraphStandIn;

/// How long a server may take to finish its requests in flight at shutdown.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Why the stack could not start: names the part and the problem, never a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    /// A folder, a file or a port.
    #[error("{what}: {kind}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error's kind.
        kind: std::io::ErrorKind,
    },
    /// A rendered configuration was refused (a bug of the demo).
    #[error("{service}: {message}")]
    Config {
        /// `edge` or the node's name.
        service: String,
        /// The refusal, naming the key.
        message: String,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StackError {
    let what = what.into();
    move |e| StackError::Io {
        what,
        kind: e.kind(),
    }
}

/// The deployment's secrets, drawn at random per run.
struct Secrets {
    app_secret: String,
    verify_token: String,
    wasender_secret: String,
    edge_key: String,
    admin_token: String,
    graph_token: String,
}

/// `n` random bytes as lowercase hex.
fn random_hex(n: usize) -> Result<String, StackError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|_| StackError::Io {
        what: "random source".into(),
        kind: std::io::ErrorKind::Unsupported,
    })?;
    Ok(bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

impl Secrets {
    fn random() -> Result<Self, StackError> {
        Ok(Self {
            app_secret: random_hex(16)?,
            verify_token: random_hex(8)?,
            wasender_secret: random_hex(16)?,
            edge_key: random_hex(32)?,
            admin_token: random_hex(16)?,
            graph_token: random_hex(16)?,
        })
    }
}

/// One running regional node.
#[derive(Debug)]
pub struct RunningNode {
    /// `eu-1`, `latam-1`, ...
    pub name: String,
    /// Its state: the store, the archive, the pseudonym and head keys.
    pub state: NodeState,
    /// Where it listens.
    pub addr: SocketAddr,
    tasks: Tasks,
    server: JoinHandle<std::io::Result<()>>,
}

impl RunningNode {
    /// The node's region.
    pub fn region(&self) -> &str {
        self.state.settings.region.as_str()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// The edge, the nodes and the Graph API stand-in, running.
pub struct Stack {
    /// The edge's address.
    pub edge: SocketAddr,
    /// The nodes, in the order of [`Policy::regions`] of the seed policy.
    pub nodes: Vec<RunningNode>,
    /// The Graph API stand-in.
    pub graph: GraphStandIn,
    /// Signs bodies as Meta and WASenderApi do, with this deployment's secrets.
    pub signer: Signer,
    admin_token: String,
    edge_server: JoinHandle<std::io::Result<()>>,
    stop: watch::Sender<bool>,
    // Last: removed after everything that holds files in it has stopped.
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("edge", &self.edge)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

/// The TOML of one regional node, as `examples/config/node-*.toml` (DESIGN.md "Services").
fn node_toml(region: &str, dir: &Path, s: &Secrets, graph: &str) -> Result<String, StackError> {
    let lower = region.to_ascii_lowercase();
    Ok(format!(
        "listen = \"127.0.0.1:0\"\n\
         region = \"{region}\"\n\
         database = 'sqlite://{db}'\n\
         archive = 'file://{archive}'\n\
         admin_token = \"{admin}\"\n\
         \n[keys]\nitem_secret = \"{item}\"\npseudonym = \"{pseudonym}\"\npseudonym_id = \"k1\"\nlog_signing = \"{log}\"\n\
         \n[meta]\napp_secret = \"{app}\"\n\
         \n[wasender]\nsecret = \"{wasender}\"\n\
         \n[edge_keys]\nk1 = \"{edge}\"\n\
         \n[media]\ngraph_url = \"{graph}\"\ntoken = \"{graph_token}\"\nallowed_hosts = [\"127.0.0.1\"]\ntimeout_secs = 5\n\
         \n[worker]\npoll_ms = 100\nmax_attempts = 2\n",
        db = dir.join(format!("{lower}.db")).display(),
        archive = dir.join(format!("{lower}-archive")).display(),
        admin = s.admin_token,
        item = random_hex(32)?,
        pseudonym = random_hex(32)?,
        log = random_hex(32)?,
        app = s.app_secret,
        wasender = s.wasender_secret,
        edge = s.edge_key,
        graph_token = s.graph_token,
    ))
}

/// The TOML of the edge, as `examples/config/edge.toml`: one endpoint per region.
fn edge_toml(s: &Secrets, nodes: &[(String, SocketAddr)]) -> String {
    let mut t = format!(
        "listen = \"127.0.0.1:0\"\n\
         \n[meta]\napp_secret = \"{}\"\nverify_token = \"{}\"\n\
         \n[wasender]\nsecret = \"{}\"\n\
         \n[edge_key]\nid = \"k1\"\nsecret = \"{}\"\n\
         \n[delivery]\ndeadline_ms = 3000\n",
        s.app_secret, s.verify_token, s.wasender_secret, s.edge_key,
    );
    for (region, addr) in nodes {
        let _ = write!(
            t,
            "\n[regions.{region}]\nendpoints = [\"http://{addr}/ingest\"]\n"
        );
    }
    t
}

fn write(dir: &Path, name: &str, text: &str) -> Result<std::path::PathBuf, StackError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(io(format!("write {name}")))?;
    Ok(path)
}

async fn bind() -> Result<TcpListener, StackError> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(io("listen on 127.0.0.1"))
}

fn stopped(rx: &watch::Receiver<bool>) -> impl Future<Output = ()> + use<> {
    let mut rx = rx.clone();
    async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

impl Stack {
    /// Starts the Graph API stand-in with every bundled media file, one node per region of
    /// the seed policy, then the edge, on the current runtime; each is serving when this
    /// returns.
    ///
    /// # Errors
    /// [`StackError`] naming the part that could not start.
    pub async fn start() -> Result<Self, StackError> {
        let dir = tempfile::Builder::new()
            .prefix("wa-residency-demo-")
            .tempdir()
            .map_err(io("temporary folder"))?;
        let secrets = Secrets::random()?;
        let signer =
            Signer::new(&secrets.app_secret, Some(&secrets.wasender_secret)).map_err(|e| {
                StackError::Config {
                    service: "signer".into(),
                    message: e.to_string(),
                }
            })?;
        let graph = GraphStandIn::start(&secrets.graph_token)
            .await
            .map_err(io("graph stand-in"))?;
        for m in MEDIA {
            let manifest = m.manifest().map_err(|_| StackError::Config {
                service: "graph stand-in".into(),
                message: format!("{}: not a media manifest", m.manifest_name),
            })?;
            // The media endpoint gives its checksum in hex; a base64 one is the webhook's.
            let sha = manifest
                .sha256_is_hex()
                .then(|| manifest.sha256.clone())
                .flatten();
            graph.add_media(
                &manifest.media_id,
                m.media.to_vec(),
                &manifest.mime_type,
                sha,
            );
        }

        let (stop, stop_rx) = watch::channel(false);
        let mut nodes = Vec::new();
        for region in Policy::seed().regions() {
            let name = format!("{}-1", region.as_str().to_ascii_lowercase());
            let toml = node_toml(region.as_str(), dir.path(), &secrets, &graph.base())?;
            let path = write(dir.path(), &format!("node-{name}.toml"), &toml)?;
            let refused = |message: String| StackError::Config {
                service: name.clone(),
                message,
            };
            let settings = Settings::load(Some(&path), std::iter::empty())
                .map_err(|e| refused(e.to_string()))?;
            let limits = settings.http;
            let state = NodeState::open(settings)
                .await
                .map_err(|e| refused(e.to_string()))?;
            let listener = bind().await?;
            let addr = listener.local_addr().map_err(io("local address"))?;
            let tasks = node::spawn_tasks(&state);
            let app = harden(node::app(state.clone()), &limits);
            let shutdown = stopped(&stop_rx);
            let server = tokio::spawn(async move { serve(listener, app, &limits, shutdown).await });
            nodes.push(RunningNode {
                name,
                state,
                addr,
                tasks,
                server,
            });
        }

        let endpoints: Vec<(String, SocketAddr)> = nodes
            .iter()
            .map(|n| (n.region().to_owned(), n.addr))
            .collect();
        let path = write(dir.path(), "edge.toml", &edge_toml(&secrets, &endpoints))?;
        let state = EdgeState::from_config(Some(&path), std::iter::empty()).map_err(|e| {
            StackError::Config {
                service: "edge".into(),
                message: e.to_string(),
            }
        })?;
        let limits = *state.limits();
        let listener = bind().await?;
        let edge = listener.local_addr().map_err(io("local address"))?;
        let app = edge::app(Arc::new(state));
        let shutdown = stopped(&stop_rx);
        let edge_server =
            tokio::spawn(async move { serve(listener, app, &limits, shutdown).await });

        Ok(Self {
            edge,
            nodes,
            graph,
            signer,
            admin_token: secrets.admin_token,
            edge_server,
            stop,
            dir,
        })
    }

    /// `http://127.0.0.1:PORT{path}` of the edge.
    pub fn edge_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.edge)
    }

    /// The nodes' admin token (`GET /admin/items`).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The node of `region`.
    pub fn node(&self, region: &str) -> Option<&RunningNode> {
        self.nodes.iter().find(|n| n.region() == region)
    }

    /// The temporary folder (configs, databases, archives).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the edge, then the nodes (requests in flight finish, at most a few seconds),
    /// then their tasks, then removes the folder. Returns whether every server stopped
    /// cleanly.
    pub async fn shutdown(self) -> bool {
        let _ = self.stop.send(true);
        let mut clean = matches!(
            tokio::time::timeout(STOP_GRACE, self.edge_server).await,
            Ok(Ok(Ok(())))
        );
        for n in self.nodes {
            clean &= matches!(
                tokio::time::timeout(STOP_GRACE, n.server).await,
                Ok(Ok(Ok(())))
            );
            n.tasks.shutdown().await;
        }
        self.graph.stop();
        clean &= self.dir.close().is_ok();
        clean
    }
}
