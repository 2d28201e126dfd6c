//! The default onbehalf policy module: [`onbehalf_core`] behind policy ABI v1
//! (`docs/policy-abi.md`). Built for `wasm32-unknown-unknown` it has no imports at all; on
//! other targets only [`policy`] is compiled, so the policy is unit-testable natively.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

#[cfg(target_arch = "wasm32")]
mod abi;

/// The policy this module exports: exactly the reference engine.
pub mod policy {
    use alloc::string::String;

    /// ABI `decide`: packed request → packed decision (or negative error).
    #[must_use]
    pub fn decide(request: i64) -> i64 {
        onbehalf_core::decide_raw(request)
    }

    /// ABI `explain`: JSON request text → the decision (or error) JSON.
    #[must_use]
    pub fn explain(request: &str) -> String {
        onbehalf_core::json::decide_str(request)
    }
}
