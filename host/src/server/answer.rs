//! What `POST /v1/decide` answers to a body's text, without the HTTP around it: read straight
//! from the text (the core's tree-free reader, with its strict fallback for anything unusual),
//! decided by the policy module on one worker, written straight into one buffer.

use onbehalf_core::json::{
    error_object, fail_closed_for, read_body, write_decision, write_error, Body, OwnedRequest,
};
use onbehalf_core::RequestError;

use crate::policy::{Fault, PolicyAnswer, Worker};

/// What `POST /v1/decide` answers to a body.
#[derive(Debug)]
pub struct Answer {
    /// The response body (JSON text).
    pub body: String,
    /// 200 (`true`) or 400: a single invalid request, or an array over the batch limit.
    pub ok: bool,
    /// Whether the policy module was asked (so the answer has a policy generation).
    pub decided: bool,
    /// The first fault that made an answer fail-closed.
    pub fault: Option<Fault>,
    /// The policy generation every decision of the body came from.
    pub generation: u64,
}

fn refused(body: String) -> Answer {
    Answer {
        body,
        ok: false,
        decided: false,
        fault: None,
        generation: 0,
    }
}

fn error_text(e: &RequestError) -> String {
    let mut out = String::new();
    write_error(e, &mut out);
    out
}

/// Answers one `/v1/decide` body on one worker (so one policy generation): a request → its
/// decision (or its error, not ok); an array → an array of decisions and per-item errors
/// (ok), unless it holds more than `max_batch` requests.
#[must_use]
pub fn answer(worker: &mut Worker, text: &str, max_batch: usize) -> Answer {
    let items = match read_body(text) {
        Err(e) | Ok(Body::One(Err(e))) => return refused(error_text(&e)),
        Ok(Body::One(Ok(request))) => {
            let mut out = String::with_capacity(256);
            let fault = decide_into(worker, &[&request], &[Ok(())], &mut out);
            return decided(out, fault, worker);
        }
        Ok(Body::Many(items)) => items,
    };
    if items.len() > max_batch {
        let expected = format!("an array of at most {max_batch} requests");
        let message = format!(
            "request: too many requests in one array (found {} requests); expected {expected}",
            items.len()
        );
        return refused(error_object("invalid-request", message).to_json());
    }
    let valid: Vec<&OwnedRequest> = items.iter().filter_map(|r| r.as_ref().ok()).collect();
    let shape: Vec<Result<(), &RequestError>> =
        items.iter().map(|r| r.as_ref().map(|_| ())).collect();
    let mut out = String::with_capacity(items.len() * 160 + 2);
    out.push('[');
    let fault = decide_into(worker, &valid, &shape, &mut out);
    out.push(']');
    decided(out, fault, worker)
}

fn decided(body: String, fault: Option<Fault>, worker: &Worker) -> Answer {
    Answer {
        body,
        ok: true,
        decided: true,
        fault,
        generation: worker.generation().unwrap_or(0),
    }
}

/// Decides `requests` in one call and writes, for each entry of `shape` in order, the next
/// answer (`Ok`) or the error (`Err`), comma-separated, into `out`. Returns the first fault
/// that made an answer fail-closed.
fn decide_into(
    worker: &mut Worker,
    requests: &[&OwnedRequest],
    shape: &[Result<(), &RequestError>],
    out: &mut String,
) -> Option<Fault> {
    // One request (the common case) without the collections of a batch.
    let (one, many) = match requests {
        [request] => (Some(worker.decide(request)), Vec::new()),
        _ => (None, worker.decide_many(requests)),
    };
    let mut answers = one.into_iter().chain(many).zip(requests);
    let mut first_fault = None;
    for (i, entry) in shape.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Err(e) = entry {
            write_error(e, out);
            continue;
        }
        match answers.next() {
            Some((answer, request)) => {
                first_fault = first_fault.or(write_answer(answer, request, out));
            }
            // One answer per request: the worker guarantees it; `null` keeps the JSON valid.
            None => out.push_str("null"),
        }
    }
    first_fault
}

/// Writes a module's answer: the decision straight into `out` when it has only the spec's
/// codes (the common case), through the JSON tree when it carries the module's own codes,
/// the fail-closed decision when the module faulted (returned).
fn write_answer(
    answer: Result<PolicyAnswer<'_>, Fault>,
    request: &OwnedRequest,
    out: &mut String,
) -> Option<Fault> {
    match answer {
        Ok(a) if a.has_own_reasons() => out.push_str(&a.to_value().to_json()),
        Ok(a) => write_decision(&a.decision(), out),
        Err(fault) => {
            out.push_str(&fail_closed_for(fault.reason(), request).to_json());
            return Some(fault);
        }
    }
    None
}
