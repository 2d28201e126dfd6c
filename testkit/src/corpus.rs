//! The hostile-module corpus every policy host is held to: careless and hostile modules
//! (refused at load, or faulting, or answering above the reference at call time) with the
//! requests that expose them, and what the Rust host answers — written out by the
//! `hostile-corpus` binary so that another host (the Python package) is tested against the
//! Rust host's own outcomes, not against a copy of them.

use onbehalf_core::json::{fail_closed_for, parse_request, Value};
use onbehalf_core::{Level, PackedDecision, Reach, Reasons};
use onbehalf_host::policy::{Limits, PolicyHost};

use crate::hostile::{
    answering_module, hostile, hostile_module, native, record_bytes, wat, V1_REST,
};

/// One module of the corpus.
pub struct Case {
    /// A file-name-safe name.
    pub name: &'static str,
    /// The module.
    pub wasm: Vec<u8>,
}

/// Grows memory 1 MiB at a time until the cap refuses (then loops into the fuel limit or
/// traps, whichever the host sees first).
pub const MEMORY_BOMB: &str = "(loop $l (drop (memory.grow (i32.const 16))) (br $l))";

/// The requests every module of the corpus is asked, one by one and all in one batch: the
/// hostile modules misbehave on delegation; one with hops takes the record path.
pub const REQUESTS: [&str; 5] = [
    r#"{"level":"impersonation"}"#,
    r#"{"level":"delegation"}"#,
    r#"{"level":"delegation","auth":"kerberos","delegation":{"server_trust":"unconstrained"}}"#,
    r#"{"level":"delegation","auth":"kerberos","delegation":{"server_trust":"unconstrained"},"hops":[{"target":"cifs/fs1"},{"target":"http/app"}]}"#,
    r#"{"level":"impersonation","auth":"ntlm","hops":[{"target":"MSSQLSvc/db1"}]}"#,
];

/// The exported memory every well-formed module has.
const MEMORY: &str = r#"(memory (export "memory") 1)"#;

/// An ABI-v1-shaped module: `head` (imports, the memory export, or neither), the version it
/// claims, its `decide` export's parameter type and constant answer, the other v1 exports.
fn v1_shaped(head: &str, version: i32, param: &str, answer: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module {head}
           (func (export "onbehalf_abi_version") (result i32) i32.const {version})
           (func (export "decide") (param {param}) (result i64) i64.const {answer}) {V1_REST})"#
    ))
}

/// A packed decision with no reasons.
fn packed(effective: Level, reach: Reach) -> i64 {
    PackedDecision::from_parts(effective, reach, Reasons::EMPTY).raw()
}

/// Every module of the corpus.
#[must_use]
pub fn cases() -> Vec<Case> {
    let above = packed(Level::Delegation, Reach::MultiHop);
    let allow_both = record_bytes(above, &[1, 1]);
    let case = |name, wasm| Case { name, wasm };
    vec![
        case("memory-bomb", hostile(MEMORY_BOMB)),
        case(
            "stack-overflow",
            hostile("(return (i64.add (call $decide (local.get 0)) (i64.const 1)))"),
        ),
        case("endless-loop", hostile("(loop $l (br $l))")),
        case(
            "out-of-bounds",
            hostile("(i64.store (i32.const 0x7ffffff0) (i64.const 1))"),
        ),
        case("malformed", hostile("(return (i64.const 0x7fffffffffff))")),
        case(
            "batch-traps",
            hostile_module("", "unreachable", "unreachable"),
        ),
        case("above-v1", answering_module(1, above, "", "{}")),
        case("above-v2", answering_module(2, above, &allow_both, "")),
        case(
            "grants-denied-hop",
            answering_module(
                2,
                native(crate::hostile::impersonation()).raw(),
                &allow_both,
                "",
            ),
        ),
        case("not-wasm", b"not wasm at all".to_vec()),
        case("abi-version-3", v1_shaped(MEMORY, 3, "i64", "0")),
        case("v2-without-records", v1_shaped(MEMORY, 2, "i64", "0")),
        case("wrong-signature", v1_shaped(MEMORY, 1, "i32", "0")),
        case(
            "imports",
            v1_shaped(
                &format!(r#"(import "env" "clock" (func)) {MEMORY}"#),
                1,
                "i64",
                "0",
            ),
        ),
        case("no-memory", v1_shaped("", 1, "i64", "0")),
        case("smoke-test", v1_shaped(MEMORY, 1, "i64", "0x7fffffffffff")),
        case(
            "start-traps",
            v1_shaped(
                &format!("{MEMORY} (func $start unreachable) (start $start)"),
                1,
                "i64",
                "0",
            ),
        ),
        case(
            "reasons-trap",
            wat(r#"(module (memory (export "memory") 1)
                (func (export "onbehalf_abi_version") (result i32) i32.const 2)
                (func (export "decide") (param i64) (result i64) i64.const 0)
                (func (export "decide_batch") (param i32 i32 i32) (result i32) local.get 2)
                (func (export "decide_records") (param i32 i32 i32 i32) (result i32) local.get 3)
                (func (export "alloc") (param i32) (result i32) i32.const 1024)
                (func (export "dealloc") (param i32 i32))
                (func (export "policy_reasons") (result i64) unreachable))"#),
        ),
        case(
            "v1-duplicate-keys",
            answering_module(
                1,
                native(crate::hostile::impersonation()).raw(),
                "",
                r#"{"effective":"anonymous","reach":"none","reasons":[],"hops":[],"hops":[]}"#,
            ),
        ),
    ]
}

/// The limits the corpus runs under: the defaults with a 4 MiB memory cap.
#[must_use]
pub fn limits() -> Limits {
    crate::hostile::small_limits()
}

fn answer_value(worker: &mut onbehalf_host::policy::Worker, text: &str) -> Value {
    let Ok(request) = parse_request(text) else {
        return Value::Null;
    };
    let (decision, fault) = match worker.decide(&request) {
        Ok(answer) => (answer.to_value(), Value::Null),
        Err(fault) => (
            fail_closed_for(fault.reason(), &request),
            Value::String(fault.name().into()),
        ),
    };
    obj(vec![("decision", decision), ("fault", fault)])
}

fn obj(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// What the Rust host does with `case`: `{"name", "load": refusal name or null, "single":
/// [{"decision","fault"} per request], "many": [decision per request]}`.
#[must_use]
pub fn outcome(case: &Case) -> Value {
    let host = match PolicyHost::from_bytes(&case.wasm, case.name, limits()) {
        Err(e) => {
            return obj(vec![
                ("name", Value::String(case.name.into())),
                ("load", Value::String(e.name().into())),
            ])
        }
        Ok(host) => host,
    };
    let mut worker = host.worker();
    let single = REQUESTS
        .iter()
        .map(|t| answer_value(&mut worker, t))
        .collect();
    let requests: Vec<_> = REQUESTS
        .iter()
        .filter_map(|t| parse_request(t).ok())
        .collect();
    let refs: Vec<_> = requests.iter().collect();
    let many = worker
        .decide_many(&refs)
        .into_iter()
        .zip(&requests)
        .map(|(answer, request)| match answer {
            Ok(answer) => answer.to_value(),
            Err(fault) => fail_closed_for(fault.reason(), request),
        })
        .collect();
    obj(vec![
        ("name", Value::String(case.name.into())),
        ("load", Value::Null),
        ("single", Value::Array(single)),
        ("many", Value::Array(many)),
    ])
}
