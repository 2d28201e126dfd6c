//! A bounded HTTP load run against `onbehalf serve` on loopback:
//!   load <addr> <connections> <seconds> <batch size>
//! Each connection is one thread with one keep-alive HTTP/1.1 connection sending
//! `POST /v1/decide` bodies (one request, or an array of `batch` requests from the mix), for a
//! fixed time. Prints requests/s, decisions/s, p50/p99 latency and any non-200 answers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::{Duration, Instant};

use onbehalf_benches::client::Client;
use onbehalf_benches::mix::mix;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let connections: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(4);
    let seconds: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let batch: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(1);
    assert!(
        addr.starts_with("127.") || addr.starts_with("localhost"),
        "loopback only"
    );

    let requests: Vec<String> = mix().iter().map(|r| r.to_value().to_string()).collect();
    let bodies: Vec<String> = if batch <= 1 {
        requests.clone()
    } else {
        requests
            .chunks(batch)
            .map(|c| format!("[{}]", c.join(",")))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..connections)
        .map(|t| {
            let (addr, bodies) = (addr.clone(), bodies.clone());
            std::thread::spawn(move || {
                let mut client = Client::new(&addr);
                let (mut latencies, mut bad) = (Vec::new(), 0usize);
                let mut i = t;
                while Instant::now() < deadline {
                    let body = &bodies[i % bodies.len()];
                    i += connections;
                    let started = Instant::now();
                    let answer = client
                        .post(
                            "/v1/decide",
                            &[("Content-Type", "application/json")],
                            body.as_bytes(),
                        )
                        .unwrap();
                    latencies.push(started.elapsed());
                    bad += usize::from(answer.status != 200);
                }
                (latencies, bad)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut bad = 0;
    for t in threads {
        let (l, b) = t.join().unwrap();
        all.extend(l);
        bad += b;
    }
    all.sort();
    let n = all.len();
    let pct = |p: f64| all[((n as f64 * p) as usize).min(n - 1)];
    let per_sec = n as f64 / seconds as f64;
    println!(
        "load: {connections} connections, {seconds} s, batch {batch}: {n} requests ({per_sec:.0}/s), {:.0} decisions/s, p50 {:?}, p99 {:?}, non-200 {bad}",
        per_sec * batch.max(1) as f64,
        pct(0.50),
        pct(0.99)
    );
}
