//! `regional-node replay`: the region's dead letters sent again through the node's own
//! checks, oldest first.
//!
//! Each letter is routed again with the policy in force ([`DeadLetter::reroute`]); only the
//! items that still belong to the region are replayed, through the same path as `/ingest`
//! (region check, dedupe, store), without a signature (the letter is already the region's).
//! A letter whose items are all stored (or were already) is deleted; one refused again gets
//! the new reason and stays; one with items that now belong elsewhere stays for an operator.

use residency_delivery::{DeadLetter, DeadLetterReason};
use serde::Serialize;

use super::NodeState;
use super::ingest::{AppError, store_body};
use super::store::StoreError;

/// What a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Replayed {
    /// Letters read.
    pub letters: u64,
    /// Letters fully replayed and deleted.
    pub replayed: u64,
    /// Items stored.
    pub items_stored: u64,
    /// Items already stored.
    pub duplicates: u64,
    /// Letters refused again (kept, with the new reason).
    pub refused: u64,
    /// Letters kept because some items now route to another region.
    pub elsewhere: u64,
    /// Letters kept because the store was busy or unavailable.
    pub deferred: u64,
}

/// Replays every dead letter.
///
/// # Errors
/// The store's errors reading or updating letters.
pub async fn replay(state: &NodeState) -> Result<Replayed, StoreError> {
    let mut out = Replayed::default();
    for row in state.store.dead_letters().await? {
        out.letters += 1;
        let Ok(letter) = DeadLetter::from_json_line(&row.line) else {
            out.refused += 1;
            continue;
        };
        let rerouted = match letter.reroute(&state.settings.router) {
            Ok(r) => r,
            Err(_) => {
                let again = letter.with_reason(DeadLetterReason::Rejected { status: 400 });
                state
                    .store
                    .update_dead_letter(row.id, &again.to_json_line())
                    .await?;
                out.refused += 1;
                continue;
            }
        };
        let Some(body) = rerouted.body() else {
            out.elsewhere += 1;
            continue;
        };
        match store_body(state, body.clone(), false, 0).await {
            Ok(o) => {
                out.items_stored += u64::try_from(o.stored).unwrap_or(0);
                out.duplicates += u64::try_from(o.duplicates).unwrap_or(0);
                if rerouted.is_complete() {
                    state.store.delete_dead_letter(row.id).await?;
                    out.replayed += 1;
                } else {
                    out.elsewhere += 1;
                }
            }
            Err(AppError::Unavailable { .. }) => out.deferred += 1,
            Err(e) => {
                let again = letter.with_reason(DeadLetterReason::Rejected {
                    status: e.status().as_u16(),
                });
                state
                    .store
                    .update_dead_letter(row.id, &again.to_json_line())
                    .await?;
                out.refused += 1;
            }
        }
    }
    tracing::info!(
        letters = out.letters,
        replayed = out.replayed,
        refused = out.refused,
        elsewhere = out.elsewhere,
        deferred = out.deferred,
        "dead letters replayed"
    );
    Ok(out)
}
