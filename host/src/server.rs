//! `onbehalf serve`: the policy host over HTTP.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/decide` | one request → one decision (400 + error JSON if invalid); an array → an array (per-item errors, 200) |
//! | `POST /v1/explain` | one request → the policy's decision and the reference engine's step trace |
//! | `GET /healthz` | liveness and the loaded policy |
//! | `GET /metrics` | Prometheus text |
//! | `POST /v1/policy` | hot-reload a module (off unless an admin token is configured) |
//! | `GET /…` | the web explainer's static files, when a web directory is given |
//!
//! HTTP-layer errors use their own codes (`payload-too-large`, `unsupported-media-type`,
//! `unauthorized`, `admin-disabled`, `policy-rejected`, `not-found`, `method-not-allowed`,
//! `request-timeout`, `too-many-connections`);
//! request errors use the spec's codes. User input never causes a 500.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use onbehalf_core::json::{error_to_value, explain_owned, request_from_value, OwnedRequest, Value};
use onbehalf_core::{ErrorCode, FieldPath, PackedRequest, RequestError};

use crate::metrics::Metrics;
use crate::policy::{fail_closed_for, PolicyHost, Verdict, WorkerPool, ABI_VERSION};

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
        }
    }
}

/// The shared state of all handlers.
pub struct AppState {
    pool: WorkerPool,
    metrics: Metrics,
    config: ServerConfig,
}

impl AppState {
    /// State over a policy host.
    #[must_use]
    pub fn new(host: PolicyHost, config: ServerConfig) -> Arc<AppState> {
        Arc::new(AppState {
            pool: WorkerPool::new(host),
            metrics: Metrics::default(),
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
        .route("/v1/decide", post(decide))
        .route("/v1/explain", post(explain))
        .route("/v1/policy", post(reload_policy))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(static_file)
        .with_state(state)
}

pub use crate::connections::serve;

fn json(state: &AppState, status: StatusCode, body: &Value) -> Response {
    state.metrics.count_status(status.as_u16());
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn http_error(state: &AppState, status: StatusCode, code: &str, message: &str) -> Response {
    let body = Value::Object(vec![(
        "error".into(),
        Value::Object(vec![
            ("code".into(), Value::String(code.into())),
            ("message".into(), Value::String(message.into())),
        ]),
    )]);
    json(state, status, &body)
}

fn request_error(state: &AppState, e: &RequestError) -> Response {
    json(state, StatusCode::BAD_REQUEST, &error_to_value(e))
}

/// Checks the content type (absent is accepted) and reads the body within `limit`.
async fn read_body(
    state: &AppState,
    request: Request,
    limit: usize,
    accept: &[&str],
) -> Result<Vec<u8>, Response> {
    if let Some(ct) = request.headers().get(header::CONTENT_TYPE) {
        let mime = ct
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !accept.contains(&mime.as_str()) {
            let message = format!(
                "content-type {mime:?} is not accepted; send {}",
                accept.join(" or ")
            );
            return Err(http_error(
                state,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                &message,
            ));
        }
    }
    let deadline = state.config.body_read_timeout;
    match tokio::time::timeout(deadline, to_bytes(request.into_body(), limit)).await {
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Err(_) => {
            let message = format!("the body did not arrive within {} ms", deadline.as_millis());
            let mut response = http_error(
                state,
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                &message,
            );
            // The rest of the body is still on its way: the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(response)
        }
        Ok(Err(_)) => {
            let message = format!("the body exceeds {limit} bytes (or was cut off)");
            Err(http_error(
                state,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                &message,
            ))
        }
    }
}

async fn read_json(state: &AppState, request: Request) -> Result<Value, Response> {
    let body = read_body(
        state,
        request,
        state.config.body_limit,
        &["application/json"],
    )
    .await?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        request_error(
            state,
            &RequestError::new(ErrorCode::InvalidJson, FieldPath::Request, "UTF-8 text")
                .found(format_args!("invalid UTF-8 at byte {}", e.valid_up_to())),
        )
    })?;
    Value::parse(text).map_err(|e| request_error(state, &e))
}

fn fault_header(response: &mut Response, fault: Option<crate::policy::Fault>) {
    if let Some(f) = fault {
        response
            .headers_mut()
            .insert("x-onbehalf-fault", HeaderValue::from_static(f.name()));
    }
}

async fn decide(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let value = match read_json(&state, request).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let response = match &value {
        Value::Array(items) if items.len() > state.config.max_batch => request_error(
            &state,
            &RequestError::new(
                ErrorCode::InvalidRequest,
                FieldPath::Request,
                "an array of at most 10000 requests",
            )
            .found(format_args!("{} requests", items.len())),
        ),
        Value::Array(items) => {
            let answers = decide_batch(&state, items);
            json(&state, StatusCode::OK, &Value::Array(answers))
        }
        single => match request_from_value(single) {
            Err(e) => request_error(&state, &e),
            Ok(req) => {
                let (answer, fault) = state.pool.with(|w| match w.decide_request(&req) {
                    Ok(v) => (v, None),
                    Err((v, f)) => (v, Some(f)),
                });
                let mut response = json(&state, StatusCode::OK, &answer);
                fault_header(&mut response, fault);
                response
            }
        },
    };
    state.metrics.observe(started.elapsed());
    response
}

/// An array: hop-free requests go to the module in one `decide_batch` call; requests with
/// hops one by one; invalid ones get their error object in place.
fn decide_batch(state: &AppState, items: &[Value]) -> Vec<Value> {
    let parsed: Vec<Result<OwnedRequest, RequestError>> =
        items.iter().map(request_from_value).collect();
    let packed: Vec<PackedRequest> = parsed
        .iter()
        .filter_map(|r| r.as_ref().ok().filter(|r| r.hops.is_empty()))
        .map(|r| r.with_request(|r| PackedRequest::pack(&r.context())))
        .collect();
    state.pool.with(|worker| {
        let mut fast = worker.decide_batch(&packed).into_iter();
        parsed
            .iter()
            .map(|r| match r {
                Err(e) => error_to_value(e),
                Ok(req) if req.hops.is_empty() => match fast.next() {
                    Some(Verdict::Decided(d)) => {
                        onbehalf_core::json::decision_to_value(&d.unpack())
                    }
                    _ => fail_closed_for(req),
                },
                Ok(req) => worker.decide_request(req).unwrap_or_else(|(v, _)| v),
            })
            .collect()
    })
}

async fn explain(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let value = match read_json(&state, request).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let req = match request_from_value(&value) {
        Ok(r) => r,
        Err(e) => return request_error(&state, &e),
    };
    let reference = match explain_owned(&req) {
        Ok(v) => v,
        Err(e) => return request_error(&state, &e),
    };
    let (decision, fault) = state.pool.with(|w| match w.decide_request(&req) {
        Ok(v) => (v, None),
        Err((v, f)) => (v, Some(f)),
    });
    let agrees = reference.get("decision") == Some(&decision);
    let body = Value::Object(vec![
        ("policy".into(), policy_value(state.host())),
        ("decision".into(), decision),
        ("agrees_with_reference".into(), Value::Bool(agrees)),
        ("reference".into(), reference),
    ]);
    let mut response = json(&state, StatusCode::OK, &body);
    fault_header(&mut response, fault);
    state.metrics.observe(started.elapsed());
    response
}

fn policy_value(host: &PolicyHost) -> Value {
    let info = host.info();
    Value::Object(vec![
        ("source".into(), Value::String(info.source)),
        ("size".into(), Value::Number(info.size.to_string())),
        (
            "generation".into(),
            Value::Number(info.generation.to_string()),
        ),
        ("abi_version".into(), Value::Number(ABI_VERSION.to_string())),
    ])
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let body = Value::Object(vec![
        ("status".into(), Value::String("ok".into())),
        ("policy".into(), policy_value(state.host())),
    ]);
    json(&state, StatusCode::OK, &body)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    state.metrics.count_status(200);
    let mut response = state.metrics.render(state.host()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Compares in time independent of where the inputs differ (the length of the expected
/// token is not secret-dependent on the guess).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    value.strip_prefix(b"Bearer ")
}

async fn reload_policy(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let Some(token) = state.config.admin_token.as_deref() else {
        return http_error(&state, StatusCode::FORBIDDEN, "admin-disabled", "policy upload is disabled: start the server with an admin token (--admin-token-file or ONBEHALF_ADMIN_TOKEN)");
    };
    let authorized =
        bearer(request.headers()).is_some_and(|given| constant_time_eq(token.as_bytes(), given));
    if !authorized {
        return http_error(
            &state,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the admin token as `Authorization: Bearer <token>`",
        );
    }
    let limit = state.host().limits().max_module_bytes;
    let bytes = match read_body(
        &state,
        request,
        limit,
        &["application/wasm", "application/octet-stream"],
    )
    .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    // Compiling a module takes milliseconds to seconds: keep it off the async worker threads.
    let host = state.host().clone();
    let reloaded = tokio::task::spawn_blocking(move || host.reload(&bytes, "uploaded")).await;
    let Ok(reloaded) = reloaded else {
        return http_error(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the reload task failed; the current policy stays loaded",
        );
    };
    match reloaded {
        Ok(_) => {
            let body = Value::Object(vec![("policy".into(), policy_value(state.host()))]);
            json(&state, StatusCode::OK, &body)
        }
        Err(e) => http_error(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "policy-rejected",
            &e.to_string(),
        ),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("webmanifest") => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

async fn static_file(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: axum::http::Uri,
) -> Response {
    let not_found = |state: &AppState| {
        http_error(
            state,
            StatusCode::NOT_FOUND,
            "not-found",
            "no such route or file",
        )
    };
    if method != Method::GET && method != Method::HEAD {
        return http_error(
            &state,
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "use GET for files, POST for /v1/*",
        );
    }
    let Some(root) = state.config.web_dir.as_ref() else {
        return not_found(&state);
    };
    let relative = uri.path().trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let path = Path::new(relative);
    // Only plain names: no `..`, no absolute paths, no prefixes.
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return not_found(&state);
    }
    let full = root.join(path);
    match tokio::fs::read(&full).await {
        Ok(bytes) => {
            state.metrics.count_status(200);
            let mut response = Body::from(bytes).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&full)),
            );
            response
        }
        Err(_) => not_found(&state),
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token", b"secret-tokeN"));
        assert!(!constant_time_eq(b"secret-token", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secret-token"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
