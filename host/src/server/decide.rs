//! `POST /v1/decide` and `POST /v1/explain`: validated natively (the spec's errors never
//! depend on the policy), decided by the policy module.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use onbehalf_core::fix;
use onbehalf_core::json::{
    explain_owned, exposure_to_value, fail_closed_for, fixes_to_value, parse_request,
    recommended_value, OwnedRequest, Value,
};
use onbehalf_core::HttpError;

use super::answer::answer;
use super::body::{body_text, read_body};
use super::lane::{Refused, INLINE_BODY};
use super::{admin, http_error, json, json_text, request_error, AppState};
use crate::connections::ClientAddr;
use crate::policy::{Fault, Worker};

pub(super) async fn decide(State(state): State<Arc<AppState>>, request: Request) -> Response {
    on_body(state, request, INLINE_BODY, decide_body).await
}

/// Reads a JSON body, then runs `work` on it: in place when the body has at most `inline`
/// bytes, else on the decision lane in the client's turn (see `lane.rs` for why).
pub(super) async fn on_body(
    state: Arc<AppState>,
    request: Request,
    inline: usize,
    work: fn(&AppState, &[u8]) -> Response,
) -> Response {
    let client = client_of(&request);
    let limit = state.config.body_limit;
    let body = match read_body(&state, request, limit, &["application/json"]).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    if body.len() <= inline {
        return work(&state, &body);
    }
    on_lane(&state, client, move |state| work(state, &body)).await
}

/// Runs `work` on the decision lane in `client`'s turn; a full queue is `503 server-busy`.
async fn on_lane(
    state: &Arc<AppState>,
    client: IpAddr,
    work: impl FnOnce(&AppState) -> Response + Send + 'static,
) -> Response {
    let job_state = Arc::clone(state);
    match state.lane.run(client, move || work(&job_state)).await {
        Ok(response) => response,
        Err(Refused::Lost) => http_error(
            HttpError::Internal,
            "the decision failed without an answer; the request may be retried",
        ),
        Err(refused) => {
            let whose = if refused == Refused::ClientFull {
                "from this address"
            } else {
                "in all"
            };
            let message = format!(
                "the server has as many requests waiting for a decision as it accepts ({whose}); retry later"
            );
            let mut response = http_error(HttpError::ServerBusy, &message);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// The client's address, from the accept loop (unspecified when the router runs without it).
pub(super) fn client_of(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ClientAddr>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0)
}

/// `POST /v1/decide` on a read body.
fn decide_body(state: &AppState, body: &[u8]) -> Response {
    let text = match body_text(body) {
        Ok(text) => text,
        Err(e) => return request_error(&e),
    };
    let max_batch = state.config.max_batch;
    let answer = state.pool.with(|worker| answer(worker, text, max_batch));
    let status = if answer.ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = json_text(status, answer.body);
    if answer.decided {
        answer_headers(&mut response, answer.fault, answer.generation);
    }
    response
}

/// Decides `requests` on one worker, so every answer comes from one policy generation
/// (returned): each answer's JSON, and the fault that made it fail-closed, if one did.
fn decide_all(
    worker: &mut Worker,
    requests: &[&OwnedRequest],
) -> (Vec<(Value, Option<Fault>)>, u64) {
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
    // Always on the lane (nothing is inline): the fix search costs more than a decision,
    // whatever the body's size.
    on_body(state, request, 0, explain_body).await
}

/// `POST /v1/explain` on a read body.
fn explain_body(state: &AppState, body: &[u8]) -> Response {
    let req = match body_text(body).and_then(parse_request) {
        Ok(r) => r,
        Err(e) => return request_error(&e),
    };
    let reference = match explain_owned(&req) {
        Ok(v) => v,
        Err(e) => return request_error(&e),
    };
    let (mut answers, generation) = state.pool.with(|w| decide_all(w, &[&req]));
    let (decision, fault) = answers.pop().unwrap_or((Value::Null, None));
    let agrees = reference.get("decision") == Some(&decision);
    // How to make it work, and what the server's delegation settings expose: the core's
    // answers (a typed error here is the same one `explain_owned` already returned).
    let (fixes, recommended) = fix::fixes(&req).map_or((Value::Null, Value::Null), |f| {
        (fixes_to_value(&f), recommended_value(&f))
    });
    let exposure = fix::exposure(&req.delegation).map_or(Value::Null, |e| exposure_to_value(&e));
    let body = Value::Object(vec![
        ("policy".into(), admin::policy_value(state.host())),
        ("decision".into(), decision),
        ("agrees_with_reference".into(), Value::Bool(agrees)),
        ("reference".into(), reference),
        ("fixes".into(), fixes),
        ("recommended".into(), recommended),
        ("exposure".into(), exposure),
    ]);
    let mut response = json(StatusCode::OK, &body);
    answer_headers(&mut response, fault, generation);
    response
}
