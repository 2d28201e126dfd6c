//! Every output shape, defined once: the decision object (spec §3), the error object, the
//! fail-closed decision a host answers when a policy module faults, the explanation, and the
//! parse-back a host uses to check a module's JSON answer. The CLI, the server, the policy
//! modules and the browser all print these.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::read::{request_from_value, OwnedRequest};
use super::value::{object, string, Value};
use crate::decision::{Decision, Reach};
use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::explanation::Explanation;
use crate::hop::{HopOutcome, HopReason, Identity};
use crate::level::Level;
use crate::reason::{Reason, Reasons};
use crate::request::Storage;

/// The reason code of a fail-closed decision and of each of its hops: a host-level code (not
/// a spec §7 code) meaning "the policy module faulted".
pub const POLICY_MODULE_FAULT: &str = "policy-module-fault";

/// The reason code of a fail-closed decision when the policy module's ABI version cannot
/// express the request (an ABI v1 module and a request across domains): the module was not
/// asked.
pub const POLICY_ABI_TOO_OLD: &str = "policy-abi-too-old";

/// The decision object: `{"effective","reach","reasons","hops":[{"target","allowed","as","reason"}]}`.
#[must_use]
pub fn decision_to_value(decision: &Decision<'_>) -> Value {
    decision_with_own_reasons(decision, &[], &[])
}

/// A policy module's decision: the spec's decision object, with the module's own reason
/// codes after the spec's in `reasons`, and a hop the module denied for a reason of its own
/// naming that code (`hop_own[i]`, when present, replaces hop i's reason; the hop is denied).
#[must_use]
pub fn decision_with_own_reasons(
    decision: &Decision<'_>,
    own: &[&str],
    hop_own: &[Option<&str>],
) -> Value {
    let anonymous = Identity::Anonymous.name();
    let hops =
        decision
            .hops()
            .iter()
            .enumerate()
            .map(|(i, h)| match hop_own.get(i).copied().flatten() {
                Some(code) => hop_value(h.target, false, anonymous, code),
                None => hop_value(h.target, h.allowed(), h.identity().name(), h.reason.name()),
            });
    decision_shape(
        decision.effective.name(),
        decision.reach.name(),
        decision
            .reasons
            .iter()
            .map(|r| shorten(r.name()))
            .chain(own.iter().copied()),
        hops,
    )
}

/// A `'static` name as a shorter borrow, so spec codes and a module's own codes iterate together.
const fn shorten<'a>(name: &'static str) -> &'a str {
    name
}

fn hop_value(target: &str, allowed: bool, identity: &str, reason: &str) -> Value {
    object([
        ("target", string(target)),
        ("allowed", Value::Bool(allowed)),
        ("as", string(identity)),
        ("reason", string(reason)),
    ])
}

fn decision_shape<'a>(
    effective: &str,
    reach: &str,
    reasons: impl Iterator<Item = &'a str>,
    hops: impl Iterator<Item = Value>,
) -> Value {
    object([
        ("effective", string(effective)),
        ("reach", string(reach)),
        ("reasons", Value::Array(reasons.map(string).collect())),
        ("hops", Value::Array(hops.collect())),
    ])
}

/// The safest decision, answered when a policy module faults (`reason`:
/// [`POLICY_MODULE_FAULT`], or [`POLICY_ABI_TOO_OLD`]): nothing may be done as the client, no
/// hop arrives as the client. No fault may ever produce anything more permissive.
#[must_use]
pub fn fail_closed_value<'a>(reason: &str, targets: impl Iterator<Item = &'a str>) -> Value {
    let anonymous = Identity::Anonymous.name();
    decision_shape(
        Level::Anonymous.name(),
        Reach::None.name(),
        core::iter::once(reason),
        targets.map(|t| hop_value(t, false, anonymous, reason)),
    )
}

/// The fail-closed decision for a request.
#[must_use]
pub fn fail_closed_for<S: Storage>(reason: &str, request: &crate::Request<S>) -> Value {
    fail_closed_value(reason, request.hops().iter().map(|h| h.target.as_ref()))
}

/// The error object: `{"error":{"code","message"}}`.
#[must_use]
pub fn error_to_value(error: &RequestError) -> Value {
    error_object(error.code.name(), error.to_string())
}

/// An error object with any code (the HTTP layer's own codes use it too).
#[must_use]
pub fn error_object(code: &str, message: String) -> Value {
    object([(
        "error",
        object([("code", string(code)), ("message", Value::String(message))]),
    )])
}

/// The `invalid-json` error of input that is not UTF-8 (`valid_up_to` bytes were).
#[must_use]
pub fn invalid_utf8(valid_up_to: usize) -> RequestError {
    RequestError::new(ErrorCode::InvalidJson, FieldPath::REQUEST, "UTF-8 text")
        .found(format_args!("invalid UTF-8 at byte {valid_up_to}"))
}

/// Decides a validated request: the decision object (or, if a typed check fails, the error).
#[must_use]
pub fn decide_owned(request: &OwnedRequest) -> Value {
    match crate::decide(request) {
        Ok(d) => decision_to_value(&d),
        Err(e) => error_to_value(&e),
    }
}

/// Validates and decides one request value: the decision object or the error object.
#[must_use]
pub fn decide_value(value: &Value) -> Value {
    match request_from_value(value) {
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
    let mut out = String::with_capacity(256);
    super::write_answer(&super::parse_request(text), &mut out);
    out
}

/// [`decide_str`] through [`Value`] trees (the strict reader, `to_json` of the output
/// values): the reference the fast path must match byte for byte.
///
/// ```
/// use onbehalf_core::json::{decide_str, decide_str_strict};
/// let text = r#"{"level":"delegate","hops":[{"target":"cifs/fs1"},{"target":""}]}"#;
/// assert_eq!(decide_str(text), decide_str_strict(text));
/// ```
#[must_use]
pub fn decide_str_strict(text: &str) -> String {
    answer_text(text, decide_value)
}

/// `answer` of the value `text` holds (strict parser), or the error object of text that is
/// not JSON; one line.
pub(crate) fn answer_text(text: &str, answer: impl FnOnce(&Value) -> Value) -> String {
    match Value::parse(text) {
        Ok(value) => answer(&value).to_json(),
        Err(e) => error_to_value(&e).to_json(),
    }
}

/// The explanation's JSON: `{"request": canonical request, "decision": …, "resolved_auth": A,
/// "steps": [{"step","code","kind","rule","sources"}],
/// "hops": [{"target","auth","client_realm","row","reason","allowed","as","rule","sources"}]}`.
#[must_use]
pub fn explanation_to_value<S: Storage>(e: &Explanation<'_, S>) -> Value {
    let steps = e.steps().map(|(reason, step)| {
        object([
            ("step", string(step)),
            ("code", string(reason.name())),
            ("kind", string(reason.kind().name())),
            ("rule", string(reason.rule())),
            ("sources", string(reason.sources())),
        ])
    });
    let hops = e.hops().map(|h| {
        object([
            ("target", string(h.outcome.target)),
            ("auth", string(h.auth.name())),
            ("client_realm", string(h.client_realm.name())),
            ("row", string(h.row())),
            ("reason", string(h.reason().name())),
            ("allowed", Value::Bool(h.outcome.allowed())),
            ("as", string(h.outcome.identity().name())),
            ("rule", string(h.reason().rule())),
            ("sources", string(h.reason().sources())),
        ])
    });
    object([
        ("request", e.request.to_value()),
        ("decision", decision_to_value(&e.decision)),
        ("resolved_auth", string(e.auth.name())),
        ("steps", Value::Array(steps.collect())),
        ("hops", Value::Array(hops.collect())),
    ])
}

/// Explains a validated request: the explanation, or the error of a failing typed check.
pub fn explain_owned(request: &OwnedRequest) -> Result<Value, RequestError> {
    Explanation::new(request).map(|e| explanation_to_value(&e))
}

/// Validates and explains one request value: the explanation or the error object.
#[must_use]
pub fn explain_value(value: &Value) -> Value {
    match request_from_value(value).and_then(|r| explain_owned(&r)) {
        Ok(v) => v,
        Err(e) => error_to_value(&e),
    }
}

fn name_in<T: Copy>(value: Option<&Value>, all: &[T], name: fn(T) -> &'static str) -> Option<T> {
    match value {
        Some(Value::String(s)) => all.iter().copied().find(|v| name(*v) == s),
        _ => None,
    }
}

/// Reads a decision object back (a policy module's JSON answer) and checks it against the
/// request: exactly the decision shape, canonical spec names only, reasons in emission order
/// without duplicates, one hop per requested hop with its target verbatim, `allowed`
/// agreeing with `as` and the hop reason. `None` if anything is off (the host fails closed).
#[must_use]
pub fn decision_from_value<'r, S: Storage>(
    answer: &Value,
    request: &'r crate::Request<S>,
) -> Option<Decision<'r>> {
    let Value::Object(fields) = answer else {
        return None;
    };
    if fields.len() != 4 {
        return None;
    }
    let effective = name_in(answer.get("effective"), Level::ALL, Level::name)?;
    let reach = name_in(answer.get("reach"), Reach::ALL, Reach::name)?;
    let Some(Value::Array(reason_list)) = answer.get("reasons") else {
        return None;
    };
    let mut reasons = Reasons::EMPTY;
    let mut last: Option<Reason> = None;
    for r in reason_list {
        let reason = name_in(Some(r), Reason::ALL, Reason::name)?;
        if last.is_some_and(|l| l >= reason) {
            return None; // out of emission order, or a duplicate
        }
        reasons.insert(reason);
        last = Some(reason);
    }
    let Some(Value::Array(hops)) = answer.get("hops") else {
        return None;
    };
    if hops.len() != request.hops().len() {
        return None;
    }
    let mut outcomes = Vec::with_capacity(hops.len());
    for (hop, asked) in hops.iter().zip(request.hops()) {
        let Value::Object(hop_fields) = hop else {
            return None;
        };
        let target = asked.target.as_ref();
        if hop_fields.len() != 4 || hop.get("target") != Some(&Value::String(target.into())) {
            return None;
        }
        let Some(Value::Bool(allowed)) = hop.get("allowed") else {
            return None;
        };
        let identity = name_in(hop.get("as"), Identity::ALL, Identity::name)?;
        let reason = name_in(hop.get("reason"), HopReason::ALL, HopReason::name)?;
        if *allowed != (identity == Identity::Client) || *allowed != reason.allowed() {
            return None;
        }
        outcomes.push(HopOutcome { target, reason });
    }
    Decision::with_hops(effective, reach, reasons, &outcomes)
}
