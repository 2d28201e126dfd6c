//! The wasmtime policy host: exhaustive agreement with the native core, hostile modules,
//! hot reload under load, and somebody else's (stricter) policy.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use onbehalf_core::json::{decision_to_value, fail_closed_for, parse_request, Value};
use onbehalf_core::*;
use onbehalf_host::policy::{
    Fault, Limits, LoadError, PolicyHost, Verdict, DEFAULT_MODULE, POLICY_MODULE_FAULT,
    STRICT_EXAMPLE_MODULE as STRICT_MODULE,
};

use onbehalf_testkit::hostile::{
    delegation, hostile, hostile_module, hostile_with, impersonation, native, small_limits, wat,
    with_padding, V1_REST,
};
use onbehalf_testkit::wait::{eventually, PATIENCE};

#[allow(clippy::unwrap_used)] // a test helper: failing is its job
fn default_host() -> PolicyHost {
    PolicyHost::with_default_module(Limits::default()).unwrap()
}

#[test]
fn embedded_module_agrees_with_native_core_on_the_whole_domain() {
    let host = default_host();
    let mut worker = host.worker();
    let mut n = 0;
    for p in PackedRequest::all() {
        assert_eq!(
            worker.decide_packed(p),
            Verdict::decided(native(p)),
            "{:?}",
            p.unpack()
        );
        n += 1;
    }
    assert_eq!(n, DOMAIN_SIZE);
    assert_eq!(host.stats().total_faults(), 0);
}

#[test]
fn decide_batch_agrees_with_native_core_on_the_whole_domain() {
    let host = default_host();
    let mut worker = host.worker();
    let all: Vec<PackedRequest> = PackedRequest::all().collect();
    for chunk in all.chunks(1024) {
        let got = worker.decide_batch(chunk);
        let want: Vec<Verdict> = chunk.iter().map(|p| Verdict::decided(native(*p))).collect();
        assert_eq!(got, want);
    }
    // Invalid requests in a batch are answered by the host, the rest by the module.
    let bad = PackedRequest::from_raw(7).unwrap(); // level 7
    let good = all[0];
    assert_eq!(
        worker.decide_batch(&[bad, good]),
        [
            Verdict::Invalid(ErrorCode::UnknownLevel),
            Verdict::decided(native(good))
        ]
    );
}

#[test]
fn json_requests_with_hops_go_through_the_module_and_match_the_spec() {
    let host = default_host();
    let mut worker = host.worker();
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../core/tests/worked_examples.json")).unwrap();
    for case in cases.iter().filter(|c| c["expect"].get("error").is_none()) {
        let request = parse_request(&case["request"].to_string()).unwrap();
        let got = worker.decide(&request).unwrap().to_value();
        let got: serde_json::Value = serde_json::from_str(&got.to_string()).unwrap();
        assert_eq!(got, case["expect"], "{}", case["id"]);
    }
}

#[test]
fn hostile_modules_fail_closed_at_call_time_and_the_host_keeps_answering() {
    let cases = [
        ("(loop $l (br $l))", Fault::OutOfFuel),
        (
            "(loop $l (drop (memory.grow (i32.const 16))) (br $l))",
            Fault::MemoryLimit,
        ),
        ("unreachable", Fault::Trap),
        (
            "(drop (i32.div_u (i32.const 1) (i32.const 0)))",
            Fault::Trap,
        ),
        ("(drop (i64.load (i32.const 1000000)))", Fault::Trap),
        ("(return (i64.const -1000))", Fault::MalformedAnswer),
        (
            "(return (i64.const 0x7fffffffffff))",
            Fault::MalformedAnswer,
        ),
        ("(return (i64.const -1))", Fault::MalformedAnswer), // an error code for a valid request
        ("(return_call $decide (local.get 0))", Fault::OutOfFuel), // endless tail recursion
    ];
    for (bad, fault) in cases {
        let host = PolicyHost::from_bytes(&hostile(bad), "hostile", small_limits()).unwrap();
        let mut worker = host.worker();
        assert_eq!(
            worker.decide_packed(delegation()),
            Verdict::Fault(fault),
            "{bad}"
        );
        // The fault is reported as that generation's (the x-onbehalf-policy-generation header).
        assert_eq!(worker.generation(), Some(1), "{bad}");
        // The same worker answers the next (harmless) request.
        assert!(
            matches!(worker.decide_packed(impersonation()), Verdict::Decided(..)),
            "{bad}"
        );
        assert_eq!(
            worker.decide_batch(&[delegation(), impersonation()])[0],
            Verdict::Fault(fault),
            "{bad}"
        );
        assert_eq!(host.stats().total_faults(), 2, "{bad}");
    }
}

#[test]
fn stack_exhaustion_fails_closed() {
    let wasm = hostile("(return (i64.add (call $decide (local.get 0)) (i64.const 1)))");
    let host = PolicyHost::from_bytes(&wasm, "recursion", small_limits()).unwrap();
    let mut worker = host.worker();
    assert_eq!(
        worker.decide_packed(delegation()),
        Verdict::Fault(Fault::StackOverflow)
    );
    assert!(matches!(
        worker.decide_packed(impersonation()),
        Verdict::Decided(..)
    ));
}

#[test]
fn json_path_faults_give_the_fail_closed_decision_for_every_hop() {
    let host = PolicyHost::from_bytes(&hostile("unreachable"), "trap", small_limits()).unwrap();
    let mut worker = host.worker();
    let request = parse_request(
        r#"{"level":"delegation","delegation":{"server_trust":"unconstrained"},"hops":[{"target":"cifs/a"},{"target":"cifs/b"}]}"#,
    )
    .unwrap();
    let fault = worker.decide(&request).unwrap_err();
    assert_eq!(fault, Fault::Trap);
    let answer = fail_closed_for(fault.reason(), &request);
    assert_eq!(
        answer.to_string(),
        format!(
            r#"{{"effective":"anonymous","reach":"none","reasons":["{f}"],"hops":[{{"target":"cifs/a","allowed":false,"as":"anonymous","reason":"{f}"}},{{"target":"cifs/b","allowed":false,"as":"anonymous","reason":"{f}"}}]}}"#,
            f = POLICY_MODULE_FAULT
        )
    );
    // A module whose explain "answers" outside its memory is malformed, not a crash.
    let host = PolicyHost::from_bytes(
        &hostile_with("", "(return (i64.const 0x7fff000000000010))"),
        "oob",
        small_limits(),
    )
    .unwrap();
    let fault = host.worker().decide(&request).unwrap_err();
    assert_eq!(fault, Fault::MalformedAnswer);
}

/// A module's memory as the ABI wants it.
const MEMORY: &str = r#"(memory (export "memory") 1)"#;
/// A well-formed `decide` (its parameters, result and body) answering 0.
const DECIDE: &str = "(param i64) (result i64) i64.const 0";

/// A module of `head` (its memory, imports, …), ABI `version`, a `decide` of `decide`'s
/// signature and body, and the other v1 exports well-behaved ([`V1_REST`]).
fn v1_module(head: &str, version: i32, decide: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module {head}
           (func (export "onbehalf_abi_version") (result i32) i32.const {version})
           (func (export "decide") {decide}) {V1_REST})"#
    ))
}

#[test]
fn broken_modules_are_refused_at_load_with_a_named_error() {
    let limits = Limits::default();
    let load = |bytes: &[u8]| PolicyHost::from_bytes(bytes, "test", limits).err().unwrap();

    assert!(matches!(load(b"\0asm garbage"), LoadError::Invalid(_)));
    assert!(matches!(load(b"not wasm at all"), LoadError::Invalid(_)));
    let e = load(&v1_module(MEMORY, 3, DECIDE));
    assert!(matches!(e, LoadError::AbiVersion { found: 3 }), "{e}");
    assert_eq!(e.name(), "abi-version");
    // Version 2 requires the record entry.
    let e = load(&v1_module(MEMORY, 2, DECIDE));
    assert!(
        matches!(e, LoadError::MissingExport("decide_records")),
        "{e}"
    );
    assert_eq!(e.name(), "missing-export");
    let e = load(&wat(r#"(module (memory (export "memory") 1)
           (func (export "onbehalf_abi_version") (result i32) i32.const 1)
           (func (export "decide") (param i64) (result i64) i64.const 0))"#));
    assert!(matches!(e, LoadError::MissingExport("decide_batch")), "{e}");
    let e = load(&v1_module(
        MEMORY,
        1,
        "(param i32) (result i64) i64.const 0",
    ));
    assert!(
        matches!(
            &e,
            LoadError::WrongSignature {
                export: "decide",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "policy module export `decide` is (i32) -> (i64); the policy ABI requires (i64) -> (i64)"
    );
    let e = load(&v1_module(
        &format!(r#"(import "env" "clock" (func)) {MEMORY}"#),
        1,
        DECIDE,
    ));
    assert!(
        matches!(&e, LoadError::Import { module, name } if module == "env" && name == "clock"),
        "{e}"
    );
    let e = load(&v1_module("", 1, DECIDE));
    assert!(matches!(e, LoadError::MissingExport("memory")), "{e}");
    // A start function that never ends is stopped by fuel at load.
    let e = load(&v1_module(
        &format!(r#"{MEMORY} (start $s) (func $s (loop $l (br $l)))"#),
        1,
        DECIDE,
    ));
    assert!(matches!(e, LoadError::Instantiate(_)), "{e}");
    // A module that answers the smoke request with garbage.
    let e = load(&v1_module(
        MEMORY,
        1,
        "(param i64) (result i64) i64.const -99",
    ));
    assert!(matches!(e, LoadError::SmokeTest { found: -99, .. }), "{e}");
    // Features a policy may not use (docs/policy-abi.md §1): a shared memory (threads),
    // relaxed SIMD (non-deterministic), a 64-bit memory, a second memory.
    for memory in [
        r#"(memory (export "memory") 1 1 shared)"#,
        r#"(memory (export "memory") i64 1)"#,
        r#"(memory (export "memory") 1) (memory 1)"#,
    ] {
        let e = load(&v1_module(memory, 1, DECIDE));
        assert!(matches!(e, LoadError::Invalid(_)), "{memory}: {e}");
    }
    let e = load(&v1_module(MEMORY, 1, "(param i64) (result i64) (drop (i32x4.relaxed_trunc_f32x4_s (v128.const i32x4 0 0 0 0))) i64.const 6"));
    assert!(matches!(e, LoadError::Invalid(_)), "relaxed SIMD: {e}");
    let e = PolicyHost::from_bytes(
        DEFAULT_MODULE,
        "x",
        Limits {
            max_module_bytes: 1000,
            ..limits
        },
    )
    .err()
    .unwrap();
    assert!(matches!(e, LoadError::TooLarge { .. }), "{e}");
}

#[test]
fn a_refused_reload_keeps_the_old_module() {
    let host = default_host();
    let mut worker = host.worker();
    assert!(host.reload(b"garbage", "bad").is_err());
    assert_eq!(host.info().generation, 1);
    assert_eq!(host.info().source, "embedded default");
    assert_eq!(
        worker.decide_packed(delegation()),
        Verdict::decided(native(delegation()))
    );
    assert_eq!(host.stats().reload_failures.load(Ordering::Relaxed), 1);
}

#[test]
fn hot_reloads_under_concurrent_load_answer_from_the_module_loaded_at_the_time() {
    // Two modules with different answers, alternating: an answer must be the one of the
    // module the worker used for that call (odd generations: default, even: strict), so a
    // worker stuck on an old module, or a call mixing two, fails.
    let host = default_host();
    let strict_host = PolicyHost::from_bytes(STRICT_MODULE, "strict", Limits::default()).unwrap();
    let all: Arc<Vec<PackedRequest>> =
        Arc::new(PackedRequest::representatives().step_by(373).collect());
    let strict: Arc<Vec<Verdict>> = Arc::new({
        let mut w = strict_host.worker();
        all.iter().map(|p| w.decide_packed(*p)).collect()
    });
    assert!(all
        .iter()
        .zip(strict.iter())
        .any(|(p, s)| *s != Verdict::decided(native(*p))));
    const WORKERS: usize = 4;
    const RELOADS: u64 = 40;
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    // The newest generation each worker has answered from: the reloader waits until every
    // worker has used the current module before loading the next, so each worker sees every
    // generation however the threads are scheduled (a fixed pause between reloads let a
    // starved worker miss them all on a loaded machine).
    let seen: Arc<Vec<AtomicU64>> = Arc::new((0..WORKERS).map(|_| AtomicU64::new(0)).collect());
    let clients: Vec<_> = (0..WORKERS)
        .map(|c| {
            let (host, all, strict, stop, answered, seen) = (
                host.clone(),
                all.clone(),
                strict.clone(),
                stop.clone(),
                answered.clone(),
                seen.clone(),
            );
            std::thread::spawn(move || {
                let mut worker = host.worker();
                let (mut i, mut wrong, mut generations) = (c, 0, std::collections::HashSet::new());
                while !stop.load(Ordering::Acquire) || i < 5_000 {
                    let k = i % all.len();
                    let p = all[k];
                    let got = if i % 10 == 0 {
                        worker.decide_batch(&[p, p])
                    } else {
                        vec![worker.decide_packed(p)]
                    };
                    let generation = worker.generation().unwrap();
                    generations.insert(generation);
                    seen[c].fetch_max(generation, Ordering::Release);
                    let want = if generation % 2 == 1 {
                        Verdict::decided(native(p))
                    } else {
                        strict[k]
                    };
                    wrong += usize::from(got.iter().any(|v| *v != want));
                    answered.fetch_add(1, Ordering::Relaxed);
                    i += WORKERS;
                }
                (wrong, generations.len())
            })
        })
        .collect();
    let everyone_has_seen = |generation: u64| {
        eventually(PATIENCE, || {
            seen.iter().all(|s| s.load(Ordering::Acquire) >= generation)
        })
    };
    // 40 reloads (each compiles a module: most of this test's time).
    for n in 0..RELOADS {
        assert!(
            everyone_has_seen(n + 1),
            "a worker never answered from generation {}",
            n + 1
        );
        let module = if n % 2 == 0 {
            STRICT_MODULE
        } else {
            DEFAULT_MODULE
        };
        host.reload(module, &format!("reload {n}")).unwrap();
    }
    assert!(everyone_has_seen(RELOADS + 1));
    stop.store(true, Ordering::Release);
    let results: Vec<(usize, usize)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(
        results.iter().map(|r| r.0).sum::<usize>(),
        0,
        "wrong answers"
    );
    // A worker may skip no generation: it answered from each before the next was loaded.
    assert!(
        results.iter().all(|r| r.1 == (RELOADS + 1) as usize),
        "every worker saw every module: {results:?}"
    );
    assert!(answered.load(Ordering::Relaxed) >= 5_000);
    assert_eq!(host.info().generation, RELOADS + 1);
    assert_eq!(host.stats().total_faults(), 0);
}

#[test]
fn strict_policy_changes_exactly_the_verdicts_it_is_meant_to() {
    let host = PolicyHost::from_bytes(STRICT_MODULE, "strict", Limits::default()).unwrap();
    let mut worker = host.worker();
    let (mut changed, mut multi_hop) = (0, 0);
    // Every one-domain request, and every decision class of the other realms.
    for p in PackedRequest::representatives() {
        let ctx = p.unpack().unwrap();
        let Verdict::Decided(strict, own) = worker.decide_packed(p) else {
            panic!("fault on {ctx:?}")
        };
        let strict = strict.unpack();
        // Its own reasons say which of its two rules changed the answer.
        let unconstrained = ctx.delegation.server_trust == ServerTrust::Unconstrained;
        assert_eq!(own & 1 == 1, unconstrained, "{ctx:?}");
        let reference = native(p).unpack();
        multi_hop += usize::from(reference.reach == Reach::MultiHop);
        assert_ne!(strict.reach, Reach::MultiHop);
        let trust = ctx.delegation.server_trust;
        if trust != ServerTrust::Unconstrained && reference.reach != Reach::MultiHop {
            assert_eq!(strict, reference, "{ctx:?}"); // untouched
        } else {
            let mut decided_as = ctx;
            if trust == ServerTrust::Unconstrained {
                decided_as.delegation.server_trust = ServerTrust::None;
            }
            let mut expected = native(PackedRequest::pack(&decided_as)).unpack();
            if expected.reach == Reach::MultiHop {
                // Capped, and the codes reporting the multi-hop grant dropped with it.
                expected.reach = Reach::Network;
                expected
                    .reasons
                    .remove(Reason::ServerSideConstrainedDelegation);
                expected.reasons.remove(Reason::ProtocolTransitionUsed);
            }
            assert_eq!(strict, expected, "{ctx:?}");
            changed += usize::from(strict != reference);
        }
    }
    // Every multi-hop verdict changes, plus the unconstrained ones that were not multi-hop.
    assert!(
        multi_hop > 0 && changed > multi_hop,
        "{changed} changed, {multi_hop} multi-hop"
    );

    // Through JSON with hops: W16 (unconstrained) loses delegation; W15 (KCD) keeps one hop.
    let w16 = parse_request(r#"{"level":"delegation","auth":"kerberos","delegation":{"server_trust":"unconstrained"},"hops":[{"target":"cifs/fs1"},{"target":"http/web2"}]}"#).unwrap();
    let got = worker.decide(&w16).unwrap().to_value().to_string();
    assert_eq!(
        got,
        r#"{"effective":"impersonation","reach":"local","reasons":["server-not-trusted-for-delegation","strict-no-unconstrained-delegation"],"hops":[{"target":"cifs/fs1","allowed":false,"as":"anonymous","reason":"hop-no-credentials"},{"target":"http/web2","allowed":false,"as":"anonymous","reason":"hop-chain-broken"}]}"#
    );
    let kcd = parse_request(r#"{"level":"delegation","delegation":{"server_trust":"constrained","allowed_targets":["cifs/a","cifs/b"]},"hops":[{"target":"cifs/a"},{"target":"cifs/b"}]}"#).unwrap();
    let got = worker.decide(&kcd).unwrap().to_value();
    let reference = decision_to_value(&decide(&kcd).unwrap());
    assert_eq!(
        reference.get("reach"),
        Some(&Value::String("multi-hop".into()))
    );
    assert_eq!(
        got.to_string(),
        r#"{"effective":"delegation","reach":"network","reasons":["strict-reach-capped-at-network"],"hops":[{"target":"cifs/a","allowed":true,"as":"client","reason":"hop-constrained-target-allowed"},{"target":"cifs/b","allowed":false,"as":"anonymous","reason":"strict-reach-capped-at-network"}]}"#
    );
}

#[test]
fn a_module_writing_outside_the_buffer_it_was_given_is_contained() {
    let request = [delegation(), impersonation()];
    let expected: Vec<Verdict> = request
        .iter()
        .map(|r| Verdict::decided(native(*r)))
        .collect();
    // Past the end of its own linear memory: a trap, answered fail-closed.
    let wasm = hostile_module("", "(i64.store (i32.const 0xfffffff8) (i64.const 0))", "");
    let host = PolicyHost::from_bytes(&wasm, "oob-write", small_limits()).unwrap();
    let mut worker = host.worker();
    assert_eq!(
        worker.decide_batch(&request),
        vec![Verdict::Fault(Fault::Trap); 2]
    );
    assert_eq!(
        worker.decide_batch(&request[1..]),
        vec![Verdict::Fault(Fault::Trap)]
    );
    // Inside its memory but outside the buffer (over the input, over address 0, over the
    // whole first page): the module only damages its own sandbox, and the host reads only
    // the output buffer, so correct answers still come out and nothing else is affected.
    let wasm = hostile_module(
        "(return (i64.const 0x0))",
        "(memory.fill (i32.const 0) (i32.const 0xab) (local.get $in))
         (memory.fill (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3)))
                      (i32.const 0xcd) (i32.const 4096))",
        "",
    );
    let host = PolicyHost::from_bytes(&wasm, "scribbler", small_limits()).unwrap();
    let mut worker = host.worker();
    // Its `decide` answers 0 for delegation requests: that is a well-formed decision of its
    // own policy, not a fault, so only the impersonation answer is compared.
    let answers = worker.decide_batch(&request);
    assert_eq!(answers[1], expected[1]);
    assert!(matches!(answers[0], Verdict::Decided(..)));
    assert_eq!(host.stats().total_faults(), 0);
    // Returning a count other than the one asked for is malformed.
    let wasm = hostile_module("", "(return (i32.add (local.get $n) (i32.const 1)))", "");
    let host = PolicyHost::from_bytes(&wasm, "miscount", small_limits()).unwrap();
    assert_eq!(
        host.worker().decide_batch(&request),
        vec![Verdict::Fault(Fault::MalformedAnswer); 2]
    );
}

/// A module whose `decide` spins `iterations` times on delegation requests, then answers
/// correctly.
fn spinner(iterations: u32) -> Vec<u8> {
    hostile(&format!(
        "(local.set 0 (i64.const {iterations}))
         (loop $l (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
                  (br_if $l (i64.gt_s (local.get 0) (i64.const 0))))
         (return (i64.const {}))",
        native(delegation()).raw()
    ))
}

#[allow(clippy::unwrap_used)] // a test helper: failing is its job
fn spin_verdict(iterations: u32, limits: Limits) -> Verdict {
    let host = PolicyHost::from_bytes(&spinner(iterations), "spinner", limits).unwrap();
    let mut worker = host.worker();
    worker.decide_packed(delegation())
}

#[test]
fn a_module_taking_exactly_the_fuel_limit_decides_and_one_step_more_fails_closed() {
    let limits = small_limits();
    let decided = Verdict::decided(native(delegation()));
    // Binary search for the largest loop count that still fits the fuel of one call.
    let (mut fits, mut too_much) = (0_u32, 1_000_000_u32);
    assert_eq!(spin_verdict(fits, limits), decided);
    assert_eq!(
        spin_verdict(too_much, limits),
        Verdict::Fault(Fault::OutOfFuel)
    );
    while too_much - fits > 1 {
        let mid = fits + (too_much - fits) / 2;
        if spin_verdict(mid, limits) == decided {
            fits = mid;
        } else {
            assert_eq!(spin_verdict(mid, limits), Verdict::Fault(Fault::OutOfFuel));
            too_much = mid;
        }
    }
    // The edge is where the fuel runs out: a few wasm instructions per iteration.
    let per_iteration = limits.decide_fuel / u64::from(fits);
    assert!((2..=10).contains(&per_iteration), "{fits} iterations fit");
    // The same module on the edge decides again once the budget is raised, so it was the
    // fuel and nothing else that stopped it.
    let raised = Limits {
        decide_fuel: limits.decide_fuel * 2,
        ..limits
    };
    assert_eq!(spin_verdict(too_much, raised), decided);
}

#[test]
fn a_valid_module_of_50_mb_is_refused_before_it_is_compiled() {
    // The embedded module plus a 50 MB custom section: still a valid module.
    let wasm = with_padding(onbehalf_host::policy::DEFAULT_MODULE, 50 * 1024 * 1024);
    assert!(wasmparser_accepts(&wasm));
    let err = PolicyHost::from_bytes(&wasm, "big", Limits::default())
        .err()
        .unwrap();
    assert!(
        matches!(err, onbehalf_host::policy::LoadError::TooLarge { .. }),
        "{err}"
    );
    // With the size limit raised it loads, so it was the size that refused it.
    let roomy = Limits {
        max_module_bytes: 64 << 20,
        ..Limits::default()
    };
    assert!(PolicyHost::from_bytes(&wasm, "big", roomy).is_ok());
}

fn wasmparser_accepts(wasm: &[u8]) -> bool {
    wasmtime::Module::validate(&wasmtime::Engine::default(), wasm).is_ok()
}
