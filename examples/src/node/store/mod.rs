//! The region's database behind one small async trait, [`Store`], with a SQLite
//! implementation (embedded, the default) and a PostgreSQL one (several nodes of a region
//! sharing one database), both through `sqlx` with migrations.
//!
//! Both run the same SQL (`$N` placeholders, `ON CONFLICT`, `RETURNING` work in both); only
//! the schema's types differ (`examples/migrations/node/{sqlite,postgres}`). Appends to the
//! archive log are serialized by updating one row (`log_lock`) first in their transaction:
//! SQLite then takes its write lock at once, PostgreSQL a row lock, so nodes sharing a
//! database never write the same leaf index twice.

mod sql;

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use residency_delivery::ItemKey;

pub use sql::{PgStore, SqliteStore};

/// A storage failure. Messages name the operation, never a value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("database: {op}: {source}")]
    Db {
        /// What was being done.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Migrations failed.
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A reservation was taken over before its commit (its lease expired): nothing was
    /// stored; the provider retries.
    #[error("an idempotency reservation was lost before its commit")]
    ReservationLost,
    /// The database URL is not `sqlite://...` or `postgres://...`.
    #[error("database url must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    /// The archive log in the database is not a gapless sequence of leaves.
    #[error("archive log: {0}")]
    Log(&'static str),
}

impl StoreError {
    pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Db { op, source }
    }
}

/// The answer to a reservation (residency-delivery's dedupe protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// The key is ours with this token: store the item, then commit.
    Fresh,
    /// Already committed: the item is stored.
    Duplicate,
    /// Another request holds it until this time (ms).
    Busy {
        /// Lease end, in Unix milliseconds.
        until: i64,
    },
}

/// An item to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewItem {
    /// Its idempotency key.
    pub key: ItemKey,
    /// The item's id as routed (wamid, call id, WASender key id).
    pub item_id: Option<String>,
    /// `message`, `status`, ... (as `residency route` names them).
    pub kind: String,
    /// The status of a status item.
    pub status: Option<String>,
    /// The party's country.
    pub country: Option<String>,
    /// The item's region under the node's policy.
    pub region: String,
    /// Whether this is a masked copy of another region's item.
    pub masked: bool,
    /// `cloud_api` or `wasender`.
    pub provider: String,
    /// The message type of messages and echoes.
    pub message_type: Option<String>,
    /// The pseudonym of the party's phone.
    pub subject_phone: Option<String>,
    /// The pseudonym of the party's user id or LID.
    pub subject_uid: Option<String>,
    /// The item's own JSON object.
    pub json: String,
    /// The archive task to queue with it, if any.
    pub task: Option<Task>,
}

impl fmt::Debug for NewItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewItem")
            .field("kind", &self.kind)
            .field("region", &self.region)
            .field("masked", &self.masked)
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}

/// What the archive worker does for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Fetch a Cloud API media object through the Graph API.
    CloudMedia,
    /// Fetch, verify and decrypt a WASender media message.
    WasenderMedia,
    /// Archive the template snapshot of a `message_template_*` change.
    Template,
}

impl Task {
    /// The name stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudMedia => "cloud_media",
            Self::WasenderMedia => "wasender_media",
            Self::Template => "template",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cloud_media" => Some(Self::CloudMedia),
            "wasender_media" => Some(Self::WasenderMedia),
            "template" => Some(Self::Template),
            _ => None,
        }
    }
}

/// A stored item.
#[derive(Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// Row id (arrival order).
    pub id: i64,
    /// The item's id as routed.
    pub item_id: Option<String>,
    /// Its kind.
    pub kind: String,
    /// Its status (status items).
    pub status: Option<String>,
    /// The party's country.
    pub country: Option<String>,
    /// Its region.
    pub region: String,
    /// A masked copy.
    pub masked: bool,
    /// `cloud_api` or `wasender`.
    pub provider: String,
    /// Message type.
    pub message_type: Option<String>,
    /// Phone pseudonym.
    pub subject_phone: Option<String>,
    /// User id pseudonym.
    pub subject_uid: Option<String>,
    /// Arrival time, ms.
    pub received_at: i64,
    /// The item's JSON.
    pub json: String,
}

impl fmt::Debug for ItemRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("region", &self.region)
            .field("masked", &self.masked)
            .finish_non_exhaustive()
    }
}

/// A claimed outbox job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Outbox row id.
    pub id: i64,
    /// The item's row id.
    pub item: i64,
    /// What to do.
    pub task: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// A dead letter row.
#[derive(Clone, PartialEq, Eq)]
pub struct DeadLetterRow {
    /// Row id.
    pub id: i64,
    /// The letter as a JSON line.
    pub line: String,
}

impl fmt::Debug for DeadLetterRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetterRow")
            .field("id", &self.id)
            .field("len", &self.line.len())
            .finish()
    }
}

/// A leaf to append to the archive log.
#[derive(Clone, PartialEq, Eq)]
pub struct NewLeaf {
    /// The leaf data's hash input: the record's (or tombstone's) canonical JSON hash.
    pub data_hash: [u8; 32],
    /// `record` or `tombstone`.
    pub kind: &'static str,
    /// The item's row id.
    pub item: Option<i64>,
    /// The record's message id (a pseudonym).
    pub message_id: Option<String>,
    /// Where the bytes live.
    pub object_key: Option<String>,
    /// Phone pseudonym of the record's person.
    pub subject_phone: Option<String>,
    /// User id pseudonym of the record's person.
    pub subject_uid: Option<String>,
    /// `match`, `mismatch`, `unverifiable`.
    pub verification: Option<String>,
    /// When, in Unix seconds.
    pub archived_at: i64,
    /// The JSON whose canonical hash is `data_hash`.
    pub data: String,
}

impl fmt::Debug for NewLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewLeaf")
            .field("kind", &self.kind)
            .field("item", &self.item)
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

/// A stored leaf of the archive log.
#[derive(Clone, PartialEq, Eq)]
pub struct LeafRow {
    /// Leaf index.
    pub idx: i64,
    /// `record` or `tombstone`.
    pub kind: String,
    /// The item's row id.
    pub item: Option<i64>,
    /// Message id pseudonym.
    pub message_id: Option<String>,
    /// Object key.
    pub object_key: Option<String>,
    /// Verification outcome.
    pub verification: Option<String>,
    /// Archive time, s.
    pub archived_at: i64,
    /// Phone pseudonym of the record's person.
    pub subject_phone: Option<String>,
    /// User id pseudonym of the record's person.
    pub subject_uid: Option<String>,
    /// Whether it was erased (object and data deleted).
    pub erased: bool,
    /// The record's or tombstone's JSON (`None` once erased).
    pub data: Option<String>,
}

impl fmt::Debug for LeafRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeafRow")
            .field("idx", &self.idx)
            .field("kind", &self.kind)
            .field("erased", &self.erased)
            .finish_non_exhaustive()
    }
}

/// Who a subject request is about: pseudonyms under the node's key.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectKeys {
    /// Phone pseudonym.
    pub phone: Option<String>,
    /// User id pseudonym.
    pub uid: Option<String>,
}

impl fmt::Debug for SubjectKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubjectKeys([REDACTED])")
    }
}

/// Signs a tree head when the store appends to the log: given the new size and root, the
/// signed head as JSON.
pub type HeadSigner<'a> = &'a (dyn Fn(u64, [u8; 32]) -> String + Send + Sync);

/// The region's database.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Whether the database answers (for `/health` and the 503 of an unavailable store).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Reserves `key` for `token` until `now + lease`.
    async fn reserve(
        &self,
        key: &ItemKey,
        token: i64,
        now_ms: i64,
        lease: Duration,
    ) -> Result<Reserved, StoreError>;

    /// Which of `keys` are committed already, in a few statements (not one per key): a
    /// redelivered batch of 1,000 items is found a duplicate without 1,000 reservations.
    async fn committed(&self, keys: &[ItemKey]) -> Result<HashSet<ItemKey>, StoreError>;

    /// Releases a reservation held by `token`.
    async fn release(&self, key: &ItemKey, token: i64) -> Result<(), StoreError>;

    /// In one transaction: inserts `items` with their outbox jobs and commits every
    /// reservation in `claims`; returns the new rows' ids. An item whose key is already in
    /// `items` (its dedupe key was forgotten after the window) is not stored again.
    /// [`StoreError::ReservationLost`] (and nothing stored) when a reservation is no longer
    /// its token's.
    async fn store_items(
        &self,
        items: &[NewItem],
        claims: &[(ItemKey, i64)],
        now_ms: i64,
    ) -> Result<Vec<i64>, StoreError>;

    /// Forgets committed idempotency keys older than `before_ms`.
    async fn forget_keys(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Items with a row id above `after`, oldest first, at most `limit`.
    async fn items_after(&self, after: i64, limit: i64) -> Result<Vec<ItemRow>, StoreError>;

    /// One item by row id.
    async fn item(&self, id: i64) -> Result<Option<ItemRow>, StoreError>;

    /// Items with this routed id.
    async fn items_by_item_id(&self, item_id: &str) -> Result<Vec<ItemRow>, StoreError>;

    /// The items of a person.
    async fn items_of(&self, who: &SubjectKeys) -> Result<Vec<ItemRow>, StoreError>;

    /// Deletes items (and their outbox jobs) by row id; returns how many went.
    async fn delete_items(&self, ids: &[i64]) -> Result<u64, StoreError>;

    /// Items received before `before_ms` with a row id above `after`, oldest first, at most
    /// `limit`.
    async fn items_before(
        &self,
        before_ms: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ItemRow>, StoreError>;

    /// Stores a dead letter unless one with the same digest is stored; `true` when new.
    async fn put_dead_letter(
        &self,
        digest: &[u8; 32],
        line: &str,
        received_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Every dead letter, oldest first.
    async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError>;

    /// Rewrites a dead letter (a replay refused again adds a reason).
    async fn update_dead_letter(&self, id: i64, line: &str) -> Result<(), StoreError>;

    /// Deletes a dead letter.
    async fn delete_dead_letter(&self, id: i64) -> Result<(), StoreError>;

    /// Claims up to `limit` due outbox jobs for `lease`.
    async fn claim_jobs(
        &self,
        now_ms: i64,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Job>, StoreError>;

    /// A job is done.
    async fn finish_job(&self, id: i64) -> Result<(), StoreError>;

    /// A job failed: try again at `next_ms`, or give up (`failed`).
    async fn retry_job(
        &self,
        id: i64,
        next_ms: i64,
        failed: bool,
        error: &str,
    ) -> Result<(), StoreError>;

    /// Outbox jobs not done: (pending, failed).
    async fn outbox_counts(&self) -> Result<(i64, i64), StoreError>;

    /// Appends leaves to the archive log and stores the head `sign` makes for the new size;
    /// returns the leaf indexes and the signed head.
    async fn append_leaves(
        &self,
        leaves: &[NewLeaf],
        sign: HeadSigner<'_>,
    ) -> Result<(Vec<u64>, String), StoreError>;

    /// The leaf hashes of the log, in order.
    async fn leaf_hashes(&self) -> Result<Vec<[u8; 32]>, StoreError>;

    /// The latest signed tree head.
    async fn latest_head(&self) -> Result<Option<String>, StoreError>;

    /// The signed head of a given size.
    async fn head_at(&self, size: u64) -> Result<Option<String>, StoreError>;

    /// Leaves of kind `record` for this item row or message id, not erased.
    async fn records_for(
        &self,
        item: Option<i64>,
        message_id: Option<&str>,
    ) -> Result<Vec<LeafRow>, StoreError>;

    /// Records of a person, not erased.
    async fn records_of(&self, who: &SubjectKeys) -> Result<Vec<LeafRow>, StoreError>;

    /// Records archived before `before_s`, not erased, oldest first, at most `limit`.
    async fn records_before(&self, before_s: i64, limit: i64) -> Result<Vec<LeafRow>, StoreError>;

    /// Marks leaves erased: their data and object key are dropped, the leaf hash stays.
    async fn erase_leaves(&self, idx: &[i64]) -> Result<u64, StoreError>;
}

/// Opens the store at `url` (`sqlite://PATH` or `postgres://...`) and runs its migrations.
///
/// # Errors
/// [`StoreError::UnsupportedUrl`], or the database's errors.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PgStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}
