//! `load-sink ADDR`: the load benchmark's upstream. Answers `200 ok` to every request at
//! once, after reading its body, on HTTP/1.1 with keep-alive; nothing else. Listens on
//! `ADDR` (default `127.0.0.1:0`) and prints the bound address on stdout.
//!
//! Written on hyper directly, without axum's routing or tower layers, so the sink costs as
//! little as possible beside the front ends it serves (benches/load/run.sh).

use std::convert::Infallible;
use std::io::Write as _;
use std::process::ExitCode;

use axum::body::Body as Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

async fn answer(req: Request<Incoming>) -> Result<Response<Full>, Infallible> {
    // Read the body to its end, as a node would, then answer.
    let _ = axum::body::to_bytes(Full::new(req.into_body()), usize::MAX).await;
    Ok(Response::new(Full::from("ok")))
}

fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(_) => return ExitCode::from(2),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&addr).await {
            Ok(l) => l,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "load-sink: cannot bind: {}", e.kind());
                return ExitCode::from(2);
            }
        };
        if let Ok(a) = listener.local_addr() {
            let _ = writeln!(std::io::stdout(), "{a}");
        }
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    })
}
