//! A bounded load-and-fault soak of `onbehalf serve` on loopback:
//!
//! ```text
//! soak --server target/release/onbehalf [--seconds 60] [--clients 4]
//!      [--reload-every-ms 250] [--rss-growth-bound-mib 64]
//! ```
//!
//! 1. Starts the server (`--addr 127.0.0.1:0 --admin-token-file …`).
//! 2. Calibrates: for each policy of the cycle — the default module, the strict example
//!    module, and a faulting module (traps in `explain` and `decide_batch`, runs out of fuel
//!    in `decide` for delegation requests) — uploads it and records the answer to every
//!    request of the mix, single and in batches of 64.
//! 3. Soaks: `clients` keep-alive connections send the mix (single requests, every eighth a
//!    batch) for `seconds`, while a reloader cycles default → strict → faulting → garbage
//!    (refused, the current policy stays). Every answer must equal the calibrated answer of
//!    one of the three policies for that request; an answer with `x-onbehalf-fault` (or a
//!    batch element equal to the faulting policy's) is an *expected fail-closed* answer;
//!    anything else — another status, another body, a dropped connection, a good reload
//!    refused, a garbage reload accepted — is *unexpected*. Beside them, two abusers: one
//!    sends the largest legal batch of 16-hop requests nonstop (each answered in full, or
//!    `503 server-busy`), one asks for answers it never reads (each such connection must be
//!    closed by the server's write deadline).
//! 4. Reports requests served, expected fail-closed answers, unexpected errors, p50/p99
//!    latency and the server's RSS after calibration and at the end; exits non-zero when
//!    anything was unexpected, no fault was exercised, or RSS grew by more than the bound.
#![forbid(unsafe_code)]

mod abusers;
mod calibrate;
mod clients;
mod report;
mod server;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use onbehalf_benches::mix::mix;
use onbehalf_host::policy::{DEFAULT_MODULE, STRICT_EXAMPLE_MODULE};
use onbehalf_testkit::hostile::faulting_module;
use onbehalf_testkit::http::Client;

use abusers::{heavy_loop, non_reader_loop, Abuse};
use calibrate::{calibrate, Policy};
use clients::{client_loop, reload_loop, Tally};
use onbehalf_host::server::ServerConfig;
use server::Server;

/// Options of the soak run.
#[derive(Debug, Parser)]
#[command(
    name = "soak",
    about = "load-and-fault soak of `onbehalf serve` on loopback"
)]
struct Options {
    /// The `onbehalf` binary to start.
    #[arg(long)]
    server: std::path::PathBuf,
    /// How long to soak.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    clients: u64,
    /// Milliseconds between two policy reloads.
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(1..))]
    reload_every_ms: u64,
    /// Largest RSS growth accepted, in MiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..))]
    rss_growth_bound_mib: u64,
}

/// A module that is not one: every upload of it must be refused.
fn garbage() -> Vec<u8> {
    b"\0asm\x01\0\0\0 this is not a module"
        .iter()
        .copied()
        .cycle()
        .take(4096)
        .collect()
}

fn soak(o: &Options) -> Result<bool, String> {
    let dir = std::env::temp_dir().join(format!("onbehalf-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let server = Server::start(&o.server, &dir)?;
    let faulting = faulting_module();
    let garbage = garbage();
    let policies = [
        Policy::new("strict", STRICT_EXAMPLE_MODULE, false),
        Policy::new("faulting", &faulting, true),
        Policy::new("default", DEFAULT_MODULE, false),
    ];
    let requests: Vec<String> = mix().iter().map(|r| r.to_value().to_string()).collect();
    let cal = calibrate(&server, &requests, &policies)?;
    let rss_before = server.rss_kib().unwrap_or(0);

    let tally = Tally::default();
    let stop = AtomicBool::new(false);
    let cycle: [(&str, &[u8], bool); 4] = [
        ("strict", STRICT_EXAMPLE_MODULE, true),
        ("faulting", &faulting, true),
        ("default", DEFAULT_MODULE, true),
        ("garbage", &garbage, false),
    ];
    let started = Instant::now();
    let mut rss_peak = rss_before;
    let (results, reloads) = std::thread::scope(|s| {
        let clients: Vec<_> = (0..o.clients)
            .map(|t| {
                let (addr, requests, cal, tally, stop) =
                    (&server.addr, &requests, &cal, &tally, &stop);
                s.spawn(move || client_loop(t, addr, requests, cal, tally, stop))
            })
            .collect();
        let every = Duration::from_millis(o.reload_every_ms);
        let (server, cycle, stop) = (&server, &cycle, &stop);
        let reloader = s.spawn(move || reload_loop(server, cycle, every, stop));
        let addr = &server.addr;
        let heavy = s.spawn(move || {
            let mut abuse = Abuse::default();
            heavy_loop(addr, ServerConfig::default().body_limit, stop, &mut abuse);
            abuse
        });
        let non_reader = s.spawn(move || {
            let mut abuse = Abuse::default();
            non_reader_loop(addr, server::CLIENT_TIMEOUT * 2, stop, &mut abuse);
            abuse
        });
        while started.elapsed() < Duration::from_secs(o.seconds) {
            std::thread::sleep(Duration::from_millis(200));
            rss_peak = rss_peak.max(server.rss_kib().unwrap_or(0));
        }
        stop.store(true, Ordering::Relaxed);
        let results: Vec<_> = clients.into_iter().filter_map(|c| c.join().ok()).collect();
        let abuse = match (heavy.join(), non_reader.join()) {
            (Ok(heavy), Ok(reader)) => Some(Abuse {
                readers_cut: reader.readers_cut,
                readers_held: reader.readers_held,
                unexpected: [heavy.unexpected, reader.unexpected].concat(),
                ..heavy
            }),
            _ => None,
        };
        (results, reloader.join().ok().zip(abuse))
    });
    let (reloads, abuse) = reloads.ok_or("the reloader or an abuser panicked")?;

    // After the soak, the server must still answer exactly as the default policy does.
    let mut client = Client::new(&server.addr);
    let mut healthy = server
        .reload(&mut client, DEFAULT_MODULE)
        .is_ok_and(|r| r.status == 200);
    for (i, request) in requests.iter().enumerate().step_by(17) {
        let got = client.post_json("/v1/decide", request).ok();
        healthy &= got.is_some_and(|r| cal.is_default_single(i, &r));
    }
    let report = report::Report {
        clients: o.clients,
        elapsed: started.elapsed(),
        reload_every_ms: o.reload_every_ms,
        tally: &tally,
        results: &results,
        reloads: &reloads,
        abuse: &abuse,
        rss_before,
        rss_after: server.rss_kib().unwrap_or(0),
        rss_peak,
        rss_bound_kib: o.rss_growth_bound_mib << 10,
        healthy,
    };
    let ok = report.print_and_judge();
    if !ok {
        server.print_log();
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ok)
}

fn main() -> ExitCode {
    match soak(&Options::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}
