//! `POST /v1/decide` and `POST /v1/explain`: validated natively (the spec's errors never
//! depend on the policy), decided by the policy module.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use onbehalf_core::json::{
    error_to_value, explain_owned, fail_closed_for, request_from_value, OwnedRequest, Value,
};
use onbehalf_core::RequestError;

use super::body::read_json;
use super::{admin, http_error, json, request_error, AppState};
use crate::policy::Fault;

pub(super) async fn decide(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let value = match read_json(&state, request).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let response = match &value {
        Value::Array(items) if items.len() > state.config.max_batch => {
            let expected = format!("an array of at most {} requests", state.config.max_batch);
            let message = format!(
                "request: too many requests in one array (found {} requests); expected {expected}",
                items.len()
            );
            http_error(&state, StatusCode::BAD_REQUEST, "invalid-request", &message)
        }
        Value::Array(items) => {
            let parsed: Vec<Result<OwnedRequest, RequestError>> =
                items.iter().map(request_from_value).collect();
            let valid: Vec<&OwnedRequest> = parsed.iter().filter_map(|r| r.as_ref().ok()).collect();
            let (answers, generation) = decide_all(&state, &valid);
            let mut answers = answers.into_iter();
            let mut faulted = None;
            let values = parsed
                .iter()
                .map(|r| match r {
                    Err(e) => error_to_value(e),
                    Ok(_) => {
                        let (v, fault) = answers.next().unwrap_or((Value::Null, None));
                        faulted = faulted.or(fault);
                        v
                    }
                })
                .collect();
            let mut response = json(&state, StatusCode::OK, &Value::Array(values));
            answer_headers(&mut response, faulted, generation);
            response
        }
        single => match request_from_value(single) {
            Err(e) => request_error(&state, &e),
            Ok(req) => {
                let (mut answers, generation) = decide_all(&state, &[&req]);
                let (answer, fault) = answers.pop().unwrap_or((Value::Null, None));
                let mut response = json(&state, StatusCode::OK, &answer);
                answer_headers(&mut response, fault, generation);
                response
            }
        },
    };
    state.metrics.observe(started.elapsed());
    response
}

/// Decides `requests` with one worker, so every answer comes from one policy generation
/// (returned): each answer's JSON, and the fault that made it fail-closed, if one did.
fn decide_all(state: &AppState, requests: &[&OwnedRequest]) -> (Vec<(Value, Option<Fault>)>, u64) {
    state.pool.with(|worker| {
        let answers = worker
            .decide_many(requests)
            .into_iter()
            .zip(requests)
            .map(|(answer, request)| match answer {
                Ok(a) => (a.to_value(), None),
                Err(fault) => (fail_closed_for(fault.reason(), *request), Some(fault)),
            })
            .collect();
        (answers, worker.generation().unwrap_or(0))
    })
}

/// `x-onbehalf-fault` (the first fault of the answer) and `x-onbehalf-policy-generation`.
fn answer_headers(response: &mut Response, fault: Option<Fault>, generation: u64) {
    if let Some(f) = fault {
        response
            .headers_mut()
            .insert("x-onbehalf-fault", HeaderValue::from_static(f.name()));
    }
    if let Ok(g) = HeaderValue::from_str(&generation.to_string()) {
        response
            .headers_mut()
            .insert("x-onbehalf-policy-generation", g);
    }
}

pub(super) async fn explain(State(state): State<Arc<AppState>>, request: Request) -> Response {
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
    let (mut answers, generation) = decide_all(&state, &[&req]);
    let (decision, fault) = answers.pop().unwrap_or((Value::Null, None));
    let agrees = reference.get("decision") == Some(&decision);
    let body = Value::Object(vec![
        ("policy".into(), admin::policy_value(state.host())),
        ("decision".into(), decision),
        ("agrees_with_reference".into(), Value::Bool(agrees)),
        ("reference".into(), reference),
    ]);
    let mut response = json(&state, StatusCode::OK, &body);
    answer_headers(&mut response, fault, generation);
    state.metrics.observe(started.elapsed());
    response
}
