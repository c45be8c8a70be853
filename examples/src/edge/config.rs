//! The edge router's configuration: the TOML file of DESIGN.md ("Services"), overridden by
//! `RESIDENCY_*` variables, validated into [`EdgeSettings`] in one pass.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! [meta]
//! app_secret = "..."            # X-Hub-Signature-256 key
//! verify_token = "..."          # GET handshake
//! [wasender]                    # optional; without it /webhook/wasender answers 404
//! secret = "..."
//! [edge_key]                    # signs what goes to the nodes
//! id = "k1"
//! secret = "64 hex digits"
//! [failover]                    # required once a region lists failover regions
//! key = "64 hex digits"         # the masked copies' pseudonym key, the same on every edge
//! [delivery]
//! deadline_ms = 3000            # budget of one POST before answering 503
//! [policy]                      # optional overrides of the seed policy
//! default = "US"
//! countries = { CH = "EU" }
//! [regions.EU]
//! endpoints = ["http://127.0.0.1:9001/ingest", "http://127.0.0.1:9002/ingest"]
//! [regions.US]
//! endpoints = ["http://127.0.0.1:9101/ingest"]
//! ```
//!
//! Every key, its default and its variable are listed in `examples/README.md`. Errors name
//! the key and the problem, never the value ([`ConfigError`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use pii_mask::PseudonymKey;
use reqwest::Url;
use residency_core::auth::{EdgeKey, Secret};
use residency_core::policy::{Policy, PolicyError};
use residency_core::route::Router;
use residency_core::{Country, Regime, Region};
use residency_delivery::{
    CrossBorder, DeliveryConfig, DeliveryError, Deployment, EndpointId, HealthConfig,
    RegionTopology, RetryPolicy, Topology, UncoveredAction,
};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::service::config::{ConfigError, EnvKey, Kind, SecretText, load};
use crate::service::http::HttpLimits;

/// Every key the edge reads, with its type, so each `RESIDENCY_*` variable maps to one key.
pub const KEYS: &[EnvKey] = &[
    EnvKey::new("listen", Kind::Str),
    EnvKey::new("meta.app_secret", Kind::Str),
    EnvKey::new("meta.verify_token", Kind::Str),
    EnvKey::new("wasender.secret", Kind::Str),
    EnvKey::new("edge_key.id", Kind::Str),
    EnvKey::new("edge_key.secret", Kind::Str),
    EnvKey::new("failover.key", Kind::Str),
    EnvKey::new("failover.key_id", Kind::Str),
    EnvKey::new("delivery.deadline_ms", Kind::Int),
    EnvKey::new("delivery.attempt_timeout_ms", Kind::Int),
    EnvKey::new("delivery.uncovered", Kind::Str),
    EnvKey::new("delivery.retry_after_s", Kind::Int),
    EnvKey::new("delivery.breaker.down_after", Kind::Int),
    EnvKey::new("delivery.breaker.up_after", Kind::Int),
    EnvKey::new("delivery.breaker.cooldown_ms", Kind::Int),
    EnvKey::new("delivery.retry.base_ms", Kind::Int),
    EnvKey::new("delivery.retry.cap_ms", Kind::Int),
    EnvKey::new("delivery.retry.rounds", Kind::Int),
    EnvKey::new("policy.default", Kind::Str),
    EnvKey::new("policy.countries.*", Kind::Str),
    EnvKey::new("policy.regimes.*", Kind::Str),
    EnvKey::new("policy.calling_codes.*", Kind::Str),
    EnvKey::new("policy.businesses.*", Kind::Str),
    EnvKey::new("regions.*.endpoints", Kind::List),
    EnvKey::new("regions.*.holds", Kind::List),
    EnvKey::new("regions.*.failover", Kind::List),
    EnvKey::new("regions.*.cross_border", Kind::Str),
    EnvKey::new("http.max_in_flight", Kind::Int),
    EnvKey::new("http.header_timeout_ms", Kind::Int),
    EnvKey::new("http.body_timeout_ms", Kind::Int),
    EnvKey::new("http.request_timeout_ms", Kind::Int),
    EnvKey::new("http.drain_ms", Kind::Int),
];

/// The configuration file as written (secrets redacted in `Debug`). Validate it with
/// [`EdgeConfig::validate`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeConfig {
    /// `address:port` to listen on.
    pub listen: String,
    /// The Cloud API app.
    pub meta: MetaSection,
    /// WASenderApi; without it `/webhook/wasender` answers 404.
    #[serde(default)]
    pub wasender: Option<WasenderSection>,
    /// The key that signs every request to a node.
    pub edge_key: EdgeKeySection,
    /// The masked copies' pseudonym key.
    #[serde(default)]
    pub failover: Option<FailoverSection>,
    /// Deadline, timeouts, retries, circuit breaker.
    #[serde(default)]
    pub delivery: DeliverySection,
    /// Overrides of the seed residency policy.
    #[serde(default)]
    pub policy: Option<PolicySection>,
    /// The regions' nodes, by region name.
    #[serde(default)]
    pub regions: BTreeMap<String, RegionSection>,
    /// Limits of the public HTTP server.
    #[serde(default)]
    pub http: HttpSection,
}

/// `[meta]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaSection {
    /// The app secret: the key of `X-Hub-Signature-256`.
    pub app_secret: SecretText,
    /// The token of the GET verify handshake.
    pub verify_token: SecretText,
}

/// `[wasender]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasenderSection {
    /// The webhook secret WASender sends in `X-Webhook-Signature`.
    pub secret: SecretText,
}

/// `[edge_key]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeKeySection {
    /// The key id the nodes look the key up by (1 to 32 of `A-Z a-z 0-9 _ -`).
    pub id: String,
    /// 64 hex digits (32 bytes).
    pub secret: SecretText,
}

/// `[failover]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverSection {
    /// 64 hex digits: the strip masker's pseudonym key (message ids of masked copies).
    pub key: SecretText,
    /// The key's id (1 to 16 lowercase letters or digits), part of every pseudonym.
    #[serde(default = "default_failover_key_id")]
    pub key_id: String,
}

fn default_failover_key_id() -> String {
    "fk1".to_owned()
}

/// What to do with a region body holding items of a localised regime its region does not
/// hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UncoveredSetting {
    /// Deliver it where the policy routes it (the start-up warning listed the gap).
    #[default]
    Deliver,
    /// Do not send it: answer 503, the provider keeps the body.
    Hold,
}

/// `[delivery]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySection {
    /// The budget of one POST before answering 503 (default 3000).
    pub deadline_ms: u64,
    /// The longest wait for one node's answer (default 1000, at most the deadline).
    pub attempt_timeout_ms: u64,
    /// `deliver` (default) or `hold`.
    pub uncovered: UncoveredSetting,
    /// The `Retry-After` of a 503, in seconds (default 5).
    pub retry_after_s: u64,
    /// The circuit breaker per endpoint.
    pub breaker: BreakerSection,
    /// Rounds over the endpoints within the deadline.
    pub retry: RetrySection,
}

impl Default for DeliverySection {
    fn default() -> Self {
        Self {
            deadline_ms: 3_000,
            attempt_timeout_ms: 1_000,
            uncovered: UncoveredSetting::Deliver,
            retry_after_s: 5,
            breaker: BreakerSection::default(),
            retry: RetrySection::default(),
        }
    }
}

/// `[delivery.breaker]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerSection {
    /// Consecutive failures that mark an endpoint down (default 3).
    pub down_after: u32,
    /// Consecutive successes that bring it back (default 2).
    pub up_after: u32,
    /// Time a down endpoint is left alone before one probe (default 1000, below the deadline).
    pub cooldown_ms: u64,
}

impl Default for BreakerSection {
    fn default() -> Self {
        Self {
            down_after: 3,
            up_after: 2,
            cooldown_ms: 1_000,
        }
    }
}

/// `[delivery.retry]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySection {
    /// First backoff ceiling between rounds (default 100).
    pub base_ms: u64,
    /// Largest backoff ceiling (default 800).
    pub cap_ms: u64,
    /// Rounds over the endpoints, 1 to 8 (default 4).
    pub rounds: u8,
}

impl Default for RetrySection {
    fn default() -> Self {
        let p = RetryPolicy::forwarding();
        Self {
            base_ms: millis(p.base()),
            cap_ms: millis(p.cap()),
            rounds: p.max_rounds(),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `[policy]`: overrides of the seed policy (see `residency_core::policy` for precedence).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySection {
    /// The region of unattributed items and of countries without a rule (default `US`).
    pub default: Option<String>,
    /// ISO country -> region.
    pub countries: BTreeMap<String, String>,
    /// Regime id (`pipl`, `russia_152fz`, ...) -> region.
    pub regimes: BTreeMap<String, String>,
    /// Calling code (`"882"`) -> region.
    pub calling_codes: BTreeMap<String, String>,
    /// WABA or phone number id -> region, for management fields.
    pub businesses: BTreeMap<String, String>,
}

/// How a region's bodies may fail over to another region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossBorderSetting {
    /// In-region endpoints only.
    Never,
    /// Only masked copies cross (default).
    #[default]
    MaskedOnly,
    /// Unmasked where the target holds the body's restricted regimes, masked otherwise.
    Compliant,
}

/// `[regions.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSection {
    /// Node URLs, primary first (`http://host:port/ingest`).
    pub endpoints: Vec<String>,
    /// Regime ids the region may hold unmasked (default: the seed region's regimes, none
    /// for another name).
    #[serde(default)]
    pub holds: Option<Vec<String>>,
    /// Regions to fail over to, in order (default none).
    #[serde(default)]
    pub failover: Vec<String>,
    /// `never`, `masked_only` (default) or `compliant`.
    #[serde(default)]
    pub cross_border: CrossBorderSetting,
}

/// `[http]`: limits of the public server (the body bound is Meta's 3 MB).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    /// Requests in progress at once; more are answered 503 (default 512).
    pub max_in_flight: usize,
    /// Time to receive the headers (default 5000).
    pub header_timeout_ms: u64,
    /// Time to receive the body (default 10000).
    pub body_timeout_ms: u64,
    /// Time for a whole request (default 30000, longer than the delivery deadline).
    pub request_timeout_ms: u64,
    /// Time given to requests in flight at shutdown (default 10000).
    pub drain_ms: u64,
}

impl Default for HttpSection {
    fn default() -> Self {
        let l = HttpLimits::default();
        Self {
            max_in_flight: l.max_in_flight,
            header_timeout_ms: millis(l.header_timeout),
            body_timeout_ms: millis(l.body_timeout),
            request_timeout_ms: millis(l.request_timeout),
            drain_ms: millis(l.drain),
        }
    }
}

/// Where the three kinds of request to one node go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeUrls {
    /// Region bodies: the configured endpoint.
    pub deliver: Url,
    /// Masked copies: the endpoint + `/masked`.
    pub masked: Url,
    /// Dead letters: the endpoint + `/dead-letters`.
    pub dead_letters: Url,
}

/// The `[regions]` tables, built: the topology, the region names in topology order, and each
/// endpoint's URLs.
struct Regions {
    topology: Topology,
    names: Vec<String>,
    nodes: HashMap<EndpointId, NodeUrls>,
}

/// A validated configuration: everything the edge needs, built.
#[derive(Debug)]
pub struct EdgeSettings {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Meta's app secret.
    pub app_secret: Secret,
    /// Meta's verify token.
    pub verify_token: Secret,
    /// WASender's webhook secret, when configured.
    pub wasender_secret: Option<Secret>,
    /// The key that signs requests to the nodes.
    pub edge_key: EdgeKey,
    /// Policy, topology and delivery timing, checked together.
    pub deployment: Deployment,
    /// The URLs of each endpoint.
    pub nodes: HashMap<EndpointId, NodeUrls>,
    /// The `Retry-After` of a 503.
    pub retry_after: Duration,
    /// The public server's limits.
    pub limits: HttpLimits,
}

impl EdgeConfig {
    /// Reads `path` (or nothing: every key from the environment) and applies the overrides
    /// found in `env`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file or the key at fault.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        load(path, env, KEYS)
    }

    /// Checks every key and builds the settings, the [`Deployment`] included.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first key at fault.
    pub fn validate(&self) -> Result<EdgeSettings, ConfigError> {
        let listen = self
            .listen
            .trim()
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError::new("listen", "is not an ip:port address"))?;
        let app_secret = text_secret("meta.app_secret", &self.meta.app_secret)?;
        let verify_token = text_secret("meta.verify_token", &self.meta.verify_token)?;
        let wasender_secret = self
            .wasender
            .as_ref()
            .map(|w| text_secret("wasender.secret", &w.secret))
            .transpose()?;
        let edge_secret = hex_key("edge_key.secret", &self.edge_key.secret)?;
        let edge_key = EdgeKey::new(
            &self.edge_key.id,
            Secret::new(edge_secret.to_vec())
                .map_err(|_| ConfigError::new("edge_key.secret", "is empty"))?,
        )
        .map_err(|_| {
            ConfigError::new(
                "edge_key.id",
                "must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -",
            )
        })?;
        let router = self.router()?;
        let Regions {
            topology,
            names,
            nodes,
        } = self.topology()?;
        let failover_key = self.failover_key(&topology)?;
        let config = self.delivery_config()?;
        let deployment = Deployment::new(router, topology, config, failover_key)
            .map_err(|e| deployment_error(&e, &names))?;
        let limits = self.limits()?;
        if limits.request_timeout <= config.deadline() {
            return Err(ConfigError::new(
                "http.request_timeout_ms",
                "must be longer than delivery.deadline_ms",
            ));
        }
        Ok(EdgeSettings {
            listen,
            app_secret,
            verify_token,
            wasender_secret,
            edge_key,
            deployment,
            nodes,
            retry_after: Duration::from_secs(self.delivery.retry_after_s),
            limits,
        })
    }

    fn router(&self) -> Result<Router, ConfigError> {
        let Some(p) = &self.policy else {
            return Ok(Router::seed());
        };
        let default = match &p.default {
            Some(name) => region("policy.default", name)?,
            None => Policy::seed().default_region().clone(),
        };
        let mut builder = Policy::builder(default);
        for (country, name) in &p.countries {
            let key = format!("policy.countries.{country}");
            let c = country
                .parse::<Country>()
                .map_err(|_| ConfigError::new(&key, "is not an ISO 3166 country code"))?;
            builder = builder.country(c, region(&key, name)?);
        }
        for (regime, name) in &p.regimes {
            let key = format!("policy.regimes.{regime}");
            let r = regime
                .parse::<Regime>()
                .map_err(|_| ConfigError::new(&key, "is not a known regime id"))?;
            builder = builder.regime(r, region(&key, name)?);
        }
        for (code, name) in &p.calling_codes {
            let key = format!("policy.calling_codes.{code}");
            let c = code
                .parse::<u16>()
                .map_err(|_| ConfigError::new(&key, "is not a calling code"))?;
            builder = builder.calling_code(c, region(&key, name)?);
        }
        let businesses: Vec<&String> = p.businesses.keys().collect();
        for (id, name) in &p.businesses {
            builder = builder.business(id, region(&format!("policy.businesses.{id}"), name)?);
        }
        let policy = builder.build().map_err(|e| match e {
            PolicyError::UnknownCallingCode { code } => ConfigError::new(
                format!("policy.calling_codes.{code}"),
                "is not an assigned calling code",
            ),
            PolicyError::EmptyBusinessId { index } | PolicyError::InvalidBusinessId { index } => {
                let id = businesses.get(index).map_or("", |s| s.as_str());
                ConfigError::new(
                    format!("policy.businesses.{id}"),
                    "is not a business id (1 to 64 of A-Z, a-z, 0-9, _ and -)",
                )
            }
            // A TOML table cannot name a key twice, so conflicts cannot come from the file.
            _ => ConfigError::new("policy", "has conflicting overrides"),
        })?;
        Ok(Router::new(policy))
    }

    fn topology(&self) -> Result<Regions, ConfigError> {
        if self.regions.is_empty() {
            return Err(ConfigError::new("regions", "is missing"));
        }
        let mut regions = Vec::with_capacity(self.regions.len());
        let mut names = Vec::with_capacity(self.regions.len());
        let mut nodes = HashMap::new();
        for (name, section) in &self.regions {
            let r = region(&format!("regions.{name}"), name)?;
            let key = format!("regions.{name}.endpoints");
            if section.endpoints.is_empty() {
                return Err(ConfigError::new(key, "is empty"));
            }
            for (i, e) in section.endpoints.iter().enumerate() {
                let key = format!("{key}[{i}]");
                let urls = node_urls(&key, e)?;
                let id = e
                    .parse::<EndpointId>()
                    .map_err(|_| ConfigError::new(&key, "is not a valid endpoint"))?;
                if nodes.insert(id, urls).is_some() {
                    return Err(ConfigError::new(key, "is listed twice"));
                }
            }
            let mut topo = RegionTopology::new(r.clone(), &section.endpoints)
                .map_err(|_| ConfigError::new(&key, "is not a list of endpoints"))?;
            let holds = match &section.holds {
                Some(list) => list
                    .iter()
                    .enumerate()
                    .map(|(i, id)| {
                        id.parse::<Regime>().map_err(|_| {
                            ConfigError::new(
                                format!("regions.{name}.holds[{i}]"),
                                "is not a known regime id",
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                None => seed_regimes(&r).to_vec(),
            };
            topo = topo.holding(holds);
            if !section.failover.is_empty() {
                let targets = section
                    .failover
                    .iter()
                    .enumerate()
                    .map(|(i, t)| region(&format!("regions.{name}.failover[{i}]"), t))
                    .collect::<Result<Vec<_>, _>>()?;
                let cross = match section.cross_border {
                    CrossBorderSetting::Never => CrossBorder::Never,
                    CrossBorderSetting::MaskedOnly => CrossBorder::MaskedOnly,
                    CrossBorderSetting::Compliant => CrossBorder::Compliant,
                };
                topo = topo.failover_to(targets, cross);
            }
            regions.push(topo);
            names.push(name.clone());
        }
        let topology = Topology::new(regions).map_err(|e| deployment_error(&e, &names))?;
        Ok(Regions {
            topology,
            names,
            nodes,
        })
    }

    fn failover_key(&self, topology: &Topology) -> Result<PseudonymKey, ConfigError> {
        let Some(section) = &self.failover else {
            if let Some(r) = topology.regions().find(|r| !r.failover().is_empty()) {
                // Masked copies made with a one-run key would not match across edges.
                return Err(ConfigError::new(
                    "failover.key",
                    format!("is missing (regions.{} lists failover regions)", r.region()),
                ));
            }
            // No region fails over, so nothing is ever masked: a one-run key fills the slot.
            let mut secret = Zeroizing::new([0u8; 32]);
            getrandom::fill(secret.as_mut_slice())
                .map_err(|_| ConfigError::new("failover.key", "cannot draw a one-run key"))?;
            return PseudonymKey::new("run", secret.as_slice())
                .map_err(|_| ConfigError::new("failover.key", "cannot draw a one-run key"));
        };
        let secret = hex_key("failover.key", &section.key)?;
        PseudonymKey::new(&section.key_id, secret.as_slice()).map_err(|_| {
            ConfigError::new(
                "failover.key_id",
                "must be 1 to 16 lowercase letters or digits",
            )
        })
    }

    fn delivery_config(&self) -> Result<DeliveryConfig, ConfigError> {
        let d = &self.delivery;
        let retry = RetryPolicy::new(
            Duration::from_millis(d.retry.base_ms),
            Duration::from_millis(d.retry.cap_ms),
            d.retry.rounds,
        )
        .map_err(|e| match e {
            DeliveryError::InvalidConfig {
                field: "retry.max_rounds",
            } => ConfigError::new("delivery.retry.rounds", "must be 1 to 8"),
            DeliveryError::InvalidConfig { field: "retry.cap" } => {
                ConfigError::new("delivery.retry.cap_ms", "must be at least base_ms")
            }
            _ => ConfigError::new("delivery.retry.base_ms", "must be at least 1"),
        })?;
        let health = HealthConfig::default()
            .with_down_after(d.breaker.down_after)
            .with_up_after(d.breaker.up_after)
            .with_cooldown(Duration::from_millis(d.breaker.cooldown_ms));
        Ok(DeliveryConfig::with_deadline_ms(d.deadline_ms)
            .with_attempt_timeout(Duration::from_millis(d.attempt_timeout_ms))
            .with_retry(retry)
            .with_health(health)
            .with_uncovered(match d.uncovered {
                UncoveredSetting::Deliver => UncoveredAction::Deliver,
                UncoveredSetting::Hold => UncoveredAction::Hold,
            }))
    }

    fn limits(&self) -> Result<HttpLimits, ConfigError> {
        let h = &self.http;
        let ms = |key: &str, v: u64| {
            if v == 0 {
                Err(ConfigError::new(key, "must be at least 1"))
            } else {
                Ok(Duration::from_millis(v))
            }
        };
        if h.max_in_flight == 0 {
            return Err(ConfigError::new("http.max_in_flight", "must be at least 1"));
        }
        Ok(HttpLimits {
            header_timeout: ms("http.header_timeout_ms", h.header_timeout_ms)?,
            body_timeout: ms("http.body_timeout_ms", h.body_timeout_ms)?,
            request_timeout: ms("http.request_timeout_ms", h.request_timeout_ms)?,
            max_in_flight: h.max_in_flight,
            drain: Duration::from_millis(h.drain_ms),
            ..HttpLimits::default()
        })
    }
}

/// The regimes a region of the seed policy holds by default.
pub fn seed_regimes(region: &Region) -> &'static [Regime] {
    match region.as_str() {
        "EU" => &[
            Regime::EuGdpr,
            Regime::EeaGdpr,
            Regime::UkGdpr,
            Regime::CrownDependency,
            Regime::SwissFadp,
        ],
        "LATAM" => &[Regime::Lgpd],
        "INDIA" => &[Regime::Dpdp],
        "US" => &[Regime::UsState],
        _ => &[],
    }
}

fn region(key: &str, name: &str) -> Result<Region, ConfigError> {
    name.parse::<Region>()
        .map_err(|_| ConfigError::new(key, "is not a region name (1 to 32 of A-Z, 0-9, _ and -)"))
}

fn text_secret(key: &str, s: &SecretText) -> Result<Secret, ConfigError> {
    Secret::from_text(s.expose()).map_err(|_| ConfigError::new(key, "is empty"))
}

/// 64 hex digits, decoded in constant time.
fn hex_key(key: &str, s: &SecretText) -> Result<Zeroizing<[u8; 32]>, ConfigError> {
    let mut out = Zeroizing::new([0u8; 32]);
    let text = s.expose().trim();
    let ok = text.len() == 64
        && base16ct::mixed::decode(text.as_bytes(), out.as_mut_slice())
            .is_ok_and(|d| d.len() == 32);
    if ok {
        Ok(out)
    } else {
        Err(ConfigError::new(key, "is not 64 hexadecimal digits"))
    }
}

/// The node's three URLs. The endpoint must be an absolute `http(s)` URL without
/// credentials, query or fragment (it is also the endpoint's name in logs and metrics).
fn node_urls(key: &str, endpoint: &str) -> Result<NodeUrls, ConfigError> {
    let bad = |problem: &str| ConfigError::new(key, problem);
    let deliver = Url::parse(endpoint).map_err(|_| bad("is not a URL"))?;
    if !matches!(deliver.scheme(), "http" | "https") || deliver.host_str().is_none() {
        return Err(bad("is not an http or https URL"));
    }
    if !deliver.username().is_empty() || deliver.password().is_some() {
        return Err(bad("must not hold credentials"));
    }
    if deliver.query().is_some() || deliver.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    let base = endpoint.strip_suffix('/').unwrap_or(endpoint);
    let derived =
        |suffix: &str| Url::parse(&format!("{base}{suffix}")).map_err(|_| bad("is not a URL"));
    Ok(NodeUrls {
        masked: derived("/masked")?,
        dead_letters: derived("/dead-letters")?,
        deliver,
    })
}

/// The key behind a topology or deployment error (`names` lists the regions in topology
/// order).
fn deployment_error(e: &DeliveryError, names: &[String]) -> ConfigError {
    let name = |i: usize| names.get(i).map_or("?", String::as_str);
    match e {
        DeliveryError::RegionWithoutTopology { region } => ConfigError::new(
            format!("regions.{region}"),
            "is missing: the policy routes items there",
        ),
        DeliveryError::DuplicateEndpoint {
            region_position,
            position,
        } => ConfigError::new(
            format!("regions.{}.endpoints[{position}]", name(*region_position)),
            "is listed by another region too",
        ),
        DeliveryError::InvalidFailoverTarget {
            region_position,
            target_position,
            problem,
        } => ConfigError::new(
            format!(
                "regions.{}.failover[{target_position}]",
                name(*region_position)
            ),
            format!("is {problem}"),
        ),
        DeliveryError::TooManyFailoverTargets { region_position } => ConfigError::new(
            format!("regions.{}.failover", name(*region_position)),
            "lists more than 63 regions",
        ),
        DeliveryError::InvalidConfig { field } => match *field {
            "deadline" => ConfigError::new("delivery.deadline_ms", "must be at least 1"),
            "attempt_timeout" => ConfigError::new(
                "delivery.attempt_timeout_ms",
                "must be 1 to delivery.deadline_ms",
            ),
            "health.cooldown" => ConfigError::new(
                "delivery.breaker.cooldown_ms",
                "must be shorter than delivery.deadline_ms",
            ),
            _ => ConfigError::new("regions", "has too many endpoints"),
        },
        _ => ConfigError::new("regions", "cannot be built into a topology"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn base() -> String {
        format!(
            "listen = \"127.0.0.1:8080\"\n[meta]\napp_secret = \"app-s3cr3t\"\nverify_token = \"tok\"\n\
             [edge_key]\nid = \"k1\"\nsecret = \"{HEX}\"\n\
             [regions.EU]\nendpoints = [\"http://127.0.0.1:9001/ingest\", \"http://127.0.0.1:9002/ingest/\"]\n\
             [regions.LATAM]\nendpoints = [\"http://127.0.0.1:9201/ingest\"]\n\
             [regions.INDIA]\nendpoints = [\"http://127.0.0.1:9301/ingest\"]\n\
             [regions.US]\nendpoints = [\"https://us.example/ingest\"]\n"
        )
    }

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<EdgeSettings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.toml");
        std::fs::write(&path, text).unwrap();
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        EdgeConfig::load(Some(&path), env)?.validate()
    }

    #[test]
    fn the_design_example_validates_with_defaults() {
        let s = parse(&base(), &[]).unwrap();
        assert_eq!(s.listen.port(), 8080);
        assert!(s.wasender_secret.is_none());
        assert_eq!(s.deployment.config().deadline(), Duration::from_secs(3));
        assert_eq!(s.retry_after, Duration::from_secs(5));
        let eu = s.deployment.topology().region(&Region::EU).unwrap();
        assert!(eu.holds(Regime::SwissFadp) && eu.failover().is_empty());
        let urls = &s.nodes[&"http://127.0.0.1:9002/ingest/"
            .parse::<EndpointId>()
            .unwrap()];
        assert_eq!(urls.deliver.as_str(), "http://127.0.0.1:9002/ingest/");
        assert_eq!(urls.masked.as_str(), "http://127.0.0.1:9002/ingest/masked");
        assert_eq!(
            urls.dead_letters.as_str(),
            "http://127.0.0.1:9002/ingest/dead-letters"
        );
        // The seed policy sends CN, RU, ... to US, which does not hold their regimes.
        assert!(!s.deployment.uncovered().is_empty());
    }

    #[test]
    fn the_environment_overrides_keys_and_adds_sections() {
        let s = parse(
            &base(),
            &[
                ("RESIDENCY_WASENDER_SECRET", "ws"),
                ("RESIDENCY_DELIVERY_DEADLINE_MS", "1500"),
                ("RESIDENCY_DELIVERY_BREAKER_COOLDOWN_MS", "200"),
                ("RESIDENCY_REGIONS_EU_FAILOVER", "US"),
                ("RESIDENCY_FAILOVER_KEY", HEX),
                ("RESIDENCY_POLICY_COUNTRIES_CH", "US"),
            ],
        )
        .unwrap();
        assert_eq!(s.wasender_secret.unwrap().expose(), b"ws");
        assert_eq!(
            s.deployment.config().deadline(),
            Duration::from_millis(1500)
        );
        let eu = s.deployment.topology().region(&Region::EU).unwrap();
        assert_eq!(eu.failover(), [Region::US]);
        assert_eq!(eu.cross_border(), CrossBorder::MaskedOnly);
        let ch = Country::from_static("CH");
        assert_eq!(
            s.deployment.router().policy().region_for_country(ch),
            &Region::US
        );
    }

    #[test]
    fn errors_name_the_key_never_the_value() {
        let cases: &[(&str, &str, &str)] = &[
            ("secret = \"000102", "secret = \"zz0102", "edge_key.secret"),
            (
                "listen = \"127.0.0.1:8080\"",
                "listen = \"app-s3cr3t\"",
                "listen",
            ),
            (
                "app_secret = \"app-s3cr3t\"",
                "app_secret = \"\"",
                "meta.app_secret",
            ),
            ("id = \"k1\"", "id = \"k 1 app-s3cr3t\"", "edge_key.id"),
            (
                "\"https://us.example/ingest\"",
                "\"ftp://app-s3cr3t/x\"",
                "regions.US.endpoints[0]",
            ),
            (
                "\"https://us.example/ingest\"",
                "\"https://u:app-s3cr3t@us/x\"",
                "regions.US.endpoints[0]",
            ),
            (
                "\"https://us.example/ingest\"",
                "\"http://127.0.0.1:9001/ingest\"",
                "regions.US.endpoints[0]",
            ),
            (
                "[regions.INDIA]\nendpoints = [\"http://127.0.0.1:9301/ingest\"]\n",
                "",
                "regions.INDIA",
            ),
        ];
        for (from, to, key) in cases {
            let text = base().replacen(from, to, 1);
            let err = parse(&text, &[]).unwrap_err();
            assert_eq!(err.key(), *key, "{err}");
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
        let extra = |section: &str| parse(&format!("{}{section}", base()), &[]).unwrap_err();
        assert_eq!(
            extra("[delivery]\nuncovered = \"maybe\"\n").key(),
            "delivery.uncovered"
        );
        assert_eq!(
            extra("[delivery]\ndeadline_ms = 500\n").key(),
            "delivery.attempt_timeout_ms"
        );
        assert_eq!(
            extra("[delivery.breaker]\ncooldown_ms = 5000\n").key(),
            "delivery.breaker.cooldown_ms"
        );
        assert_eq!(
            extra("[policy]\ncountries = { XYZ = \"EU\" }\n").key(),
            "policy.countries.XYZ"
        );
        assert_eq!(
            extra("[policy]\ndefault = \"APAC\"\n").key(),
            "regions.APAC"
        );
        assert_eq!(
            extra("[http]\nrequest_timeout_ms = 3000\n").key(),
            "http.request_timeout_ms"
        );
        let failover = base().replace("[regions.LATAM]", "failover = [\"US\"]\n[regions.LATAM]");
        assert_eq!(parse(&failover, &[]).unwrap_err().key(), "failover.key");
        let to_self = base().replace("[regions.LATAM]", "failover = [\"EU\"]\n[regions.LATAM]");
        let err = parse(&to_self, &[("RESIDENCY_FAILOVER_KEY", HEX)]).unwrap_err();
        assert_eq!(err.key(), "regions.EU.failover[0]");
        let err = parse(&base(), &[("RESIDENCY_DELIVERY_DEADLINE_MS", "app-s3cr3t")]).unwrap_err();
        assert_eq!(err.key(), "delivery.deadline_ms");
        assert!(!err.to_string().contains("s3cr3t"));
    }
}
