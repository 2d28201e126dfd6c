//! The web explainer's static files (`--web DIR`), plain names only.

use std::path::{Component, Path};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use onbehalf_core::HttpError;

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
    let not_found = || http_error(HttpError::NotFound, "no such route or file");
    if method != Method::GET && method != Method::HEAD {
        let mut response = http_error(
            HttpError::MethodNotAllowed,
            "files allow GET, HEAD; the /v1/ routes POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let Some(root) = state.config.web_dir.as_ref() else {
        return not_found();
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
        return not_found();
    }
    // Symbolic links inside the directory may point anywhere: what is served is decided by
    // where the file really is, not by how it was named.
    let full = match (
        tokio::fs::canonicalize(root).await,
        tokio::fs::canonicalize(root.join(path)).await,
    ) {
        (Ok(root), Ok(full)) if full.starts_with(&root) => full,
        _ => return not_found(),
    };
    match tokio::fs::read(&full).await {
        Ok(bytes) => {
            let mut response = Body::from(bytes).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&full)),
            );
            response
        }
        Err(_) => not_found(),
    }
}
