//! The JSON layer (feature `alloc`): a strict parser, spec §4 validation in its exact order
//! (driven by the request's field tables), and every output shape. Every adapter goes
//! through here, so the CLI, the HTTP server, the policy module and the browser all speak
//! identical JSON.
//!
//! The hot paths (`parse_request`, `read_body`, `decide_str`) first try a fast reader and
//! writer that skip the [`Value`] trees (`fast.rs`, `write.rs`); whatever the fast reader
//! declines goes the strict way, so both give the same answer for every text.

mod catalog;
pub(crate) mod fast;
mod fix;
mod flat;
mod output;
pub(crate) mod read;
mod scan;
#[cfg(feature = "serde")]
mod serde_impl;
mod typescript;
mod value;
mod write;

pub use catalog::{catalog, record_value};
pub use fast::{
    parse_request, parse_request_fast, parse_request_strict, read_body, read_body_strict, Body,
};
pub use fix::{
    exposure_to_value, fix_answer, fix_changes, fix_str, fix_to_value, fix_value, fixes_to_value,
    recommended_value,
};
pub use flat::packed_fields;
pub use output::{
    decide_owned, decide_str, decide_str_strict, decide_value, decision_from_value,
    decision_to_value, decision_with_own_reasons, error_object, error_to_value, explain_owned,
    explain_value, explanation_to_value, fail_closed_for, fail_closed_value, invalid_utf8,
    POLICY_ABI_TOO_OLD, POLICY_MODULE_FAULT,
};
pub use read::{request_from_value, OwnedHop, OwnedRequest};
pub use typescript::typescript;
pub(crate) use value::string;
pub use value::{Value, MAX_DEPTH};
pub use write::{write_answer, write_decision, write_error};
