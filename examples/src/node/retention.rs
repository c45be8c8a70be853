//! The retention sweeper: archive-hash's policy document applied to rows and objects.
//!
//! * Item rows expire `message_storage_days` after they arrived; archive records (and their
//!   objects) `media_storage_days` after they were archived ([`RetentionClass::rules`], with
//!   [`RetentionRules::decide`](archive_hash::RetentionRules::decide)).
//! * A legal hold (`[retention.holds.NAME]`: phones, user ids, or `all`) turns an expiry into
//!   `held`: nothing it covers is deleted.
//! * Expired records lose their object and data, but their leaf stays; one [`Tombstone`]
//!   (reason `retention`) per sweep names the erased leaves, so the log stays verifiable.
//! * `move_to_cold` is counted (`node_retention_total{disposition="cold"}`) but not acted on:
//!   object_store has no storage-class API; give the bucket a lifecycle rule for the cold
//!   tier.
//! * Committed idempotency keys older than seven days (Meta's retry window) are forgotten.

use archive_hash::{Disposition, PolicyDocument, RetentionClass, RetentionRules, UnixSeconds};

use super::archive::delete_object;
use super::config::LegalHold;
use super::metrics::RetentionLabels;
use super::store::{NewLeaf, StoreError};
use super::tlog::{Tombstone, TombstoneReason};
use super::{NodeState, now_ms};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    /// Item rows deleted.
    pub items: u64,
    /// Archive records erased (objects deleted).
    pub records: u64,
    /// Rows and records kept by a legal hold.
    pub held: u64,
    /// Records old enough for the cold tier.
    pub cold: u64,
    /// The tombstone's leaf index, when one was appended.
    pub tombstone: Option<u64>,
}

/// The first hold covering a subject, if any.
pub fn hold_for<'h>(
    holds: &'h [LegalHold],
    phone: Option<&str>,
    uid: Option<&str>,
) -> Option<&'h LegalHold> {
    holds.iter().find(|h| {
        h.all
            || phone.is_some_and(|p| h.subjects.contains(p))
            || uid.is_some_and(|u| h.subjects.contains(u))
    })
}

const PAGE: i64 = 500;
const DAY_MS: i64 = 86_400_000;

/// Applies `policy` at `now` (the sweeper passes the clock; tests pass any time).
///
/// # Errors
/// The store's errors; objects that cannot be deleted are left with their record (the next
/// sweep tries again).
pub async fn sweep(
    state: &NodeState,
    policy: &PolicyDocument,
    now: UnixSeconds,
) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    let holds = &state.settings.holds;
    let now_s = i64::try_from(now.get()).unwrap_or(i64::MAX);
    let label = |what, disposition| RetentionLabels { what, disposition };

    // Item rows.
    let rules = policy.rules(false);
    let before = now_s
        .saturating_mul(1000)
        .saturating_sub(i64::from(rules.expire_after_days).saturating_mul(DAY_MS))
        .saturating_add(1);
    let mut after = 0;
    loop {
        let rows = state.store.items_before(before, after, PAGE).await?;
        let Some(tail) = rows.last() else { break };
        after = tail.id;
        let mut expired = Vec::new();
        for row in &rows {
            let arrived = UnixSeconds::new(u64::try_from(row.received_at / 1000).unwrap_or(0));
            let hold = hold_for(
                holds,
                row.subject_phone.as_deref(),
                row.subject_uid.as_deref(),
            )
            .is_some();
            match rules.decide(arrived, now, hold) {
                Disposition::Expire => expired.push(row.id),
                Disposition::Held => swept.held += 1,
                _ => {}
            }
        }
        swept.items += state.store.delete_items(&expired).await?;
    }

    // Archive records and their objects: only those old enough to expire under the
    // shortest rules are read.
    let shortest = policy
        .rules(true)
        .expire_after_days
        .min(RetentionRules::sec().expire_after_days);
    let before_s = now_s
        .saturating_sub(i64::from(shortest).saturating_mul(86_400))
        .saturating_add(1);
    let mut erased = Vec::new();
    for leaf in state.store.records_before(before_s, i64::MAX).await? {
        let class = leaf
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<archive_hash::ArchiveRecord>(d).ok())
            .map_or(RetentionClass::Standard, |r| r.retention_class);
        let rules = class.rules(policy, true);
        let hold = hold_for(
            holds,
            leaf.subject_phone.as_deref(),
            leaf.subject_uid.as_deref(),
        )
        .is_some();
        let archived = UnixSeconds::new(u64::try_from(leaf.archived_at).unwrap_or(0));
        match rules.decide(archived, now, hold) {
            Disposition::Expire => {
                if let Some(key) = &leaf.object_key
                    && delete_object(state.archive.as_ref(), key).await.is_err()
                {
                    tracing::warn!(
                        leaf = leaf.idx,
                        "retention: object not deleted, kept for the next sweep"
                    );
                    continue;
                }
                erased.push(leaf.idx);
            }
            Disposition::Held => swept.held += 1,
            Disposition::MoveToCold => swept.cold += 1,
            _ => {}
        }
    }
    if !erased.is_empty() {
        swept.records = state.store.erase_leaves(&erased).await?;
        let tombstone = Tombstone::new(
            TombstoneReason::Retention,
            erased
                .iter()
                .map(|i| u64::try_from(*i).unwrap_or(0))
                .collect(),
            swept.items,
            now.get(),
        );
        swept.tombstone = Some(append_tombstone(state, &tombstone, now_s).await?);
    }
    let forgotten = state
        .store
        .forget_keys(now_ms().saturating_sub(7 * DAY_MS))
        .await?;
    for (what, disposition, n) in [
        ("item", "expired", swept.items),
        ("record", "expired", swept.records),
        ("any", "held", swept.held),
        ("record", "cold", swept.cold),
    ] {
        state
            .metrics
            .retention
            .get_or_create(&label(what, disposition))
            .inc_by(n);
    }
    tracing::info!(
        items = swept.items,
        records = swept.records,
        held = swept.held,
        cold = swept.cold,
        keys_forgotten = forgotten,
        "retention sweep"
    );
    Ok(swept)
}

/// Appends a tombstone; returns its leaf index.
///
/// # Errors
/// The store's errors.
pub async fn append_tombstone(
    state: &NodeState,
    tombstone: &Tombstone,
    at: i64,
) -> Result<u64, StoreError> {
    let data_hash = tombstone
        .data_hash()
        .map_err(|_| StoreError::Log("tombstone has no canonical form"))?;
    let data = serde_json::to_string(tombstone)
        .map_err(|_| StoreError::Log("tombstone has no json form"))?;
    let leaf = NewLeaf {
        data_hash: *data_hash.as_bytes(),
        kind: "tombstone",
        item: None,
        message_id: None,
        object_key: None,
        subject_phone: None,
        subject_uid: None,
        verification: None,
        archived_at: at,
        data,
    };
    let (idx, _) = super::append(state, &[leaf]).await?;
    idx.first()
        .copied()
        .ok_or(StoreError::Log("tombstone was not appended"))
}
