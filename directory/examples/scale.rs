//! Times the directory at scale on a seeded synthetic domain (10,000 accounts, 2,000
//! delegation entries, SharpHound spelling): loading the collection, `audit`, and `check`
//! per request beside `decide` of the same filled request.
//!
//! `cargo run --release -p onbehalf-directory --example scale`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::time::Instant;

use onbehalf_core::json::{decide_str, Value};
use onbehalf_directory::check::{check_str, REQUEST_KEY};
use onbehalf_directory::Directory;
use onbehalf_workload::domain::generate;
use onbehalf_workload::Rng;

/// Nanoseconds per call of `f` over `inputs`, 20 rounds.
fn per_call<T, R>(inputs: &[T], f: impl Fn(&T) -> R) -> f64 {
    const ROUNDS: usize = 20;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        for input in inputs {
            std::hint::black_box(f(input));
        }
    }
    started.elapsed().as_nanos() as f64 / (ROUNDS * inputs.len()) as f64
}

fn main() {
    let domain = generate(1, 10_000, 2_000);
    let dir = std::env::temp_dir().join("onbehalf-scale");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in &domain.files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let started = Instant::now();
    let directory = Directory::load(&dir).unwrap();
    let load = started.elapsed();
    let started = Instant::now();
    let findings = onbehalf_directory::audit::audit(&directory, |_, _| {});
    let audit = started.elapsed();
    let delegations: usize = directory
        .accounts
        .iter()
        .map(|a| {
            a.allowed_to_delegate_to.len()
                + a.allowed_to_act.len()
                + usize::from(a.trusted_for_delegation)
        })
        .sum();
    // Named requests and the same requests filled, decided directly.
    let named_like = |prefix: &str| -> Vec<&str> {
        let accounts = domain.accounts.iter().filter(|a| a.sam.starts_with(prefix));
        accounts.map(|a| a.sam.as_str()).collect()
    };
    let (users, servers) = (named_like("user"), named_like("svc"));
    let mut rng = Rng(3);
    let named: Vec<String> = (0..2_000)
        .map(|i| {
            let target = format!("cifs/srv{}.scale.test", 2 + rng.below(1_998));
            format!(
                r#"{{"level":"impersonation","auth":"{}","client_account":"{}","server_account":"{}","hops":[{{"target":"{target}"}}]}}"#,
                ["kerberos", "ntlm"][i % 2],
                users[rng.below(users.len())],
                servers[rng.below(servers.len())]
            )
        })
        .collect();
    let filled: Vec<String> = named
        .iter()
        .map(|n| {
            Value::parse(&check_str(&directory, n))
                .unwrap()
                .get(REQUEST_KEY)
                .map(Value::to_json)
                .expect("filled")
        })
        .collect();
    let check_ns = per_call(&named, |t| check_str(&directory, t));
    let decide_ns = per_call(&filled, |t| decide_str(t));
    // The directory's own work: names → the filled typed request, from parsed JSON, beside
    // the spec's own reading of the filled request (parsed JSON → typed request).
    let named_values: Vec<Value> = named.iter().map(|t| Value::parse(t).unwrap()).collect();
    let filled_values: Vec<Value> = filled.iter().map(|t| Value::parse(t).unwrap()).collect();
    let fill_ns = per_call(&named_values, |v| {
        onbehalf_directory::check::fill(&directory, v).is_ok()
    });
    let read_ns = per_call(&filled_values, |v| {
        onbehalf_core::json::request_from_value(v).is_ok()
    });
    println!("| what | time |");
    println!("|---|---:|");
    println!(
        "| accounts / delegation entries | {} / {delegations} |",
        directory.accounts.len()
    );
    println!(
        "| load the collection (4 files, {} MB) | {:.0} ms |",
        domain.files.iter().map(|f| f.1.len()).sum::<usize>() >> 20,
        load.as_secs_f64() * 1e3
    );
    println!(
        "| audit ({} findings, each with its check) | {:.0} ms |",
        findings.len(),
        audit.as_secs_f64() * 1e3
    );
    println!(
        "| check, text → text, per request | {:.1} µs |",
        check_ns / 1e3
    );
    println!(
        "| decide of the filled request, text → text | {:.1} µs |",
        decide_ns / 1e3
    );
    println!("| check over decide (the answer also carries the filled request and ~8 facts) | {:.1} µs |", (check_ns - decide_ns) / 1e3);
    println!(
        "| fill: parsed named request → filled typed request | {:.1} µs |",
        fill_ns / 1e3
    );
    println!(
        "| the spec's reading of the filled request (parsed → typed) | {:.1} µs |",
        read_ns / 1e3
    );
    println!(
        "| fill over the spec's reading | {:.1} µs |",
        (fill_ns - read_ns) / 1e3
    );
}
