//! `cargo xtask fuzz --seconds N`: every cargo-fuzz target in `fuzz/`, N seconds each.
//!
//! The committed seed corpus `fuzz/corpus/<target>/` is read, never written: new inputs
//! libFuzzer finds go to `target/fuzz-corpus/<target>/` (and crashes to
//! `target/fuzz-artifacts/<target>/`), so a fuzz run never dirties the checkout. Copy an
//! interesting input into `fuzz/corpus/` by hand to keep it.
//!
//! Targets are built with `-s none` (no AddressSanitizer) on the stable toolchain: the
//! fuzzed code is safe Rust (the module ABI's unsafe runs inside the wasm sandbox), and the
//! targets assert properties — round trips, the core's invariants, native == module — which
//! need no sanitizer to fail.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::process::{cargo_bin, ensure_cargo_tool, root, Result};

/// The targets that fuzz the core alone (cheap to build with coverage instrumentation).
const CORE_TARGETS: [&str; 2] = ["json_decide", "packed_decode"];

/// The targets that run the policy host (an instrumented build of wasmtime); CI replays
/// their committed corpus through the same properties in `testkit/tests/fuzz_corpus.rs`.
const HOST_TARGETS: [&str; 2] = ["module_json", "http_decide"];

/// The cargo-fuzz version `xtask` installs when it is missing.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Arguments shared by `cargo fuzz build` and `cargo fuzz run`: one target dir inside the
/// workspace's `target/`, no sanitizer, stable toolchain.
fn common_args() -> Vec<String> {
    let target_dir = root().join("target/fuzz");
    vec![
        "--sanitizer".into(),
        "none".into(),
        "--target-dir".into(),
        target_dir.to_string_lossy().into_owned(),
    ]
}

/// One target's run: how many inputs libFuzzer executed, and the corpus size it ended with.
struct Run {
    target: &'static str,
    executions: u64,
    corpus: Option<u64>,
}

/// The number after `key` in a libFuzzer status line (`Done 1234 runs`, `corp: 57/…`).
fn number_after(line: &str, key: &str) -> Option<u64> {
    let rest = line.get(line.find(key)? + key.len()..)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn run_target(target: &'static str, seconds: u64, features: &[&str]) -> Result<Run> {
    let root = root();
    let found = root.join("target/fuzz-corpus").join(target);
    let seeds = root.join("fuzz/corpus").join(target);
    let artifacts = root.join("target/fuzz-artifacts").join(target);
    for dir in [&found, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    let mut args: Vec<String> = vec!["fuzz".into(), "run".into()];
    args.extend(common_args());
    args.extend(features.iter().map(|f| (*f).to_owned()));
    args.extend([
        target.into(),
        found.to_string_lossy().into_owned(),
        seeds.to_string_lossy().into_owned(),
        "--".into(),
        format!("-max_total_time={seconds}"),
        format!("-artifact_prefix={}/", artifacts.display()),
        // Requests are small; longer inputs only slow the search down.
        "-max_len=4096".into(),
        "-print_final_stats=1".into(),
    ]);
    eprintln!("xtask: $ cargo {}", args.join(" "));
    let mut child = Command::new(cargo_bin())
        .args(&args)
        .current_dir(&root)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo fuzz: {e}"))?;
    // libFuzzer reports on stderr; keep all of it for a failure, show only the summary on
    // success.
    let mut log = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        log.extend(
            BufReader::new(stderr)
                .lines()
                .map_while(std::io::Result::ok),
        );
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        for line in &log {
            eprintln!("{line}");
        }
        return Err(format!(
            "fuzz target {target} failed ({status}); the input is in {}",
            artifacts.display()
        ));
    }
    let executions = log
        .iter()
        .rev()
        .find_map(|l| number_after(l, "Done "))
        .ok_or_else(|| {
            format!("fuzz target {target}: no `Done N runs` line in libFuzzer's output")
        })?;
    let corpus = log.iter().rev().find_map(|l| number_after(l, "corp: "));
    Ok(Run {
        target,
        executions,
        corpus,
    })
}

/// Builds every target, runs each for `seconds`, and prints executions per target.
pub fn fuzz(seconds: u64) -> Result {
    run_targets(&[CORE_TARGETS, HOST_TARGETS].concat(), seconds, &[])
}

/// The CI smoke: the core targets only (no second, instrumented wasmtime build).
pub fn smoke(seconds: u64) -> Result {
    run_targets(&CORE_TARGETS, seconds, &["--no-default-features"])
}

fn run_targets(targets: &[&'static str], seconds: u64, features: &[&str]) -> Result {
    ensure_cargo_tool("fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION)?;
    let mut build: Vec<String> = vec!["fuzz".into(), "build".into()];
    build.extend(common_args());
    build.extend(features.iter().map(|f| (*f).to_owned()));
    let build: Vec<&str> = build.iter().map(String::as_str).collect();
    crate::process::cargo(&build)?;
    let mut runs = Vec::new();
    for target in targets {
        runs.push(run_target(target, seconds, features)?);
    }
    println!("| fuzz target | seconds | executions | executions/s | corpus entries |");
    println!("|---|---:|---:|---:|---:|");
    for run in runs {
        let per_second = run.executions / seconds.max(1);
        let corpus = run.corpus.map(|c| c.to_string()).unwrap_or_default();
        println!(
            "| {} | {seconds} | {} | {per_second} | {corpus} |",
            run.target, run.executions
        );
    }
    Ok(())
}
