//! # onbehalf-abi
//!
//! The policy ABI between the onbehalf host and a policy module (`docs/policy-abi.md`): the
//! versions, the exports each version requires with their exact wasm signatures, and — with
//! the `guest` feature, for a `wasm32` module — the [`export_policy_v1!`] macro that defines
//! those exports over a [`PolicyV1`] implementation. The host validates modules against the
//! same tables, so the two sides cannot disagree.
//!
//! All `unsafe` of a module lives in this crate's `guest.rs` (turning ABI addresses into
//! slices); a policy crate itself stays `#![forbid(unsafe_code)]`.
#![no_std]
#![deny(unsafe_code)] // allowed in `guest.rs` alone: the ABI file

extern crate alloc;

#[cfg(all(feature = "guest", target_arch = "wasm32"))]
pub mod guest;

/// ABI version 1: packed hop-free requests (`decide`, `decide_batch`) and JSON (`explain`).
pub const ABI_V1: i32 = 1;

/// One export a module must have: its name and its signature as the host prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Export {
    /// The export's name.
    pub name: &'static str,
    /// `(params) -> (results)`, wasm value types.
    pub signature: &'static str,
    /// What it does.
    pub doc: &'static str,
}

/// The function exports ABI v1 requires (plus an exported memory named [`MEMORY`]).
pub const EXPORTS_V1: &[Export] = &[
    Export {
        name: "onbehalf_abi_version",
        signature: "() -> (i32)",
        doc: "the ABI version the module implements",
    },
    Export {
        name: "decide",
        signature: "(i64) -> (i64)",
        doc: "packed request → packed decision (the hot path)",
    },
    Export {
        name: "decide_batch",
        signature: "(i32, i32, i32) -> (i32)",
        doc: "count packed requests at in_ptr → count packed decisions at out_ptr; returns count",
    },
    Export {
        name: "alloc",
        signature: "(i32) -> (i32)",
        doc: "a buffer of size bytes, 8-aligned; 0 if it cannot",
    },
    Export {
        name: "dealloc",
        signature: "(i32, i32) -> ()",
        doc: "releases a buffer from alloc(size)",
    },
    Export {
        name: "explain",
        signature: "(i32, i32) -> (i64)",
        doc: "JSON request → (out_ptr << 32) | out_len of the decision JSON (a decision, despite the name: kept for v1 compatibility)",
    },
];

/// The name of the exported linear memory every pointer refers to.
pub const MEMORY: &str = "memory";

/// What a v1 policy module decides. Implement it on a unit type and export it with
/// [`export_policy_v1!`].
pub trait PolicyV1 {
    /// Packed hop-free request → packed decision, or `-1 - n` for the n-th error code.
    fn decide(request: i64) -> i64;
    /// A JSON request (any request, hops included) → the decision (or error) JSON.
    fn decide_json(request: &str) -> alloc::string::String;
}

/// Defines a wasm32 policy module's ABI v1 exports over a [`PolicyV1`] type (needs the
/// `guest` feature; the exports exist only on `wasm32`).
///
/// ```ignore
/// struct Reference;
/// impl onbehalf_abi::PolicyV1 for Reference { /* … */ }
/// onbehalf_abi::export_policy_v1!(Reference);
/// ```
#[macro_export]
macro_rules! export_policy_v1 {
    ($policy:ty) => {
        #[cfg(target_arch = "wasm32")]
        mod onbehalf_policy_exports {
            // The policy type is named at the call site.
            use super::*;

            /// ABI: the version this module implements.
            #[no_mangle]
            pub extern "C" fn onbehalf_abi_version() -> i32 {
                $crate::ABI_V1
            }

            /// ABI: packed request → packed decision.
            #[no_mangle]
            pub extern "C" fn decide(request: i64) -> i64 {
                <$policy as $crate::PolicyV1>::decide(request)
            }

            /// ABI: decide `count` packed requests at `in_ptr` into `out_ptr`.
            #[no_mangle]
            pub extern "C" fn decide_batch(in_ptr: i32, out_ptr: i32, count: i32) -> i32 {
                $crate::guest::decide_batch(
                    in_ptr,
                    out_ptr,
                    count,
                    <$policy as $crate::PolicyV1>::decide,
                )
            }

            /// ABI: allocate `size` bytes (alignment 8); 0 if it cannot.
            #[no_mangle]
            pub extern "C" fn alloc(size: i32) -> i32 {
                $crate::guest::alloc(size)
            }

            /// ABI: release a buffer from `alloc(size)`.
            #[no_mangle]
            pub extern "C" fn dealloc(ptr: i32, size: i32) {
                $crate::guest::dealloc(ptr, size)
            }

            /// ABI: JSON request → the decision JSON (named `explain` in v1).
            #[no_mangle]
            pub extern "C" fn explain(ptr: i32, len: i32) -> i64 {
                $crate::guest::decide_json(ptr, len, <$policy as $crate::PolicyV1>::decide_json)
            }
        }
    };
}
