//! The three ingest endpoints and the checks every body goes through.
//!
//! | path | accepted when | body | stored as |
//! | --- | --- | --- | --- |
//! | `POST /ingest` | a valid edge signature for `deliver`, or a valid provider signature (`x-hub-signature-256` with `[meta] app_secret`, `x-webhook-signature` with `[wasender] secret`) | a region body | full items; 421 if any item is of another region |
//! | `POST /ingest/masked` | a valid edge signature for `masked` | a masked copy (pii-mask strip output) | items flagged `masked` |
//! | `POST /ingest/dead-letters` | a valid edge signature for `dead-letter` | a `DeadLetter` JSON line | a dead letter of this region; 421 if it is another region's or holds another region's items |
//!
//! Answers: 200 only after a durable commit (or when every item was already committed),
//! 401 for a missing or wrong signature, 421 for a foreign item, 400 for a body the router
//! refuses, 503 with `Retry-After` when the store is unavailable or a reservation is busy.
//! `x-failover-count` is read only under a verified edge signature (it is part of it).

use std::fmt;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use residency_core::UnixSeconds;
use residency_core::auth::{
    EDGE_SIGNATURE_HEADER, EdgePurpose, FAILOVER_COUNT_HEADER, HUB_SIGNATURE_HEADER,
    WASENDER_SIGNATURE_HEADER, verify_signature, verify_wasender,
};
use residency_delivery::{DeadLetter, ItemKey};
use serde::Serialize;

use super::items::{self, ItemsError};
use super::metrics::{IngestLabels, ItemLabels};
use super::store::{NewItem, Reserved, StoreError};
use super::{NodeState, now_ms};

/// Which endpoint a body arrived at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /ingest`.
    Deliver,
    /// `POST /ingest/masked`.
    Masked,
    /// `POST /ingest/dead-letters`.
    DeadLetter,
}

impl Endpoint {
    fn purpose(self) -> EdgePurpose {
        match self {
            Self::Deliver => EdgePurpose::Deliver,
            Self::Masked => EdgePurpose::MaskedCopy,
            Self::DeadLetter => EdgePurpose::DeadLetter,
        }
    }

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Deliver => "deliver",
            Self::Masked => "masked",
            Self::DeadLetter => "dead_letter",
        }
    }
}

/// Every error an endpoint answers, mapped to its status in one place.
#[derive(Debug)]
pub enum AppError {
    /// 401: no valid signature.
    Unauthorized,
    /// 421: an item of another region.
    Misdirected(&'static str),
    /// 400: the body is refused (the reason names a position or a field, never a value).
    BadRequest(String),
    /// 503: try again later.
    Unavailable {
        /// Seconds to wait.
        retry_after: u64,
        /// What is unavailable.
        what: &'static str,
    },
    /// 404.
    NotFound,
}

impl AppError {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Misdirected(_) => StatusCode::MISDIRECTED_REQUEST,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotFound => StatusCode::NOT_FOUND,
        }
    }

    fn store(e: &StoreError) -> Self {
        tracing::warn!(error = %e, "store unavailable");
        Self::Unavailable {
            retry_after: 1,
            what: "store unavailable",
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("missing or invalid signature"),
            Self::Misdirected(why) => f.write_str(why),
            Self::BadRequest(why) => f.write_str(why),
            Self::Unavailable { what, .. } => f.write_str(what),
            Self::NotFound => f.write_str("not found"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut r = (status, format!("{self}\n")).into_response();
        if let Self::Unavailable { retry_after, .. } = self {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after.max(1).to_string())
                    .unwrap_or(HeaderValue::from_static("1")),
            );
        }
        r
    }
}

impl From<ItemsError> for AppError {
    fn from(e: ItemsError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

/// What an accepted body did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Items stored now.
    pub stored: usize,
    /// Items already stored before (or repeated within the body).
    pub duplicates: usize,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the request's signatures for `endpoint`.
fn authenticate(
    state: &NodeState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<u8, AppError> {
    let now = UnixSeconds::new(u64::try_from(now_ms() / 1000).unwrap_or(0));
    if let Some(sig) = header(headers, EDGE_SIGNATURE_HEADER) {
        let hops = headers
            .get(FAILOVER_COUNT_HEADER)
            .map(HeaderValue::as_bytes);
        if let Ok(n) = state
            .settings
            .edge
            .verify(body, sig, hops, endpoint.purpose(), now)
        {
            return Ok(n);
        }
    }
    if endpoint == Endpoint::Deliver {
        if let Some(sig) = header(headers, HUB_SIGNATURE_HEADER)
            && verify_signature(&state.settings.app_secret, body, sig).is_ok()
        {
            return Ok(0);
        }
        if let (Some(secret), Some(sig)) = (
            &state.settings.wasender_secret,
            header(headers, WASENDER_SIGNATURE_HEADER),
        ) && verify_wasender(secret, sig).is_ok()
        {
            return Ok(0);
        }
    }
    Err(AppError::Unauthorized)
}

/// Handles one request to an ingest endpoint.
///
/// # Errors
/// The [`AppError`] to answer.
pub async fn handle(
    state: &NodeState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Outcome, AppError> {
    let hops = authenticate(state, endpoint, headers, &body)?;
    match endpoint {
        Endpoint::DeadLetter => dead_letter(state, &body).await,
        Endpoint::Deliver => store_body(state, body, false, hops).await,
        Endpoint::Masked => store_body(state, body, true, hops).await,
    }
}

/// Routes, dedupes and stores one authenticated body (also the path replayed dead letters
/// take).
///
/// # Errors
/// The [`AppError`] to answer.
pub async fn store_body(
    state: &NodeState,
    body: Bytes,
    masked: bool,
    hops: u8,
) -> Result<Outcome, AppError> {
    let settings = &state.settings;
    let decision = settings
        .router
        .route(body.clone())
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    if masked {
        if !items::is_stripped(&state.strip_check, &body)? {
            return Err(AppError::BadRequest(
                "body is not a masked copy (pii-mask strip output)".into(),
            ));
        }
    } else if decision.items().any(|i| i.region() != &settings.region) {
        return Err(AppError::Misdirected("an item belongs to another region"));
    }
    let keys = settings
        .keys
        .keys(&body)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let rows = items::rows(
        &settings.router,
        &decision,
        &keys,
        &settings.pseudonyms,
        masked,
        settings.media.is_some(),
    )?;

    // Keys committed already are duplicates, found in a few statements: a redelivered batch
    // costs no reservation per item (1,000 of them could outlast the edge's deadline, and
    // every retry would then be cut off the same way).
    let all: Vec<ItemKey> = rows.iter().map(|r| r.key).collect();
    let committed = state
        .store
        .committed(&all)
        .await
        .map_err(|e| AppError::store(&e))?;
    // Reserve every other distinct key (all or nothing); a key repeated within the body counts
    // once.
    let now = now_ms();
    let token = state.next_token();
    let mut claims: Vec<(ItemKey, i64)> = Vec::new();
    let mut fresh: Vec<NewItem> = Vec::new();
    let mut duplicates = 0;
    for row in rows {
        if committed.contains(&row.key)
            || claims.iter().any(|(k, _)| *k == row.key)
            || fresh.iter().any(|r| r.key == row.key)
        {
            duplicates += 1;
            continue;
        }
        let answer = match state.store.reserve(&row.key, token, now, state.lease).await {
            Ok(a) => a,
            Err(e) => {
                release(state, &claims).await;
                return Err(AppError::store(&e));
            }
        };
        match answer {
            Reserved::Fresh => {
                claims.push((row.key, token));
                fresh.push(row);
            }
            Reserved::Duplicate => duplicates += 1,
            Reserved::Busy { until } => {
                release(state, &claims).await;
                let wait = u64::try_from((until - now).max(0) / 1000 + 1).unwrap_or(1);
                return Err(AppError::Unavailable {
                    retry_after: wait,
                    what: "an item is being stored by another request",
                });
            }
        }
    }
    let mut stored = 0;
    if !fresh.is_empty() {
        match state.store.store_items(&fresh, &claims, now_ms()).await {
            Ok(ids) => {
                stored = ids.len();
                duplicates += fresh.len() - stored;
            }
            Err(e) => {
                release(state, &claims).await;
                return Err(match e {
                    StoreError::ReservationLost => AppError::Unavailable {
                        retry_after: 1,
                        what: "an idempotency reservation was lost",
                    },
                    e => AppError::store(&e),
                });
            }
        }
        if fresh.iter().any(|r| r.task.is_some()) {
            state.wake.notify_one();
        }
    }
    compliance_log(state, &decision, masked, hops);
    let masked_label = if masked { "true" } else { "false" };
    state
        .metrics
        .items
        .get_or_create(&ItemLabels {
            outcome: "stored",
            masked: masked_label,
        })
        .inc_by(u64::try_from(stored).unwrap_or(0));
    state
        .metrics
        .items
        .get_or_create(&ItemLabels {
            outcome: "duplicate",
            masked: masked_label,
        })
        .inc_by(u64::try_from(duplicates).unwrap_or(0));
    Ok(Outcome { stored, duplicates })
}

async fn release(state: &NodeState, claims: &[(ItemKey, i64)]) {
    for (key, token) in claims {
        // Best effort: a reservation not released expires with its lease.
        let _ = state.store.release(key, *token).await;
    }
}

/// pii-mask's compliance log entry of every item, through `tracing` (target `compliance`):
/// the sender masked, the message id as its keyed pseudonym, never a body.
fn compliance_log(
    state: &NodeState,
    decision: &residency_core::route::Decision,
    masked: bool,
    hops: u8,
) {
    let Ok(entries) =
        pii_mask::record::log_entries(decision.original(), &pii_mask::PhoneMask::SEED)
    else {
        return;
    };
    for (entry, item) in entries.iter().zip(decision.items()) {
        let id = item.id().map(|id| {
            state
                .settings
                .pseudonyms
                .pseudonymize_message_id(id)
                .into_string()
        });
        tracing::info!(
            target: "compliance",
            entry = %entry.to_json_line(),
            message = id.as_deref().unwrap_or(""),
            region = %item.region(),
            masked,
            hops,
            "item received"
        );
    }
}

async fn dead_letter(state: &NodeState, body: &[u8]) -> Result<Outcome, AppError> {
    let line = std::str::from_utf8(body)
        .map_err(|_| AppError::BadRequest("dead letter is not utf-8".into()))?;
    let letter =
        DeadLetter::from_json_line(line).map_err(|e| AppError::BadRequest(e.to_string()))?;
    if letter.region() != &state.settings.region {
        return Err(AppError::Misdirected("the dead letter is another region's"));
    }
    let rerouted = letter
        .reroute(&state.settings.router)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    if !rerouted.is_complete() {
        return Err(AppError::Misdirected(
            "the dead letter holds another region's items",
        ));
    }
    let digest = {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(letter.received_at().get().to_le_bytes());
        h.update(letter.body());
        let out: [u8; 32] = h.finalize().into();
        out
    };
    let received = i64::try_from(letter.received_at().get()).unwrap_or(i64::MAX);
    let stored = state
        .store
        .put_dead_letter(&digest, &letter.to_json_line(), received, now_ms())
        .await
        .map_err(|e| AppError::store(&e))?;
    tracing::info!(
        target: "compliance",
        items = letter.summary().items,
        stored,
        "dead letter received"
    );
    Ok(Outcome {
        stored: usize::from(stored),
        duplicates: usize::from(!stored),
    })
}

/// Counts an answer.
pub fn count(state: &NodeState, endpoint: Endpoint, status: StatusCode) {
    state
        .metrics
        .requests
        .get_or_create(&IngestLabels {
            endpoint: endpoint.label(),
            status: status.as_u16(),
        })
        .inc();
}
