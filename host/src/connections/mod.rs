//! The accept loop of `onbehalf serve`: HTTP/1.1 connections with a cap on how many are
//! open at once, a deadline for request headers (which also closes idle keep-alive
//! connections), a bounded header buffer, and graceful shutdown.
//!
//! `axum::serve` has none of these: a client that trickles header bytes, or parks thousands
//! of idle connections, would hold a task and a socket each for as long as it liked. Here a
//! connection over the cap gets a `503` with a JSON error body and is closed at once, and
//! every open connection either makes progress or is closed within
//! [`ServerConfig::header_read_timeout`](crate::server::ServerConfig::header_read_timeout)
//! (headers) or `body_read_timeout` (bodies, enforced by the handlers).

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use axum::Router;
use onbehalf_core::json::error_object;

use crate::metrics::Metrics;

/// What the accept loop enforces.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Deadline for a request's headers (also closes idle keep-alive connections).
    pub header_read_timeout: Duration,
}

/// Largest read buffer per connection: bounds what request headers can cost (hyper answers
/// `431` beyond it). Bodies stream through it and are bounded by the body limit instead.
const MAX_HEADER_BUFFER: usize = 64 * 1024;

/// How long shutdown waits for in-flight requests before dropping their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a refused connection is kept to deliver its `503` before it is closed.
const REFUSAL_LINGER: Duration = Duration::from_millis(250);

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (at most 5 s) and returns.
///
/// # Errors
/// Never today: accept errors (such as running out of file descriptors) are counted and
/// retried after a short pause rather than ending the server. The `Result` leaves room for
/// set-up errors.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEADER_BUFFER);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(_) => {
                    // EMFILE and friends: pause instead of spinning on the error.
                    metrics.connections.accept_error();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics.connections.refused();
            tokio::spawn(refuse(stream));
            continue;
        };
        // Best effort: a socket option failing does not make the connection unusable.
        let _ = stream.set_nodelay(true);
        let connection = graceful.watch(
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone())),
        );
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let open = metrics.connections.opened();
            if let Err(e) = connection.await {
                if e.is_timeout() {
                    metrics.connections.header_timeout();
                }
            }
            drop(open);
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {}
    }
    Ok(())
}

/// Answers a connection over the cap with `503` and closes it. The request is not read:
/// the server is protecting itself from exactly the work reading it would be.
async fn refuse(mut stream: TcpStream) {
    let body = error_object(
        "too-many-connections",
        "the server has as many open connections as it accepts; retry later".into(),
    )
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let linger = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        // Drain what the client already sent, so closing does not reset the connection
        // before it has read the 503.
        let mut sink = [0_u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_LINGER, linger).await;
}
