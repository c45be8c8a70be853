//! Outage tests: the real `edge-router` and `regional-node` binaries on loopback, the
//! provider simulator driving traffic through them, nodes and the edge killed mid-run, and
//! then where every item ended up.
//!
//! Built with the `e2e` feature only (`cargo test -p examples --features e2e --test outage`).
//! The short run (the test, under 2 minutes) injects each fault once; with
//! `RESIDENCY_OUTAGE_FULL=1` the run is longer, with more traffic and larger batches, and
//! every fault comes back in cycles (`benches/outage.sh` runs that). The PostgreSQL variant
//! runs when `RESIDENCY_TEST_DATABASE_URL` names a server that may create databases
//! (`postgres://postgres@127.0.0.1:5432/postgres`), and is skipped otherwise.
//!
//! The checks, from each region's `GET /admin/items` and the simulator's record: every POST
//! acknowledged, every item stored exactly once unmasked in its own region, no item of a
//! region unmasked in another, masked copies (LATAM fails over to US) with their full copy at
//! home and no raw id, and
//! no dead letter left after `regional-node replay`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use examples::sim::check;
use examples::sim::cluster::{Binaries, Cluster, Database, FAILOVER_KEY_ID, FAILOVERS};
use examples::sim::{RetryPolicy, RunOptions, Signer, Stop, corpus, record, run};
use residency_core::route::Router;

/// One full outage run at a time: each drives 40 POSTs/s of up to 1,000 items through six
/// processes. The short runs (12 POSTs/s, mostly waiting on faults) go side by side, so the
/// SQLite and PostgreSQL variants together stay under 2 minutes.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn binaries() -> Binaries {
    Binaries {
        edge: PathBuf::from(env!("CARGO_BIN_EXE_edge-router")),
        node: PathBuf::from(env!("CARGO_BIN_EXE_regional-node")),
    }
}

/// The size of a run.
struct Plan {
    rate: f64,
    batch_max: usize,
    /// How many times the fault sequence repeats.
    cycles: u32,
    /// Time for the whole run to end, checks included.
    budget: Duration,
    /// Pause between two faults.
    pause: Duration,
    /// The full run (one at a time).
    full: bool,
}

impl Plan {
    fn from_env() -> Self {
        if std::env::var("RESIDENCY_OUTAGE_FULL").is_ok_and(|v| v == "1") {
            Self {
                rate: 40.0,
                batch_max: 1000,
                cycles: 4,
                budget: Duration::from_secs(30 * 60),
                pause: Duration::from_secs(2),
                full: true,
            }
        } else {
            Self {
                rate: 12.0,
                batch_max: 40,
                cycles: 1,
                budget: Duration::from_secs(110),
                pause: Duration::from_millis(1500),
                full: false,
            }
        }
    }
}

/// The faults, in order, with the traffic running: the EU primary SIGKILLed and restarted;
/// both EU nodes down for several seconds; a flapping node; the edge killed and restarted.
async fn inject_faults(cluster: &mut Cluster, cycles: u32, between: Duration) {
    let up = Duration::from_secs(20);
    let pause = || tokio::time::sleep(between);
    for _ in 0..cycles {
        pause().await;
        cluster
            .outage(&["eu-1"], Duration::from_secs(3), up)
            .await
            .expect("the EU primary comes back");
        pause().await;
        cluster
            .outage(&["eu-1", "eu-2"], Duration::from_secs(5), up)
            .await
            .expect("both EU nodes come back");
        pause().await;
        for _ in 0..4 {
            cluster
                .outage(&["latam-1"], Duration::from_millis(700), up)
                .await
                .expect("the flapping node comes back");
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        pause().await;
        cluster
            .outage(&["edge"], Duration::from_secs(2), up)
            .await
            .expect("the edge comes back");
    }
    pause().await;
}

async fn outage_run(database: Database, seed: u64) {
    let plan = Plan::from_env();
    let _one = if plan.full {
        Some(SERIAL.lock().await)
    } else {
        None
    };
    let started = Instant::now();
    // LATAM fails over to US with masked copies while its one node is down.
    let failovers = FAILOVERS;
    let mut cluster =
        Cluster::with_failovers(&binaries(), &database, seed, failovers).expect("a cluster folder");
    cluster
        .check_configs()
        .expect("every generated config is accepted");
    cluster
        .start_all(Duration::from_secs(30))
        .await
        .expect("every service becomes healthy");

    let record_path = cluster.dir().join("record.jsonl");
    let mut options = RunOptions::new(cluster.edge.url());
    options.rate = plan.rate;
    options.concurrency = 8;
    options.max_pending = 512;
    // The faults decide the length: traffic stops once they are over.
    options.stop = Stop::After(plan.budget);
    options.duplicate_rate = 0.05;
    options.corpus_share = 0.1;
    options.generate.batch_max = plan.batch_max;
    options.seed = seed;
    // Meta's days of retries, compressed: enough tries to outlast every fault.
    options.retry = RetryPolicy {
        max_attempts: 40,
        base: Duration::from_millis(200),
        cap: Duration::from_secs(2),
    };
    options.request_timeout = Duration::from_secs(10);
    options.drain = Duration::from_secs(45);
    options.record = Some(record_path.clone());
    let signer = Signer::new(
        &cluster.secrets.app_secret,
        Some(&cluster.secrets.wasender_secret),
    )
    .expect("secrets");
    let corpus = corpus::default_dir()
        .map(|d| corpus::load(&d).expect("the shared corpus reads"))
        .unwrap_or_default();

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let traffic = tokio::spawn(run::run_until(
        options,
        signer,
        corpus,
        Router::seed(),
        async {
            let _ = stop_rx.await;
        },
    ));
    tokio::time::timeout(
        plan.budget,
        inject_faults(&mut cluster, plan.cycles, plan.pause),
    )
    .await
    .expect("the faults are injected within the budget");
    let _ = stop_tx.send(());
    let summary = tokio::time::timeout(Duration::from_secs(90), traffic)
        .await
        .expect("the simulator drains in time")
        .expect("the simulator task")
        .expect("the simulator runs");
    eprintln!(
        "outage traffic: {}",
        serde_json::to_string(&summary).unwrap_or_default()
    );

    cluster
        .replay(Duration::from_secs(60))
        .expect("replay runs");
    let stores = cluster
        .stores()
        .await
        .expect("every region lists its items");
    let record = record::read(std::io::BufReader::new(
        std::fs::File::open(&record_path).expect("the record"),
    ))
    .expect("the record reads back");
    // The masked copies' pseudonym key: masked ids are traced to their raw ids exactly.
    let mut failover_key = [0u8; 32];
    base16ct::mixed::decode(&cluster.secrets.failover_key_hex, &mut failover_key)
        .expect("the failover key is hex");
    let keys = [pii_mask::PseudonymKey::new(FAILOVER_KEY_ID, &failover_key).expect("a key")];
    let report = check::check(&record, &stores, &keys);
    eprintln!(
        "outage check: {} countable items, {} unmasked rows, {} masked copies, violations {:?}",
        report.countable,
        report.stored_unmasked,
        report.stored_masked,
        report.counts()
    );
    for v in report.violations.iter().take(20) {
        eprintln!("  {v}");
    }
    let figures = cluster.figures().await;
    eprintln!(
        "outage figures ({}): {} POSTs ({} deliberate redeliveries), {} items sent, {} distinct \
         countable items, {} rows stored ({} masked copies), {} duplicates absorbed, {} failovers, \
         {} answered 503 by the edge ({} tries seen 503 by the provider, {} without an answer), \
         {} processes SIGKILLed, {:.1} s",
        match database {
            Database::Sqlite => "SQLite",
            Database::Postgres { .. } => "PostgreSQL",
        },
        summary.posts,
        summary.duplicates,
        summary.items,
        report.countable,
        report.stored_unmasked + report.stored_masked,
        report.stored_masked,
        figures.duplicates_absorbed,
        figures.failovers,
        figures.answered_503,
        summary.answered_503,
        summary.no_answer,
        figures.kills,
        started.elapsed().as_secs_f64(),
    );
    assert_eq!(
        summary.gave_up, 0,
        "every POST got a final answer: {summary:?}"
    );
    assert!(report.countable > 0, "the run sent countable items");
    assert!(
        report.is_clean(),
        "see the violations above (logs in the cluster folder)"
    );
    let dead = cluster.dead_letters().await.expect("metrics");
    assert!(
        dead.iter().all(|(_, _, v)| *v == 0.0),
        "dead letters left after replay: {dead:?}"
    );
    assert!(
        started.elapsed() < plan.budget + Duration::from_secs(180),
        "the run took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_sqlite() {
    outage_run(Database::Sqlite, 12).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_postgres() {
    let Ok(admin_url) = std::env::var("RESIDENCY_TEST_DATABASE_URL") else {
        eprintln!("outage_postgres skipped: RESIDENCY_TEST_DATABASE_URL is not set");
        return;
    };
    outage_run(Database::Postgres { admin_url }, 13).await;
}
