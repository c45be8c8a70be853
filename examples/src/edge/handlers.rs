//! The edge's endpoints, and [`EdgeError`]: every refusal mapped to its status in one place.
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /webhook/meta` | 200 once every region body is held by a node of a region that may hold it; 503 + `Retry-After` otherwise; 401 missing or wrong `X-Hub-Signature-256`; 400 a body the router rejects; 413 over 3 MB |
//! | `GET /webhook/meta` | 200 with `hub.challenge` for the right `hub.verify_token`, 403 otherwise |
//! | `POST /webhook/wasender` | as for Meta, with the `X-Webhook-Signature` secret; 404 when `[wasender]` is not configured |
//! | `GET /health` | 200 `ok` |
//! | `GET /metrics` | Prometheus text |

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use residency_core::auth::{
    HUB_SIGNATURE_HEADER, HandshakeParams, WASENDER_SIGNATURE_HEADER, verify_handshake,
    verify_signature, verify_wasender,
};
use residency_core::route::RouteError;
use residency_core::wa_payload::Provider;
use residency_delivery::{EventKind, Verdict};

use super::metrics::{
    EventLabels, FailoverLabels, ProviderLabels, RegionLabels, RequestLabels, VerdictLabels,
};
use super::sender::{self, now, update_endpoint_gauges};
use super::state::EdgeState;

/// Why a request was refused. Messages name what was wrong, never a secret, a header value
/// or anything of the body.
#[derive(Debug)]
#[non_exhaustive]
pub enum EdgeError {
    /// 401: the provider's signature header is missing.
    MissingSignature,
    /// 401: the provider's signature does not verify.
    BadSignature,
    /// 403: the verify handshake failed.
    HandshakeRefused,
    /// 404: the provider is not configured.
    NotConfigured,
    /// 400: the router rejects the body.
    Rejected(RouteError),
    /// 400: a body of the other provider.
    WrongProvider,
}

impl EdgeError {
    fn status(&self) -> StatusCode {
        match self {
            Self::MissingSignature | Self::BadSignature => StatusCode::UNAUTHORIZED,
            Self::HandshakeRefused => StatusCode::FORBIDDEN,
            Self::NotConfigured => StatusCode::NOT_FOUND,
            Self::Rejected(_) | Self::WrongProvider => StatusCode::BAD_REQUEST,
        }
    }
}

impl std::fmt::Display for EdgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingSignature => f.write_str("signature header is missing"),
            Self::BadSignature => f.write_str("signature does not verify"),
            Self::HandshakeRefused => f.write_str("verify handshake refused"),
            Self::NotConfigured => f.write_str("not configured"),
            // Route errors name fields and positions, never values.
            Self::Rejected(e) => write!(f, "body rejected: {e}"),
            Self::WrongProvider => f.write_str("body rejected: a body of the other provider"),
        }
    }
}

impl std::error::Error for EdgeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Rejected(e) => Some(e),
            _ => None,
        }
    }
}

impl IntoResponse for EdgeError {
    fn into_response(self) -> Response {
        let status = self.status();
        tracing::warn!(status = status.as_u16(), reason = %self, "request refused");
        (status, format!("{self}\n")).into_response()
    }
}

/// The two webhook ingresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ingress {
    Meta,
    Wasender,
}

impl Ingress {
    fn name(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::Wasender => "wasender",
        }
    }

    fn provider(self) -> Provider {
        match self {
            Self::Meta => Provider::CloudApi,
            Self::Wasender => Provider::Wasender,
        }
    }
}

/// Observes `edge_post_duration_seconds` when dropped, however the request ends.
struct PostTimer<'s> {
    state: &'s EdgeState,
    ingress: Ingress,
    started: Instant,
}

impl Drop for PostTimer<'_> {
    fn drop(&mut self) {
        self.state
            .metrics
            .post_duration
            .get_or_create(&ProviderLabels {
                provider: self.ingress.name(),
            })
            .observe(self.started.elapsed().as_secs_f64());
    }
}

/// The provider's signature header, as received.
fn signature_header(
    headers: &HeaderMap,
    name: &'static str,
) -> Result<(HeaderName, HeaderValue), EdgeError> {
    let value = headers.get(name).ok_or(EdgeError::MissingSignature)?;
    Ok((HeaderName::from_static(name), value.clone()))
}

/// `POST /webhook/meta`.
#[tracing::instrument(name = "webhook", skip_all, fields(provider = "meta"))]
pub async fn meta(
    State(state): State<Arc<EdgeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, EdgeError> {
    let _timer = PostTimer {
        state: &state,
        ingress: Ingress::Meta,
        started: Instant::now(),
    };
    let signature = signature_header(&headers, HUB_SIGNATURE_HEADER)?;
    let text = signature.1.to_str().map_err(|_| EdgeError::BadSignature)?;
    verify_signature(&state.app_secret, &body, text).map_err(|_| EdgeError::BadSignature)?;
    accept(&state, Ingress::Meta, body, signature).await
}

/// `POST /webhook/wasender`.
#[tracing::instrument(name = "webhook", skip_all, fields(provider = "wasender"))]
pub async fn wasender(
    State(state): State<Arc<EdgeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, EdgeError> {
    let secret = state
        .wasender_secret
        .as_ref()
        .ok_or(EdgeError::NotConfigured)?;
    let _timer = PostTimer {
        state: &state,
        ingress: Ingress::Wasender,
        started: Instant::now(),
    };
    let signature = signature_header(&headers, WASENDER_SIGNATURE_HEADER)?;
    let text = signature.1.to_str().map_err(|_| EdgeError::BadSignature)?;
    verify_wasender(secret, text).map_err(|_| EdgeError::BadSignature)?;
    accept(&state, Ingress::Wasender, body, signature).await
}

/// `GET /webhook/meta`: Meta's verify handshake (the query is percent-decoded first).
pub async fn handshake(
    State(state): State<Arc<EdgeState>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, EdgeError> {
    let Ok(Query(query)) = query else {
        return Err(EdgeError::HandshakeRefused);
    };
    let params = HandshakeParams {
        mode: query.get("hub.mode").map(String::as_str),
        verify_token: query.get("hub.verify_token").map(String::as_str),
        challenge: query.get("hub.challenge").map(String::as_str),
    };
    let challenge =
        verify_handshake(&params, &state.verify_token).map_err(|_| EdgeError::HandshakeRefused)?;
    tracing::info!("verify handshake answered");
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge.to_owned(),
    )
        .into_response())
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<Arc<EdgeState>>) -> Response {
    update_endpoint_gauges(&state.health, &state.metrics, now());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Counts every answer in `edge_requests_total`, by matched route, method and status: the
/// outermost layer, so refusals of the hardening layers (413, 503, 408) count too.
pub async fn track(State(state): State<Arc<EdgeState>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// Routes an authenticated body, delivers it, and answers 200 or 503.
async fn accept(
    state: &EdgeState,
    ingress: Ingress,
    body: Bytes,
    signature: (HeaderName, HeaderValue),
) -> Result<Response, EdgeError> {
    let started = Instant::now();
    let bytes = body.len();
    let decision = state
        .deployment
        .router()
        .route(body)
        .map_err(EdgeError::Rejected)?;
    if decision.provider() != ingress.provider() {
        return Err(EdgeError::WrongProvider);
    }
    for b in decision.bodies() {
        state
            .metrics
            .region_items
            .get_or_create(&RegionLabels {
                region: b.region().to_string(),
            })
            .inc_by(u64::try_from(b.item_count()).unwrap_or(u64::MAX));
    }
    let report = sender::deliver(state.context(), &decision, Some(&signature)).await;
    for e in &report.events {
        record_event(state, e);
    }
    update_endpoint_gauges(&state.health, &state.metrics, now());
    let verdict = match report.verdict {
        Verdict::Ack => "ack",
        _ => "retry_later",
    };
    state
        .metrics
        .verdicts
        .get_or_create(&VerdictLabels {
            provider: ingress.name(),
            verdict,
        })
        .inc();
    let regions = report
        .regions
        .iter()
        .map(|(region, items, outcome)| format!("{region}:{items}:{outcome}"))
        .collect::<Vec<_>>()
        .join(",");
    let status = report.verdict.http_status();
    tracing::info!(
        status,
        verdict,
        bytes,
        items = decision.items().len(),
        split = decision.is_split(),
        regions = %regions,
        attempts = report.attempts,
        latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "webhook answered"
    );
    Ok(match report.verdict {
        Verdict::Ack => (StatusCode::OK, "ok\n").into_response(),
        _ => {
            let mut r = (StatusCode::SERVICE_UNAVAILABLE, "retry later\n").into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, state.retry_after.clone());
            r
        }
    })
}

/// Counts and logs one delivery event (regions, endpoints, statuses, counts).
fn record_event(state: &EdgeState, e: &residency_delivery::DeliveryEvent) {
    let home_region = e.home_region.to_string();
    state
        .metrics
        .events
        .get_or_create(&EventLabels {
            event: e.event.as_str(),
            home_region: home_region.clone(),
        })
        .inc();
    let kind = match e.event {
        EventKind::FailoverTriggered => Some("endpoint"),
        EventKind::MaskedCopyAccepted => Some("masked_copy"),
        _ => None,
    };
    if let Some(kind) = kind {
        state
            .metrics
            .failovers
            .get_or_create(&FailoverLabels {
                home_region: home_region.clone(),
                kind,
            })
            .inc();
    }
    let target = e.target_region.as_ref().map(ToString::to_string);
    let endpoint = e.endpoint.as_ref().map(ToString::to_string);
    let compliance = e.compliance.map(|c| c.as_str());
    macro_rules! event {
        ($level:ident) => {
            tracing::$level!(
                event = e.event.as_str(),
                home_region = %home_region,
                target_region = target.as_deref(),
                endpoint = endpoint.as_deref(),
                status = e.status,
                compliance,
                items = e.items,
                latency_ms = e.latency_ms,
                "delivery event"
            )
        };
    }
    match e.event {
        EventKind::FailoverTriggered
        | EventKind::Recovered
        | EventKind::MaskedCopyAccepted
        | EventKind::DeadLettered => event!(info),
        _ => event!(warn),
    }
}
