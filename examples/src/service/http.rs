//! The HTTP server both services run: hardened, and shut down gracefully.
//!
//! [`harden`] wraps an `axum::Router` with the limits a public webhook endpoint needs: a body
//! bound (413 over it), a body read timeout and a whole-request timeout (408), a bounded
//! number of requests in progress (503 with `Retry-After` beyond it, rather than an unbounded
//! queue), and a span per request that records method, route, status and latency (never a
//! header value or a body). [`serve`] adds the header read timeout (a slow-loris client is cut
//! off) and, on shutdown, stops accepting and lets the requests in flight finish.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

/// Meta's largest webhook body, and the default body bound.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body (413 beyond it).
    pub body_bytes: usize,
    /// Time allowed to receive the request headers.
    pub header_timeout: Duration,
    /// Time allowed to receive the body.
    pub body_timeout: Duration,
    /// Time allowed for the whole request, answer included.
    pub request_timeout: Duration,
    /// Requests in progress at once; more are answered 503 at once.
    pub max_in_flight: usize,
    /// Time given to requests in flight when shutting down.
    pub drain: Duration,
}

impl Default for HttpLimits {
    /// 3 MB, 5 s for headers, 10 s for the body, 30 s per request, 512 in flight, 10 s to
    /// drain.
    fn default() -> Self {
        Self {
            body_bytes: MAX_BODY_BYTES,
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_in_flight: 512,
            drain: Duration::from_secs(10),
        }
    }
}

/// `router` with the body bound, timeouts, load shedding and request spans of `limits`.
pub fn harden(router: Router, limits: &HttpLimits) -> Router {
    let overload = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
            overloaded()
        }))
        .layer(LoadShedLayer::new())
        // One semaphore for the whole server: axum applies a layer to each route and method
        // separately, so a per-service limit would allow `max_in_flight` per route.
        .layer(GlobalConcurrencyLimitLayer::new(limits.max_in_flight));
    router
        // axum's own extractor bound (2 MB by default) follows ours.
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(overload)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    // The path only: query strings can hold tokens (the verify handshake).
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                // A 503 is an expected answer (the provider retries); an error is logged
                // by the handler that knows its cause.
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
}

/// A `reqwest` client builder as every service here starts one: TLS by rustls with the ring
/// provider (installed for the process unless the application installed its own), no
/// system proxy, no redirects (a caller that follows some sets its own policy), `TCP_NODELAY`.
///
/// ```
/// let client = examples::service::http::client_builder("my-service/1").build()?;
/// # drop(client);
/// # Ok::<(), reqwest::Error>(())
/// ```
pub fn client_builder(user_agent: &str) -> reqwest::ClientBuilder {
    // reqwest is built without a default provider (`rustls-no-provider`): install ring once.
    // An error means a provider is already installed, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .user_agent(user_agent)
}

/// 503 with `Retry-After: 1`: the server is at its bound of requests in flight.
fn overloaded() -> Response {
    let mut r = (StatusCode::SERVICE_UNAVAILABLE, "overloaded\n").into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits (at
/// most `limits.drain`) for the requests in flight.
///
/// # Errors
/// Only when accepting connections fails for good; a failing connection is dropped alone.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: back off briefly, keep serving.
                Err(e) if is_transient(&e) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Err(e) => return Err(e),
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that disconnects or times out ends only its own connection.
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.drain, graceful.shutdown()).await;
    Ok(())
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock | TimedOut
    ) || e.raw_os_error() == Some(24) // EMFILE
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            // Without a handler, only Ctrl-C stops the service.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown requested: finishing requests in flight");
}

/// `GET /health`: `200 ok`.
pub async fn health() -> &'static str {
    "ok"
}

/// A handler for errors that should never reach a client as details.
pub fn internal_error() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};

    async fn start(limits: HttpLimits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let app = Router::new()
            .route("/health", get(health))
            .route(
                "/echo",
                post(|body: axum::body::Bytes| async move { body.len().to_string() }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            );
        let app = harden(app, &limits);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            serve(listener, app, &limits, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        (addr, tx)
    }

    async fn request(addr: std::net::SocketAddr, raw: &[u8]) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(raw).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn bodies_over_the_bound_are_413_and_health_answers_ok() {
        let limits = HttpLimits {
            body_bytes: 16,
            ..HttpLimits::default()
        };
        let (addr, stop) = start(limits).await;
        let ok = request(
            addr,
            b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(ok.starts_with("HTTP/1.1 200") && ok.ends_with("ok"), "{ok}");
        let big = request(
            addr,
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 20\r\nconnection: close\r\n\r\n01234567890123456789",
        )
        .await;
        assert!(big.starts_with("HTTP/1.1 413"), "{big}");
        let _ = stop.send(());
    }

    /// The bound of requests in flight holds across routes: a slow request on one route
    /// makes the server shed a request on another.
    #[tokio::test]
    async fn the_in_flight_bound_is_shared_by_every_route() {
        let limits = HttpLimits {
            max_in_flight: 1,
            ..HttpLimits::default()
        };
        let (addr, stop) = start(limits).await;
        let slow = tokio::spawn(request(
            addr,
            b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let shed = request(
            addr,
            b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(shed.starts_with("HTTP/1.1 503"), "{shed}");
        assert!(
            shed.to_ascii_lowercase().contains("retry-after: 1"),
            "{shed}"
        );
        assert!(slow.await.unwrap().ends_with("done"));
        let ok = request(
            addr,
            b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        let _ = stop.send(());
    }

    #[tokio::test]
    async fn shutdown_lets_a_request_in_flight_finish() {
        let (addr, stop) = start(HttpLimits::default()).await;
        let slow = tokio::spawn(request(
            addr,
            b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        ));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = stop.send(());
        let answer = slow.await.unwrap();
        assert!(answer.ends_with("done"), "{answer}");
    }

    #[tokio::test]
    async fn a_client_that_never_sends_its_headers_is_cut_off() {
        let limits = HttpLimits {
            header_timeout: Duration::from_millis(200),
            ..HttpLimits::default()
        };
        let (addr, stop) = start(limits).await;
        let started = std::time::Instant::now();
        let answer = request(addr, b"GET /health HTTP/1.1\r\nhost").await;
        assert!(!answer.contains("200"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(4));
        let _ = stop.send(());
    }
}
