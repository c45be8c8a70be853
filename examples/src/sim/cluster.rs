//! A whole deployment on loopback for end-to-end tests: one `edge-router` and five
//! `regional-node` processes (EU primary and secondary sharing the EU database, LATAM, INDIA,
//! US), configured as DESIGN.md "Services" describes, with faults to inject while the
//! simulator drives traffic through it.
//!
//! Each [`Cluster`] lives in its own temporary folder (configs, SQLite databases, archives,
//! logs) with ports picked free on 127.0.0.1. The processes run with that folder as their
//! working directory, so the configs use DESIGN.md's relative URLs (`sqlite://data/eu.db`,
//! `file://data/eu-archive`). Every process is killed when its [`Service`] is dropped, every
//! wait has a deadline, and PostgreSQL databases made for a run are dropped with it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sim::SimError;
use crate::sim::check::{self, StoredItem};

/// The regions of the seed policy and the nodes each gets: EU has a primary and a secondary.
pub const NODES: &[(&str, &str)] = &[
    ("eu-1", "EU"),
    ("eu-2", "EU"),
    ("latam-1", "LATAM"),
    ("india-1", "INDIA"),
    ("us-1", "US"),
];

/// Where the built binaries are.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `edge-router`.
    pub edge: PathBuf,
    /// `regional-node`.
    pub node: PathBuf,
}

/// Where the nodes keep their items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// One SQLite file per region, in the cluster's folder (`sqlite://data/eu.db`).
    Sqlite,
    /// One PostgreSQL database per region, made for this run and dropped after it, on the
    /// server of `admin_url` (`postgres://postgres@127.0.0.1:5432/postgres`), through `psql`.
    Postgres {
        /// A URL of the server that may create databases.
        admin_url: String,
    },
}

/// The secrets of one deployment, made up per run.
#[derive(Debug, Clone)]
pub struct Secrets {
    /// Meta's app secret (edge and nodes).
    pub app_secret: String,
    /// The verify handshake's token.
    pub verify_token: String,
    /// WASender's webhook secret.
    pub wasender_secret: String,
    /// The edge key's id.
    pub edge_key_id: String,
    /// The edge key, 64 hex digits.
    pub edge_key_hex: String,
    /// The nodes' admin token.
    pub admin_token: String,
    /// The regions' idempotency key secret, 64 hex digits (`[keys] item_secret`).
    pub item_secret_hex: String,
    /// The regions' pseudonym key, 64 hex digits (`[keys] pseudonym`).
    pub pseudonym_hex: String,
    /// The Ed25519 seed signing the archive logs' tree heads, 64 hex digits.
    pub log_signing_hex: String,
    /// The edge's masked-copy pseudonym key (`[failover] key`), 64 hex digits; its id is
    /// [`FAILOVER_KEY_ID`].
    pub failover_key_hex: String,
}

/// The id of the masked copies' pseudonym key.
pub const FAILOVER_KEY_ID: &str = "fk1";

/// Failover regions for [`Cluster::with_failovers`], (home, failover): while LATAM's one node
/// is down its items go to US as masked copies, so the outage exercises masked copies and
/// their checks (WASender's random message ids stay in masked copies, as pii-mask's strip
/// mode keeps them).
pub const FAILOVERS: &[(&str, &str)] = &[("LATAM", "US")];

impl Secrets {
    /// Secrets drawn from `seed` (test secrets: deterministic so a failing run can be
    /// replayed).
    pub fn from_seed(seed: u64) -> Self {
        let mut rng = crate::sim::SimRng::new(seed ^ 0x5ec7_e75e_c7e7_5ec7);
        let mut hex = |n: usize| {
            (0..n)
                .map(|_| char::from(b"0123456789abcdef"[rng.below(16) as usize]))
                .collect::<String>()
        };
        Self {
            app_secret: hex(32),
            verify_token: hex(16),
            wasender_secret: hex(32),
            edge_key_id: "k1".into(),
            edge_key_hex: hex(64),
            admin_token: hex(32),
            item_secret_hex: hex(64),
            pseudonym_hex: hex(64),
            log_signing_hex: hex(64),
            failover_key_hex: hex(64),
        }
    }
}

/// One process of the cluster: its config, port and, while it runs, its child process.
/// Dropping it kills the process.
#[derive(Debug)]
pub struct Service {
    /// `edge` or the node's name (`eu-1`).
    pub name: String,
    /// The node's region (`None` for the edge).
    pub region: Option<String>,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// Its config file.
    pub config: PathBuf,
    binary: PathBuf,
    dir: PathBuf,
    child: Option<Child>,
    starts: u32,
}

impl Service {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether the process is running (it was started and has not exited).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Starts the process (logs to `logs/NAME.N.log`), if it is not running.
    ///
    /// # Errors
    /// [`SimError::Io`] when it cannot be spawned.
    pub fn start(&mut self) -> Result<(), SimError> {
        if self.is_running() {
            return Ok(());
        }
        self.starts += 1;
        let log = self
            .dir
            .join("logs")
            .join(format!("{}.{}.log", self.name, self.starts));
        let out = std::fs::File::create(&log).map_err(|e| SimError::Io(e.kind().to_string()))?;
        let err = out
            .try_clone()
            .map_err(|e| SimError::Io(e.kind().to_string()))?;
        let child = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.config)
            .current_dir(&self.dir)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| SimError::Io(format!("{}: {}", self.name, e.kind())))?;
        self.child = Some(child);
        Ok(())
    }

    /// The last `n` lines of the current log (the folder goes away with the cluster, so
    /// errors carry them).
    pub fn log_tail(&self, n: usize) -> String {
        let log = self
            .dir
            .join("logs")
            .join(format!("{}.{}.log", self.name, self.starts));
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join(" | ")
    }

    /// SIGKILL, then waits for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM (requests in flight finish), then SIGKILL after `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        let Some(mut c) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if matches!(c.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.kill();
        let _ = c.wait();
    }

    /// Waits until `GET /health` answers 200, at most `timeout`.
    ///
    /// # Errors
    /// [`SimError::Http`] naming the service when it exits or does not answer in time.
    pub async fn wait_healthy(
        &mut self,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> Result<(), SimError> {
        let deadline = Instant::now() + timeout;
        let url = format!("{}/health", self.url());
        loop {
            if !self.is_running() {
                return Err(SimError::Http(format!(
                    "{} is not running; its log ends: {}",
                    self.name,
                    self.log_tail(3)
                )));
            }
            let ok = client
                .get(&url)
                .timeout(Duration::from_millis(500))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(SimError::Http(format!("{} not healthy in time", self.name)));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port free on 127.0.0.1 right now (bound, read, released).
///
/// # Errors
/// [`SimError::Io`] when no port can be bound.
pub fn free_port() -> Result<u16, SimError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| SimError::Io(e.kind().to_string()))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| SimError::Io(e.kind().to_string()))
}

/// The TOML of a regional node (DESIGN.md "Services").
pub fn node_config(port: u16, region: &str, database_url: &str, secrets: &Secrets) -> String {
    let lower = region.to_lowercase();
    format!(
        "listen = \"127.0.0.1:{port}\"\n\
         region = \"{region}\"\n\
         database = \"{database_url}\"\n\
         archive = \"file://data/{lower}-archive\"\n\
         admin_token = \"{}\"\n\
         \n[keys]\nitem_secret = \"{}\"\npseudonym = \"{}\"\npseudonym_id = \"k1\"\n\
         log_signing = \"{}\"\n\
         \n[meta]\napp_secret = \"{}\"\n\
         \n[wasender]\nsecret = \"{}\"\n\
         \n[edge_keys]\n{} = \"{}\"\n",
        secrets.admin_token,
        secrets.item_secret_hex,
        secrets.pseudonym_hex,
        secrets.log_signing_hex,
        secrets.app_secret,
        secrets.wasender_secret,
        secrets.edge_key_id,
        secrets.edge_key_hex,
    )
}

/// The TOML of the edge (DESIGN.md "Services"): `regions` maps a region to its nodes'
/// ingest URLs, primary first.
pub fn edge_config(
    port: u16,
    regions: &BTreeMap<String, Vec<String>>,
    failovers: &[(&str, &str)],
    deadline_ms: u64,
    secrets: &Secrets,
) -> String {
    let mut s = format!(
        "listen = \"127.0.0.1:{port}\"\n\
         \n[meta]\napp_secret = \"{}\"\nverify_token = \"{}\"\n\
         \n[wasender]\nsecret = \"{}\"\n\
         \n[edge_key]\nid = \"{}\"\nsecret = \"{}\"\n\
         \n[failover]\nkey = \"{}\"\nkey_id = \"{FAILOVER_KEY_ID}\"\n\
         \n[delivery]\ndeadline_ms = {deadline_ms}\n",
        secrets.app_secret,
        secrets.verify_token,
        secrets.wasender_secret,
        secrets.edge_key_id,
        secrets.edge_key_hex,
        secrets.failover_key_hex,
    );
    for (region, endpoints) in regions {
        let list: Vec<String> = endpoints.iter().map(|e| format!("\"{e}\"")).collect();
        let _ = write!(
            s,
            "\n[regions.{region}]\nendpoints = [{}]\n",
            list.join(", ")
        );
        let failover: Vec<String> = failovers
            .iter()
            .filter(|(home, to)| home == region && regions.contains_key(*to))
            .map(|(_, to)| format!("\"{to}\""))
            .collect();
        if !failover.is_empty() {
            let _ = writeln!(s, "failover = [{}]", failover.join(", "));
        }
    }
    s
}

/// The URL of database `name` on the server of `admin_url` (its path replaced).
pub fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| {
        i + 3 + base[i + 3..].find('/').unwrap_or(base.len() - i - 3)
    });
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

fn psql(admin_url: &str, sql: &str) -> Result<(), SimError> {
    let status = Command::new("psql")
        .args([admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| SimError::Io(format!("psql: {}", e.kind())))?;
    if status.success() {
        Ok(())
    } else {
        Err(SimError::Io("psql refused the statement".into()))
    }
}

/// A deployment on loopback. Dropping it kills every process and drops its PostgreSQL
/// databases; the folder goes with it.
#[derive(Debug)]
pub struct Cluster {
    /// The edge.
    pub edge: Service,
    /// The nodes, in [`NODES`] order.
    pub nodes: Vec<Service>,
    /// The deployment's secrets.
    pub secrets: Secrets,
    client: reqwest::Client,
    databases: Vec<(String, String)>,
    /// Counters of processes killed so far (scraped just before each kill), by series.
    tally: BTreeMap<String, f64>,
    /// Kills made through [`Cluster::outage`].
    kills: u64,
    // Last field: dropped after the processes, which hold files in it.
    dir: tempfile::TempDir,
}

impl Cluster {
    /// Writes the configs of a deployment in a new temporary folder (nothing starts yet),
    /// and for [`Database::Postgres`] creates one database per region.
    ///
    /// # Errors
    /// [`SimError`] when the folder, a port, a database or the client cannot be had.
    pub fn new(bins: &Binaries, database: &Database, seed: u64) -> Result<Self, SimError> {
        Self::with_failovers(bins, database, seed, &[])
    }

    /// As [`Cluster::new`], with the edge given these failover regions, (home, failover).
    ///
    /// # Errors
    /// As [`Cluster::new`].
    pub fn with_failovers(
        bins: &Binaries,
        database: &Database,
        seed: u64,
        failovers: &[(&str, &str)],
    ) -> Result<Self, SimError> {
        let io = |e: std::io::Error| SimError::Io(e.kind().to_string());
        let dir = tempfile::Builder::new()
            .prefix("residency-outage-")
            .tempdir()
            .map_err(io)?;
        std::fs::create_dir_all(dir.path().join("data")).map_err(io)?;
        std::fs::create_dir_all(dir.path().join("logs")).map_err(io)?;
        let secrets = Secrets::from_seed(seed);
        let mut databases = Vec::new();
        let mut urls: BTreeMap<&str, String> = BTreeMap::new();
        for &(_, region) in NODES {
            if urls.contains_key(region) {
                continue;
            }
            let url = match database {
                Database::Sqlite => format!("sqlite://data/{}.db", region.to_lowercase()),
                Database::Postgres { admin_url } => {
                    let name = format!(
                        "residency_outage_{}_{}_{}",
                        std::process::id(),
                        seed,
                        region.to_lowercase()
                    );
                    psql(admin_url, &format!("CREATE DATABASE {name}"))?;
                    databases.push((admin_url.clone(), name.clone()));
                    database_url(admin_url, &name)
                }
            };
            urls.insert(region, url);
        }
        let mut nodes = Vec::new();
        let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for &(name, region) in NODES {
            let port = free_port()?;
            let config = dir.path().join(format!("{name}.toml"));
            let url = urls.get(region).cloned().unwrap_or_default();
            std::fs::write(&config, node_config(port, region, &url, &secrets)).map_err(io)?;
            regions
                .entry(region.to_owned())
                .or_default()
                .push(format!("http://127.0.0.1:{port}/ingest"));
            nodes.push(Service {
                name: name.to_owned(),
                region: Some(region.to_owned()),
                port,
                config,
                binary: bins.node.clone(),
                dir: dir.path().to_path_buf(),
                child: None,
                starts: 0,
            });
        }
        let port = free_port()?;
        let config = dir.path().join("edge.toml");
        std::fs::write(
            &config,
            edge_config(port, &regions, failovers, 3000, &secrets),
        )
        .map_err(io)?;
        let edge = Service {
            name: "edge".into(),
            region: None,
            port,
            config,
            binary: bins.edge.clone(),
            dir: dir.path().to_path_buf(),
            child: None,
            starts: 0,
        };
        let client = crate::service::http::client_builder("provider-sim-cluster")
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|_| SimError::Http("client".into()))?;
        Ok(Self {
            edge,
            nodes,
            secrets,
            client,
            databases,
            tally: BTreeMap::new(),
            kills: 0,
            dir,
        })
    }

    /// The cluster's folder (configs, data, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `BINARY --config FILE --check-config` for every service: each must exit 0.
    ///
    /// # Errors
    /// [`SimError::Usage`] naming the service whose config is refused.
    pub fn check_configs(&self) -> Result<(), SimError> {
        for s in self.nodes.iter().chain(std::iter::once(&self.edge)) {
            let out = run_bounded(
                Command::new(&s.binary)
                    .arg("--config")
                    .arg(&s.config)
                    .arg("--check-config")
                    .current_dir(self.dir.path()),
                Duration::from_secs(30),
            )?;
            if !out.0 {
                return Err(SimError::Usage(format!(
                    "{} refuses its config: {}",
                    s.name,
                    out.1.lines().next().unwrap_or_default()
                )));
            }
        }
        Ok(())
    }

    /// Starts every node, then the edge, and waits for each `/health`.
    ///
    /// # Errors
    /// [`SimError`] when a process does not start or become healthy within `timeout`.
    pub async fn start_all(&mut self, timeout: Duration) -> Result<(), SimError> {
        for n in &mut self.nodes {
            n.start()?;
        }
        for n in &mut self.nodes {
            n.wait_healthy(&self.client, timeout).await?;
        }
        self.edge.start()?;
        self.edge.wait_healthy(&self.client, timeout).await
    }

    /// The node called `name`.
    pub fn node(&mut self, name: &str) -> Option<&mut Service> {
        self.nodes.iter_mut().find(|n| n.name == name)
    }

    /// SIGKILLs `names` (nodes, or `edge`), waits `down`, starts them again and waits for
    /// their health.
    ///
    /// # Errors
    /// [`SimError`] when one does not come back within `timeout`.
    pub async fn outage(
        &mut self,
        names: &[&str],
        down: Duration,
        timeout: Duration,
    ) -> Result<(), SimError> {
        for name in names {
            // What the process counted so far, or its counters die with it (the few
            // requests between this scrape and the kill go uncounted).
            if let Some(text) = self.scrape(name).await {
                add_counters(&mut self.tally, &text);
            }
            if let Some(s) = self.service(name) {
                s.kill();
                self.kills += 1;
            }
        }
        tokio::time::sleep(down).await;
        for name in names {
            let client = self.client.clone();
            if let Some(s) = self.service(name) {
                s.start()?;
                s.wait_healthy(&client, timeout).await?;
            }
        }
        Ok(())
    }

    /// `GET /metrics` of the service `name`, if it answers within a second.
    async fn scrape(&mut self, name: &str) -> Option<String> {
        let url = format!("{}/metrics", self.service(name)?.url());
        let resp = self
            .client
            .get(url)
            .timeout(Duration::from_secs(1))
            .send()
            .await
            .ok()?;
        resp.text().await.ok()
    }

    /// Every counter summed over every process the cluster ran: the tally of those killed,
    /// plus what the running ones report now. Keys are series as Prometheus prints them
    /// (`edge_failovers_total{home_region="EU",kind="endpoint"}`).
    pub async fn counters(&mut self) -> BTreeMap<String, f64> {
        let mut out = self.tally.clone();
        let names: Vec<String> = std::iter::once(self.edge.name.clone())
            .chain(self.nodes.iter().map(|n| n.name.clone()))
            .collect();
        for name in names {
            if let Some(text) = self.scrape(&name).await {
                add_counters(&mut out, &text);
            }
        }
        out
    }

    /// The figures of a run, from [`Cluster::counters`].
    pub async fn figures(&mut self) -> Figures {
        let c = self.counters().await;
        let sum = |metric: &str, label: &str| -> u64 {
            let total: f64 = c
                .iter()
                .filter(|(k, _)| {
                    k.split('{').next() == Some(metric) && (label.is_empty() || k.contains(label))
                })
                .map(|(_, v)| *v)
                .sum();
            // Counters are whole numbers.
            total.max(0.0).round() as u64
        };
        Figures {
            stored: sum("node_items_total", "outcome=\"stored\""),
            stored_masked: sum("node_items_total", "outcome=\"stored\",masked=\"true\""),
            duplicates_absorbed: sum("node_items_total", "outcome=\"duplicate\""),
            failovers: sum("edge_failovers_total", ""),
            answered_503: sum("edge_verdicts_total", "verdict=\"retry_later\""),
            answered_200: sum("edge_verdicts_total", "verdict=\"ack\""),
            kills: self.kills,
        }
    }

    fn service(&mut self, name: &str) -> Option<&mut Service> {
        if name == "edge" {
            Some(&mut self.edge)
        } else {
            self.node(name)
        }
    }

    /// `regional-node replay --config FILE` for one node per region (nodes of a region
    /// share its dead letters); each must exit 0 within `timeout`.
    ///
    /// # Errors
    /// [`SimError`] naming the node whose replay failed.
    pub fn replay(&self, timeout: Duration) -> Result<(), SimError> {
        for n in self.one_per_region() {
            let (ok, _) = run_bounded(
                Command::new(&n.binary)
                    .arg("replay")
                    .arg("--config")
                    .arg(&n.config)
                    .current_dir(self.dir.path()),
                timeout,
            )?;
            if !ok {
                return Err(SimError::Usage(format!("{}: replay failed", n.name)));
            }
        }
        Ok(())
    }

    fn one_per_region(&self) -> Vec<&Service> {
        let mut seen = std::collections::BTreeSet::new();
        self.nodes
            .iter()
            .filter(|n| seen.insert(n.region.clone()))
            .collect()
    }

    /// Each region's items, as the first node of the region lists them at `GET
    /// /admin/items`.
    ///
    /// # Errors
    /// [`SimError`] when a node does not answer 200 or its lines do not parse.
    pub async fn stores(&self) -> Result<BTreeMap<String, Vec<StoredItem>>, SimError> {
        let mut out = BTreeMap::new();
        for n in self.one_per_region() {
            let resp = self
                .client
                .get(format!("{}/admin/items", n.url()))
                .bearer_auth(&self.secrets.admin_token)
                .send()
                .await
                .map_err(|_| SimError::Http(format!("{}: /admin/items", n.name)))?;
            if !resp.status().is_success() {
                return Err(SimError::Http(format!(
                    "{}: /admin/items answered {}",
                    n.name,
                    resp.status().as_u16()
                )));
            }
            let text = resp
                .text()
                .await
                .map_err(|_| SimError::Http(format!("{}: /admin/items body", n.name)))?;
            out.insert(
                n.region.clone().unwrap_or_default(),
                check::parse_admin_items(&text)?,
            );
        }
        Ok(out)
    }

    /// Dead-letter gauges every node exposes at `/metrics` (see [`dead_letter_gauges`]).
    ///
    /// # Errors
    /// [`SimError::Http`] when a node does not answer.
    pub async fn dead_letters(&self) -> Result<Vec<(String, String, f64)>, SimError> {
        let mut out = Vec::new();
        for n in &self.nodes {
            let text = self
                .client
                .get(format!("{}/metrics", n.url()))
                .send()
                .await
                .map_err(|_| SimError::Http(format!("{}: /metrics", n.name)))?
                .text()
                .await
                .map_err(|_| SimError::Http(format!("{}: /metrics body", n.name)))?;
            for (metric, value) in dead_letter_gauges(&text) {
                out.push((n.name.clone(), metric, value));
            }
        }
        Ok(out)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.edge.kill();
        for n in &mut self.nodes {
            n.kill();
        }
        for (admin, name) in &self.databases {
            let _ = psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// A run's figures, summed over every process (killed ones included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    /// Items the nodes committed (full and masked copies).
    pub stored: u64,
    /// Of which masked copies of another region's items.
    pub stored_masked: u64,
    /// Items the nodes received again and absorbed by their idempotency keys.
    pub duplicates_absorbed: u64,
    /// Region bodies the edge sent on to another endpoint after one failed.
    pub failovers: u64,
    /// POSTs the edge answered 503 (retry later).
    pub answered_503: u64,
    /// POSTs the edge answered 200.
    pub answered_200: u64,
    /// Processes SIGKILLed.
    pub kills: u64,
}

/// Adds every counter series (`*_total`) of a Prometheus text to `into`.
pub fn add_counters(into: &mut BTreeMap<String, f64>, metrics: &str) {
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        if !series
            .split('{')
            .next()
            .unwrap_or(series)
            .ends_with("_total")
        {
            continue;
        }
        if let Ok(v) = value.trim().parse::<f64>() {
            *into.entry(series.to_owned()).or_insert(0.0) += v;
        }
    }
}

/// Runs a command to its end, at most `timeout` (then kills it); returns whether it exited
/// 0 and its stderr.
fn run_bounded(cmd: &mut Command, timeout: Duration) -> Result<(bool, String), SimError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SimError::Io(e.kind().to_string()))?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            return Ok((status.success(), err));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SimError::Io("command timed out".into()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The gauges of a Prometheus text whose name mentions dead letters (`*dead_letter*`, not
/// counters' `_total` or `_created` series), with their values.
pub fn dead_letter_gauges(metrics: &str) -> Vec<(String, f64)> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            let bare = name.split('{').next().unwrap_or(name);
            (bare.contains("dead_letter")
                && !bare.ends_with("_total")
                && !bare.ends_with("_created"))
            .then(|| {
                value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .map(|v| (name.to_owned(), v))
            })
            .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_follow_the_design_and_parse_as_toml() {
        let secrets = Secrets::from_seed(1);
        let node: toml::Table = node_config(9001, "EU", "sqlite://data/eu.db", &secrets)
            .parse()
            .unwrap();
        assert_eq!(node["region"].as_str(), Some("EU"));
        assert_eq!(node["listen"].as_str(), Some("127.0.0.1:9001"));
        assert_eq!(node["archive"].as_str(), Some("file://data/eu-archive"));
        assert_eq!(node["edge_keys"]["k1"].as_str().map(str::len), Some(64));
        assert_eq!(node["keys"]["item_secret"].as_str().map(str::len), Some(64));
        assert_eq!(node["keys"]["log_signing"].as_str().map(str::len), Some(64));
        let mut regions = BTreeMap::new();
        regions.insert(
            "EU".to_owned(),
            vec![
                "http://127.0.0.1:1/ingest".to_owned(),
                "http://127.0.0.1:2/ingest".to_owned(),
            ],
        );
        regions.insert(
            "US".to_owned(),
            vec!["http://127.0.0.1:3/ingest".to_owned()],
        );
        let edge: toml::Table = edge_config(8080, &regions, FAILOVERS, 3000, &secrets)
            .parse()
            .unwrap();
        assert_eq!(
            edge["regions"]["EU"]["endpoints"].as_array().map(Vec::len),
            Some(2)
        );
        assert_eq!(edge["delivery"]["deadline_ms"].as_integer(), Some(3000));
        assert_eq!(
            edge["edge_key"]["secret"].as_str(),
            Some(secrets.edge_key_hex.as_str())
        );
        assert_eq!(
            edge["wasender"]["secret"].as_str(),
            Some(secrets.wasender_secret.as_str())
        );
    }

    /// The generated configs are the ones the services accept (the harness once wrote a node
    /// config without `[keys]`, which every node refused at start).
    #[test]
    fn generated_configs_pass_the_services_validation() {
        let secrets = Secrets::from_seed(7);
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("eu-1.toml");
        std::fs::write(
            &node,
            node_config(9001, "EU", "sqlite://data/eu.db", &secrets),
        )
        .unwrap();
        crate::node::config::Settings::load(Some(&node), std::iter::empty())
            .expect("the node accepts its generated config");
        let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, &(_, region)) in NODES.iter().enumerate() {
            regions
                .entry(region.to_owned())
                .or_default()
                .push(format!("http://127.0.0.1:{}/ingest", 9001 + i));
        }
        let edge = dir.path().join("edge.toml");
        std::fs::write(
            &edge,
            edge_config(8080, &regions, FAILOVERS, 3000, &secrets),
        )
        .unwrap();
        crate::edge::config::EdgeConfig::load(Some(&edge), std::iter::empty())
            .expect("the edge's config parses")
            .validate()
            .expect("the edge accepts its generated config");
    }

    #[test]
    fn database_urls_keep_the_server_and_change_the_name() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(database_url("postgres://h:1", "x"), "postgres://h:1/x");
        assert_eq!(
            database_url("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }

    #[test]
    fn counters_add_up_over_processes() {
        let mut tally = BTreeMap::new();
        let a = "# TYPE edge_failovers counter\nedge_failovers_total{home_region=\"EU\",kind=\"endpoint\"} 3\nedge_endpoint_up{endpoint=\"x\"} 1\n# EOF\n";
        add_counters(&mut tally, a);
        add_counters(&mut tally, a);
        assert_eq!(
            tally,
            BTreeMap::from([(
                "edge_failovers_total{home_region=\"EU\",kind=\"endpoint\"}".to_owned(),
                6.0
            )])
        );
    }

    #[test]
    fn dead_letter_gauges_leave_counters_out() {
        let text = "# TYPE dead_letters gauge\ndead_letters{region=\"EU\"} 2\ndead_letters_replayed_total 5\nrequests_total 9\n# EOF\n";
        assert_eq!(
            dead_letter_gauges(text),
            vec![("dead_letters{region=\"EU\"}".to_owned(), 2.0)]
        );
    }

    #[tokio::test]
    async fn services_are_killed_on_drop_and_health_waits_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        // `sleep` stands in for a service binary that never answers /health.
        let mut s = Service {
            name: "sleeper".into(),
            region: None,
            port: free_port().unwrap(),
            config: dir.path().join("none.toml"),
            binary: PathBuf::from("sleep"),
            dir: dir.path().to_path_buf(),
            child: None,
            starts: 0,
        };
        // `sleep --config FILE` exits at once with a usage error: "not running".
        s.start().unwrap();
        let client = crate::service::http::client_builder("test")
            .build()
            .unwrap();
        let started = Instant::now();
        let err = s
            .wait_healthy(&client, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("sleeper"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let pid = {
            let c = Command::new("sleep").arg("30").spawn().unwrap();
            let pid = c.id();
            s.child = Some(c);
            assert!(s.is_running());
            let timed = s
                .wait_healthy(&client, Duration::from_millis(300))
                .await
                .unwrap_err();
            assert!(timed.to_string().contains("not healthy in time"), "{timed}");
            pid
        };
        drop(s);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "killed and reaped on drop"
        );
    }
}
