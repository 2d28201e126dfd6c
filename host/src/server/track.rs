//! Every response of the routers passes here once: a bare error status (axum's own `405`,
//! say) gets the JSON error object every 4xx/5xx promises, and the response is counted by
//! route and status, its latency observed.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use onbehalf_core::json::error_object;
use onbehalf_core::HttpError;

use super::{AppState, ROUTES};
use crate::connections::MAX_HEADER_BUFFER;

/// The middleware: see the module documentation.
pub(super) async fn track(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = ROUTES.iter().position(|r| *r == request.uri().path());
    let response = if header_block(&request) > MAX_HEADER_BUFFER {
        // hyper refuses a header block over its buffer only when it does not arrive whole in
        // one read; the documented limit is enforced here whatever the reads were.
        let message = format!("the request's header block exceeds {MAX_HEADER_BUFFER} bytes");
        super::http_error(HttpError::HeadersTooLarge, &message)
    } else {
        with_error_body(next.run(request).await)
    };
    state
        .metrics
        .count_response(route, response.status().as_u16(), started.elapsed());
    response
}

/// The size of `request`'s header block as sent: request line, then `name: value` lines.
fn header_block(request: &Request) -> usize {
    let line = request.method().as_str().len()
        + request
            .uri()
            .path_and_query()
            .map_or(1, |p| p.as_str().len())
        + 12;
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    line + headers + 2
}

/// `response`, or, when it is an error status without a body of ours (no content type),
/// the same status with the JSON error object for it.
fn with_error_body(response: Response) -> Response {
    let status = response.status();
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if !bare || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let code = HttpError::for_status(status.as_u16()).unwrap_or(HttpError::Internal);
    let (mut parts, _) = response.into_parts();
    let message = match (code, parts.headers.get(header::ALLOW)) {
        (HttpError::MethodNotAllowed, Some(allow)) => format!(
            "this route does not accept that method; it allows {}",
            allow.to_str().unwrap_or("")
        ),
        _ => code.describe().to_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = error_object(code.name(), message).to_json();
    Response::from_parts(parts, Body::from(body))
}
