//! Times the fix search on every worked example of the spec, and on the largest requests
//! (16 hops): `cargo run --release -p onbehalf-core --features alloc --example fix_timing`.
//! Reports the time per request; the criterion benches own the regression numbers.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use onbehalf_core::fix::{exposure, fixes};
use onbehalf_core::json::{parse_request, Value};

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> (T, f64) {
    let start = Instant::now();
    let mut last = None;
    for _ in 0..runs {
        last = Some(f());
    }
    (
        last.unwrap(),
        start.elapsed().as_secs_f64() * 1e6 / f64::from(runs),
    )
}

fn main() {
    let cases = Value::parse(include_str!("../tests/worked_examples.json")).unwrap();
    let Value::Array(cases) = cases else { return };
    let mut worst = (0.0, String::new());
    for case in &cases {
        let (Some(Value::String(id)), Some(request)) = (case.get("id"), case.get("request")) else {
            continue;
        };
        let Ok(request) = parse_request(&request.to_string()) else {
            continue;
        };
        let (found, micros) = time(20, || fixes(&request).unwrap());
        let first = found.first().map(onbehalf_core::fix::Fix::summary);
        println!(
            "{id:>4} {micros:>9.1} µs  {:>3} fixes  first: {}",
            found.len(),
            first.unwrap_or_default()
        );
        if micros > worst.0 {
            worst = (micros, id.clone());
        }
    }
    let hops: Vec<String> = (0..16)
        .map(|i| format!(r#"{{"target":"cifs/fs{i}","auth":"ntlm"}}"#))
        .collect();
    let big = format!(
        r#"{{"level":"impersonation","auth":"ntlm","hops":[{}]}}"#,
        hops.join(",")
    );
    let big = parse_request(&big).unwrap();
    let (found, micros) = time(5, || fixes(&big).unwrap());
    println!("16 hops, all ntlm: {micros:.1} µs, {} fixes", found.len());
    // Adversarial: a long chain that reaches far before failing, so hop levers pair widely.
    for (name, tail) in [
        ("16 hops, last ntlm", r#"{"target":"cifs/z","auth":"ntlm"}"#),
        (
            "16 hops, last two ntlm and schannel",
            r#"{"target":"cifs/y","auth":"ntlm"},{"target":"cifs/z","auth":"schannel"}"#,
        ),
    ] {
        let count = 16 - tail.matches("target").count();
        let head: Vec<String> = (0..count)
            .map(|i| format!(r#"{{"target":"cifs/h{i}"}}"#))
            .collect();
        let text = format!(
            r#"{{"level":"delegation","auth":"kerberos","delegation":{{"server_trust":"unconstrained"}},"hops":[{},{tail}]}}"#,
            head.join(",")
        );
        let request = parse_request(&text).unwrap();
        let (found, micros) = time(5, || fixes(&request).unwrap());
        println!("{name}: {micros:.1} µs, {} fixes", found.len());
    }
    let settings = parse_request(r#"{"level":"impersonation","delegation":{"server_trust":"constrained","allowed_targets":["cifs/fs1","http/web"]}}"#).unwrap();
    let (e, micros) = time(20, || exposure(&settings.delegation).unwrap());
    println!(
        "exposure (KCD, 2 targets): {micros:.1} µs, {} rows",
        e.rows.len()
    );
    println!("slowest worked example: {} ({:.1} µs)", worst.1, worst.0);
}
