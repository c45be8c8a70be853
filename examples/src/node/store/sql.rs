//! The SQLite and PostgreSQL stores: one body of SQL, instantiated per backend by a macro
//! (sqlx's generic executor bounds would make a generic implementation harder to read than
//! the SQL itself).

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use archive_hash::MerkleLog;
use async_trait::async_trait;
use residency_delivery::ItemKey;
use sqlx::Row;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use tokio::sync::Mutex;

use super::{
    DeadLetterRow, HeadSigner, ItemRow, Job, LeafRow, NewItem, NewLeaf, Reserved, Store,
    StoreError, SubjectKeys,
};

const SQLITE_INIT: &str = include_str!("../../../migrations/node/sqlite/0001_init.sql");
const POSTGRES_INIT: &str = include_str!("../../../migrations/node/postgres/0001_init.sql");

fn migrator(sql: &'static str) -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("init"),
        MigrationType::Simple,
        sqlx::SqlStr::from_static(sql),
        false,
    )])
}

/// Keys looked up per statement by `committed` (well under SQLite's 32,766 parameters).
const COMMITTED_CHUNK: usize = 500;

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

const ITEM_COLUMNS: &str = "id, item_id, kind, status, country, region, masked, provider, message_type, subject_phone, subject_uid, received_at, json";
const LEAF_COLUMNS: &str = "idx, kind, item, message_id, object_key, verification, archived_at, subject_phone, subject_uid, erased, data";

/// Builds a statement from constant parts (column lists): never from a value.
fn stmt(parts: &[&str]) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(parts.concat())
}

macro_rules! sql_store {
    ($name:ident, $db:ty, $pool:ty, $backend:literal, $claim:expr) => {
        /// The archive log's leaf hashes, cached between appends (read again from where it
        /// stops, since other nodes may have appended).
        #[derive(Debug)]
        pub struct $name {
            pool: $pool,
            log: Mutex<Option<MerkleLog>>,
        }

        impl $name {
            /// The pool.
            pub fn pool(&self) -> &$pool {
                &self.pool
            }

            fn item_row(row: &<$db as sqlx::Database>::Row) -> Result<ItemRow, sqlx::Error> {
                Ok(ItemRow {
                    id: row.try_get("id")?,
                    item_id: row.try_get("item_id")?,
                    kind: row.try_get("kind")?,
                    status: row.try_get("status")?,
                    country: row.try_get("country")?,
                    region: row.try_get("region")?,
                    masked: row.try_get::<i64, _>("masked")? != 0,
                    provider: row.try_get("provider")?,
                    message_type: row.try_get("message_type")?,
                    subject_phone: row.try_get("subject_phone")?,
                    subject_uid: row.try_get("subject_uid")?,
                    received_at: row.try_get("received_at")?,
                    json: row.try_get("json")?,
                })
            }

            fn leaf_row(row: &<$db as sqlx::Database>::Row) -> Result<LeafRow, sqlx::Error> {
                Ok(LeafRow {
                    idx: row.try_get("idx")?,
                    kind: row.try_get("kind")?,
                    item: row.try_get("item")?,
                    message_id: row.try_get("message_id")?,
                    object_key: row.try_get("object_key")?,
                    verification: row.try_get("verification")?,
                    archived_at: row.try_get("archived_at")?,
                    subject_phone: row.try_get("subject_phone")?,
                    subject_uid: row.try_get("subject_uid")?,
                    erased: row.try_get::<i64, _>("erased")? != 0,
                    data: row.try_get("data")?,
                })
            }

            async fn items_where(
                &self,
                clause: &'static str,
                value: &str,
            ) -> Result<Vec<ItemRow>, StoreError> {
                let q = stmt(&["SELECT ", ITEM_COLUMNS, " FROM items WHERE ", clause, " ORDER BY id"]);
                let rows = sqlx::query(q)
                    .bind(value.to_owned())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("read items"))?;
                rows.iter()
                    .map(Self::item_row)
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::db("read items"))
            }

            async fn leaves_where(
                &self,
                clause: &'static str,
                value: &str,
            ) -> Result<Vec<LeafRow>, StoreError> {
                let q = stmt(&[
                    "SELECT ",
                    LEAF_COLUMNS,
                    " FROM log_leaves WHERE kind = 'record' AND erased = 0 AND ",
                    clause,
                    " ORDER BY idx",
                ]);
                let rows = sqlx::query(q)
                    .bind(value.to_owned())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("read log"))?;
                rows.iter()
                    .map(Self::leaf_row)
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::db("read log"))
            }
        }

        #[async_trait]
        impl Store for $name {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::db("ping"))
            }

            async fn committed(
                &self,
                keys: &[ItemKey],
            ) -> Result<std::collections::HashSet<ItemKey>, StoreError> {
                let mut out = std::collections::HashSet::new();
                for chunk in keys.chunks(COMMITTED_CHUNK) {
                    // Placeholders only: the keys are bound.
                    let mut q = String::from(
                        "SELECT key FROM dedupe WHERE state = 'committed' AND key IN (",
                    );
                    for i in 1..=chunk.len() {
                        if i > 1 {
                            q.push_str(", ");
                        }
                        q.push('$');
                        q.push_str(&i.to_string());
                    }
                    q.push(')');
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
                    for k in chunk {
                        query = query.bind(k.as_bytes().to_vec());
                    }
                    let rows = query
                        .fetch_all(&self.pool)
                        .await
                        .map_err(StoreError::db("committed keys"))?;
                    for row in rows {
                        let bytes: Vec<u8> =
                            row.try_get("key").map_err(StoreError::db("committed keys"))?;
                        if let Ok(b) = <[u8; 16]>::try_from(bytes.as_slice()) {
                            out.insert(ItemKey::from_bytes(b));
                        }
                    }
                }
                Ok(out)
            }

            async fn reserve(
                &self,
                key: &ItemKey,
                token: i64,
                now_ms: i64,
                lease: Duration,
            ) -> Result<Reserved, StoreError> {
                let expires = now_ms.saturating_add(ms(lease));
                let key = key.as_bytes().to_vec();
                // Two tries: a row released between the insert and the read is tried again.
                for _ in 0..2 {
                    let taken = sqlx::query(
                        "INSERT INTO dedupe (key, state, token, expires) VALUES ($1, 'reserved', $2, $3) \
                         ON CONFLICT (key) DO UPDATE SET token = $2, expires = $3 \
                         WHERE dedupe.state = 'reserved' AND dedupe.expires <= $4 RETURNING token",
                    )
                    .bind(key.clone())
                    .bind(token)
                    .bind(expires)
                    .bind(now_ms)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("reserve"))?;
                    if taken.is_some() {
                        return Ok(Reserved::Fresh);
                    }
                    let held = sqlx::query("SELECT state, expires FROM dedupe WHERE key = $1")
                        .bind(key.clone())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(StoreError::db("reserve"))?;
                    if let Some(row) = held {
                        let state: String = row.try_get("state").map_err(StoreError::db("reserve"))?;
                        let until: Option<i64> =
                            row.try_get("expires").map_err(StoreError::db("reserve"))?;
                        return Ok(if state == "committed" {
                            Reserved::Duplicate
                        } else {
                            Reserved::Busy {
                                until: until.unwrap_or(now_ms),
                            }
                        });
                    }
                }
                Ok(Reserved::Busy { until: now_ms })
            }

            async fn release(&self, key: &ItemKey, token: i64) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM dedupe WHERE key = $1 AND token = $2 AND state = 'reserved'")
                    .bind(key.as_bytes().to_vec())
                    .bind(token)
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::db("release"))
            }

            async fn store_items(
                &self,
                items: &[NewItem],
                claims: &[(ItemKey, i64)],
                now_ms: i64,
            ) -> Result<Vec<i64>, StoreError> {
                let mut tx = self.pool.begin().await.map_err(StoreError::db("begin"))?;
                let mut ids = Vec::with_capacity(items.len());
                for item in items {
                    let row = sqlx::query(
                        "INSERT INTO items (item_key, item_id, kind, status, country, region, masked, \
                         provider, message_type, subject_phone, subject_uid, received_at, json) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                         ON CONFLICT (item_key) DO NOTHING RETURNING id",
                    )
                    .bind(item.key.as_bytes().to_vec())
                    .bind(item.item_id.clone())
                    .bind(item.kind.clone())
                    .bind(item.status.clone())
                    .bind(item.country.clone())
                    .bind(item.region.clone())
                    .bind(i64::from(item.masked))
                    .bind(item.provider.clone())
                    .bind(item.message_type.clone())
                    .bind(item.subject_phone.clone())
                    .bind(item.subject_uid.clone())
                    .bind(now_ms)
                    .bind(item.json.clone())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StoreError::db("insert item"))?;
                    // Already stored under this key (its dedupe key was forgotten after the
                    // window): the row stands, nothing is stored twice.
                    let Some(row) = row else { continue };
                    let id: i64 = row.try_get("id").map_err(StoreError::db("insert item"))?;
                    if let Some(task) = item.task {
                        sqlx::query("INSERT INTO outbox (item, task, next_at) VALUES ($1, $2, $3)")
                            .bind(id)
                            .bind(task.as_str())
                            .bind(now_ms)
                            .execute(&mut *tx)
                            .await
                            .map_err(StoreError::db("insert outbox"))?;
                    }
                    ids.push(id);
                }
                for (key, token) in claims {
                    let done = sqlx::query(
                        "UPDATE dedupe SET state = 'committed', committed = $3 \
                         WHERE key = $1 AND token = $2 AND state = 'reserved'",
                    )
                    .bind(key.as_bytes().to_vec())
                    .bind(*token)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("commit key"))?;
                    if done.rows_affected() != 1 {
                        // Dropping the transaction rolls it back: nothing was stored.
                        return Err(StoreError::ReservationLost);
                    }
                }
                tx.commit().await.map_err(StoreError::db("commit"))?;
                Ok(ids)
            }

            async fn forget_keys(&self, before_ms: i64) -> Result<u64, StoreError> {
                sqlx::query("DELETE FROM dedupe WHERE state = 'committed' AND committed < $1")
                    .bind(before_ms)
                    .execute(&self.pool)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(StoreError::db("forget keys"))
            }

            async fn items_after(&self, after: i64, limit: i64) -> Result<Vec<ItemRow>, StoreError> {
                let q = stmt(&["SELECT ", ITEM_COLUMNS, " FROM items WHERE id > $1 ORDER BY id LIMIT $2"]);
                let rows = sqlx::query(q)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("list items"))?;
                rows.iter()
                    .map(Self::item_row)
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::db("list items"))
            }

            async fn item(&self, id: i64) -> Result<Option<ItemRow>, StoreError> {
                let q = stmt(&["SELECT ", ITEM_COLUMNS, " FROM items WHERE id = $1"]);
                let row = sqlx::query(q)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("read item"))?;
                row.as_ref()
                    .map(Self::item_row)
                    .transpose()
                    .map_err(StoreError::db("read item"))
            }

            async fn items_by_item_id(&self, item_id: &str) -> Result<Vec<ItemRow>, StoreError> {
                self.items_where("item_id = $1", item_id).await
            }

            async fn items_of(&self, who: &SubjectKeys) -> Result<Vec<ItemRow>, StoreError> {
                let mut out = Vec::new();
                if let Some(p) = &who.phone {
                    out.extend(self.items_where("subject_phone = $1", p).await?);
                }
                if let Some(u) = &who.uid {
                    for row in self.items_where("subject_uid = $1", u).await? {
                        if !out.iter().any(|r: &ItemRow| r.id == row.id) {
                            out.push(row);
                        }
                    }
                }
                out.sort_by_key(|r| r.id);
                Ok(out)
            }

            async fn delete_items(&self, ids: &[i64]) -> Result<u64, StoreError> {
                let mut tx = self.pool.begin().await.map_err(StoreError::db("begin"))?;
                let mut n = 0;
                for id in ids {
                    sqlx::query("DELETE FROM outbox WHERE item = $1")
                        .bind(*id)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("delete outbox"))?;
                    sqlx::query("UPDATE log_leaves SET item = NULL WHERE item = $1")
                        .bind(*id)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("unlink leaf"))?;
                    n += sqlx::query("DELETE FROM items WHERE id = $1")
                        .bind(*id)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("delete item"))?
                        .rows_affected();
                }
                tx.commit().await.map_err(StoreError::db("commit"))?;
                Ok(n)
            }

            async fn items_before(
                &self,
                before_ms: i64,
                after: i64,
                limit: i64,
            ) -> Result<Vec<ItemRow>, StoreError> {
                let q = stmt(&[
                    "SELECT ",
                    ITEM_COLUMNS,
                    " FROM items WHERE received_at < $1 AND id > $2 ORDER BY id LIMIT $3",
                ]);
                let rows = sqlx::query(q)
                    .bind(before_ms)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("read items"))?;
                rows.iter()
                    .map(Self::item_row)
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::db("read items"))
            }

            async fn put_dead_letter(
                &self,
                digest: &[u8; 32],
                line: &str,
                received_ms: i64,
                now_ms: i64,
            ) -> Result<bool, StoreError> {
                sqlx::query(
                    "INSERT INTO dead_letters (digest, line, received_at, stored_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (digest) DO NOTHING",
                )
                .bind(digest.to_vec())
                .bind(line.to_owned())
                .bind(received_ms)
                .bind(now_ms)
                .execute(&self.pool)
                .await
                .map(|r| r.rows_affected() == 1)
                .map_err(StoreError::db("store dead letter"))
            }

            async fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError> {
                let rows = sqlx::query("SELECT id, line FROM dead_letters ORDER BY received_at, id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("read dead letters"))?;
                rows.iter()
                    .map(|r| {
                        Ok(DeadLetterRow {
                            id: r.try_get("id")?,
                            line: r.try_get("line")?,
                        })
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(StoreError::db("read dead letters"))
            }

            async fn update_dead_letter(&self, id: i64, line: &str) -> Result<(), StoreError> {
                sqlx::query("UPDATE dead_letters SET line = $2 WHERE id = $1")
                    .bind(id)
                    .bind(line.to_owned())
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::db("update dead letter"))
            }

            async fn delete_dead_letter(&self, id: i64) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM dead_letters WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::db("delete dead letter"))
            }

            async fn claim_jobs(
                &self,
                now_ms: i64,
                lease: Duration,
                limit: i64,
            ) -> Result<Vec<Job>, StoreError> {
                let rows = sqlx::query($claim)
                    .bind(now_ms.saturating_add(ms(lease)))
                    .bind(now_ms)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("claim jobs"))?;
                let mut jobs = rows
                    .iter()
                    .map(|r| {
                        Ok(Job {
                            id: r.try_get("id")?,
                            item: r.try_get("item")?,
                            task: r.try_get("task")?,
                            attempts: r.try_get("attempts")?,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
                    .map_err(StoreError::db("claim jobs"))?;
                jobs.sort_by_key(|j| j.id);
                Ok(jobs)
            }

            async fn finish_job(&self, id: i64) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM outbox WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::db("finish job"))
            }

            async fn retry_job(
                &self,
                id: i64,
                next_ms: i64,
                failed: bool,
                error: &str,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, next_at = $2, lease_until = 0, \
                     failed = $3, last_error = $4 WHERE id = $1",
                )
                .bind(id)
                .bind(next_ms)
                .bind(i64::from(failed))
                .bind(error.to_owned())
                .execute(&self.pool)
                .await
                .map(|_| ())
                .map_err(StoreError::db("retry job"))
            }

            async fn outbox_counts(&self) -> Result<(i64, i64), StoreError> {
                let row = sqlx::query(
                    "SELECT COALESCE(SUM(CASE WHEN failed = 0 THEN 1 ELSE 0 END), 0) AS pending, \
                     COALESCE(SUM(CASE WHEN failed = 0 THEN 0 ELSE 1 END), 0) AS failed FROM outbox",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(StoreError::db("count outbox"))?;
                let pending: i64 = row.try_get("pending").map_err(StoreError::db("count outbox"))?;
                let failed: i64 = row.try_get("failed").map_err(StoreError::db("count outbox"))?;
                Ok((pending, failed))
            }

            async fn append_leaves(
                &self,
                leaves: &[NewLeaf],
                sign: HeadSigner<'_>,
            ) -> Result<(Vec<u64>, String), StoreError> {
                let mut cache = self.log.lock().await;
                let mut tx = self.pool.begin().await.map_err(StoreError::db("begin"))?;
                // The first statement writes: it takes the write lock (SQLite) or the row lock
                // (PostgreSQL) before anything is read, so appends never interleave.
                sqlx::query("UPDATE log_lock SET n = n + 1 WHERE id = 1")
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("lock log"))?;
                let mut log = cache.take().unwrap_or_default();
                let from = i64::try_from(log.len()).unwrap_or(i64::MAX);
                let rows = sqlx::query("SELECT idx, leaf_hash FROM log_leaves WHERE idx >= $1 ORDER BY idx")
                    .bind(from)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(StoreError::db("read log"))?;
                for row in &rows {
                    let idx: i64 = row.try_get("idx").map_err(StoreError::db("read log"))?;
                    let hash: Vec<u8> = row.try_get("leaf_hash").map_err(StoreError::db("read log"))?;
                    let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Log("a leaf hash is not 32 bytes"))?;
                    if u64::try_from(idx).ok() != Some(log.len()) {
                        return Err(StoreError::Log("leaf indexes have a gap"));
                    }
                    log.append_leaf_hash(archive_hash::Sha256::from_bytes(hash));
                }
                let mut indexes = Vec::with_capacity(leaves.len());
                for leaf in leaves {
                    let idx = log.append(&leaf.data_hash);
                    let hash = log.leaf_hash(idx).ok_or(StoreError::Log("appended leaf is missing"))?;
                    sqlx::query(
                        "INSERT INTO log_leaves (idx, leaf_hash, kind, item, message_id, object_key, \
                         subject_phone, subject_uid, verification, archived_at, data) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(i64::try_from(idx).unwrap_or(i64::MAX))
                    .bind(hash.as_bytes().to_vec())
                    .bind(leaf.kind)
                    .bind(leaf.item)
                    .bind(leaf.message_id.clone())
                    .bind(leaf.object_key.clone())
                    .bind(leaf.subject_phone.clone())
                    .bind(leaf.subject_uid.clone())
                    .bind(leaf.verification.clone())
                    .bind(leaf.archived_at)
                    .bind(leaf.data.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("append leaf"))?;
                    indexes.push(idx);
                }
                let head = sign(log.len(), *log.root().as_bytes());
                sqlx::query("INSERT INTO tree_heads (size, head) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING")
                    .bind(i64::try_from(log.len()).unwrap_or(i64::MAX))
                    .bind(head.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("store tree head"))?;
                tx.commit().await.map_err(StoreError::db("commit"))?;
                // Only a committed log is cached; on any error above the cache stays empty
                // and is read again next time.
                *cache = Some(log);
                Ok((indexes, head))
            }

            async fn leaf_hashes(&self) -> Result<Vec<[u8; 32]>, StoreError> {
                let rows = sqlx::query("SELECT idx, leaf_hash FROM log_leaves ORDER BY idx")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("read log"))?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let idx: i64 = row.try_get("idx").map_err(StoreError::db("read log"))?;
                    if usize::try_from(idx).ok() != Some(out.len()) {
                        return Err(StoreError::Log("leaf indexes have a gap"));
                    }
                    let hash: Vec<u8> = row.try_get("leaf_hash").map_err(StoreError::db("read log"))?;
                    out.push(hash.try_into().map_err(|_| StoreError::Log("a leaf hash is not 32 bytes"))?);
                }
                Ok(out)
            }

            async fn latest_head(&self) -> Result<Option<String>, StoreError> {
                sqlx::query("SELECT head FROM tree_heads ORDER BY size DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("read tree head"))?
                    .map(|r| r.try_get("head"))
                    .transpose()
                    .map_err(StoreError::db("read tree head"))
            }

            async fn head_at(&self, size: u64) -> Result<Option<String>, StoreError> {
                sqlx::query("SELECT head FROM tree_heads WHERE size = $1")
                    .bind(i64::try_from(size).unwrap_or(i64::MAX))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(StoreError::db("read tree head"))?
                    .map(|r| r.try_get("head"))
                    .transpose()
                    .map_err(StoreError::db("read tree head"))
            }

            async fn records_for(
                &self,
                item: Option<i64>,
                message_id: Option<&str>,
            ) -> Result<Vec<LeafRow>, StoreError> {
                let mut out = Vec::new();
                if let Some(item) = item {
                    let q = stmt(&[
                        "SELECT ",
                        LEAF_COLUMNS,
                        " FROM log_leaves WHERE kind = 'record' AND erased = 0 AND item = $1 ORDER BY idx",
                    ]);
                    let rows = sqlx::query(q)
                        .bind(item)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(StoreError::db("read log"))?;
                    for row in &rows {
                        out.push(Self::leaf_row(row).map_err(StoreError::db("read log"))?);
                    }
                }
                if let Some(m) = message_id {
                    for row in self.leaves_where("message_id = $1", m).await? {
                        if !out.iter().any(|r: &LeafRow| r.idx == row.idx) {
                            out.push(row);
                        }
                    }
                }
                out.sort_by_key(|r| r.idx);
                Ok(out)
            }

            async fn records_of(&self, who: &SubjectKeys) -> Result<Vec<LeafRow>, StoreError> {
                let mut out = Vec::new();
                if let Some(p) = &who.phone {
                    out.extend(self.leaves_where("subject_phone = $1", p).await?);
                }
                if let Some(u) = &who.uid {
                    for row in self.leaves_where("subject_uid = $1", u).await? {
                        if !out.iter().any(|r: &LeafRow| r.idx == row.idx) {
                            out.push(row);
                        }
                    }
                }
                out.sort_by_key(|r| r.idx);
                Ok(out)
            }

            async fn records_before(
                &self,
                before_s: i64,
                limit: i64,
            ) -> Result<Vec<LeafRow>, StoreError> {
                let q = stmt(&[
                    "SELECT ",
                    LEAF_COLUMNS,
                    " FROM log_leaves WHERE kind = 'record' AND erased = 0 AND archived_at < $1 ORDER BY idx LIMIT $2",
                ]);
                let rows = sqlx::query(q)
                    .bind(before_s)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(StoreError::db("read log"))?;
                rows.iter()
                    .map(Self::leaf_row)
                    .collect::<Result<_, _>>()
                    .map_err(StoreError::db("read log"))
            }

            async fn erase_leaves(&self, idx: &[i64]) -> Result<u64, StoreError> {
                let mut tx = self.pool.begin().await.map_err(StoreError::db("begin"))?;
                let mut n = 0;
                for i in idx {
                    n += sqlx::query(
                        "UPDATE log_leaves SET erased = 1, data = NULL, object_key = NULL, \
                         message_id = NULL, subject_phone = NULL, subject_uid = NULL, item = NULL \
                         WHERE idx = $1 AND erased = 0",
                    )
                    .bind(*i)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("erase leaf"))?
                    .rows_affected();
                }
                tx.commit().await.map_err(StoreError::db("commit"))?;
                Ok(n)
            }
        }
    };
}

sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    SqlitePool,
    "sqlite",
    "UPDATE outbox SET lease_until = $1 WHERE id IN (SELECT id FROM outbox WHERE failed = 0 \
     AND next_at <= $2 AND lease_until <= $2 ORDER BY id LIMIT $3) RETURNING id, item, task, attempts"
);

sql_store!(
    PgStore,
    sqlx::Postgres,
    PgPool,
    "postgres",
    "UPDATE outbox SET lease_until = $1 WHERE id IN (SELECT id FROM outbox WHERE failed = 0 \
     AND next_at <= $2 AND lease_until <= $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, item, task, attempts"
);

/// Runs the SQLite migrations, retrying while another process sharing the file migrates
/// it. sqlx takes no lock on SQLite: nodes of a region starting together on a fresh file
/// each see no migration applied, and all but one fail ("table items already exists", or
/// "database is locked"). Each try is one transaction, rolled back when it fails, so a retry
/// finds the winner's migration applied (its checksum checked) and goes on.
async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> Result<(), StoreError> {
    let mut tried = 0;
    loop {
        tried += 1;
        match migrator(SQLITE_INIT).run(pool).await {
            Ok(()) => return Ok(()),
            Err(e @ sqlx::migrate::MigrateError::VersionMismatch(_)) => return Err(e.into()),
            Err(e) if tried >= SQLITE_TRIES => return Err(e.into()),
            Err(_) => tokio::time::sleep(sqlite_backoff(tried)).await,
        }
    }
}

/// Tries at opening or migrating a SQLite file that another process is setting up.
const SQLITE_TRIES: u32 = 50;

/// The wait after try `tried` (about 27 s over all tries).
fn sqlite_backoff(tried: u32) -> Duration {
    Duration::from_millis(50 + 20 * u64::from(tried))
}

impl SqliteStore {
    /// Opens (creating it if needed) the SQLite database at `url` (`sqlite://PATH`), in WAL
    /// mode with a busy timeout, and runs the migrations (once, when several processes
    /// open a fresh file together).
    ///
    /// # Errors
    /// The driver's and the migrations' errors.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::db("parse sqlite url"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            // The folder of an embedded database is the operator's data folder.
            let _ = std::fs::create_dir_all(dir);
        }
        // Switching a fresh file to WAL takes a lock that SQLite does not wait for, so a
        // node opening it while another does can be told "database is locked": try again
        // within the same bound as the migrations.
        let mut tried = 0;
        let pool = loop {
            tried += 1;
            match SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
                .await
            {
                Ok(pool) => break pool,
                Err(sqlx::Error::Database(e))
                    if tried < SQLITE_TRIES && matches!(e.code().as_deref(), Some("5" | "6")) =>
                {
                    tokio::time::sleep(sqlite_backoff(tried)).await;
                }
                Err(e) => return Err(StoreError::db("open sqlite")(e)),
            }
        };
        migrate_sqlite(&pool).await?;
        Ok(Self {
            pool,
            log: Mutex::new(None),
        })
    }
}

impl PgStore {
    /// Connects to PostgreSQL at `url` and runs the migrations (sqlx takes an advisory lock,
    /// so nodes starting together migrate once).
    ///
    /// # Errors
    /// The driver's and the migrations' errors.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(StoreError::db("connect postgres"))?;
        migrator(POSTGRES_INIT).run(&pool).await?;
        Ok(Self {
            pool,
            log: Mutex::new(None),
        })
    }
}
