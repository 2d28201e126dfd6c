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
//! HTTP-layer errors use their own codes (`payload-too-large`, `unsupported-media-type`,
//! `unauthorized`, `admin-disabled`, `policy-rejected`, `not-found`, `method-not-allowed`,
//! `request-timeout`, `too-many-connections`);
//! request errors use the spec's codes. User input never causes a 500.

mod admin;
mod body;
mod check;
mod decide;

pub use decide::{answer, Answer};
mod files;
mod live;

pub use live::LiveDirectory;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use onbehalf_core::json::{error_object, error_to_value, Value};
use onbehalf_core::RequestError;

use crate::metrics::Metrics;
use crate::policy::{PolicyHost, WorkerPool};

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
    /// Most connections open at once; one more is answered `503 too-many-connections` and
    /// closed.
    pub max_connections: usize,
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
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            directory: None,
            live_directory: None,
        }
    }
}

/// The shared state of all handlers.
pub struct AppState {
    pool: WorkerPool,
    metrics: Arc<Metrics>,
    config: ServerConfig,
}

impl AppState {
    /// State over a policy host.
    #[must_use]
    pub fn new(host: PolicyHost, config: ServerConfig) -> Arc<AppState> {
        Arc::new(AppState {
            pool: WorkerPool::new(host),
            metrics: Arc::new(Metrics::default()),
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
}

/// The router with every route.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/decide", post(decide::decide))
        .route("/v1/explain", post(decide::explain))
        .route("/v1/check", post(check::check))
        .route("/v1/policy", post(admin::reload_policy))
        .route("/healthz", get(admin::healthz))
        .route("/metrics", get(admin::metrics))
        .fallback(files::static_file)
        .with_state(state)
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
    let app = router(Arc::clone(&state));
    let limits = crate::connections::ConnectionLimits {
        max_connections: state.config.max_connections,
        header_read_timeout: state.config.header_read_timeout,
    };
    let metrics = Arc::clone(&state.metrics);
    crate::connections::serve(listener, app, limits, metrics, shutdown).await
}

fn json(state: &AppState, status: StatusCode, body: &Value) -> Response {
    state.metrics.count_status(status.as_u16());
    let mut response = (status, body.to_json()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn http_error(state: &AppState, status: StatusCode, code: &str, message: &str) -> Response {
    json(state, status, &error_object(code, message.into()))
}

fn request_error(state: &AppState, e: &RequestError) -> Response {
    json(state, StatusCode::BAD_REQUEST, &error_to_value(e))
}
