//! `cargo xtask test`: everything CI checks.

use std::time::Instant;

use crate::process::{
    cargo, cargo_bin, ensure_cargo_tool, ensure_wasm_target, root, run_with_env, Result, TESTED,
};
use crate::{callgrind, fuzz, npm, python, soak, web};

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

/// The steps of one test command run and how long each took: printed as a table at the end
/// (CI time is a budget: the log says where it goes), also when a step fails.
#[derive(Default)]
struct Steps {
    done: Vec<(&'static str, f64)>,
}

impl Steps {
    /// Runs one step, timed.
    fn run(&mut self, name: &'static str, step: impl FnOnce() -> Result) -> Result {
        let started = Instant::now();
        let result = step();
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("xtask: step `{name}` took {seconds:.0} s");
        self.done.push((name, seconds));
        result
    }

    /// The table of step times and the total, in minutes and seconds.
    fn table(&self, outcome: &str) -> String {
        let mut out = format!("xtask: test {outcome}\n| step | seconds |\n|---|---:|\n");
        for (name, seconds) in &self.done {
            out.push_str(&format!("| {name} | {seconds:.0} |\n"));
        }
        let total: f64 = self.done.iter().map(|(_, s)| s).sum();
        out.push_str(&format!(
            "| **total** | **{total:.0}** ({:.1} min) |",
            total / 60.0
        ));
        out
    }
}

/// Format, clippy, cargo-deny, all Rust tests, the instruction-count gate, the no_std wasm
/// build, the quick soak, the fuzz smoke, the web explainer build and its browser tests.
pub fn test() -> Result {
    let mut steps = Steps::default();
    let result = all_steps(&mut steps);
    eprintln!(
        "{}",
        steps.table(if result.is_ok() { "passed" } else { "FAILED" })
    );
    result
}

fn all_steps(steps: &mut Steps) -> Result {
    steps.run("format", || {
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
    steps.run("clippy", || {
        cargo(
            &[
                &["clippy"][..],
                &TESTED[..],
                &["--all-targets", "--", "-D", "warnings"][..],
            ]
            .concat(),
        )
    })?;
    // The API documentation of every crate, its intra-doc links resolved (the doctests run
    // with the tests). Same features as every other build: no dependency is built again.
    steps.run("doc", || {
        run_with_env(
            &root(),
            &cargo_bin(),
            &[&["doc"][..], &TESTED[..], &["--no-deps"][..]].concat(),
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    steps.run("deny", deny)?;
    steps.run("tests", || cargo(&[&["test"][..], &TESTED[..]].concat()))?;
    // Instruction counts of the hot paths against the committed baseline (the probe is the
    // dev build the tests just made).
    steps.run("callgrind", || callgrind::callgrind(false))?;
    // The core must stay no_std and allocation-free.
    steps.run("no_std", || {
        cargo(&[
            "build",
            "-p",
            "onbehalf-core",
            "--no-default-features",
            "--target",
            "wasm32-unknown-unknown",
        ])
    })?;
    steps.run("soak", || soak::soak(SOAK_SMOKE_SECONDS, false))?;
    steps.run("fuzz", || fuzz::smoke(FUZZ_SMOKE_SECONDS))?;
    steps.run("web", web::web_test)?;
    steps.run("npm", npm::npm_test)?;
    steps.run("python", python::python_test)?;
    Ok(())
}
