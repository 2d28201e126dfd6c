//! `POST /v1/decide` and `POST /v1/explain`: validated natively (the spec's errors never
//! depend on the policy), decided by the policy module.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use onbehalf_core::json::{
    decision_to_value, error_to_value, explain_owned, fail_closed_for, request_from_value,
    OwnedRequest, Value,
};
use onbehalf_core::{PackedRequest, RequestError};

use super::body::read_json;
use super::{admin, http_error, json, request_error, AppState};
use crate::policy::Verdict;

fn fault_header(response: &mut Response, fault: Option<crate::policy::Fault>) {
    if let Some(f) = fault {
        response
            .headers_mut()
            .insert("x-onbehalf-fault", HeaderValue::from_static(f.name()));
    }
}

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
        .filter_map(|r| r.as_ref().ok().filter(|r| r.hops().is_empty()))
        .map(PackedRequest::pack)
        .collect();
    state.pool.with(|worker| {
        let mut fast = worker.decide_batch(&packed).into_iter();
        parsed
            .iter()
            .map(|r| match r {
                Err(e) => error_to_value(e),
                Ok(req) if req.hops().is_empty() => match fast.next() {
                    Some(Verdict::Decided(d)) => decision_to_value(&d.unpack()),
                    _ => fail_closed_for(req),
                },
                Ok(req) => worker.decide_request(req).unwrap_or_else(|(v, _)| v),
            })
            .collect()
    })
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
    let (decision, fault) = state.pool.with(|w| match w.decide_request(&req) {
        Ok(v) => (v, None),
        Err((v, f)) => (v, Some(f)),
    });
    let agrees = reference.get("decision") == Some(&decision);
    let body = Value::Object(vec![
        ("policy".into(), admin::policy_value(state.host())),
        ("decision".into(), decision),
        ("agrees_with_reference".into(), Value::Bool(agrees)),
        ("reference".into(), reference),
    ]);
    let mut response = json(&state, StatusCode::OK, &body);
    fault_header(&mut response, fault);
    state.metrics.observe(started.elapsed());
    response
}
