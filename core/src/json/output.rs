//! The spec §3 output shapes: the decision object, the error object, and the explanation
//! (decision plus the trace of every step that fired), all as [`Value`]s so every adapter
//! (CLI, server, policy module, browser) prints the very same JSON.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::request::OwnedRequest;
use super::value::{object, string, Value};
use crate::chain::resolve_hop_auth;
use crate::decision::Decision;
use crate::error::RequestError;
use crate::reason::Reasons;
use crate::rules::resolve_auth;

/// The decision object: `{"effective","reach","reasons","hops":[{"target","allowed","as","reason"}]}`.
#[must_use]
pub fn decision_to_value(decision: &Decision<'_>) -> Value {
    object([
        ("effective", string(decision.effective.name())),
        ("reach", string(decision.reach.name())),
        (
            "reasons",
            Value::Array(decision.reasons.iter().map(|r| string(r.name())).collect()),
        ),
        (
            "hops",
            Value::Array(
                decision
                    .hops()
                    .iter()
                    .map(|h| {
                        object([
                            ("target", string(h.target)),
                            ("allowed", Value::Bool(h.allowed())),
                            ("as", string(h.identity().name())),
                            ("reason", string(h.reason.name())),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

/// The error object: `{"error":{"code","message"}}`.
#[must_use]
pub fn error_to_value(error: &RequestError) -> Value {
    object([(
        "error",
        object([
            ("code", string(error.code.name())),
            ("message", Value::String(error.to_string())),
        ]),
    )])
}

/// Decides a validated request (the typed checks cannot fail after §4, but are honoured).
pub fn decide_owned(request: &OwnedRequest) -> Value {
    request.with_request(|r| match crate::decide(r) {
        Ok(d) => decision_to_value(&d),
        Err(e) => error_to_value(&e),
    })
}

/// Validates and decides one request value: the decision object or the error object.
#[must_use]
pub fn decide_value(value: &Value) -> Value {
    match super::request_from_value(value) {
        Ok(request) => decide_owned(&request),
        Err(e) => error_to_value(&e),
    }
}

/// Parses, validates and decides one JSON text; returns one line of JSON (no newline).
///
/// ```
/// let out = onbehalf_core::json::decide_str(r#"{"level":"default"}"#);
/// assert_eq!(out, r#"{"effective":"identification","reach":"none","reasons":["default-resolved-to-identification"],"hops":[]}"#);
/// let err = onbehalf_core::json::decide_str("{");
/// assert!(err.starts_with(r#"{"error":{"code":"invalid-json""#));
/// ```
#[must_use]
pub fn decide_str(text: &str) -> String {
    match Value::parse(text) {
        Ok(value) => decide_value(&value).to_string(),
        Err(e) => error_to_value(&e).to_string(),
    }
}

/// The explanation of a request: `{"request": canonical request, "decision": …,
/// "resolved_auth": A, "steps": [{"step","code","kind","rule","sources"}],
/// "hops": [{"target","auth","row","reason","allowed","as","rule","sources"}]}`.
pub fn explain_owned(request: &OwnedRequest) -> Result<Value, RequestError> {
    request.with_request(|r| {
        let decision = crate::decide(r)?;
        let mut scratch = Reasons::EMPTY;
        let auth = resolve_auth(&r.context(), &mut scratch);
        let steps = decision
            .reasons
            .iter()
            .map(|reason| {
                object([
                    ("step", string(reason.step())),
                    ("code", string(reason.name())),
                    ("kind", string(reason.kind().name())),
                    ("rule", string(reason.rule())),
                    ("sources", string(reason.sources())),
                ])
            })
            .collect();
        let hops: Vec<Value> = decision
            .hops()
            .iter()
            .zip(r.hops)
            .map(|(outcome, hop)| {
                object([
                    ("target", string(outcome.target)),
                    (
                        "auth",
                        string(resolve_hop_auth(hop, r.delegation.domain_joined).name()),
                    ),
                    ("row", Value::Number(outcome.reason.row().to_string())),
                    ("reason", string(outcome.reason.name())),
                    ("allowed", Value::Bool(outcome.allowed())),
                    ("as", string(outcome.identity().name())),
                    ("rule", string(outcome.reason.rule())),
                    ("sources", string(outcome.reason.sources())),
                ])
            })
            .collect();
        Ok(object([
            ("request", request.to_value()),
            ("decision", decision_to_value(&decision)),
            ("resolved_auth", string(auth.name())),
            ("steps", Value::Array(steps)),
            ("hops", Value::Array(hops)),
        ]))
    })
}

/// Validates and explains one request value: the explanation or the error object.
#[must_use]
pub fn explain_value(value: &Value) -> Value {
    match super::request_from_value(value).and_then(|r| explain_owned(&r)) {
        Ok(v) => v,
        Err(e) => error_to_value(&e),
    }
}
