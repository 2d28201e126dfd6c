//! The JSON layer (feature `alloc`): a strict parser, spec §4 validation in its exact order,
//! and the spec's output shapes. Every adapter goes through here, so the CLI, the HTTP
//! server, the policy module's `explain` and the browser all speak identical JSON.

mod output;
mod request;
#[cfg(feature = "serde")]
mod serde_impl;
mod value;

pub use output::{
    decide_owned, decide_str, decide_value, decision_to_value, error_to_value, explain_owned,
    explain_value,
};
pub use request::{request_from_value, OwnedHop, OwnedRequest};
pub use value::{Value, MAX_DEPTH};

/// Parses and validates one JSON text into a request (spec §4, checks 0–12).
///
/// ```
/// use onbehalf_core::json::parse_request;
/// use onbehalf_core::ErrorCode;
/// assert_eq!(parse_request(r#"{"auth":"kerberos"}"#).unwrap_err().code, ErrorCode::MissingLevel);
/// assert_eq!(parse_request(r#"{"level":"x","Level":1}"#).unwrap_err().code, ErrorCode::UnknownField);
/// ```
pub fn parse_request(text: &str) -> Result<OwnedRequest, crate::RequestError> {
    request_from_value(&Value::parse(text)?)
}
