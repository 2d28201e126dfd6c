//! The output shapes `decide_str` answers, written straight into a `String` without a
//! [`Value`](super::Value) tree: byte for byte what `decision_to_value(..).to_json()` and
//! `error_to_value(..).to_json()` give (the tests compare them), so a server can append many
//! answers to one buffer.

use alloc::string::String;
use core::fmt::{self, Write};

use super::value::{write_escaped, write_string};
use crate::decision::Decision;
use crate::error::RequestError;
use crate::hop::HopOutcome;

/// Appends the decision object (spec §3) to `out`:
/// `{"effective","reach","reasons","hops":[{"target","allowed","as","reason"}]}`, exactly as
/// [`decision_to_value`](super::decision_to_value)`(..).to_json()` writes it.
///
/// ```
/// use onbehalf_core::json::{decision_to_value, write_decision};
/// use onbehalf_core::{decide, Request, RequestedLevel};
/// let request = Request::new(RequestedLevel::Impersonation);
/// let d = decide(&request).unwrap();
/// let mut out = String::from("[");
/// write_decision(&d, &mut out);
/// out.push(']');
/// assert_eq!(out, format!("[{}]", decision_to_value(&d).to_json()));
/// ```
pub fn write_decision(decision: &Decision<'_>, out: &mut String) {
    out.push_str("{\"effective\":");
    write_name(out, decision.effective.name());
    out.push_str(",\"reach\":");
    write_name(out, decision.reach.name());
    out.push_str(",\"reasons\":[");
    for (i, reason) in decision.reasons.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_name(out, reason.name());
    }
    out.push_str("],\"hops\":[");
    for (i, hop) in decision.hops().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_hop(hop, out);
    }
    out.push_str("]}");
}

/// A vocabulary name as a JSON string: canonical names are plain identifiers (`vocabulary!`
/// asserts it at compile time), so there is nothing to escape.
fn write_name(out: &mut String, name: &str) {
    out.push('"');
    out.push_str(name);
    out.push('"');
}

fn write_hop(hop: &HopOutcome<'_>, out: &mut String) {
    out.push_str("{\"target\":");
    write_string(out, hop.target);
    out.push_str(",\"allowed\":");
    out.push_str(if hop.allowed() { "true" } else { "false" });
    out.push_str(",\"as\":");
    write_name(out, hop.identity().name());
    out.push_str(",\"reason\":");
    write_name(out, hop.reason.name());
    out.push('}');
}

/// Appends the error object `{"error":{"code","message"}}` to `out`, exactly as
/// [`error_to_value`](super::error_to_value)`(..).to_json()` writes it; the message is
/// formatted straight into the buffer.
///
/// ```
/// use onbehalf_core::json::{error_to_value, parse_request, write_error};
/// let e = parse_request(r#"{"level":"\n"}"#).unwrap_err();
/// let mut out = String::new();
/// write_error(&e, &mut out);
/// assert_eq!(out, error_to_value(&e).to_json());
/// ```
pub fn write_error(error: &RequestError, out: &mut String) {
    out.push_str("{\"error\":{\"code\":");
    write_string(out, error.code.name());
    out.push_str(",\"message\":\"");
    // Writing to a `String` cannot fail, and `RequestError`'s `Display` does not fail either.
    let _ = write!(Escaping(out), "{error}");
    out.push_str("\"}}");
}

/// A `fmt::Write` that escapes what it is given as the inside of a JSON string.
struct Escaping<'a>(&'a mut String);

impl Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s);
        Ok(())
    }
}

/// Appends [`decide_str`](super::decide_str)'s answer for a request's result to `out`: the
/// decision object, or the error object of a failing check.
///
/// ```
/// use onbehalf_core::json::{decide_str, parse_request, write_answer};
/// let text = r#"{"level":"delegate","auth":"kerberos"}"#;
/// let mut out = String::new();
/// write_answer(&parse_request(text), &mut out);
/// assert_eq!(out, decide_str(text));
/// ```
pub fn write_answer(request: &Result<super::OwnedRequest, RequestError>, out: &mut String) {
    match request {
        Ok(request) => match crate::decide(request) {
            Ok(decision) => write_decision(&decision, out),
            Err(e) => write_error(&e, out),
        },
        Err(e) => write_error(e, out),
    }
}
