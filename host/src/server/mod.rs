//! `onbehalf serve`: the policy host over HTTP.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/decide` | one request → one decision (400 + error JSON if invalid); an array → an array (per-item errors, 200) |
//! | `POST /v1/explain` | one request → the policy's decision and the reference engine's step trace |
//! | `POST /v1/check` | one request naming accounts → filled from the directory (`--facts`/`--bloodhound`, or `--ldap` with facts younger than `--directory-ttl`, else 503 `directory-unavailable`), decided by the policy, with the filled `request` and its `facts` (404 without a directory) |
//! | `GET /healthz` | liveness and the loaded policy |
//! | `GET /metrics` | Prometheus text |
//! | `POST /v1/policy` | hot-reload a module (off unless an admin token is configured) |
//! | `GET /…` | the web explainer's static files, when a web directory is given |
//!
//! HTTP-layer errors use the codes of [`HttpError`] (every 4xx/5xx carries the JSON error
//! object, hyper's and axum's own included: `track.rs` fills bare ones); request errors use
//! the spec's codes. User input never causes a 500.
//!
//! Work: small bodies are decided on the async thread that read them; larger ones and
//! `/v1/explain` on the decision [`lane`], fairly between client addresses.

mod admin;
mod answer;
pub mod audit;
mod body;
mod check;
mod decide;

pub use answer::{answer, Answer};
mod files;
pub mod lane;
mod live;
mod track;

pub use live::LiveDirectory;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use onbehalf_core::json::{error_object, error_to_value, Value};
use onbehalf_core::{HttpError, RequestError};

use crate::connections::Routers;
use crate::metrics::{Metrics, Scraped};
use crate::policy::{PolicyHost, WorkerPool};
use lane::{Lane, LaneLimits};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body on the decision routes, in bytes.
    pub body_limit: usize,
    /// Largest array accepted by `/v1/decide`.
    pub max_batch: usize,
    /// Admin token for `POST /v1/policy`; `None` disables the route.
    pub admin_token: Option<String>,
    /// Directory of the web explainer's static files.
    pub web_dir: Option<PathBuf>,
    /// Most connections open at once; one more is served the operator's routes from a small
    /// reserve, or answered `503 too-many-connections` and closed.
    pub max_connections: usize,
    /// Most connections open at once from one client address (the same rules beyond it).
    pub max_connections_per_client: usize,
    /// Deadline for an answer's bytes to leave once writing them stalls (a client that does
    /// not read loses its connection).
    pub write_timeout: Duration,
    /// Threads and queue bounds of the decision lane.
    pub lane: LaneLimits,
    /// Deadline for a request's headers, counted from when the connection starts waiting
    /// for them, so it also closes idle keep-alive connections.
    pub header_read_timeout: Duration,
    /// Deadline for a request's body once its headers are in (`408 request-timeout`).
    pub body_read_timeout: Duration,
    /// The directory `POST /v1/check` fills named requests from; `None` disables the route
    /// (unless `live_directory` is set).
    pub directory: Option<Arc<onbehalf_directory::Directory>>,
    /// The live directory (`serve --ldap`), used when `directory` is `None`: facts younger
    /// than its TTL, else `503 directory-unavailable`.
    pub live_directory: Option<Arc<LiveDirectory>>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            body_limit: 1 << 20,
            max_batch: 10_000,
            admin_token: None,
            web_dir: None,
            max_connections: 1024,
            max_connections_per_client: 64,
            write_timeout: Duration::from_secs(10),
            lane: LaneLimits::default(),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            directory: None,
            live_directory: None,
        }
    }
}

/// The shared state of all handlers.
pub struct AppState {
    pool: Arc<WorkerPool>,
    lane: Arc<Lane>,
    metrics: Arc<Metrics>,
    config: ServerConfig,
}

impl AppState {
    /// State over a policy host.
    #[must_use]
    pub fn new(host: PolicyHost, config: ServerConfig) -> Arc<AppState> {
        let lane = Arc::new(Lane::new(config.lane));
        let scraped = Scraped {
            host: host.clone(),
            lane: Arc::clone(&lane),
        };
        Arc::new(AppState {
            pool: Arc::new(WorkerPool::new(host)),
            lane,
            metrics: Arc::new(Metrics::new(scraped)),
            config,
        })
    }

    /// The policy host.
    #[must_use]
    pub fn host(&self) -> &PolicyHost {
        self.pool.host()
    }

    /// The settings the server was started with.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The HTTP-layer counters.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The decision lane.
    #[must_use]
    pub fn lane(&self) -> &Lane {
        &self.lane
    }
}

/// The routes, each with its path (also the `route` label of `/metrics`).
pub const DECIDE: &str = "/v1/decide";
/// `POST /v1/explain`.
pub const EXPLAIN: &str = "/v1/explain";
/// `POST /v1/check`.
pub const CHECK: &str = "/v1/check";
/// `POST /v1/policy`.
pub const POLICY: &str = "/v1/policy";
/// `GET /healthz`.
pub const HEALTHZ: &str = "/healthz";
/// `GET /metrics`.
pub const METRICS: &str = "/metrics";
/// Every route's path; other paths are the web explainer's files (`files` on `/metrics`).
pub const ROUTES: [&str; 6] = [DECIDE, EXPLAIN, CHECK, POLICY, HEALTHZ, METRICS];

/// The router with every route.
pub fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route(DECIDE, post(decide::decide))
        .route(EXPLAIN, post(decide::explain))
        .route(CHECK, post(check::check))
        .route(POLICY, post(admin::reload_policy))
        .route(HEALTHZ, get(admin::healthz))
        .route(METRICS, get(admin::metrics))
        .fallback(files::static_file)
        .with_state(Arc::clone(&state));
    tracked(routes, state)
}

/// `routes` behind the [`track`] middleware. It wraps the router as a whole, not each
/// route (`Router::layer`), so that it sees the answers the router adds itself, such as a
/// `405` with its `allow` header.
fn tracked(routes: Router, state: Arc<AppState>) -> Router {
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn_with_state(state, track::track))
}

/// What a connection over the connection caps is served: the operator's routes, and
/// `503 too-many-connections` for everything else.
pub fn operator_router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route(HEALTHZ, get(admin::healthz))
        .route(METRICS, get(admin::metrics))
        .fallback(|| async {
            http_error(
                HttpError::TooManyConnections,
                "the server has as many open connections as it accepts (in all or from this address); only /healthz and /metrics are served on this one; retry later",
            )
        })
        .with_state(Arc::clone(&state));
    tracked(routes, state)
}

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (at most 5 s) and returns. See `connections.rs` for the accept loop's limits.
///
/// # Errors
/// Never today: accept errors (such as running out of file descriptors) are counted and
/// retried after a short pause rather than ending the server.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let routers = Routers {
        app: router(Arc::clone(&state)),
        operator: operator_router(Arc::clone(&state)),
    };
    let limits = crate::connections::ConnectionLimits {
        max_connections: state.config.max_connections,
        max_connections_per_client: state.config.max_connections_per_client,
        header_read_timeout: state.config.header_read_timeout,
        write_timeout: state.config.write_timeout,
    };
    let metrics = Arc::clone(&state.metrics);
    crate::connections::serve(listener, routers, limits, metrics, shutdown).await
}

/// A JSON answer already written as text (counted by [`track`], like every response).
fn json_text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A JSON answer (counted by [`track`], like every response).
fn json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_json()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn http_error(error: HttpError, message: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(status, &error_object(error.name(), message.into()))
}

fn request_error(e: &RequestError) -> Response {
    json(StatusCode::BAD_REQUEST, &error_to_value(e))
}
