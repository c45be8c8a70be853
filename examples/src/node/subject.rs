//! Data-subject requests: export and erase everything the region holds about one person.
//!
//! The person is named by a phone number or a user id (a business-scoped user id such as
//! `US.1349…`, or a WASender LID), turned into its keyed pseudonym at once: lookups use the
//! `subject_phone` and `subject_uid` columns, and no index holds a raw identity. Dead letters
//! hold whole bodies, so they are read and matched item by item.
//!
//! * `export` gives one JSON document: `{"subject":{"by":"phone"|"user_id"},"items":[...],
//!   "archive":[records...],"media_keys":[object keys...],"dead_letters":N}`.
//! * `erase` deletes the item rows, the media objects and the matching dead letters, erases
//!   the records' data (their leaves stay), appends one tombstone (reason `erasure`, leaf
//!   indexes and counts only) and gives the counts. A legal hold covering the person refuses
//!   it, naming the hold.

use pii_mask::pseudonym::Kind as PseudonymKind;
use residency_core::route::Scratch;
use residency_delivery::DeadLetter;
use serde::Serialize;
use serde_json::{Value, json};

use super::archive::delete_object;
use super::items::{normalize_user_id, subject_pseudonyms};
use super::retention::{append_tombstone, hold_for};
use super::store::{StoreError, SubjectKeys};
use super::tlog::{Tombstone, TombstoneReason};
use super::{NodeState, now_ms};

/// Who a request is about.
#[derive(Clone, PartialEq, Eq)]
pub enum Subject {
    /// A phone number (any formatting; its digits count).
    Phone(String),
    /// A user id or LID.
    UserId(String),
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Phone(_) => "Subject::Phone([REDACTED])",
            Self::UserId(_) => "Subject::UserId([REDACTED])",
        })
    }
}

impl Subject {
    /// Validates the value: a phone needs 6 to 15 digits, a user id 1 to 128 characters.
    ///
    /// # Errors
    /// A message naming the flag.
    pub fn check(&self) -> Result<(), &'static str> {
        match self {
            Self::Phone(p) => {
                let digits = p.chars().filter(char::is_ascii_digit).count();
                let ok = (6..=15).contains(&digits)
                    && p.chars()
                        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
                ok.then_some(()).ok_or("--phone is not a phone number")
            }
            Self::UserId(u) => {
                let u = normalize_user_id(u);
                (!u.is_empty() && u.len() <= 128 && !u.chars().any(char::is_whitespace))
                    .then_some(())
                    .ok_or("--user-id is not a user id")
            }
        }
    }

    fn keys(&self, state: &NodeState) -> SubjectKeys {
        let k = &state.settings.pseudonyms;
        match self {
            Self::Phone(p) => SubjectKeys {
                phone: Some(k.pseudonymize(PseudonymKind::Phone, p).into_string()),
                uid: None,
            },
            Self::UserId(u) => SubjectKeys {
                phone: None,
                uid: Some(
                    k.pseudonymize(PseudonymKind::UserId, normalize_user_id(u))
                        .into_string(),
                ),
            },
        }
    }
}

/// Why an erasure was not done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// A legal hold covers the person (the hold's name, never the person).
    #[error("refused: legal hold `{0}` applies")]
    Held(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An object could not be deleted (nothing was erased).
    #[error("archive: an object could not be deleted")]
    Object,
}

/// What an erasure deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Item rows deleted.
    pub items: u64,
    /// Archive records erased.
    pub archive_records: u64,
    /// Media objects deleted.
    pub media_objects: u64,
    /// Dead letters deleted.
    pub dead_letters: u64,
    /// The tombstone's leaf index.
    pub tombstone: Option<u64>,
}

/// Dead letters holding an item of the person.
async fn letters_of(state: &NodeState, who: &SubjectKeys) -> Result<Vec<i64>, StoreError> {
    let mut out = Vec::new();
    let mut scratch = Scratch::default();
    for row in state.store.dead_letters().await? {
        let Ok(letter) = DeadLetter::from_json_line(&row.line) else {
            continue;
        };
        let Ok(items) = state.settings.router.items(letter.body(), &mut scratch) else {
            continue;
        };
        let hit = items.into_iter().any(|item| {
            let (p, u) = subject_pseudonyms(&state.settings.pseudonyms, &item.party);
            (p.is_some() && p == who.phone) || (u.is_some() && u == who.uid)
        });
        if hit {
            out.push(row.id);
        }
    }
    Ok(out)
}

/// Everything the region holds about the person, as one JSON document.
///
/// # Errors
/// The store's errors.
pub async fn export(state: &NodeState, subject: &Subject) -> Result<Value, StoreError> {
    let who = subject.keys(state);
    let items = state.store.items_of(&who).await?;
    let records = state.store.records_of(&who).await?;
    let letters = letters_of(state, &who).await?;
    let items: Vec<Value> = items
        .iter()
        .map(|r| {
            json!({
                "id": r.item_id, "kind": r.kind, "status": r.status, "country": r.country,
                "region": r.region, "masked": r.masked, "provider": r.provider,
                "message_type": r.message_type, "received_at_ms": r.received_at,
                "item": serde_json::from_str::<Value>(&r.json).unwrap_or(Value::Null),
            })
        })
        .collect();
    let archive: Vec<Value> = records
        .iter()
        .filter_map(|l| l.data.as_deref())
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .collect();
    let media_keys: Vec<&str> = records
        .iter()
        .filter_map(|l| l.object_key.as_deref())
        .filter(|k| !k.is_empty())
        .collect();
    Ok(json!({
        "subject": {"by": match subject { Subject::Phone(_) => "phone", Subject::UserId(_) => "user_id" }},
        "region": state.settings.region.as_str(),
        "items": items,
        "archive": archive,
        "media_keys": media_keys,
        "dead_letters": letters.len(),
    }))
}

/// Deletes everything the region holds about the person, unless a legal hold applies.
///
/// # Errors
/// [`SubjectError::Held`] naming the hold; the store's and the archive's errors.
pub async fn erase(state: &NodeState, subject: &Subject) -> Result<Erased, SubjectError> {
    let who = subject.keys(state);
    if let Some(hold) = hold_for(
        &state.settings.holds,
        who.phone.as_deref(),
        who.uid.as_deref(),
    ) {
        return Err(SubjectError::Held(hold.name.clone()));
    }
    let items = state.store.items_of(&who).await?;
    let records = state.store.records_of(&who).await?;
    let letters = letters_of(state, &who).await?;
    let mut erased = Erased::default();
    // Objects first: a failure leaves every row in place, and the request can be repeated.
    for leaf in &records {
        if let Some(key) = &leaf.object_key
            && !key.is_empty()
        {
            match delete_object(state.archive.as_ref(), key).await {
                Ok(true) => erased.media_objects += 1,
                Ok(false) => {}
                Err(_) => return Err(SubjectError::Object),
            }
        }
    }
    let idx: Vec<i64> = records.iter().map(|l| l.idx).collect();
    erased.archive_records = state.store.erase_leaves(&idx).await?;
    let ids: Vec<i64> = items.iter().map(|r| r.id).collect();
    erased.items = state.store.delete_items(&ids).await?;
    for id in &letters {
        state.store.delete_dead_letter(*id).await?;
        erased.dead_letters += 1;
    }
    let now = now_ms() / 1000;
    let tombstone = Tombstone::new(
        TombstoneReason::Erasure,
        idx.iter().map(|i| u64::try_from(*i).unwrap_or(0)).collect(),
        erased.items,
        u64::try_from(now).unwrap_or(0),
    );
    erased.tombstone = Some(append_tombstone(state, &tombstone, now).await?);
    tracing::info!(
        target: "compliance",
        items = erased.items,
        archive_records = erased.archive_records,
        media_objects = erased.media_objects,
        dead_letters = erased.dead_letters,
        "data subject erasure"
    );
    Ok(erased)
}
