//! The provider simulator: signed Cloud API and WASender webhooks sent to an edge as the
//! providers send them, and a record of what a correct edge must do with each item.
//!
//! - [`Generator`] makes bodies from a seed: batches of 1 to 1,000 messages, statuses and
//!   WASender events from 40 countries, every item with an id of its own ([`numbers`] holds
//!   the phone ranges);
//! - [`corpus`] reads the real payloads of `../shared/corpus`;
//! - [`Signer`] signs each body as its provider does (`X-Hub-Signature-256`,
//!   `X-Webhook-Signature`);
//! - [`run()`] POSTs them at a set rate and concurrency, retries what is not acknowledged with
//!   exponential backoff and jitter ([`RetryPolicy`]), delivers some bodies twice on purpose,
//!   and writes one [`PostRecord`] per POST, whose items carry the country and region
//!   `residency-core`'s router gives on the same bytes ([`Expectation`]);
//! - [`graph::GraphStandIn`] stands in for the Graph API's media endpoints on loopback, so a
//!   regional node's archive worker can download media (the demo and the node tests);
//! - [`check()`](check::check) compares what the regional nodes list at `GET /admin/items`
//!   with the record: every item stored once, unmasked, at home, and nowhere else unmasked.
//!
//! The `provider-sim` binary is the command line over this module; the outage tests drive it
//! in process.

pub mod check;
pub mod cli;
pub mod cluster;
pub mod corpus;
pub mod generate;
pub mod graph;
pub mod numbers;
pub mod record;
pub mod retry;
mod rng;
pub mod run;
pub mod sign;

pub use corpus::CorpusBody;
pub use generate::{GenOptions, GeneratedBody, Generator};
pub use record::{Expectation, PostRecord};
pub use retry::RetryPolicy;
pub use rng::SimRng;
pub use run::{RunOptions, Stop, Summary, run};
pub use sign::Signer;

/// What can go wrong in the simulator. Messages name the problem, never a secret, a body or
/// an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Bad options.
    #[error("usage: {0}")]
    Usage(String),
    /// The corpus folder cannot be read.
    #[error("corpus: {0}")]
    Corpus(String),
    /// Reading or writing a file failed (the I/O error's kind).
    #[error("i/o: {0}")]
    Io(String),
    /// The HTTP client could not be built or used.
    #[error("http client: {0}")]
    Http(String),
    /// A line of a record or of an `/admin/items` answer is not what it should be.
    #[error("line {line} is not a record line")]
    Record {
        /// 1-based line number.
        line: usize,
    },
}
