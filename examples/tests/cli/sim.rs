//! The provider simulator against an in-process edge stub on 127.0.0.1:0: retries,
//! deliberate duplicates, refusals and the record, checked end to end.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router as Http;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use examples::sim::check::{self, StoredItem};
use examples::sim::{RetryPolicy, RunOptions, Signer, Stop, record, run};
use residency_core::auth::{Secret, verify_signature, verify_wasender};
use residency_core::route::Router;

/// What the stub saw: tries per body, and the items it stored per region (deduplicated by
/// id, as a node does).
#[derive(Default)]
struct Seen {
    tries: HashMap<Bytes, u32>,
    stores: BTreeMap<String, Vec<StoredItem>>,
    stored_ids: HashMap<String, ()>,
}

#[derive(Clone)]
struct Stub {
    app: Arc<Secret>,
    wasender: Arc<Secret>,
    /// Tries of one body answered 503 before the stub takes it.
    fail_first: u32,
    seen: Arc<Mutex<Seen>>,
}

async fn meta(State(s): State<Stub>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if verify_signature(&s.app, &body, sig).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    take(&s, body)
}

async fn wasender(State(s): State<Stub>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers
        .get("x-webhook-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if verify_wasender(&s.wasender, sig).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    take(&s, body)
}

/// A correct edge and its nodes in one: refuse what the router refuses, fail the first tries
/// of each body, then store each item once in its region.
fn take(s: &Stub, body: Bytes) -> StatusCode {
    let Ok(decision) = Router::seed().route(body.clone()) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut seen = s.seen.lock().unwrap();
    let tries = seen.tries.entry(body).or_default();
    *tries += 1;
    if *tries <= s.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    for item in decision.items() {
        if let Some(id) = item.id()
            && seen.stored_ids.insert(id.to_owned(), ()).is_some()
        {
            continue;
        }
        let row = StoredItem {
            id: item.id().map(str::to_owned),
            kind: item.kind().as_str().to_owned(),
            status: None,
            country: item.country().map(|c| c.to_string()),
            region: item.region().to_string(),
            masked: false,
        };
        seen.stores
            .entry(item.region().to_string())
            .or_default()
            .push(row);
    }
    StatusCode::OK
}

async fn start(stub: Stub) -> (String, tokio::task::JoinHandle<()>) {
    let app = Http::new()
        .route("/webhook/meta", post(meta))
        .route("/webhook/wasender", post(wasender))
        .with_state(stub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), server)
}

fn stub(fail_first: u32) -> Stub {
    Stub {
        app: Arc::new(Secret::from_text("app-secret").unwrap()),
        wasender: Arc::new(Secret::from_text("wa-secret").unwrap()),
        fail_first,
        seen: Arc::default(),
    }
}

fn options(edge: &str, record: std::path::PathBuf) -> RunOptions {
    let mut o = RunOptions::new(edge);
    o.rate = 200.0;
    o.concurrency = 4;
    o.stop = Stop::Count(60);
    o.duplicate_rate = 0.2;
    o.corpus_share = 0.0;
    o.generate.batch_max = 40;
    o.seed = 99;
    o.retry = RetryPolicy {
        max_attempts: 5,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
    };
    o.request_timeout = Duration::from_secs(5);
    o.drain = Duration::from_secs(20);
    o.record = Some(record);
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_until_acknowledged_duplicates_on_purpose_and_records_every_post() {
    let s = stub(2);
    let (edge, server) = start(s.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.jsonl");
    let signer = Signer::new("app-secret", Some("wa-secret")).unwrap();
    let corpus = examples::sim::corpus::default_dir()
        .map(|d| examples::sim::corpus::load(&d).unwrap())
        .unwrap_or_default();
    let mut o = options(&edge, path.clone());
    o.corpus_share = if corpus.is_empty() { 0.0 } else { 0.2 };
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(o, signer, corpus, Router::seed()),
    )
    .await
    .expect("the run ends within its drain time")
    .unwrap();
    server.abort();

    let record =
        record::read(std::io::BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert_eq!(record.len() as u64, summary.posts, "one line per POST");
    assert_eq!(summary.posts, 60 + summary.duplicates);
    assert!(summary.duplicates > 0, "duplicates are sent on purpose");
    assert_eq!(summary.unexpected, 0, "{summary:?}");
    assert_eq!(summary.gave_up, 0);

    let seen = s.seen.lock().unwrap();
    // Lines come in the order POSTs finish.
    let by_seq: HashMap<u64, &record::PostRecord> = record.iter().map(|r| (r.seq, r)).collect();
    assert_eq!(by_seq.len(), record.len(), "one line per seq");
    for r in &record {
        if r.expected_status == 400 {
            // A refused body is not retried.
            assert_eq!((r.status, r.attempts), (Some(400), 1), "post {}", r.seq);
            continue;
        }
        assert_eq!(r.status, Some(200));
        let original = r.duplicate_of.map_or(r, |d| by_seq[&d]);
        assert_eq!(original.sha256, r.sha256, "a duplicate is the same bytes");
        // The stub fails the first two tries of each body, whoever makes them: the POSTs of
        // one body (a duplicate included) make those two and one 200 each.
        let posts: Vec<_> = record.iter().filter(|o| o.sha256 == r.sha256).collect();
        let attempts: u32 = posts.iter().map(|p| p.attempts).sum();
        assert_eq!(attempts, 2 + posts.len() as u32, "post {}", r.seq);
    }
    // Every try the stub saw is counted in the record.
    let tries: u32 = seen.tries.values().sum();
    let recorded: u32 = record
        .iter()
        .filter(|r| r.expected_status == 200)
        .map(|r| r.attempts)
        .sum();
    assert_eq!(tries, recorded);
    // And what the stub stored is exactly what the record expects, region by region.
    let report = check::check(&record, &seen.stores, &[]);
    assert!(report.is_clean(), "{:?}", report.counts());
    assert!(report.countable > 60, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_signature_is_final_and_an_outage_runs_out_of_tries() {
    let s = stub(u32::MAX);
    let (edge, server) = start(s.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut o = options(&edge, dir.path().join("a.jsonl"));
    o.stop = Stop::Count(6);
    o.duplicate_rate = 0.0;
    o.generate.wasender_share = 0.0;
    let wrong = Signer::new("not-the-secret", None).unwrap();
    let summary = tokio::time::timeout(
        Duration::from_secs(30),
        run(o.clone(), wrong, Vec::new(), Router::seed()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        (summary.refused, summary.attempts, summary.unexpected),
        (6, 6, 6)
    );

    // Always 503: every POST makes its five tries, then gives up.
    o.record = Some(dir.path().join("b.jsonl"));
    let right = Signer::new("app-secret", None).unwrap();
    let summary = tokio::time::timeout(
        Duration::from_secs(30),
        run(o, right, Vec::new(), Router::seed()),
    )
    .await
    .unwrap()
    .unwrap();
    server.abort();
    assert_eq!((summary.gave_up, summary.attempts), (6, 30));
    let record = record::read(std::io::BufReader::new(
        std::fs::File::open(dir.path().join("b.jsonl")).unwrap(),
    ))
    .unwrap();
    assert!(
        record
            .iter()
            .all(|r| r.status == Some(503) && r.attempts == 5)
    );
    let report = check::check(&record, &BTreeMap::new(), &[]);
    assert_eq!(report.counts().get("unacknowledged"), Some(&6));
}

#[test]
fn the_binary_prints_counts_only() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provider-sim"))
        .args([
            "write",
            "--count",
            "3",
            "--batch-min",
            "5",
            "--batch-max",
            "5",
            "--app-secret",
            "s",
            "--out",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, "{\"bodies\":3,\"items\":15}\n");
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_provider-sim"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success() && String::from_utf8_lossy(&help.stdout).contains("run"));
}
