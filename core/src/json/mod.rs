//! The JSON layer (feature `alloc`): a strict parser, spec §4 validation in its exact order
//! (driven by the request's field tables), and every output shape. Every adapter goes
//! through here, so the CLI, the HTTP server, the policy module and the browser all speak
//! identical JSON.

mod catalog;
mod fix;
mod flat;
mod output;
pub(crate) mod read;
#[cfg(feature = "serde")]
mod serde_impl;
mod typescript;
mod value;

pub use catalog::{catalog, record_value};
pub use fix::{exposure_to_value, fix_answer, fix_str, fix_to_value, fix_value, fixes_to_value};
pub use flat::packed_fields;
pub use output::{
    decide_owned, decide_str, decide_value, decision_from_value, decision_to_value,
    decision_with_own_reasons, error_object, error_to_value, explain_owned, explain_value,
    explanation_to_value, fail_closed_for, fail_closed_value, invalid_utf8, POLICY_ABI_TOO_OLD,
    POLICY_MODULE_FAULT,
};
pub use read::{request_from_value, OwnedHop, OwnedRequest};
pub use typescript::typescript;
pub(crate) use value::string;
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
