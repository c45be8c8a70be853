//! The regional node's configuration: the TOML file of DESIGN.md ("Services"), any key of
//! which `RESIDENCY_<SECTION>_<KEY>` overrides, validated into [`Settings`].
//!
//! ```toml
//! listen = "127.0.0.1:9001"
//! region = "EU"
//! database = "sqlite://data/eu.db"      # or postgres://user@host/db (shared by the region's nodes)
//! archive = "file://data/eu-archive"    # file://DIR, s3://bucket/prefix, memory://
//! admin_token = "..."                   # GET /admin/items bearer token
//!
//! [keys]
//! item_secret = "64 hex digits"         # idempotency keys: the same on every node of the region
//! pseudonym = "64 hex digits"           # subject lookups, archive keys, message-id pseudonyms
//! pseudonym_id = "k1"                   # the pseudonym key's public id (1-16 of a-z0-9)
//! log_signing = "64 hex digits"         # Ed25519 seed signing the archive log's tree heads
//!
//! [meta]
//! app_secret = "..."                    # verifies X-Hub-Signature-256 of unchanged bodies
//! [wasender]                            # optional: verifies X-Webhook-Signature
//! secret = "..."
//! [edge_keys]
//! k1 = "64 hex digits"                  # accepted edge keys (several during a rotation)
//! [edge]
//! tolerance_secs = 300                  # accepted age of an edge signature
//!
//! [media]                               # optional; without it no media is archived
//! graph_url = "https://graph.facebook.com/v24.0"
//! token = "..."
//! allowed_hosts = ["lookaside.fbsbx.com", "*.fbcdn.net", "*.whatsapp.net"]
//! max_bytes = 104857600
//! timeout_secs = 60
//!
//! [retention]                           # optional
//! file = "retention.json"               # archive-hash's policy document
//! interval_secs = 3600
//! [retention.holds.case-2026-17]        # legal holds, by name
//! phones = ["+4915112345678"]
//! user_ids = ["DE.1234"]
//! all = false                           # true: the whole region is held
//!
//! [s3]                                  # optional: S3 endpoint and credentials (else AWS_*)
//! endpoint = "http://127.0.0.1:9000"
//! region = "eu-central-1"
//! access_key_id = "..."
//! secret_access_key = "..."
//! allow_http = false
//!
//! [policy]                              # as the edge's: overrides of the seed policy
//! default = "US"
//!
//! [worker]
//! poll_ms = 500
//! batch = 16
//! max_attempts = 10
//!
//! [http]
//! body_bytes = 3145728
//! max_in_flight = 512
//! ```

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use archive_hash::PolicyDocument;
use pii_mask::PseudonymKey;
use pii_mask::pseudonym::Kind as PseudonymKind;
use residency_core::Region;
use residency_core::auth::{EdgeKey, EdgeVerifier, Secret};
use residency_core::route::Router;
use residency_delivery::KeyScheme;
use serde::Deserialize;

use crate::service::config::{ConfigError, EnvKey, Kind, SecretText, load};
use crate::service::http::HttpLimits;
use crate::service::policy::PolicyConfig;

/// Meta's and WhatsApp's media hosts: the default download allowlist.
pub const DEFAULT_MEDIA_HOSTS: &[&str] = &["lookaside.fbsbx.com", "*.fbcdn.net", "*.whatsapp.net"];

/// Every key the node reads, for the environment overrides.
pub const ENV_KEYS: &[EnvKey] = &[
    EnvKey::new("listen", Kind::Str),
    EnvKey::new("region", Kind::Str),
    EnvKey::new("database", Kind::Str),
    EnvKey::new("archive", Kind::Str),
    EnvKey::new("admin_token", Kind::Str),
    EnvKey::new("keys.item_secret", Kind::Str),
    EnvKey::new("keys.pseudonym", Kind::Str),
    EnvKey::new("keys.pseudonym_id", Kind::Str),
    EnvKey::new("keys.log_signing", Kind::Str),
    EnvKey::new("meta.app_secret", Kind::Str),
    EnvKey::new("wasender.secret", Kind::Str),
    EnvKey::new("edge.tolerance_secs", Kind::Int),
    EnvKey::new("edge_keys.*", Kind::Str),
    EnvKey::new("media.graph_url", Kind::Str),
    EnvKey::new("media.token", Kind::Str),
    EnvKey::new("media.allowed_hosts", Kind::List),
    EnvKey::new("media.max_bytes", Kind::Int),
    EnvKey::new("media.timeout_secs", Kind::Int),
    EnvKey::new("retention.file", Kind::Str),
    EnvKey::new("retention.interval_secs", Kind::Int),
    EnvKey::new("retention.holds.*.phones", Kind::List),
    EnvKey::new("retention.holds.*.user_ids", Kind::List),
    EnvKey::new("retention.holds.*.all", Kind::Bool),
    EnvKey::new("s3.endpoint", Kind::Str),
    EnvKey::new("s3.region", Kind::Str),
    EnvKey::new("s3.access_key_id", Kind::Str),
    EnvKey::new("s3.secret_access_key", Kind::Str),
    EnvKey::new("s3.allow_http", Kind::Bool),
    EnvKey::new("policy.default", Kind::Str),
    EnvKey::new("worker.poll_ms", Kind::Int),
    EnvKey::new("worker.batch", Kind::Int),
    EnvKey::new("worker.max_attempts", Kind::Int),
    EnvKey::new("http.body_bytes", Kind::Int),
    EnvKey::new("http.max_in_flight", Kind::Int),
];

/// The configuration file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Address to listen on.
    pub listen: String,
    /// The node's region.
    pub region: String,
    /// `sqlite://PATH` or `postgres://...`.
    pub database: String,
    /// `file://DIR`, `s3://bucket/prefix` or `memory://`.
    pub archive: String,
    /// Bearer token of `/admin/items`.
    pub admin_token: SecretText,
    /// Keys.
    pub keys: KeysConfig,
    /// Meta.
    pub meta: MetaConfig,
    /// WASender (optional).
    #[serde(default)]
    pub wasender: Option<WasenderConfig>,
    /// Accepted edge keys by id.
    #[serde(default)]
    pub edge_keys: BTreeMap<String, SecretText>,
    /// Edge signature checks.
    #[serde(default)]
    pub edge: EdgeConfig,
    /// Media archiving (optional).
    #[serde(default)]
    pub media: Option<MediaConfig>,
    /// Retention (optional).
    #[serde(default)]
    pub retention: Option<RetentionConfig>,
    /// S3 settings for an `s3://` archive.
    #[serde(default)]
    pub s3: S3Config,
    /// Policy overrides.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// The archive worker.
    #[serde(default)]
    pub worker: WorkerConfig,
    /// HTTP limits.
    #[serde(default)]
    pub http: HttpConfig,
}

/// `[keys]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// The region-wide idempotency key secret (hex, at least 16 bytes).
    pub item_secret: SecretText,
    /// The pseudonym key secret (hex, at least 16 bytes).
    pub pseudonym: SecretText,
    /// The pseudonym key's id.
    #[serde(default = "default_pseudonym_id")]
    pub pseudonym_id: String,
    /// The Ed25519 seed signing tree heads (64 hex digits).
    pub log_signing: SecretText,
}

fn default_pseudonym_id() -> String {
    "k1".into()
}

/// `[meta]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    /// The app secret.
    pub app_secret: SecretText,
}

/// `[wasender]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasenderConfig {
    /// The webhook secret.
    pub secret: SecretText,
}

/// `[edge]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeConfig {
    /// Accepted age of an edge signature, either side, in seconds.
    #[serde(default = "default_tolerance")]
    pub tolerance_secs: u64,
}

fn default_tolerance() -> u64 {
    300
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            tolerance_secs: default_tolerance(),
        }
    }
}

/// `[media]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    /// The Graph API base URL.
    pub graph_url: String,
    /// The Graph API bearer token.
    pub token: SecretText,
    /// Download hosts allowed (`*.` prefix for subdomains).
    #[serde(default)]
    pub allowed_hosts: Option<Vec<String>>,
    /// Largest media file, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Timeout of one request, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_max_bytes() -> u64 {
    100 * 1024 * 1024
}

fn default_timeout() -> u64 {
    60
}

/// `[retention]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// The policy document (archive-hash's format); relative to the config file's folder.
    #[serde(default)]
    pub file: Option<String>,
    /// Seconds between sweeps.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Legal holds by name.
    #[serde(default)]
    pub holds: BTreeMap<String, HoldConfig>,
}

fn default_interval() -> u64 {
    3600
}

/// One legal hold.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldConfig {
    /// Phone numbers held.
    #[serde(default)]
    pub phones: Vec<String>,
    /// User ids (or WASender LIDs) held.
    #[serde(default)]
    pub user_ids: Vec<String>,
    /// The whole region is held.
    #[serde(default)]
    pub all: bool,
}

impl std::fmt::Debug for HoldConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HoldConfig")
            .field("phones", &self.phones.len())
            .field("user_ids", &self.user_ids.len())
            .field("all", &self.all)
            .finish()
    }
}

/// `[s3]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint of an S3-compatible service (path-style requests).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region.
    #[serde(default)]
    pub region: Option<String>,
    /// Access key id.
    #[serde(default)]
    pub access_key_id: Option<SecretText>,
    /// Secret access key.
    #[serde(default)]
    pub secret_access_key: Option<SecretText>,
    /// Allow `http://` endpoints.
    #[serde(default)]
    pub allow_http: bool,
}

/// `[worker]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Milliseconds between polls of the outbox when it is empty.
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
    /// Jobs claimed per poll.
    #[serde(default = "default_batch")]
    pub batch: u64,
    /// Attempts before a job is marked failed.
    #[serde(default = "default_attempts")]
    pub max_attempts: u64,
}

fn default_poll() -> u64 {
    500
}
fn default_batch() -> u64 {
    16
}
fn default_attempts() -> u64 {
    10
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll_ms: default_poll(),
            batch: default_batch(),
            max_attempts: default_attempts(),
        }
    }
}

/// `[http]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest request body.
    #[serde(default)]
    pub body_bytes: Option<u64>,
    /// Requests in progress at once.
    #[serde(default)]
    pub max_in_flight: Option<u64>,
}

/// A legal hold, with its subjects as pseudonyms.
#[derive(Clone)]
pub struct LegalHold {
    /// The hold's name (what refusals print).
    pub name: String,
    /// Every item of the region is held.
    pub all: bool,
    /// Pseudonyms held (phones and user ids).
    pub subjects: HashSet<String>,
}

impl std::fmt::Debug for LegalHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegalHold")
            .field("name", &self.name)
            .field("all", &self.all)
            .field("subjects", &self.subjects.len())
            .finish()
    }
}

/// Media settings, validated.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Graph API base URL, without a trailing slash.
    pub graph_url: String,
    /// Bearer token.
    pub token: SecretText,
    /// Allowed download hosts.
    pub allowed_hosts: Vec<String>,
    /// Largest media file.
    pub max_bytes: u64,
    /// Request timeout.
    pub timeout: Duration,
}

/// Everything the node needs, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The node's region.
    pub region: Region,
    /// Database URL.
    pub database: String,
    /// Archive URL.
    pub archive: String,
    /// Admin token.
    pub admin_token: SecretText,
    /// Meta app secret.
    pub app_secret: Secret,
    /// WASender secret.
    pub wasender_secret: Option<Secret>,
    /// Edge keys.
    pub edge: EdgeVerifier,
    /// Idempotency keys.
    pub keys: KeyScheme,
    /// Pseudonyms.
    pub pseudonyms: PseudonymKey,
    /// Tree head signing key.
    pub log_signing: SecretText,
    /// The router with the configured policy.
    pub router: Router,
    /// Media.
    pub media: Option<MediaSettings>,
    /// Retention policy document.
    pub retention: Option<PolicyDocument>,
    /// Seconds between sweeps.
    pub retention_interval: Duration,
    /// Legal holds.
    pub holds: Vec<LegalHold>,
    /// S3 settings.
    pub s3: S3Config,
    /// Worker settings.
    pub worker: WorkerConfig,
    /// HTTP limits.
    pub http: HttpLimits,
}

fn hex_secret(
    key: &str,
    value: &SecretText,
    min: usize,
) -> Result<zeroize::Zeroizing<Vec<u8>>, ConfigError> {
    let text = value.expose().trim();
    let mut out = zeroize::Zeroizing::new(vec![0u8; text.len() / 2]);
    let n = base16ct::mixed::decode(text, &mut out)
        .map_err(|_| ConfigError::new(key, "is not hexadecimal"))?
        .len();
    if n < min || !text.len().is_multiple_of(2) {
        return Err(ConfigError::new(
            key,
            format!("must be at least {min} bytes of hex"),
        ));
    }
    out.truncate(n);
    Ok(out)
}

impl Settings {
    /// Reads the file at `path`, applies the environment, and validates.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the key at fault.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let config: NodeConfig = load(path, env, ENV_KEYS)?;
        let base = path.and_then(Path::parent).unwrap_or(Path::new("."));
        Self::from_config(config, base)
    }

    /// Validates a parsed configuration; relative files are read from `base`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the key at fault.
    pub fn from_config(c: NodeConfig, base: &Path) -> Result<Self, ConfigError> {
        let listen = c
            .listen
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError::new("listen", "is not an address:port"))?;
        let region = c
            .region
            .parse::<Region>()
            .map_err(|_| ConfigError::new("region", "is not a region name"))?;
        if !(c.database.starts_with("sqlite:")
            || c.database.starts_with("postgres://")
            || c.database.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "database",
                "must be sqlite://PATH or postgres://...",
            ));
        }
        if !(c.archive.starts_with("file://")
            || c.archive.starts_with("s3://")
            || c.archive == "memory://"
            || c.archive == "memory:")
        {
            return Err(ConfigError::new(
                "archive",
                "must be file://DIR, s3://bucket/prefix or memory://",
            ));
        }
        if c.admin_token.expose().len() < 16 {
            return Err(ConfigError::new(
                "admin_token",
                "must be at least 16 characters",
            ));
        }
        let app_secret = Secret::from_text(c.meta.app_secret.expose())
            .map_err(|_| ConfigError::new("meta.app_secret", "is empty"))?;
        let wasender_secret = match &c.wasender {
            Some(w) => Some(
                Secret::from_text(w.secret.expose())
                    .map_err(|_| ConfigError::new("wasender.secret", "is empty"))?,
            ),
            None => None,
        };
        let mut edge_keys = Vec::new();
        for (id, secret) in &c.edge_keys {
            let key = format!("edge_keys.{id}");
            let bytes = hex_secret(&key, secret, 32)?;
            let secret = Secret::new(bytes.to_vec())
                .map_err(|_| ConfigError::new(key.clone(), "is empty"))?;
            edge_keys.push(
                EdgeKey::new(id, secret)
                    .map_err(|_| ConfigError::new(key, "has an invalid key id"))?,
            );
        }
        let edge = EdgeVerifier::new(edge_keys, Duration::from_secs(c.edge.tolerance_secs));
        let item_secret = hex_secret("keys.item_secret", &c.keys.item_secret, 16)?;
        let keys = KeyScheme::new(&item_secret)
            .map_err(|_| ConfigError::new("keys.item_secret", "is too short"))?;
        let pseudonym = hex_secret("keys.pseudonym", &c.keys.pseudonym, 16)?;
        let pseudonyms = PseudonymKey::new(&c.keys.pseudonym_id, &pseudonym)
            .map_err(|_| ConfigError::new("keys.pseudonym_id", "must be 1 to 16 of a-z and 0-9"))?;
        let signing = hex_secret("keys.log_signing", &c.keys.log_signing, 32)?;
        if signing.len() != 32 {
            return Err(ConfigError::new(
                "keys.log_signing",
                "must be 32 bytes of hex",
            ));
        }
        let policy = c.policy.build()?;
        let router = Router::new(policy);
        let media = match c.media {
            Some(m) => {
                let graph_url = m.graph_url.trim_end_matches('/').to_owned();
                if !(graph_url.starts_with("https://") || graph_url.starts_with("http://")) {
                    return Err(ConfigError::new("media.graph_url", "is not an http(s) URL"));
                }
                if m.max_bytes == 0 {
                    return Err(ConfigError::new("media.max_bytes", "must be positive"));
                }
                Some(MediaSettings {
                    graph_url,
                    token: m.token,
                    allowed_hosts: m.allowed_hosts.unwrap_or_else(|| {
                        DEFAULT_MEDIA_HOSTS
                            .iter()
                            .map(|s| (*s).to_owned())
                            .collect()
                    }),
                    max_bytes: m.max_bytes,
                    timeout: Duration::from_secs(m.timeout_secs.max(1)),
                })
            }
            None => None,
        };
        let (retention, retention_interval, holds) = match c.retention {
            Some(r) => {
                let doc = match &r.file {
                    Some(f) => {
                        let path = base.join(f);
                        let json = std::fs::read(&path).map_err(|e| {
                            ConfigError::new(
                                "retention.file",
                                format!("cannot read it: {}", e.kind()),
                            )
                        })?;
                        Some(PolicyDocument::from_json(&json).map_err(|e| {
                            ConfigError::new(
                                "retention.file",
                                format!("is not a valid policy document: {e}"),
                            )
                        })?)
                    }
                    None => None,
                };
                let holds = r
                    .holds
                    .iter()
                    .map(|(name, h)| LegalHold {
                        name: name.clone(),
                        all: h.all,
                        subjects: h
                            .phones
                            .iter()
                            .map(|p| {
                                pseudonyms
                                    .pseudonymize(PseudonymKind::Phone, p)
                                    .into_string()
                            })
                            .chain(h.user_ids.iter().map(|u| {
                                pseudonyms
                                    .pseudonymize(
                                        PseudonymKind::UserId,
                                        super::items::normalize_user_id(u),
                                    )
                                    .into_string()
                            }))
                            .collect(),
                    })
                    .collect();
                (doc, Duration::from_secs(r.interval_secs.max(1)), holds)
            }
            None => (None, Duration::from_secs(default_interval()), Vec::new()),
        };
        let mut http = HttpLimits::default();
        if let Some(b) = c.http.body_bytes {
            http.body_bytes = usize::try_from(b)
                .map_err(|_| ConfigError::new("http.body_bytes", "is too large"))?;
        }
        if let Some(n) = c.http.max_in_flight {
            http.max_in_flight = usize::try_from(n)
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::new("http.max_in_flight", "must be positive"))?;
        }
        Ok(Self {
            listen,
            region,
            database: c.database,
            archive: c.archive,
            admin_token: c.admin_token,
            app_secret,
            wasender_secret,
            edge,
            keys,
            pseudonyms,
            log_signing: c.keys.log_signing,
            router,
            media,
            retention,
            retention_interval,
            holds,
            s3: c.s3,
            worker: c.worker,
            http,
        })
    }
}
