//! The host's memory stays bounded under hostile modules, reloads and HTTP abuse.
//!
//! One test in its own binary, so nothing else runs in the process while it reads the
//! process's resident set (`VmRSS`). One warm-up round fills the allocator's pools and
//! wasmtime's caches; then ten more rounds of the same abuse must not grow the resident set
//! by more than [`GROWTH_BOUND_MIB`], although each round makes modules touch hundreds of
//! MiB of linear memory and sends megabytes of hostile HTTP.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use onbehalf_host::policy::{Fault, Limits, LoadError, PolicyHost, Verdict, DEFAULT_MODULE};
use onbehalf_host::server::ServerConfig;
use onbehalf_testkit::corpus::MEMORY_BOMB;
use onbehalf_testkit::hostile::{delegation, hostile, hostile_with, impersonation, with_padding};
use onbehalf_testkit::http::{post_json, request};
use onbehalf_testkit::server::start_default;

/// The stated bound: resident-set growth from after the warm-up round to the end.
const GROWTH_BOUND_MIB: u64 = 48;

const ROUNDS: usize = 10;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Grows memory 1 MiB at a time and writes to every 4 KiB of it, so the memory is really
/// resident, until the limit refuses. (Filling it with `memory.fill` would not do: wasmtime
/// charges fuel per byte for bulk operations, so the fuel limit ends that first.)
const MEMORY_TOUCHER: &str = "(loop $grow
    (global.set $p (i32.shl (memory.grow (i32.const 16)) (i32.const 16)))
    (global.set $e (i32.add (global.get $p) (i32.const 1048576)))
    (loop $touch
      (i32.store8 (global.get $p) (i32.const 255))
      (global.set $p (i32.add (global.get $p) (i32.const 4096)))
      (br_if $touch (i32.lt_u (global.get $p) (global.get $e))))
    (br $grow))";

/// Each case: a module that misbehaves on delegation requests, and the fault it must give.
fn hostile_cases() -> Vec<(Vec<u8>, Fault)> {
    vec![
        (hostile(MEMORY_BOMB), Fault::MemoryLimit),
        (
            hostile("(return (i64.add (call $decide (local.get 0)) (i64.const 1)))"),
            Fault::StackOverflow,
        ),
        (hostile("(loop $l (br $l))"), Fault::OutOfFuel),
        (
            hostile("(i64.store (i32.const 0x7ffffff0) (i64.const 1))"),
            Fault::Trap,
        ),
        (
            hostile("(return (i64.const 0x7fffffffffff))"),
            Fault::MalformedAnswer,
        ),
    ]
}

fn modules_round(default_host: &PolicyHost, cases: &[(Vec<u8>, Fault)]) {
    for (wasm, fault) in cases {
        let host = PolicyHost::from_bytes(wasm, "hostile", Limits::default()).unwrap();
        let mut worker = host.worker();
        for _ in 0..4 {
            assert_eq!(worker.decide_packed(delegation()), Verdict::Fault(*fault));
            assert!(matches!(
                worker.decide_packed(impersonation()),
                Verdict::Decided(..)
            ));
        }
        // Hot reload into and out of the hostile module, on the long-lived host.
        default_host.reload(wasm, "hostile").unwrap();
        assert_eq!(
            default_host.worker().decide_packed(delegation()),
            Verdict::Fault(*fault)
        );
        default_host.reload(DEFAULT_MODULE, "default").unwrap();
    }
    // A valid 50 MB module is refused before it is compiled.
    let huge = with_padding(DEFAULT_MODULE, 50 << 20);
    assert!(matches!(
        default_host.reload(&huge, "huge"),
        Err(LoadError::TooLarge { .. })
    ));
    // An explain that makes its whole 64 MiB resident before the limit stops it.
    let bomb_explain = hostile_with("", MEMORY_TOUCHER);
    let host = PolicyHost::from_bytes(&bomb_explain, "bomb", Limits::default()).unwrap();
    let r = onbehalf_core::json::parse_request(
        r#"{"level":"delegation","hops":[{"target":"cifs/a"}]}"#,
    )
    .unwrap();
    assert_eq!(host.worker().decide(&r).unwrap_err(), Fault::MemoryLimit);
}

/// Path, headers, body, expected status.
type HttpCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [u8], u16);

/// The headers of a JSON request.
const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

fn http_round(addr: std::net::SocketAddr, batch: &str, deep: &str, oversized: &[u8]) {
    let cases: [HttpCase; 7] = [
        ("/v1/decide", JSON, b"{\"level\":", 400),
        ("/v1/decide", &[("Content-Type", "text/plain")], b"{}", 415),
        ("/v1/decide", JSON, deep.as_bytes(), 400),
        ("/v1/decide", JSON, oversized, 413),
        ("/v1/decide", JSON, batch.as_bytes(), 200),
        (
            "/v1/policy",
            &[("Authorization", "Bearer wrong-token-wrong-token")],
            DEFAULT_MODULE,
            403,
        ),
        ("/v1/explain", JSON, b"[1,2]", 400),
    ];
    for (path, headers, body, status) in cases {
        let reply = request(addr, "POST", path, headers, body);
        assert_eq!(reply.status, status, "{path} {}", reply.text());
    }
    assert_eq!(
        post_json(addr, "/v1/decide", r#"{"level":"impersonation"}"#).status,
        200
    );
}

#[test]
fn memory_stays_bounded_under_hostile_modules_reloads_and_http_abuse() {
    let cases = hostile_cases();
    let default_host = PolicyHost::with_default_module(Limits::default()).unwrap();
    let (addr, _) = start_default(ServerConfig::default());
    let one = r#"{"level":"delegation","auth":"kerberos","hops":[{"target":"cifs/fs1"}]}"#;
    let batch = format!("[{}]", vec![one; 10_000].join(","));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let oversized = vec![b' '; 2 << 20];

    let round = || {
        modules_round(&default_host, &cases);
        http_round(addr, &batch, &deep, &oversized);
    };
    round();
    let warm = rss_kib();
    let mut peak = warm;
    let mut series = vec![warm >> 10];
    for _ in 0..ROUNDS {
        round();
        let now = rss_kib();
        series.push(now >> 10);
        peak = peak.max(now);
    }
    let end = rss_kib();
    eprintln!(
        "memory_bounds: VmRSS after warm-up {} MiB, after each round {series:?} MiB, peak {} MiB, end {} MiB",
        warm >> 10,
        peak >> 10,
        end >> 10
    );
    assert!(
        end.saturating_sub(warm) < GROWTH_BOUND_MIB << 10,
        "resident set grew from {warm} KiB to {end} KiB over {ROUNDS} rounds"
    );
}
