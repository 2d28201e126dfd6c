//! The default onbehalf policy module: [`onbehalf_core`] behind policy ABI v2
//! (`docs/policy-abi.md`). Built for `wasm32-unknown-unknown` it has no imports at all; on
//! other targets only [`Reference`] is compiled, so the policy is unit-testable natively.
//!
//! Its `decide` answers a one-domain hop-free request by a lookup in a table `build.rs`
//! precomputes with the native core (anything else, and every record, the core decides).
//! [`kit`] is the embedding kit (`kit_*` exports, `docs/policy-abi.md` §11) through which a
//! host in another language (the Python package) validates, encodes and checks exactly as
//! the Rust host does: its checks are `onbehalf_abi::check`, the Rust host's own.
//! `host/build.rs` builds this crate for `wasm32` and the host embeds it.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;

pub mod kit;

use onbehalf_abi::record::{Answer, RecordView};
use onbehalf_core::PackedRequest;

/// `decide_raw` of every one-domain request, precomputed by `build.rs` with the same core
/// (little-endian `i32`s indexed by `PackedRequest::dense_index`).
static DECISIONS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/decisions.bin"));

/// The reference policy: exactly the engine's decisions.
pub struct Reference;

impl onbehalf_abi::PolicyV2 for Reference {
    /// Packed request → packed decision (or negative error), from the table; anything
    /// outside it (other realms, negative, reserved bits, out-of-range fields) is computed.
    fn decide(request: i64) -> i64 {
        let entry = PackedRequest::dense_index(request)
            .and_then(|i| DECISIONS.get(i * 4..i * 4 + 4))
            .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok());
        match entry {
            Some(bytes) => i64::from(i32::from_le_bytes(bytes)),
            None => onbehalf_core::decide_raw(request),
        }
    }

    /// A request record → the engine's decision with its hops.
    fn decide_record(record: &RecordView<'_>) -> Answer {
        let decided =
            record.with_request(|r| onbehalf_core::decide(r).map(|d| Answer::from_decision(&d)));
        match decided {
            Some(Ok(answer)) => answer,
            // An invalid request: its error code, as `decide` answers it.
            Some(Err(e)) => Answer {
                decision: -1 - e.code as i64,
                hops: [0; onbehalf_core::MAX_HOPS],
            },
            None => Answer {
                decision: onbehalf_core::decide_raw(record.packed),
                hops: [0; onbehalf_core::MAX_HOPS],
            },
        }
    }

    /// JSON request text → the decision (or error) JSON.
    fn decide_json(request: &str) -> String {
        onbehalf_core::json::decide_str(request)
    }
}

onbehalf_abi::export_policy_v2!(Reference);

#[cfg(test)]
mod tests {
    use onbehalf_abi::PolicyV2;

    #[test]
    fn table_equals_the_core_on_every_integer_of_the_table_and_beyond() {
        let end = 1i64 << onbehalf_core::TABLE_BITS;
        for raw in (-2..end + 2).chain((end..1 << onbehalf_core::REQUEST_BITS).step_by(101)) {
            assert_eq!(
                super::Reference::decide(raw),
                onbehalf_core::decide_raw(raw),
                "raw {raw}"
            );
        }
    }
}
