//! Hostile policy modules in WAT (ABI v1) and the requests that trigger them: one template,
//! used by the host's tests, the memory-bound test and the soak run.

use onbehalf_core::{decide_packed, PackedDecision, PackedRequest, Request, RequestedLevel};
use onbehalf_host::policy::Limits;

/// The native core's decision (what every module should answer).
///
/// # Panics
/// For an invalid packed request.
#[allow(clippy::expect_used)]
#[must_use]
pub fn native(p: PackedRequest) -> PackedDecision {
    decide_packed(p).expect("a valid packed request")
}

/// The body of a well-behaved `decide_batch` (with `$in`, `$out`, `$n` and a local `$i` in
/// scope): `$decide` on each of the `$n` packed requests at `$in`, the decisions to `$out`.
const BATCH_LOOP: &str = r#"(block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (i64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3)))
                  (call $decide (i64.load (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 3))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))"#;

/// A minimal ABI v1 module in WAT whose `decide` misbehaves (runs `bad`) only for
/// delegation requests, so it passes the load-time smoke decision; `decide_batch` first runs
/// `bad_batch` (with `$in`, `$out`, `$n` in scope); `explain` runs `bad_explain`. Two mutable
/// globals, `$p` and `$e`, are free for the misbehaviour's use.
///
/// # Panics
/// When the WAT does not parse (a bug in the caller's snippet).
#[allow(clippy::expect_used)]
#[must_use]
pub fn hostile_module(bad: &str, bad_batch: &str, bad_explain: &str) -> Vec<u8> {
    let ok = native(impersonation()).raw();
    wat::parse_str(format!(
        r#"(module
          (memory (export "memory") 1)
          (global $p (mut i32) (i32.const 0))
          (global $e (mut i32) (i32.const 0))
          (func (export "onbehalf_abi_version") (result i32) i32.const 1)
          (func $decide (export "decide") (param i64) (result i64)
            (if (i64.eq (i64.and (local.get 0) (i64.const 7)) (i64.const 4)) (then {bad}))
            i64.const {ok})
          (func (export "decide_batch") (param $in i32) (param $out i32) (param $n i32) (result i32)
            (local $i i32)
            {bad_batch}
            {batch_loop}
            (local.get $n))
          (func (export "alloc") (param i32) (result i32) i32.const 1024)
          (func (export "dealloc") (param i32 i32))
          (func (export "explain") (param i32 i32) (result i64) {bad_explain} i64.const 0))"#,
        batch_loop = BATCH_LOOP,
    ))
    .expect("hostile WAT parses")
}

/// [`hostile_module`] with a well-behaved batch.
#[must_use]
pub fn hostile_with(bad: &str, bad_explain: &str) -> Vec<u8> {
    hostile_module(bad, "", bad_explain)
}

/// [`hostile_with`] whose `explain` traps.
#[must_use]
pub fn hostile(bad: &str) -> Vec<u8> {
    hostile_with(bad, "unreachable")
}

/// The soak run's faulting policy: `decide` loops until the fuel limit for delegation
/// requests (and answers impersonation's decision otherwise, so it loads); `decide_batch`
/// and `explain` trap.
#[must_use]
pub fn faulting_module() -> Vec<u8> {
    hostile_module("(loop $spin (br $spin))", "unreachable", "unreachable")
}

/// A packed delegation request (what triggers a hostile `decide`).
#[must_use]
pub fn delegation() -> PackedRequest {
    PackedRequest::pack(&Request::new(RequestedLevel::Delegation))
}

/// A packed impersonation request (answered correctly by every hostile module).
#[must_use]
pub fn impersonation() -> PackedRequest {
    PackedRequest::pack(&Request::new(RequestedLevel::Impersonation))
}

/// The default limits with a 4 MiB memory cap (memory bombs hit it quickly).
#[must_use]
pub fn small_limits() -> Limits {
    Limits {
        max_memory_bytes: 4 << 20,
        ..Limits::default()
    }
}

/// `wasm` plus a custom section of `payload` zero bytes: still a valid module, just big.
#[must_use]
pub fn with_padding(wasm: &[u8], payload: usize) -> Vec<u8> {
    let mut wasm = wasm.to_vec();
    let name = b"padding";
    let mut size = name.len() + 1 + payload;
    wasm.push(0); // custom section id
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            wasm.push(byte);
            break;
        }
        wasm.push(byte | 0x80);
    }
    wasm.push(name.len() as u8);
    wasm.extend_from_slice(name);
    wasm.resize(wasm.len() + payload, 0);
    wasm
}

/// A module whose `decide` answers `bad` for every request but the load-time smoke request
/// (answered correctly, so the module loads): ABI `version` 1 or 2. Its `decide_batch` uses
/// `decide`; v2's `decide_records` writes `record` (the 24 answer bytes as a WAT data string)
/// for every record; the JSON entry (`explain` / `decide_json`) answers `json`.
///
/// # Panics
/// When the WAT does not parse (a bug in the caller's arguments).
#[allow(clippy::expect_used)]
#[must_use]
pub fn answering_module(version: i32, bad: i64, record: &str, json: &str) -> Vec<u8> {
    let smoke = impersonation().raw();
    let ok = native(impersonation()).raw();
    let json_export = if version >= 2 {
        "decide_json"
    } else {
        "explain"
    };
    let records = if version >= 2 {
        r#"(func (export "decide_records") (param $in i32) (param $len i32) (param $out i32) (param $n i32) (result i32)
            (local $i i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (memory.copy (i32.add (local.get $out) (i32.mul (local.get $i) (i32.const 24))) (i32.const 4096) (i32.const 24))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (local.get $n))"#
    } else {
        ""
    };
    wat::parse_str(format!(
        r#"(module
          (memory (export "memory") 1)
          (data (i32.const 4096) "{record}")
          (data (i32.const 8192) "{json}")
          (func (export "onbehalf_abi_version") (result i32) i32.const {version})
          (func $decide (export "decide") (param i64) (result i64)
            (if (i64.eq (local.get 0) (i64.const {smoke})) (then (return (i64.const {ok}))))
            i64.const {bad})
          (func (export "decide_batch") (param $in i32) (param $out i32) (param $n i32) (result i32)
            (local $i i32)
            {batch_loop}
            (local.get $n))
          {records}
          (func (export "alloc") (param i32) (result i32) i32.const 16384)
          (func (export "dealloc") (param i32 i32))
          (func (export "{json_export}") (param i32 i32) (result i64)
            (i64.or (i64.shl (i64.const 8192) (i64.const 32)) (i64.const {json_len}))))"#,
        json = json.replace('\\', "\\\\").replace('"', "\\\""),
        json_len = json.len(),
        batch_loop = BATCH_LOOP,
    ))
    .expect("answering WAT parses")
}

/// 24 answer-record bytes as a WAT data string: a packed decision, then hop reason bytes.
#[must_use]
pub fn record_bytes(decision: i64, hops: &[u8]) -> String {
    let mut bytes = decision.to_le_bytes().to_vec();
    bytes.extend_from_slice(hops);
    bytes.resize(24, 0);
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A module from WAT text.
///
/// # Panics
/// When the WAT does not parse (a bug in the caller's text).
#[allow(clippy::expect_used)]
#[must_use]
pub fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test WAT parses")
}

/// Every ABI v1 export but the version and `decide`, well-behaved: what a module needs to
/// get past the export checks to the one under test.
pub const V1_REST: &str = r#"
  (func (export "decide_batch") (param i32 i32 i32) (result i32) local.get 2)
  (func (export "alloc") (param i32) (result i32) i32.const 1024)
  (func (export "dealloc") (param i32 i32))
  (func (export "explain") (param i32 i32) (result i64) i64.const 0)"#;
