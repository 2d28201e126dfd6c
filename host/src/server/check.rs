//! `POST /v1/check` (with `onbehalf serve --facts FILE`, `--bloodhound PATH` or `--ldap URL`):
//! a request that names accounts, filled from the directory (the directory crate's contract,
//! as `onbehalf check`), then decided by the policy module like `/v1/decide`. With `--ldap`,
//! facts older than `--directory-ttl` are never used: the answer is then
//! `503 directory-unavailable`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use onbehalf_core::json::{fail_closed_for, Value};
use onbehalf_directory::check::fill;

use super::body::read_json;
use super::{http_error, json, AppState};

pub(super) async fn check(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    if state.config.directory.is_none() && state.config.live_directory.is_none() {
        return http_error(
            &state,
            StatusCode::NOT_FOUND,
            "not-found",
            "no directory is loaded: start the server with --facts FILE, --bloodhound PATH or --ldap URL",
        );
    }
    let value = match read_json(&state, request).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Asked after the body is in, so the facts are as fresh as possible when deciding.
    let directory = match (&state.config.directory, &state.config.live_directory) {
        (Some(directory), _) => Arc::clone(directory),
        (None, Some(live)) => match live.fresh() {
            Ok(directory) => directory,
            Err(e) => return json(&state, StatusCode::SERVICE_UNAVAILABLE, &e.to_value()),
        },
        (None, None) => {
            return http_error(&state, StatusCode::NOT_FOUND, "not-found", "no directory")
        }
    };
    let filled = match fill(&directory, &value) {
        Ok(f) => f,
        Err(e) => return json(&state, StatusCode::BAD_REQUEST, &e.to_value()),
    };
    let decision = state
        .pool
        .with(|worker| match worker.decide(&filled.request) {
            Ok(answer) => answer.to_value(),
            Err(fault) => fail_closed_for(fault.reason(), &filled.request),
        });
    let mut fields = match decision {
        Value::Object(fields) => fields,
        other => vec![("decision".into(), other)],
    };
    fields.extend(filled.request_and_facts());
    let response = json(&state, StatusCode::OK, &Value::Object(fields));
    state.metrics.observe(started.elapsed());
    response
}
