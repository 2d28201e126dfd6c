//! `GET /healthz`, `GET /metrics` and the token-guarded `POST /v1/policy` hot reload.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use onbehalf_core::json::Value;
use onbehalf_core::HttpError;

use super::audit::{self, Detail, Event, Module};
use super::body::read_body;
use super::decide::client_of;
use super::{http_error, json, AppState};
use crate::policy::PolicyHost;

pub(super) fn policy_value(host: &PolicyHost) -> Value {
    let info = host.info();
    Value::Object(vec![
        ("source".into(), Value::String(info.source)),
        ("size".into(), Value::Number(info.size.to_string())),
        (
            "generation".into(),
            Value::Number(info.generation.to_string()),
        ),
        (
            "abi_version".into(),
            Value::Number(info.abi_version.to_string()),
        ),
        (
            "own_reasons".into(),
            Value::Array(
                info.reasons
                    .into_iter()
                    .map(|r| {
                        Value::Object(vec![
                            ("code".into(), Value::String(r.code)),
                            ("rule".into(), Value::String(r.rule)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

pub(super) async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let body = Value::Object(vec![
        ("status".into(), Value::String("ok".into())),
        ("policy".into(), policy_value(state.host())),
    ]);
    json(StatusCode::OK, &body)
}

pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
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

/// The token of an `Authorization: Bearer <token>` header (the scheme's name is
/// case-insensitive, RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(token)
}

pub(super) async fn reload_policy(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Response {
    let Some(token) = state.config.admin_token.as_deref() else {
        return http_error(HttpError::AdminDisabled, "policy upload is disabled: start the server with an admin token (--admin-token-file or ONBEHALF_ADMIN_TOKEN)");
    };
    let client = client_of(&request);
    let authorized =
        bearer(request.headers()).is_some_and(|given| constant_time_eq(token.as_bytes(), given));
    if !authorized {
        audit::record(Event::AdminAuthFailed, client, &Detail::default());
        return http_error(
            HttpError::Unauthorized,
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
    let module = Module::of(&bytes);
    let reloaded = tokio::task::spawn_blocking(move || host.reload(&bytes, "uploaded")).await;
    let Ok(reloaded) = reloaded else {
        let detail = Detail {
            module: Some(&module),
            reason: Some("internal"),
            ..Detail::default()
        };
        audit::record(Event::PolicyRefused, client, &detail);
        return http_error(
            HttpError::Internal,
            "the reload task failed; the current policy stays loaded",
        );
    };
    match reloaded {
        Ok(info) => {
            let detail = Detail {
                module: Some(&module),
                generation: Some(info.generation),
                ..Detail::default()
            };
            audit::record(Event::PolicyAccepted, client, &detail);
            let body = Value::Object(vec![("policy".into(), policy_value(state.host()))]);
            json(StatusCode::OK, &body)
        }
        Err(e) => {
            let detail = Detail {
                module: Some(&module),
                reason: Some(e.name()),
                ..Detail::default()
            };
            audit::record(Event::PolicyRefused, client, &detail);
            http_error(HttpError::PolicyRejected, &format!("{}: {e}", e.name()))
        }
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
