//! The web explainer's static files (`--web DIR`), plain names only.

use std::path::{Component, Path};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{http_error, AppState};

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

pub(super) async fn static_file(
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
