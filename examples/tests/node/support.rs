//! The test harness: nodes on free loopback ports over temporary folders, a Graph API
//! stand-in, an in-process S3 server, PostgreSQL databases made and dropped per run, and
//! request helpers signing as Meta, WASender or the edge would.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use examples::node::config::Settings;
use examples::node::{NodeState, app};
use examples::service::http::{HttpLimits, harden, serve};
use object_store::ObjectStoreExt;
use residency_core::UnixSeconds;
use residency_core::auth::{
    EdgeKey, EdgePurpose, HUB_SIGNATURE_HEADER, Secret, sign_hub_signature,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const APP_SECRET: &str = "test-app-secret";
pub(crate) const WASENDER_SECRET: &str = "test-wasender-secret";
pub(crate) const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";
pub(crate) const GRAPH_TOKEN: &str = "test-graph-token";
const EDGE_KEY: u8 = 7;

pub(crate) fn now() -> UnixSeconds {
    UnixSeconds::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

pub(crate) fn secret(s: &str) -> Secret {
    Secret::from_text(s).unwrap()
}

pub(crate) fn secret_bytes(b: Vec<u8>) -> Secret {
    Secret::new(b).unwrap()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

pub(crate) async fn post_hub(c: &reqwest::Client, url: &str, body: &[u8]) -> reqwest::Response {
    c.post(url)
        .header(
            HUB_SIGNATURE_HEADER,
            sign_hub_signature(&secret(APP_SECRET), body),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

pub(crate) fn edge_key() -> EdgeKey {
    EdgeKey::new("k1", secret_bytes(vec![EDGE_KEY; 32])).unwrap()
}

pub(crate) async fn post_edge(
    c: &reqwest::Client,
    url: &str,
    body: &[u8],
    purpose: EdgePurpose,
) -> reqwest::Response {
    c.post(url)
        .header(
            "x-residency-signature",
            edge_key().sign(body, 0, purpose, now()),
        )
        .header("x-failover-count", "0")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// What the edge's failover masker makes of a body (strip mode, the edge's own key).
pub(crate) fn strip_mask(body: &[u8]) -> Vec<u8> {
    let key = pii_mask::PseudonymKey::new("edge", b"the edge's masking key, 32 bytes").unwrap();
    pii_mask::Masker::strip(key).mask(body).unwrap()
}

/// Runs futures to completion, each on its own task.
pub(crate) async fn futures_join<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

pub(crate) fn wasender_text(phone: &str, id: &str) -> Vec<u8> {
    format!(
        r#"{{"event":"messages.received","sessionId":"s1","timestamp":1763719500,"data":{{"messages":{{"key":{{"id":"{id}","fromMe":false,"remoteJid":"{phone}@s.whatsapp.net","cleanedSenderPn":"{phone}"}},"messageTimestamp":1763719500,"message":{{"conversation":"hello"}}}}}}}}"#
    )
    .into_bytes()
}

pub(crate) fn cloud_image(phone: &str, id: &str, media_id: &str, sha256_b64: &str) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"contacts":[{{"profile":{{"name":"Test"}},"wa_id":"{phone}"}}],"messages":[{{"from":"{phone}","id":"{id}","timestamp":"1763719301","type":"image","image":{{"caption":"a photo","mime_type":"image/png","sha256":"{sha256_b64}","id":"{media_id}"}}}}]}},"field":"messages"}}]}}]}}"#
    )
    .into_bytes()
}

pub(crate) fn wasender_image(
    phone: &str,
    id: &str,
    url: &str,
    media_key: &[u8; 32],
    file_sha: &str,
    enc_sha: &str,
) -> Vec<u8> {
    let key = BASE64.encode(media_key);
    format!(
        r#"{{"event":"messages.received","sessionId":"s1","timestamp":1763719500,"data":{{"messages":{{"key":{{"id":"{id}","fromMe":false,"remoteJid":"{phone}@s.whatsapp.net","cleanedSenderPn":"{phone}"}},"messageTimestamp":1763719500,"message":{{"imageMessage":{{"url":"{url}","mimetype":"image/jpeg","fileSha256":"{file_sha}","fileEncSha256":"{enc_sha}","mediaKey":"{key}","fileLength":"64"}}}}}}}}}}"#
    )
    .into_bytes()
}

/// WhatsApp's media encryption, written here from the scheme (not the node's code): HKDF-SHA256
/// of the media key with the type's info string gives IV, cipher key and MAC key; the file is
/// AES-256-CBC (PKCS#7) followed by the first 10 bytes of HMAC-SHA256(mac key, iv || ct).
pub(crate) fn whatsapp_encrypt(media_key: &[u8; 32], info: &[u8], plain: &[u8]) -> Vec<u8> {
    use aes::cipher::block_padding::Pkcs7;
    use aes::cipher::{BlockModeEncrypt, KeyIvInit};
    use hmac::{KeyInit, Mac};
    let mut okm = [0u8; 112];
    hkdf::Hkdf::<sha2::Sha256>::new(None, media_key)
        .expand(info, &mut okm)
        .unwrap();
    let (iv, rest) = okm.split_at(16);
    let (cipher_key, rest) = rest.split_at(32);
    let mac_key = &rest[..32];
    let mut ct = cbc::Encryptor::<aes::Aes256>::new_from_slices(cipher_key, iv)
        .unwrap()
        .encrypt_padded_vec::<Pkcs7>(plain);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(mac_key).unwrap();
    mac.update(iv);
    mac.update(&ct);
    let tag = mac.finalize().into_bytes();
    ct.extend_from_slice(&tag[..10]);
    ct
}

/// Runs the `regional-node` binary.
pub(crate) fn node_bin(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_regional-node"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("RESIDENCY_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The database a node uses.
#[derive(Debug)]
pub(crate) enum Backend {
    /// A SQLite file in the node's folder.
    Sqlite,
    /// One PostgreSQL database per region, created for this run.
    Postgres {
        /// The server's URL (`RESIDENCY_TEST_DATABASE_URL`).
        admin: String,
        /// This run's database name prefix.
        prefix: String,
    },
}

impl Backend {
    /// `None` when `RESIDENCY_TEST_DATABASE_URL` is not set; panics (fails the test) when
    /// it is set and the server does not answer.
    pub(crate) async fn postgres() -> Option<Self> {
        let admin = std::env::var("RESIDENCY_TEST_DATABASE_URL").ok()?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&admin)
            .await
            .expect("RESIDENCY_TEST_DATABASE_URL is set but PostgreSQL does not answer");
        sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        pool.close().await;
        let mut r = [0u8; 6];
        getrandom::fill(&mut r).unwrap();
        let prefix = format!("node_test_{}", base16ct::lower::encode_string(&r));
        Some(Self::Postgres { admin, prefix })
    }

    async fn admin_pool(admin: &str) -> sqlx::PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(admin)
            .await
            .unwrap()
    }

    /// The database URL for a node of `region`, creating the database if needed.
    async fn url(&self, region: &str, dir: &Path) -> String {
        match self {
            Self::Sqlite => format!("sqlite://{}", dir.join("node.db").display()),
            Self::Postgres { admin, prefix } => {
                let name = format!("{prefix}_{}", region.to_ascii_lowercase());
                let pool = Self::admin_pool(admin).await;
                let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(&name)
                    .fetch_optional(&pool)
                    .await
                    .unwrap()
                    .is_some();
                if !exists {
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                pool.close().await;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
        }
    }

    /// Drops this run's databases (between cases, and at the end).
    pub(crate) async fn drop_database(&self) {
        if let Self::Postgres { admin, prefix } = self {
            let pool = Self::admin_pool(admin).await;
            let names: Vec<String> =
                sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
                    .bind(format!("{prefix}_%"))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            for name in names {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&pool)
                .await
                .unwrap();
            }
            pool.close().await;
        }
    }

    /// Empties the run's databases for the next case.
    pub(crate) async fn reset(&self) {
        self.drop_database().await;
    }
}

/// How to start a node.
#[derive(Debug, Default)]
pub(crate) struct Opts {
    region: String,
    postgres: Option<(String, String)>,
    graph: Option<String>,
    retention: Option<(u32, u32)>,
    holds: Vec<(String, String)>,
    s3: Option<(String, PathBuf)>,
    businesses: bool,
}

impl Opts {
    pub(crate) fn region(region: &str) -> Self {
        Self {
            region: region.into(),
            ..Self::default()
        }
    }

    pub(crate) fn eu() -> Self {
        Self::region("EU")
    }

    pub(crate) fn on(mut self, backend: &Backend) -> Self {
        if let Backend::Postgres { admin, prefix } = backend {
            self.postgres = Some((admin.clone(), prefix.clone()));
        }
        self
    }

    pub(crate) fn media(mut self, graph: &Graph) -> Self {
        self.graph = Some(graph.base());
        self
    }

    pub(crate) fn retention(mut self, message_days: u32, media_days: u32) -> Self {
        self.retention = Some((message_days, media_days));
        self
    }

    pub(crate) fn hold(mut self, name: &str, phone: &str) -> Self {
        self.holds.push((name.into(), phone.into()));
        self
    }

    /// Routes the samples' business (WABA `102290129340398`) to this node's region.
    pub(crate) fn business_here(mut self) -> Self {
        self.businesses = true;
        self
    }

    pub(crate) fn s3(mut self, s3: &S3Server) -> Self {
        self.s3 = Some((format!("http://{}", s3.addr), s3.root().to_owned()));
        self
    }
}

/// A running node.
pub(crate) struct Node {
    pub(crate) state: NodeState,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Node {
    pub(crate) async fn start(opts: Opts) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = match &opts.postgres {
            Some((admin, prefix)) => Backend::Postgres {
                admin: admin.clone(),
                prefix: prefix.clone(),
            },
            None => Backend::Sqlite,
        };
        let database = backend.url(&opts.region, dir.path()).await;
        let archive = match &opts.s3 {
            Some(_) => format!(
                "s3://archive-bucket/node-{}",
                opts.region.to_ascii_lowercase()
            ),
            None => format!("file://{}", dir.path().join("archive").display()),
        };
        let hex = |b: u8| format!("{b:02x}").repeat(32);
        let mut toml = format!(
            "listen = \"127.0.0.1:0\"\nregion = \"{}\"\ndatabase = \"{database}\"\narchive = \"{archive}\"\nadmin_token = \"{ADMIN_TOKEN}\"\n\
             [keys]\nitem_secret = \"{}\"\npseudonym = \"{}\"\npseudonym_id = \"k1\"\nlog_signing = \"{}\"\n\
             [meta]\napp_secret = \"{APP_SECRET}\"\n[wasender]\nsecret = \"{WASENDER_SECRET}\"\n\
             [edge_keys]\nk1 = \"{}\"\n",
            opts.region,
            hex(0x22),
            hex(0x11),
            hex(0x33),
            hex(EDGE_KEY),
        );
        if let Some(graph) = &opts.graph {
            toml.push_str(&format!(
                "[media]\ngraph_url = \"{graph}\"\ntoken = \"{GRAPH_TOKEN}\"\nallowed_hosts = [\"127.0.0.1\"]\ntimeout_secs = 10\n"
            ));
        }
        if opts.retention.is_some() || !opts.holds.is_empty() {
            toml.push_str("[retention]\n");
            if let Some((message, media)) = opts.retention {
                let doc = format!(
                    r#"{{"retention_policy":{{"message_storage_days":{message},"media_storage_days":{media},"pii_redaction":true,"encryption_algorithm":"AES-256-GCM","backup_frequency_hours":24}},"compliance_logging":{{"log_level":"info","destination":"stdout","include_payload":false}}}}"#
                );
                std::fs::write(dir.path().join("retention.json"), doc).unwrap();
                toml.push_str("file = \"retention.json\"\n");
            }
            for (name, phone) in &opts.holds {
                toml.push_str(&format!(
                    "[retention.holds.{name}]\nphones = [\"{phone}\"]\n"
                ));
            }
        }
        if opts.businesses {
            toml.push_str(&format!(
                "[policy]\nbusinesses = {{ \"102290129340398\" = \"{}\" }}\n",
                opts.region
            ));
        }
        if let Some((endpoint, _)) = &opts.s3 {
            toml.push_str(&format!(
                "[s3]\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\naccess_key_id = \"{S3_ACCESS}\"\nsecret_access_key = \"{S3_SECRET}\"\nallow_http = true\n"
            ));
        }
        let path = dir.path().join("node.toml");
        std::fs::write(&path, toml).unwrap();
        let settings = Settings::load(Some(&path), Vec::new()).unwrap();
        let state = NodeState::open(settings).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = HttpLimits::default();
        let router = harden(app(state.clone()), &limits);
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn(async move {
            serve(listener, router, &limits, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            state,
            addr,
            dir,
            stop: Some(tx),
            server: Some(server),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn config_path(&self) -> PathBuf {
        self.dir.path().join("node.toml")
    }

    /// `/admin/items`, one string per line.
    pub(crate) async fn listing(&self) -> Vec<String> {
        let r = client()
            .get(self.url("/admin/items"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap().lines().map(str::to_owned).collect()
    }

    /// An archived object's bytes.
    pub(crate) async fn object(&self, key: &str) -> Option<Vec<u8>> {
        let path = object_store::path::Path::parse(key).ok()?;
        let got = self.state.archive.get(&path).await.ok()?;
        Some(got.bytes().await.ok()?.to_vec())
    }

    /// The files of a `file://` archive.
    pub(crate) async fn objects(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("archive"), &mut out);
        out
    }

    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), server).await;
        }
    }
}

/// The Graph API stand-in (shared with the demo): `Graph::start(GRAPH_TOKEN)`.
pub(crate) use examples::sim::graph::GraphStandIn as Graph;

const S3_ACCESS: &str = "AKIANODETEST";
const S3_SECRET: &str = "node-test-s3-secret-key";

/// An S3-compatible server (s3s over s3s-fs's folder backend) on a loopback port.
pub(crate) struct S3Server {
    addr: SocketAddr,
    root: tempfile::TempDir,
    task: JoinHandle<()>,
}

impl S3Server {
    pub(crate) async fn start() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("archive-bucket")).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(S3_ACCESS, S3_SECRET));
        let service = b.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Self { addr, root, task }
    }

    pub(crate) fn root(&self) -> &Path {
        self.root.path()
    }

    pub(crate) fn stop(self) {
        self.task.abort();
    }
}

fn encode_query(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `GET /archive/proof?id=ID`: the status, and the proof when there is one.
pub(crate) async fn get_proof(
    node: &Node,
    id: &str,
) -> (u16, Option<examples::node::tlog::InclusionProof>) {
    let r = client()
        .get(node.url(&format!("/archive/proof?id={}", encode_query(id))))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).ok())
}

/// The proof of an item that must have one.
pub(crate) async fn proof_of(node: &Node, id: &str) -> examples::node::tlog::InclusionProof {
    let (status, proof) = get_proof(node, id).await;
    assert_eq!(status, 200);
    proof.unwrap()
}

/// `GET /archive/head`.
pub(crate) async fn head_of(node: &Node) -> examples::node::tlog::TreeHead {
    let r = client()
        .get(node.url("/archive/head"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}
