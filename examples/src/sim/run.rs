//! The simulator's loop: POSTs signed bodies to an edge at a set rate, retries what is not
//! acknowledged, delivers some bodies twice, and records every POST.
//!
//! POSTs start on a fixed schedule (`rate` per second) while fewer than `max_pending` are
//! unfinished; at most `concurrency` requests are on the wire at once (a POST waiting for
//! its next retry holds no connection). Once the count is sent or the duration is over, the
//! POSTs still retrying get `drain` to finish; those still unfinished are recorded with the
//! tries they made.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use residency_core::route::Router;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use wa_payload::Provider;

use crate::sim::record::{self, Expectation, PostRecord};
use crate::sim::retry::{Answer, RetryPolicy};
use crate::sim::{CorpusBody, GenOptions, Generator, Signer, SimError, SimRng};

/// When the simulator stops starting POSTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many POSTs (deliberate duplicates not counted).
    Count(u64),
    /// After this long.
    After(Duration),
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The edge's base URL (`http://127.0.0.1:8080`); the paths are appended.
    pub edge: String,
    /// Path of Cloud API webhooks.
    pub meta_path: String,
    /// Path of WASender webhooks.
    pub wasender_path: String,
    /// POSTs started per second; 0 starts them as fast as `concurrency` allows.
    pub rate: f64,
    /// Requests on the wire at once.
    pub concurrency: usize,
    /// Unfinished POSTs (retries pending included) beyond which no new POST starts.
    pub max_pending: usize,
    /// When to stop starting POSTs.
    pub stop: Stop,
    /// Share of POSTs whose same bytes are delivered a second time, in `[0, 1]`.
    pub duplicate_rate: f64,
    /// Share of POSTs taken from the corpus (in turn, file after file), in `[0, 1]`.
    pub corpus_share: f64,
    /// What the generator makes.
    pub generate: GenOptions,
    /// The seed of everything random: bodies, choices, jitter.
    pub seed: u64,
    /// Tries and backoff.
    pub retry: RetryPolicy,
    /// Time allowed for one request.
    pub request_timeout: Duration,
    /// Time allowed, after the last POST started, for the POSTs still retrying.
    pub drain: Duration,
    /// Where to write the record (JSON lines), if anywhere.
    pub record: Option<PathBuf>,
}

impl RunOptions {
    /// Defaults around an edge URL: 20 POSTs/s, 8 at once, 100 POSTs, 5% duplicates, 10%
    /// corpus, batches of 1 to 1,000, seed 1, [`RetryPolicy::default`], 10 s per request and
    /// 60 s to drain.
    pub fn new(edge: impl Into<String>) -> Self {
        Self {
            edge: edge.into(),
            meta_path: "/webhook/meta".into(),
            wasender_path: "/webhook/wasender".into(),
            rate: 20.0,
            concurrency: 8,
            max_pending: 256,
            stop: Stop::Count(100),
            duplicate_rate: 0.05,
            corpus_share: 0.1,
            generate: GenOptions::default(),
            seed: 1,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(10),
            drain: Duration::from_secs(60),
            record: None,
        }
    }
}

/// Counts of a run (no ids, no bodies): what the simulator prints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// POSTs made, duplicates included.
    pub posts: u64,
    /// Of which deliberate redeliveries of the same bytes.
    pub duplicates: u64,
    /// Routed items in those POSTs (counted once per POST).
    pub items: u64,
    /// Tries over all POSTs.
    pub attempts: u64,
    /// POSTs whose last answer was 200.
    pub acknowledged: u64,
    /// POSTs that ended on a refusal (400, 401, 413).
    pub refused: u64,
    /// POSTs that ran out of tries or of drain time without a final answer.
    pub gave_up: u64,
    /// POSTs whose last answer differs from what a correct edge answers.
    pub unexpected: u64,
    /// Tries the edge answered 503 (a region body not accepted in time: retry later).
    pub answered_503: u64,
    /// Tries that got no answer at all (the edge down, or a timeout).
    pub no_answer: u64,
    /// Milliseconds from the first POST to the last answer.
    pub elapsed_ms: u64,
}

impl Summary {
    fn add(&mut self, r: &PostRecord) {
        self.posts += 1;
        self.duplicates += u64::from(r.duplicate_of.is_some());
        self.items += r.items.len() as u64;
        self.attempts += u64::from(r.attempts);
        match r.status {
            Some(200) => self.acknowledged += 1,
            Some(400 | 401 | 413) => self.refused += 1,
            _ => self.gave_up += 1,
        }
        self.unexpected += u64::from(!r.as_expected());
    }
}

/// One POST to make.
#[derive(Clone)]
struct Job {
    seq: u64,
    duplicate_of: Option<u64>,
    provider: Provider,
    source: String,
    body: Bytes,
    expectation: Arc<Expectation>,
}

/// Bodies in the order the run sends them: the corpus in turn, the generator otherwise.
struct Bodies {
    generator: Generator,
    corpus: Vec<CorpusBody>,
    next_corpus: usize,
    rng: SimRng,
    corpus_share: f64,
}

impl Bodies {
    fn next(&mut self) -> (Provider, String, Bytes) {
        if !self.corpus.is_empty() && self.rng.chance(self.corpus_share) {
            let c = &self.corpus[self.next_corpus % self.corpus.len()];
            self.next_corpus += 1;
            (c.provider, format!("corpus:{}", c.name), c.body.clone())
        } else {
            let g = self.generator.next_body();
            (g.provider, "generated".into(), g.body)
        }
    }
}

/// The simulator's HTTP client: no proxy, no redirects, a timeout per request, and rustls
/// with the ring provider for `https://` edges.
///
/// # Errors
/// [`SimError::Http`] when the client cannot be built.
pub fn client(options: &RunOptions) -> Result<reqwest::Client, SimError> {
    crate::service::http::client_builder("provider-sim")
        .timeout(options.request_timeout)
        .pool_max_idle_per_host(options.concurrency.max(1))
        .build()
        .map_err(|e| SimError::Http(kind_of(&e).into()))
}

fn kind_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_builder() {
        "builder"
    } else {
        "request"
    }
}

/// Runs the simulator until `options.stop`, then drains; returns the counts.
///
/// `corpus` may be empty (generated bodies only). `router` computes each POST's
/// expectation: give it the policy the edge runs.
///
/// # Errors
/// [`SimError`] when the client cannot be built or the record cannot be written.
pub async fn run(
    options: RunOptions,
    signer: Signer,
    corpus: Vec<CorpusBody>,
    router: Router,
) -> Result<Summary, SimError> {
    run_until(options, signer, corpus, router, std::future::pending()).await
}

/// Like [`run`], but also stops starting POSTs when `interrupt` resolves (Ctrl-C).
///
/// # Errors
/// As [`run`].
pub async fn run_until(
    options: RunOptions,
    signer: Signer,
    corpus: Vec<CorpusBody>,
    router: Router,
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<Summary, SimError> {
    let client = client(&options)?;
    let mut writer = match &options.record {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| SimError::Io(e.kind().to_string()))?,
        )),
        None => None,
    };
    let root = SimRng::new(options.seed);
    let mut bodies = Bodies {
        generator: Generator::new(root.fork(1).next_u64(), options.generate),
        corpus,
        next_corpus: 0,
        rng: root.fork(2),
        corpus_share: options.corpus_share,
    };
    let mut choices = root.fork(3);
    let (stop_retrying, _) = watch::channel(false);
    let shared = Arc::new(Shared {
        client,
        signer,
        retry: options.retry,
        wire: Semaphore::new(options.concurrency.max(1)),
        meta_url: format!(
            "{}{}",
            options.edge.trim_end_matches('/'),
            options.meta_path
        ),
        wasender_url: format!(
            "{}{}",
            options.edge.trim_end_matches('/'),
            options.wasender_path
        ),
        seed: options.seed,
        stop_retrying: stop_retrying.subscribe(),
        answered_503: AtomicU64::new(0),
        no_answer: AtomicU64::new(0),
    });
    let pending = Arc::new(Semaphore::new(options.max_pending.max(1)));
    let (tx, mut rx) = mpsc::unbounded_channel::<PostRecord>();
    let mut jobs = JoinSet::new();
    let started = Instant::now();
    let interval = (options.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / options.rate));
    let mut summary = Summary::default();
    let mut seq = 0u64;
    let mut started_posts = 0u64;
    tokio::pin!(interrupt);

    let mut drain_records = |rx: &mut mpsc::UnboundedReceiver<PostRecord>,
                             summary: &mut Summary|
     -> Result<(), SimError> {
        while let Ok(r) = rx.try_recv() {
            summary.add(&r);
            if let Some(w) = writer.as_mut() {
                record::write_line(w, &r)?;
            }
        }
        Ok(())
    };

    loop {
        let done = match options.stop {
            Stop::Count(n) => started_posts >= n,
            Stop::After(d) => started.elapsed() >= d,
        };
        if done {
            break;
        }
        if let Some(every) = interval {
            let at = started + every.mul_f64(started_posts as f64);
            tokio::select! {
                () = tokio::time::sleep_until(at.into()) => {}
                () = &mut interrupt => break,
            }
        }
        let permit = tokio::select! {
            p = pending.clone().acquire_owned() => p.map_err(|_| SimError::Http("closed".into()))?,
            () = &mut interrupt => break,
        };
        let (provider, source, body) = bodies.next();
        let expectation = Arc::new(Expectation::of(&router, &body));
        let job = Job {
            seq,
            duplicate_of: None,
            provider,
            source,
            body,
            expectation,
        };
        seq += 1;
        started_posts += 1;
        if choices.chance(options.duplicate_rate) {
            // The same bytes again, a moment later, racing the first delivery.
            let mut again = job.clone();
            again.seq = seq;
            again.duplicate_of = Some(job.seq);
            seq += 1;
            let delay = Duration::from_millis(choices.range(0, 250));
            let (s, tx) = (shared.clone(), tx.clone());
            let extra = pending.clone().try_acquire_owned().ok();
            jobs.spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tx.send(s.post(again).await);
                drop(extra);
            });
        }
        let (s, tx) = (shared.clone(), tx.clone());
        jobs.spawn(async move {
            let _ = tx.send(s.post(job).await);
            drop(permit);
        });
        // Reap finished POSTs as we go, so the set and the channel stay small.
        while jobs.try_join_next().is_some() {}
        drain_records(&mut rx, &mut summary)?;
    }

    // Let the POSTs still retrying finish; past the drain time they stop retrying and report
    // what they got, and a request already on the wire gets its own timeout on top.
    let deadline = tokio::time::Instant::now() + options.drain;
    let hard = deadline + options.request_timeout + Duration::from_secs(1);
    let mut told = false;
    loop {
        tokio::select! {
            joined = jobs.join_next() => if joined.is_none() { break },
            () = tokio::time::sleep_until(deadline), if !told => {
                told = true;
                let _ = stop_retrying.send(true);
            }
            () = tokio::time::sleep_until(hard) => {
                jobs.abort_all();
                while jobs.join_next().await.is_some() {}
                break;
            }
        }
    }
    drop(tx);
    drain_records(&mut rx, &mut summary)?;
    // POSTs cut off past the drain time never reported: count them as given up.
    summary.gave_up += seq.saturating_sub(summary.posts);
    summary.posts = seq;
    if let Some(w) = writer.as_mut() {
        w.flush().map_err(|e| SimError::Io(e.kind().to_string()))?;
    }
    summary.answered_503 = shared.answered_503.load(Ordering::Relaxed);
    summary.no_answer = shared.no_answer.load(Ordering::Relaxed);
    summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(summary)
}

/// What every POST task shares.
struct Shared {
    client: reqwest::Client,
    signer: Signer,
    retry: RetryPolicy,
    wire: Semaphore,
    meta_url: String,
    wasender_url: String,
    seed: u64,
    /// Turns true when the drain time is over: no more retries.
    stop_retrying: watch::Receiver<bool>,
    /// Tries answered 503, over the run.
    answered_503: AtomicU64,
    /// Tries without an answer, over the run.
    no_answer: AtomicU64,
}

impl Shared {
    /// Makes one POST, retries included, and returns its record line.
    async fn post(&self, job: Job) -> PostRecord {
        let url = match job.provider {
            Provider::Wasender => &self.wasender_url,
            _ => &self.meta_url,
        };
        let signature = self.signer.header(job.provider, &job.body);
        let mut jitter = SimRng::new(self.seed).fork(0x1000 + job.seq);
        let mut attempts = 0u32;
        let mut status;
        loop {
            attempts += 1;
            let answer = {
                let _wire = self.wire.acquire().await;
                let mut req = self
                    .client
                    .post(url.as_str())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(job.body.clone());
                if let Some((name, value)) = &signature {
                    req = req.header(*name, value.as_str());
                }
                match req.send().await {
                    Ok(resp) => {
                        let code = resp.status().as_u16();
                        // Read the answer out so the connection goes back to the pool.
                        let _ = resp.bytes().await;
                        Answer::Status(code)
                    }
                    Err(_) => Answer::NoAnswer,
                }
            };
            status = match answer {
                Answer::Status(code) => Some(code),
                Answer::NoAnswer => None,
            };
            match status {
                Some(503) => self.answered_503.fetch_add(1, Ordering::Relaxed),
                None => self.no_answer.fetch_add(1, Ordering::Relaxed),
                Some(_) => 0,
            };
            if self.retry.is_last(attempts, answer) || *self.stop_retrying.borrow() {
                break;
            }
            let mut stop = self.stop_retrying.clone();
            tokio::select! {
                () = tokio::time::sleep(self.retry.delay(attempts, &mut jitter)) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        let e = &job.expectation;
        PostRecord {
            seq: job.seq,
            provider: record::provider_name(job.provider).into(),
            source: job.source,
            sha256: archive_hash::Sha256::digest(&job.body).to_hex(),
            bytes: job.body.len(),
            duplicate_of: job.duplicate_of,
            attempts,
            status,
            expected_status: e.status,
            route_error: e.error.clone(),
            bodies: e.bodies.clone(),
            items: e.items.clone(),
        }
    }
}
