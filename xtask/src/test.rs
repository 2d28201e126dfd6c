//! `cargo xtask test`: everything CI checks.

use std::time::Instant;

use crate::process::{cargo, ensure_cargo_tool, ensure_wasm_target, Result};
use crate::{callgrind, fuzz, soak, web};

/// The cargo-deny version `xtask` installs when it is missing.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Seconds each fuzz target runs in the smoke (from the committed corpus onward).
const FUZZ_SMOKE_SECONDS: u64 = 8;

/// Seconds of the quick soak (debug build).
const SOAK_SMOKE_SECONDS: u64 = 20;

/// Licenses, bans, duplicate versions and sources, from `deny.toml`; offline (no advisory
/// database fetch: CI reaches only the package registries).
pub fn deny() -> Result {
    ensure_cargo_tool("deny", "cargo-deny", CARGO_DENY_VERSION)?;
    // `cargo metadata` (inside cargo-deny) wants every platform's crates on disk, also the
    // Windows-only ones no build here downloads.
    cargo(&["fetch", "--locked"])?;
    cargo(&[
        "deny",
        "--offline",
        "--locked",
        "check",
        "licenses",
        "bans",
        "sources",
    ])
}

/// Runs one step of the test command and prints how long it took (CI time is a budget: the
/// log says where it goes).
fn step(name: &str, run: impl FnOnce() -> Result) -> Result {
    let started = Instant::now();
    let result = run();
    eprintln!(
        "xtask: step `{name}` took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    result
}

/// Format, clippy, cargo-deny, all Rust tests, the instruction-count gate, the no_std wasm
/// build, the quick soak, the fuzz smoke, the web explainer build and its browser tests.
pub fn test() -> Result {
    let started = Instant::now();
    step("format", || {
        ensure_wasm_target()?;
        cargo(&["fmt", "--all", "--check"])?;
        // fuzz/ is its own workspace: `--all` does not reach it.
        cargo(&[
            "fmt",
            "--all",
            "--check",
            "--manifest-path",
            "fuzz/Cargo.toml",
        ])
    })?;
    step("clippy", || {
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ])
    })?;
    step("deny", deny)?;
    step("tests", || {
        cargo(&["test", "--workspace", "--all-features"])
    })?;
    // Instruction counts of the hot paths against the committed baseline (the probe is the
    // dev build the tests just made).
    step("callgrind", || callgrind::callgrind(false))?;
    // The core must stay no_std and allocation-free.
    step("no_std", || {
        cargo(&[
            "build",
            "-p",
            "onbehalf-core",
            "--no-default-features",
            "--target",
            "wasm32-unknown-unknown",
        ])
    })?;
    step("soak", || soak::soak(SOAK_SMOKE_SECONDS, false))?;
    step("fuzz", || fuzz::smoke(FUZZ_SMOKE_SECONDS))?;
    step("web", web::web_test)?;
    eprintln!(
        "xtask: test passed in {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}
