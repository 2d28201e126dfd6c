//! `POST /v1/check` (with `onbehalf serve --facts FILE` or `--bloodhound PATH`): a request
//! that names accounts, filled from the directory (the directory crate's contract, as
//! `onbehalf check`), then decided by the policy module like `/v1/decide`.

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
    let Some(directory) = state.config.directory.clone() else {
        return http_error(
            &state,
            StatusCode::NOT_FOUND,
            "not-found",
            "no directory is loaded: start the server with --facts FILE or --bloodhound PATH",
        );
    };
    let value = match read_json(&state, request).await {
        Ok(v) => v,
        Err(r) => return r,
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
