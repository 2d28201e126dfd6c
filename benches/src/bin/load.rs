//! A bounded HTTP load run against `onbehalf serve` on loopback:
//!
//! ```text
//! load (--server target/release/onbehalf | --addr 127.0.0.1:8080)
//!      [--connections 4] [--seconds 5] [--batch 1]
//! ```
//!
//! Each connection is one thread with one keep-alive HTTP/1.1 connection sending
//! `POST /v1/decide` bodies (one request, or an array of `batch` requests from the mix), for a
//! fixed time. Prints requests/s, decisions/s, p50/p99 latency and any non-200 answers.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use onbehalf_benches::mix::mix;
use onbehalf_testkit::http::Client;
use onbehalf_testkit::server::ServerProcess;

/// Options of the load run.
#[derive(Debug, Parser)]
#[command(
    name = "load",
    about = "bounded HTTP load run against onbehalf serve on loopback"
)]
struct Options {
    /// Start this `onbehalf` binary on a free loopback port and load it.
    #[arg(long, conflicts_with = "addr", required_unless_present = "addr")]
    server: Option<std::path::PathBuf>,
    /// Load a server already listening here (loopback only).
    #[arg(long)]
    addr: Option<String>,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    connections: u64,
    /// How long to load.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Requests per body (1 sends single requests, more sends arrays).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    batch: u64,
}

/// Latencies and non-200 answers of one connection.
fn connection(
    addr: &str,
    bodies: &[String],
    first: usize,
    step: usize,
    deadline: Instant,
) -> Result<(Vec<Duration>, usize), String> {
    let mut client = Client::new(addr);
    let (mut latencies, mut bad) = (Vec::new(), 0usize);
    let mut i = first;
    while Instant::now() < deadline {
        let body = bodies.get(i % bodies.len()).map_or("", String::as_str);
        i += step;
        let started = Instant::now();
        let answer = client
            .post_json("/v1/decide", body)
            .map_err(|e| e.to_string())?;
        latencies.push(started.elapsed());
        bad += usize::from(answer.status != 200);
    }
    Ok((latencies, bad))
}

fn load(o: &Options, addr: &str) -> Result<(), String> {
    if !(addr.starts_with("127.") || addr.starts_with("localhost")) {
        return Err(format!("--addr {addr}: loopback only"));
    }
    let requests: Vec<String> = mix().iter().map(|r| r.to_value().to_string()).collect();
    let batch = usize::try_from(o.batch).map_err(|e| e.to_string())?;
    let bodies: Vec<String> = if batch == 1 {
        requests
    } else {
        requests
            .chunks(batch)
            .map(|c| format!("[{}]", c.join(",")))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let step = usize::try_from(o.connections).map_err(|e| e.to_string())?;
    let results: Vec<_> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..step)
            .map(|t| {
                let bodies = &bodies;
                s.spawn(move || connection(addr, bodies, t, step, deadline))
            })
            .collect();
        threads.into_iter().map(|t| t.join()).collect()
    });
    let mut all = Vec::new();
    let mut bad = 0;
    for result in results {
        let (latencies, b) = result.map_err(|_| "a connection thread panicked".to_owned())??;
        all.extend(latencies);
        bad += b;
    }
    all.sort();
    let n = all.len();
    let pct = |p: f64| {
        all.get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let per_sec = n as f64 / o.seconds as f64;
    println!(
        "load: {} connections, {} s, batch {batch}: {n} requests ({per_sec:.0}/s), {:.0} decisions/s, p50 {:?}, p99 {:?}, non-200 {bad}",
        o.connections,
        o.seconds,
        per_sec * batch as f64,
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}

fn main() -> ExitCode {
    let o = Options::parse();
    let result = match (&o.server, &o.addr) {
        (Some(binary), _) => ServerProcess::start(binary, &[]).and_then(|s| load(&o, &s.addr)),
        (None, Some(addr)) => load(&o, addr),
        (None, None) => Err("give --server or --addr".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}
