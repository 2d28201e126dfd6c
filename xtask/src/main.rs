//! `cargo xtask <command>`: the project's build and test automation (no shell scripts).
//!
//! - `cargo xtask test`  — everything CI checks: format, clippy, cargo-deny, all Rust tests,
//!   the no_std wasm build, a 20-second soak, an 8-second fuzz smoke per target, the web
//!   explainer build, its exhaustive wasm-vs-native check and the end-to-end tests in real
//!   Chromium.
//! - `cargo xtask serve` — build (release) and run the HTTP server on 127.0.0.1:8080, serving
//!   the web explainer at `/`.
//! - `cargo xtask web`   — build the web explainer into `web/dist/` (a static site).
//! - `cargo xtask bench` — the criterion benchmarks and the HTTP load run, then the table
//!   of `BENCHMARKS.md` (ns per decision and ratios, all from this one run).
//! - `cargo xtask fuzz --seconds N` — every fuzz target for N seconds (default 60).
//! - `cargo xtask soak --seconds N` — the load-and-fault soak against the release server
//!   for N seconds (default 180).
//! - `cargo xtask deny`  — cargo-deny's offline checks alone.

mod bench;
mod fuzz;
mod process;
mod soak;
mod test;
mod web;

use std::process::ExitCode;

use process::Result;

const USAGE: &str = "usage: cargo xtask test | serve [-- SERVE OPTIONS] | web | bench \
                     | fuzz [--seconds N] | soak [--seconds N] | deny";

/// `--seconds N` from the arguments after the command, or `default`.
fn seconds(args: &[String], default: u64) -> Result<u64> {
    match args {
        [] => Ok(default),
        [flag, n] if flag == "--seconds" => n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("--seconds: expected a positive integer, found {n:?}")),
        other => Err(format!("unexpected arguments {other:?}; {USAGE}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::test(),
        Some("serve") => web::serve(rest),
        Some("web") => web::web(),
        Some("bench") => bench::bench(),
        Some("fuzz") => seconds(rest, 60).and_then(fuzz::fuzz),
        Some("soak") => seconds(rest, 180).and_then(|s| soak::soak(s, true)),
        Some("deny") => test::deny(),
        other => Err(format!(
            "unknown command {other:?}; accepted: test, serve, web, bench, fuzz, soak, deny\n{USAGE}"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
