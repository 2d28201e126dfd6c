//! # onbehalf-abi
//!
//! The policy ABI between the onbehalf host and a policy module (`docs/policy-abi.md`): the
//! versions, the exports each version requires or allows with their exact wasm signatures,
//! the binary request and answer records of version 2 ([`record`]), and — with the `guest`
//! feature, for a `wasm32` module — the [`export_policy_v2!`] (and [`export_policy_v1!`])
//! macro that defines the exports over a [`PolicyV2`] ([`PolicyV1`]) implementation. The host
//! validates modules against the same tables, so the two sides cannot disagree.
//!
//! The host side every host shares is here too, so the Rust host and the embedding kit (the
//! default module's `kit_*` exports, which the Python package uses) check alike: [`check`]
//! (an answer checked for shape and against the reference decision, rendered with the
//! module's own codes), [`fault`] (the fault vocabulary), [`limits`] (the limits and their
//! defaults) and [`reasons`] (a module's own-reason catalog, checked at load). The export
//! names come from one macro list, [`names`].
//!
//! All `unsafe` of a module — and of the workspace — lives in this crate's `guest.rs`
//! (turning ABI addresses into slices, the allocator and panic handler of a `wasm32`
//! module); a policy crate itself stays `#![forbid(unsafe_code)]`.
#![no_std]
#![deny(unsafe_code)] // allowed in `guest.rs` alone: the ABI file

extern crate alloc;

pub mod check;
pub mod fault;
#[cfg(all(feature = "guest", target_arch = "wasm32"))]
pub mod guest;
pub mod limits;
pub mod reasons;
pub mod record;

pub use fault::Fault;
pub use limits::Limits;

/// ABI version 1: packed hop-free requests (`decide`, `decide_batch`) and JSON (`explain`).
pub const ABI_V1: i32 = 1;
/// ABI version 2: packed hop-free requests, binary records for every request (hops
/// included), the module's own reason codes; JSON only as an optional diagnostic entry.
pub const ABI_V2: i32 = 2;

/// The export names of the ABI, as constants: the tables below, the host's bindings and its
/// load checks use these, never a string of their own. What each export does: the tables'
/// `doc` (and docs/policy-abi.md §2).
pub mod names {
    /// `NAME = "export"` → a documented `pub const NAME: &str`.
    macro_rules! names {
        ($($name:ident = $export:literal),+ $(,)?) => {
            $(#[doc = concat!("`", $export, "`")] pub const $name: &str = $export;)+
        };
    }
    names! {
        ABI_VERSION = "onbehalf_abi_version",
        DECIDE = "decide",
        DECIDE_BATCH = "decide_batch",
        DECIDE_RECORDS = "decide_records",
        ALLOC = "alloc",
        DEALLOC = "dealloc",
        EXPLAIN = "explain",
        POLICY_REASONS = "policy_reasons",
        DECIDE_JSON = "decide_json",
    }
}

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

// The entries ABI v1 and v2 share.
const DECIDE_BATCH_EXPORT: Export = Export {
    name: names::DECIDE_BATCH,
    signature: "(i32, i32, i32) -> (i32)",
    doc: "count packed requests at in_ptr → count packed decisions at out_ptr; returns count",
};
const ALLOC_EXPORT: Export = Export {
    name: names::ALLOC,
    signature: "(i32) -> (i32)",
    doc: "a buffer of size bytes, 8-aligned; 0 if it cannot",
};
const DEALLOC_EXPORT: Export = Export {
    name: names::DEALLOC,
    signature: "(i32, i32) -> ()",
    doc: "releases a buffer from alloc(size)",
};

/// The function exports ABI v1 requires (plus an exported memory named [`MEMORY`]).
pub const EXPORTS_V1: &[Export] = &[
    Export {
        name: names::ABI_VERSION,
        signature: "() -> (i32)",
        doc: "the ABI version the module implements",
    },
    Export {
        name: names::DECIDE,
        signature: "(i64) -> (i64)",
        doc: "packed request → packed decision (the hot path)",
    },
    DECIDE_BATCH_EXPORT,
    ALLOC_EXPORT,
    DEALLOC_EXPORT,
    Export {
        name: names::EXPLAIN,
        signature: "(i32, i32) -> (i64)",
        doc: "JSON request → (out_ptr << 32) | out_len of the decision JSON (a decision, despite the name: kept for v1 compatibility)",
    },
];

/// The function exports ABI v2 requires (plus an exported memory named [`MEMORY`]).
pub const EXPORTS_V2: &[Export] = &[
    Export {
        name: names::ABI_VERSION,
        signature: "() -> (i32)",
        doc: "the ABI version the module implements: 2",
    },
    Export {
        name: names::DECIDE,
        signature: "(i64) -> (i64)",
        doc: "packed hop-free request → packed decision (the hot path)",
    },
    DECIDE_BATCH_EXPORT,
    Export {
        name: names::DECIDE_RECORDS,
        signature: "(i32, i32, i32, i32) -> (i32)",
        doc: "count request records (in_len bytes at in_ptr) → count answer records of 24 bytes at out_ptr; returns count",
    },
    ALLOC_EXPORT,
    DEALLOC_EXPORT,
];

/// The function exports ABI v2 allows (read when present).
pub const OPTIONAL_V2: &[Export] = &[
    Export {
        name: names::POLICY_REASONS,
        signature: "() -> (i64)",
        doc: "(ptr << 32) | len of the module's own reason codes: a JSON array of {\"code\",\"rule\"}, read once at load",
    },
    Export {
        name: names::DECIDE_JSON,
        signature: "(i32, i32) -> (i64)",
        doc: "JSON request → (out_ptr << 32) | out_len of the decision JSON (diagnostics; the host decides through records)",
    },
];

/// The exports a module of `version` must have, or `None` for a version this host does not
/// speak.
#[must_use]
pub fn required_exports(version: i32) -> Option<&'static [Export]> {
    match version {
        ABI_V1 => Some(EXPORTS_V1),
        ABI_V2 => Some(EXPORTS_V2),
        _ => None,
    }
}

/// The name of the exported linear memory every pointer refers to.
pub const MEMORY: &str = "memory";

/// What a v2 policy module decides. Implement it on a unit type and export it with
/// [`export_policy_v2!`].
pub trait PolicyV2 {
    /// Packed hop-free request → packed decision, or `-1 - n` for the n-th error code.
    fn decide(request: i64) -> i64;
    /// One request record (hops included) → its answer.
    fn decide_record(record: &record::RecordView<'_>) -> record::Answer;
    /// The module's own reason codes, as the JSON array `policy_reasons` returns
    /// (`[{"code": "…", "rule": "…"}]`, at most 32); empty for none.
    fn reasons() -> &'static str {
        "[]"
    }
    /// A JSON request → the decision (or error) JSON (the optional diagnostic entry).
    fn decide_json(request: &str) -> alloc::string::String;
}

/// What a v1 policy module decides. Implement it on a unit type and export it with
/// [`export_policy_v1!`].
pub trait PolicyV1 {
    /// Packed hop-free request → packed decision, or `-1 - n` for the n-th error code.
    fn decide(request: i64) -> i64;
    /// A JSON request (any request, hops included) → the decision (or error) JSON.
    fn decide_json(request: &str) -> alloc::string::String;
}

/// The module of a policy's exports (wasm32 only): those v1 and v2 share — the ABI version,
/// `decide`, `decide_batch`, `alloc` and `dealloc`, over `$policy` as `$trait` — and the
/// version's own `$extra` items (used by [`export_policy_v1!`] and [`export_policy_v2!`];
/// not for direct use).
#[doc(hidden)]
#[macro_export]
macro_rules! __export_policy {
    ($policy:ty, $trait:path, $version:expr, { $($extra:item)* }) => {
        #[cfg(target_arch = "wasm32")]
        mod onbehalf_policy_exports {
            // The policy type is named at the call site.
            use super::*;

            /// ABI: the version this module implements.
            #[no_mangle]
            pub extern "C" fn onbehalf_abi_version() -> i32 {
                $version
            }

            /// ABI: packed request → packed decision.
            #[no_mangle]
            pub extern "C" fn decide(request: i64) -> i64 {
                <$policy as $trait>::decide(request)
            }

            /// ABI: decide `count` packed requests at `in_ptr` into `out_ptr`.
            #[no_mangle]
            pub extern "C" fn decide_batch(in_ptr: i32, out_ptr: i32, count: i32) -> i32 {
                $crate::guest::decide_batch(in_ptr, out_ptr, count, <$policy as $trait>::decide)
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

            $($extra)*
        }
    };
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
        $crate::__export_policy!($policy, $crate::PolicyV1, $crate::ABI_V1, {
            /// ABI: JSON request → the decision JSON (named `explain` in v1).
            #[no_mangle]
            pub extern "C" fn explain(ptr: i32, len: i32) -> i64 {
                $crate::guest::decide_json(ptr, len, <$policy as $crate::PolicyV1>::decide_json)
            }
        });
    };
}

/// Defines a wasm32 policy module's ABI v2 exports over a [`PolicyV2`] type (needs the
/// `guest` feature; the exports exist only on `wasm32`).
#[macro_export]
macro_rules! export_policy_v2 {
    ($policy:ty) => {
        $crate::__export_policy!($policy, $crate::PolicyV2, $crate::ABI_V2, {
            /// ABI: decide `count` request records into answer records.
            #[no_mangle]
            pub extern "C" fn decide_records(
                in_ptr: i32,
                in_len: i32,
                out_ptr: i32,
                count: i32,
            ) -> i32 {
                $crate::guest::decide_records(
                    in_ptr,
                    in_len,
                    out_ptr,
                    count,
                    <$policy as $crate::PolicyV2>::decide_record,
                )
            }

            /// ABI: the module's own reason codes (JSON).
            #[no_mangle]
            pub extern "C" fn policy_reasons() -> i64 {
                $crate::guest::text(<$policy as $crate::PolicyV2>::reasons())
            }

            /// ABI: JSON request → the decision JSON (diagnostics).
            #[no_mangle]
            pub extern "C" fn decide_json(ptr: i32, len: i32) -> i64 {
                $crate::guest::decide_json(ptr, len, <$policy as $crate::PolicyV2>::decide_json)
            }
        });
    };
}

/// Defines the embedding kit's exports (`docs/policy-abi.md` §11): each `name => function`
/// becomes `name(ptr: i32, len: i32) -> i64`, bytes in, bytes out (the `decide_json` memory
/// protocol), over `function: fn(&[u8]) -> Vec<u8>`. The default module exports the kit so
/// that a host in another language (the Python package) validates, encodes and checks
/// through the very code the Rust host runs.
#[macro_export]
macro_rules! export_kit {
    ($($name:ident => $function:path),+ $(,)?) => {
        #[cfg(target_arch = "wasm32")]
        mod onbehalf_kit_exports {
            use super::*;
            $(
                /// Embedding kit: bytes in, bytes out.
                #[no_mangle]
                pub extern "C" fn $name(ptr: i32, len: i32) -> i64 {
                    $crate::guest::bytes_call(ptr, len, $function)
                }
            )+
        }
    };
}
