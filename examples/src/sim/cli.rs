//! The `provider-sim` command line: `run` against an edge, `write` pre-signed bodies for a
//! load generator, `check` regional stores against a record.
//!
//! Secrets come from `--app-secret`/`--wasender-secret` or, so they stay out of the process
//! list, from `RESIDENCY_META_APP_SECRET`/`RESIDENCY_WASENDER_SECRET` (the names the edge
//! reads). Output is counts only, as one JSON line on stdout; usage errors are one line on
//! stderr naming the flag, never a value. Exit 0 when everything went as a correct edge would
//! have it, 1 when not (a POST ended otherwise, a check found a violation), 2 for bad usage.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand};
use residency_core::route::Router;
use residency_core::{Country, Policy, Region};

use crate::sim::check::{self, StoredItem};
use crate::sim::record::{self, Expectation};
use crate::sim::{
    GenOptions, Generator, RetryPolicy, RunOptions, Signer, SimError, Stop, corpus, run,
};

/// `provider-sim`: sends signed WhatsApp webhooks as Meta and WASenderApi do.
#[derive(Debug, Parser)]
#[command(
    name = "provider-sim",
    version,
    about = "Sends signed Cloud API and WASender webhooks to an edge as the providers do, and records what a correct edge must do with each item",
    long_about = None,
    propagate_version = true,
    subcommand_required = true,
    disable_help_subcommand = true
)]
pub struct SimCli {
    /// What to do.
    #[command(subcommand)]
    pub command: SimCommand,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// POST signed bodies to an edge at a set rate, with retries and duplicates, and record
    /// every POST.
    Run(RunArgs),
    /// Write pre-signed bodies into a folder (for wrk and other load generators).
    Write(WriteArgs),
    /// Check the items regional nodes list (GET /admin/items) against a record.
    Check(CheckArgs),
}

/// Options shared by `run` and `write`: what to generate and how to sign it.
#[derive(Debug, Clone, clap::Args)]
pub struct BodyArgs {
    /// Meta app secret (default: $RESIDENCY_META_APP_SECRET).
    #[arg(long)]
    pub app_secret: Option<String>,
    /// WASender webhook secret (default: $RESIDENCY_WASENDER_SECRET; without one, WASender
    /// bodies go unsigned).
    #[arg(long)]
    pub wasender_secret: Option<String>,
    /// Seed of everything random (bodies, choices, jitter).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fewest items in a generated body.
    #[arg(long, default_value_t = 1)]
    pub batch_min: usize,
    /// Most items in a generated body (at most 1000).
    #[arg(long, default_value_t = 1000)]
    pub batch_max: usize,
    /// Share of generated bodies that are WASender events.
    #[arg(long, default_value_t = 0.3)]
    pub wasender_share: f64,
}

impl BodyArgs {
    fn signer(&self) -> Result<Signer, SimError> {
        let app = self
            .app_secret
            .clone()
            .or_else(|| std::env::var("RESIDENCY_META_APP_SECRET").ok())
            .ok_or_else(|| {
                SimError::Usage("--app-secret or RESIDENCY_META_APP_SECRET is required".into())
            })?;
        let wa = self
            .wasender_secret
            .clone()
            .or_else(|| std::env::var("RESIDENCY_WASENDER_SECRET").ok());
        Signer::new(&app, wa.as_deref())
    }

    fn generate(&self) -> GenOptions {
        GenOptions {
            batch_min: self.batch_min,
            batch_max: self.batch_max,
            wasender_share: self.wasender_share,
        }
    }
}

/// `provider-sim run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The edge's base URL; bodies go to /webhook/meta and /webhook/wasender.
    #[arg(long)]
    pub edge: String,
    /// What to generate and how to sign it.
    #[command(flatten)]
    pub body: BodyArgs,
    /// POSTs started per second (0: as fast as --concurrency allows).
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Requests on the wire at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Stop after this many POSTs (default 100 when --duration is not given).
    #[arg(long, conflicts_with = "duration")]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Share of POSTs whose same bytes are delivered twice.
    #[arg(long, default_value_t = 0.05)]
    pub duplicate_rate: f64,
    /// Corpus folder (cloud-api/, wasender/); default: the shared corpus when present.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Send generated bodies only.
    #[arg(long, conflicts_with = "corpus")]
    pub no_corpus: bool,
    /// Share of POSTs taken from the corpus.
    #[arg(long, default_value_t = 0.1)]
    pub corpus_share: f64,
    /// Tries per POST, the first included.
    #[arg(long, default_value_t = 8)]
    pub max_attempts: u32,
    /// First retry step in milliseconds (doubles each retry).
    #[arg(long, default_value_t = 250)]
    pub backoff_ms: u64,
    /// Longest retry step in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub backoff_cap_ms: u64,
    /// Time allowed for one request, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Seconds allowed after the last POST started for the POSTs still retrying.
    #[arg(long, default_value_t = 60)]
    pub drain_secs: u64,
    /// Write the record here (JSON lines, one per POST).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// The edge's default region, when its policy overrides the seed's (US).
    #[arg(long)]
    pub default_region: Option<String>,
    /// A country override of the edge's policy, ISO=REGION (repeatable).
    #[arg(long = "country", value_name = "ISO=REGION")]
    pub countries: Vec<String>,
}

/// `provider-sim write`.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// The folder to write into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// How many bodies.
    #[arg(long, default_value_t = 100)]
    pub count: usize,
    /// What to generate and how to sign it.
    #[command(flatten)]
    pub body: BodyArgs,
}

/// `provider-sim check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// The record written by `run --record`.
    #[arg(long)]
    pub record: PathBuf,
    /// A region's GET /admin/items answer saved to a file, REGION=FILE (repeatable).
    #[arg(long = "store", value_name = "REGION=FILE")]
    pub stores: Vec<String>,
    /// A pseudonym key masked copies may use, ID:HEX (repeatable).
    #[arg(long = "pseudonym-key", value_name = "ID:HEX")]
    pub keys: Vec<String>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum SimInvocation {
    /// Run a subcommand (boxed: the options are large beside a help text).
    Run(Box<SimCommand>),
    /// Print this text and exit 0 (`--help`, `--version`).
    Print(String),
}

/// Parses the command line (`args` starts with the program name). A usage error is one line
/// naming the flags concerned, never what was typed.
///
/// ```
/// use examples::sim::cli::{SimInvocation, parse};
///
/// assert!(matches!(parse(["provider-sim", "run", "--help"]), Ok(SimInvocation::Print(_))));
/// let err = parse(["provider-sim", "run", "--edge", "http://x", "--rate", "s3cr3t"]).unwrap_err();
/// assert_eq!(err.to_string(), "usage: invalid value for --rate");
/// ```
pub fn parse<I, T>(args: I) -> Result<SimInvocation, SimError>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match SimCli::try_parse_from(args) {
        Ok(cli) => Ok(SimInvocation::Run(Box::new(cli.command))),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            Ok(SimInvocation::Print(e.render().to_string()))
        }
        Err(e) => {
            let flags: Vec<String> = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(s)) if s.starts_with('-') => {
                    vec![s.split(' ').next().unwrap_or_default().to_owned()]
                }
                Some(ContextValue::Strings(v)) => v
                    .iter()
                    .map(|s| s.split(' ').next().unwrap_or_default().to_owned())
                    .collect(),
                _ => Vec::new(),
            };
            let flags = flags.join(", ");
            let what = match e.kind() {
                ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
                    format!("invalid value for {flags}")
                }
                ErrorKind::MissingRequiredArgument => format!("{flags} is required"),
                ErrorKind::ArgumentConflict => format!("conflicting options {flags}"),
                ErrorKind::UnknownArgument => "unexpected argument".to_owned(),
                ErrorKind::InvalidSubcommand | ErrorKind::MissingSubcommand => {
                    "expected a command: run, write, check".to_owned()
                }
                _ => "invalid command line".to_owned(),
            };
            Err(SimError::Usage(what))
        }
    }
}

/// Whether a command's outcome is what a correct edge (or a clean store) gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Exit 0.
    AsExpected,
    /// Exit 1.
    NotAsExpected,
}

/// The router a record's expectations come from: the seed policy, or the edge's overrides.
///
/// # Errors
/// [`SimError::Usage`] for an override that is not `ISO=REGION` or a policy that does not
/// build.
pub fn router(default_region: Option<&str>, countries: &[String]) -> Result<Router, SimError> {
    if default_region.is_none() && countries.is_empty() {
        return Ok(Router::seed());
    }
    let bad = |what: &str| SimError::Usage(format!("invalid value for {what}"));
    let default: Region = match default_region {
        Some(r) => r.parse().map_err(|_| bad("--default-region"))?,
        None => Policy::seed().default_region().clone(),
    };
    let mut b = Policy::builder(default);
    for c in countries {
        let (iso, region) = c.split_once('=').ok_or_else(|| bad("--country"))?;
        let iso: Country = iso.parse().map_err(|_| bad("--country"))?;
        let region: Region = region.parse().map_err(|_| bad("--country"))?;
        b = b.country(iso, region);
    }
    Ok(Router::new(b.build().map_err(|_| bad("--country"))?))
}

impl SimCommand {
    /// Runs the subcommand, printing counts as one JSON line on stdout.
    ///
    /// # Errors
    /// [`SimError`] for bad options, an unreadable corpus or record, or a client that cannot
    /// be built.
    pub async fn run(self) -> Result<Verdict, SimError> {
        match self {
            Self::Run(a) => run_cmd(a).await,
            Self::Write(a) => write_cmd(&a),
            Self::Check(a) => check_cmd(&a),
        }
    }
}

fn print_json(v: &impl serde::Serialize) -> Result<(), SimError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v).map_err(|e| SimError::Io(e.to_string()))?;
    writeln!(out).map_err(|e| SimError::Io(e.kind().to_string()))
}

async fn run_cmd(a: RunArgs) -> Result<Verdict, SimError> {
    let signer = a.body.signer()?;
    let router = router(a.default_region.as_deref(), &a.countries)?;
    let corpus = match (&a.corpus, a.no_corpus) {
        (_, true) => Vec::new(),
        (Some(dir), false) => corpus::load(dir)?,
        (None, false) => match corpus::default_dir() {
            Some(dir) => corpus::load(&dir)?,
            None => Vec::new(),
        },
    };
    let positive = |v: f64, flag: &str| {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(SimError::Usage(format!("invalid value for {flag}")))
        }
    };
    let stop = match (a.count, a.duration) {
        (Some(n), _) => Stop::Count(n),
        (None, Some(s)) => Stop::After(Duration::from_secs_f64(positive(s, "--duration")?)),
        (None, None) => Stop::Count(100),
    };
    let mut options = RunOptions::new(a.edge);
    options.rate = positive(a.rate, "--rate")?;
    options.concurrency = a.concurrency.max(1);
    options.max_pending = (a.concurrency.max(1) * 32).max(64);
    options.stop = stop;
    options.duplicate_rate = positive(a.duplicate_rate, "--duplicate-rate")?;
    options.corpus_share = positive(a.corpus_share, "--corpus-share")?;
    options.generate = a.body.generate();
    options.seed = a.body.seed;
    options.retry = RetryPolicy {
        max_attempts: a.max_attempts.max(1),
        base: Duration::from_millis(a.backoff_ms),
        cap: Duration::from_millis(a.backoff_cap_ms),
    };
    options.request_timeout = Duration::from_millis(a.timeout_ms.max(1));
    options.drain = Duration::from_secs(a.drain_secs);
    options.record = a.record;
    let corpus_bodies = corpus.len();
    let summary = run::run_until(options, signer, corpus, router, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    print_json(&serde_json::json!({ "corpus_bodies": corpus_bodies, "summary": summary }))?;
    Ok(if summary.unexpected == 0 && summary.gave_up == 0 {
        Verdict::AsExpected
    } else {
        Verdict::NotAsExpected
    })
}

/// Writes `NNNNN.json` bodies and a `manifest.tsv` (file, path, header name, header value,
/// expected status, items) that a load generator reads once at start.
fn write_cmd(a: &WriteArgs) -> Result<Verdict, SimError> {
    let io = |e: std::io::Error| SimError::Io(e.kind().to_string());
    let signer = a.body.signer()?;
    std::fs::create_dir_all(&a.out).map_err(io)?;
    let mut g = Generator::new(a.body.seed, a.body.generate());
    let router = Router::seed();
    let mut manifest = String::new();
    let mut items = 0usize;
    for n in 0..a.count {
        let b = g.next_body();
        let name = format!("{n:05}.json");
        std::fs::write(a.out.join(&name), &b.body).map_err(io)?;
        let path = match b.provider {
            wa_payload::Provider::Wasender => "/webhook/wasender",
            _ => "/webhook/meta",
        };
        let (header, value) = signer
            .header(b.provider, &b.body)
            .unwrap_or(("x-unsigned", String::new()));
        let e = Expectation::of(&router, &b.body);
        items += e.items.len();
        manifest.push_str(&format!(
            "{name}\t{path}\t{header}\t{value}\t{}\t{}\n",
            e.status,
            e.items.len()
        ));
    }
    std::fs::write(a.out.join("manifest.tsv"), manifest).map_err(io)?;
    print_json(&serde_json::json!({ "bodies": a.count, "items": items }))?;
    Ok(Verdict::AsExpected)
}

fn check_cmd(a: &CheckArgs) -> Result<Verdict, SimError> {
    let io = |e: std::io::Error| SimError::Io(e.kind().to_string());
    let file = std::fs::File::open(&a.record).map_err(io)?;
    let record = record::read(std::io::BufReader::new(file))?;
    let mut stores: BTreeMap<String, Vec<StoredItem>> = BTreeMap::new();
    for s in &a.stores {
        let (region, path) = s
            .split_once('=')
            .ok_or_else(|| SimError::Usage("invalid value for --store".into()))?;
        let text = std::fs::read_to_string(path).map_err(io)?;
        stores
            .entry(region.to_owned())
            .or_default()
            .extend(check::parse_admin_items(&text)?);
    }
    let mut keys = Vec::new();
    for k in &a.keys {
        let (id, hex) = k
            .split_once(':')
            .ok_or_else(|| SimError::Usage("invalid value for --pseudonym-key".into()))?;
        keys.push(
            pii_mask::PseudonymKey::from_hex(id, hex)
                .map_err(|_| SimError::Usage("invalid value for --pseudonym-key".into()))?,
        );
    }
    let report = check::check(&record, &stores, &keys);
    print_json(&serde_json::json!({
        "countable": report.countable,
        "uncountable": report.uncountable,
        "stored_unmasked": report.stored_unmasked,
        "stored_masked": report.stored_masked,
        "violations": report.counts(),
    }))?;
    // Each finding on stderr: the check, the region and an id digest, never an id.
    for v in &report.violations {
        eprintln!("{v}");
    }
    Ok(if report.is_clean() {
        Verdict::AsExpected
    } else {
        Verdict::NotAsExpected
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_name_flags_never_values() {
        for (args, line) in [
            (
                vec!["provider-sim", "run", "--edge", "x", "--rate", "hunter2"],
                "usage: invalid value for --rate",
            ),
            (vec!["provider-sim", "run"], "usage: --edge is required"),
            (
                vec!["provider-sim", "run", "--edge", "x", "--hunter2"],
                "usage: unexpected argument",
            ),
            (
                vec!["provider-sim", "hunter2"],
                "usage: expected a command: run, write, check",
            ),
        ] {
            let err = parse(args).unwrap_err().to_string();
            assert_eq!(err, line);
        }
        assert!(matches!(
            parse(["provider-sim", "--version"]),
            Ok(SimInvocation::Print(_))
        ));
        let Ok(SimInvocation::Run(command)) = parse([
            "provider-sim",
            "run",
            "--edge",
            "http://127.0.0.1:1",
            "--count",
            "3",
            "--country",
            "CH=US",
        ]) else {
            panic!("parses");
        };
        let SimCommand::Run(a) = *command else {
            panic!("the run command");
        };
        assert_eq!((a.count, a.rate, a.countries.len()), (Some(3), 20.0, 1));
    }

    #[test]
    fn policy_overrides_reach_the_expectations() {
        let r = router(Some("EU"), &["BR=US".into()]).unwrap();
        let body = bytes::Bytes::from_static(br#"{"event":"message.sent","data":{"key":{"remoteJid":"5511987654321@s.whatsapp.net","id":"K","fromMe":true}}}"#);
        let e = Expectation::of(&r, &body);
        assert_eq!(e.items[0].region, "US");
        assert!(router(None, &["nonsense".into()]).is_err());
        assert!(router(None, &[]).is_ok());
    }

    #[test]
    fn write_makes_bodies_a_manifest_can_replay() {
        let dir = tempfile::tempdir().unwrap();
        let a = WriteArgs {
            out: dir.path().join("bodies"),
            count: 5,
            body: BodyArgs {
                app_secret: Some("s".into()),
                wasender_secret: Some("w".into()),
                seed: 4,
                batch_min: 100,
                batch_max: 100,
                wasender_share: 0.5,
            },
        };
        assert_eq!(write_cmd(&a).unwrap(), Verdict::AsExpected);
        let manifest = std::fs::read_to_string(a.out.join("manifest.tsv")).unwrap();
        let app = residency_core::auth::Secret::from_text("s").unwrap();
        for line in manifest.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6);
            let body = std::fs::read(a.out.join(f[0])).unwrap();
            assert_eq!((f[4], f[5]), ("200", "100"));
            if f[1] == "/webhook/meta" {
                assert!(residency_core::auth::verify_signature(&app, &body, f[3]).is_ok());
            } else {
                assert_eq!((f[2], f[3]), ("x-webhook-signature", "w"));
            }
        }
    }
}
