//! `POST /v1/check` (with `onbehalf serve --facts FILE`, `--bloodhound PATH` or `--ldap URL`):
//! a request that names accounts, filled from the directory (the directory crate's contract,
//! as `onbehalf check`), then decided by the policy module like `/v1/decide`. With `--ldap`,
//! facts older than `--directory-ttl` are never used: the answer is then
//! `503 directory-unavailable`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use onbehalf_core::json::{fail_closed_for, Value};
use onbehalf_directory::check::fill;

use onbehalf_core::HttpError;

use super::body::parse_json;
use super::decide::on_body;
use super::lane::INLINE_BODY;
use super::{http_error, json, request_error, AppState};

pub(super) async fn check(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if state.config.directory.is_none() && state.config.live_directory.is_none() {
        return http_error(
            HttpError::NotFound,
            "no directory is loaded: start the server with --facts FILE, --bloodhound PATH or --ldap URL",
        );
    }
    on_body(state, request, INLINE_BODY, check_body).await
}

/// `POST /v1/check` on a read body.
fn check_body(state: &AppState, body: &[u8]) -> Response {
    let value = match parse_json(body) {
        Ok(v) => v,
        Err(e) => return request_error(&e),
    };
    // Asked after the body is in, so the facts are as fresh as possible when deciding.
    let directory = match (&state.config.directory, &state.config.live_directory) {
        (Some(directory), _) => Arc::clone(directory),
        (None, Some(live)) => match live.fresh() {
            Ok(directory) => directory,
            Err(e) => return json(StatusCode::SERVICE_UNAVAILABLE, &e.to_value()),
        },
        (None, None) => return http_error(HttpError::NotFound, "no directory"),
    };
    let filled = match fill(&directory, &value) {
        Ok(f) => f,
        Err(e) => return json(StatusCode::BAD_REQUEST, &e.to_value()),
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
    json(StatusCode::OK, &Value::Object(fields))
}
