//! The default onbehalf policy module: [`onbehalf_core`] behind the policy ABI
//! (`docs/policy-abi.md`). Built for `wasm32-unknown-unknown` it has no imports at all; on
//! other targets only [`Reference`] is compiled, so the policy is unit-testable natively.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;

use onbehalf_core::PackedRequest;

/// `decide_raw` of every request, precomputed by `build.rs` with the same core
/// (little-endian `i32`s indexed by `PackedRequest::dense_index`).
static DECISIONS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/decisions.bin"));

/// The reference policy: exactly the engine's decisions.
pub struct Reference;

impl onbehalf_abi::PolicyV1 for Reference {
    /// Packed request → packed decision (or negative error), from the table; anything
    /// outside it (negative, reserved bits, out-of-range fields) is computed.
    fn decide(request: i64) -> i64 {
        let entry = PackedRequest::dense_index(request)
            .and_then(|i| DECISIONS.get(i * 4..i * 4 + 4))
            .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok());
        match entry {
            Some(bytes) => i64::from(i32::from_le_bytes(bytes)),
            None => onbehalf_core::decide_raw(request),
        }
    }

    /// JSON request text → the decision (or error) JSON.
    fn decide_json(request: &str) -> String {
        onbehalf_core::json::decide_str(request)
    }
}

onbehalf_abi::export_policy_v1!(Reference);

#[cfg(test)]
mod tests {
    use onbehalf_abi::PolicyV1;

    #[test]
    fn table_equals_the_core_on_every_integer_of_the_domain() {
        for raw in -2..(1i64 << onbehalf_core::REQUEST_BITS) + 2 {
            assert_eq!(
                super::Reference::decide(raw),
                onbehalf_core::decide_raw(raw),
                "raw {raw}"
            );
        }
    }
}
