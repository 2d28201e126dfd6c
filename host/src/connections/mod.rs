//! The accept loop of `onbehalf serve`: HTTP/1.1 connections with caps on how many are open
//! at once (in all and per client address), a deadline for request headers (which also
//! closes idle keep-alive connections), a deadline for writes that make no progress, a
//! bounded header buffer, room kept for the operator's routes, and graceful shutdown.
//!
//! `axum::serve` has none of these: a client that trickles header bytes, never reads its
//! answers, or parks thousands of idle connections would hold a task, a socket and a buffer
//! each for as long as it liked. Here:
//!
//! - a connection over either cap is served by the *operator router* (`/healthz` and
//!   `/metrics` only, one request, then closed) while one of [`OPERATOR_RESERVE`] extra slots
//!   is free, so an operator can always see the server; beyond that it gets a `503` with a
//!   JSON error body and is closed at once;
//! - every open connection either makes progress or is closed within
//!   [`ServerConfig::header_read_timeout`](crate::server::ServerConfig::header_read_timeout)
//!   (headers), `body_read_timeout` (bodies, enforced by the handlers) or `write_timeout`
//!   (answers the client does not read; `io.rs`).
//!
//! invariant: what one connection holds is bounded: its header buffer by
//! [`MAX_HEADER_BUFFER`], its body by the body limit, its answer by the largest answer, and
//! the time it holds them by the deadlines above.

mod bare;
mod clients;
mod io;

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use onbehalf_core::json::error_object;

use crate::metrics::Metrics;
use clients::PerClient;
use io::{ConnectionIo, Flags};

/// The client's address, in every request's extensions (the decision lane queues by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// What the accept loop enforces.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections open at once (the operator reserve comes on top).
    pub max_connections: usize,
    /// Most connections open at once from one client address.
    pub max_connections_per_client: usize,
    /// Deadline for a request's headers (also closes idle keep-alive connections).
    pub header_read_timeout: Duration,
    /// Deadline for an answer's bytes to leave once writing them stalls.
    pub write_timeout: Duration,
}

/// Largest read buffer per connection: bounds what request headers can cost (hyper answers
/// `431` beyond it). Bodies stream through it and are bounded by the body limit instead.
pub const MAX_HEADER_BUFFER: usize = 64 * 1024;

/// Connections over the caps that are still served the operator's routes.
pub const OPERATOR_RESERVE: usize = 8;

/// How long shutdown waits for in-flight requests before dropping their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a refused connection is kept to deliver its `503` before it is closed.
const REFUSAL_LINGER: Duration = Duration::from_millis(250);

/// The routers the accept loop serves.
#[derive(Clone)]
pub struct Routers {
    /// Every route.
    pub app: Router,
    /// What a connection over the caps is served: the operator's routes, `503` for the rest.
    pub operator: Router,
}

/// Serves `routers` on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests finish (at most [`SHUTDOWN_GRACE`]) and returns.
///
/// # Errors
/// Never today: accept errors (such as running out of file descriptors) are counted and
/// retried after a short pause rather than ending the server. The `Result` leaves room for
/// set-up errors.
pub async fn serve(
    listener: TcpListener,
    routers: Routers,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let reserve = Arc::new(Semaphore::new(OPERATOR_RESERVE));
    let per_client = Arc::new(PerClient::default());
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEADER_BUFFER)
        // A client may shut down its sending side once its request is out: it still gets
        // its answer (by default hyper closes on reading end-of-file).
        .half_close(true);
    let mut operator_http = http.clone();
    operator_http.keep_alive(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => {
                    // EMFILE and friends: pause instead of spinning on the error.
                    metrics.connections.accept_error();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let client = ClientAddr(peer.ip());
        let mine = per_client.take(client.0, limits.max_connections_per_client);
        let slot = match mine {
            Some(mine) => slots.clone().try_acquire_owned().ok().map(|s| (s, mine)),
            None => None,
        };
        // What the connection holds until it closes: a place under the caps and in its
        // client's count, or a place in the operator reserve.
        let (builder, router, slot) = match slot {
            Some((permit, mine)) => (&http, &routers.app, (permit, Some(mine))),
            None => {
                metrics.connections.refused();
                let Ok(reserved) = reserve.clone().try_acquire_owned() else {
                    tokio::spawn(refuse(stream));
                    continue;
                };
                metrics.connections.operator_only();
                (&operator_http, &routers.operator, (reserved, None))
            }
        };
        // Best effort: a socket option failing does not make the connection unusable.
        let _ = stream.set_nodelay(true);
        let flags = Arc::new(Flags::default());
        let io = ConnectionIo::new(
            TokioIo::new(stream),
            limits.write_timeout,
            Arc::clone(&flags),
        );
        let connection =
            graceful.watch(builder.serve_connection(io, service(router.clone(), client)));
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let open = metrics.connections.opened();
            if let Err(e) = connection.await {
                if e.is_timeout() {
                    metrics.connections.header_timeout();
                }
            }
            if flags.expired.load(Ordering::Relaxed) {
                metrics.connections.write_timeout();
            }
            match flags.unparsed.load(Ordering::Relaxed) {
                0 => {}
                status => metrics.count_unparsed(status),
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

/// `router` as a hyper service that tells every request its client's address.
fn service(
    router: Router,
    client: ClientAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> {
    hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(client);
        let mut router = router.clone();
        // A `Router` is always ready: no `poll_ready` before `call`.
        tower_service::Service::call(&mut router, request)
    })
}

/// Answers a connection over the caps (and the operator reserve) with `503` and closes it.
/// The request is not read: the server is protecting itself from exactly the work reading it
/// would be.
async fn refuse(mut stream: TcpStream) {
    let body = error_object(
        "too-many-connections",
        "the server has as many open connections as it accepts (in all or from this address); retry later".into(),
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
