//! `cargo xtask test --stress N`: every Rust test binary of the workspace N times in a row
//! while a busy loop keeps every core loaded, to flush out tests that race the server or the
//! scheduler (a flaky test costs a whole CI round).
//!
//! The binaries are built once (`cargo test --no-run`, the test step's own build) and copied
//! to `target/stress/bin/`, then run directly from their package's folder, as `cargo test`
//! runs them: no cargo lock is held during the runs, so other builds can go on beside them,
//! and a rebuild cannot swap a binary in the middle. Each failing run's output is kept in
//! `target/stress/run-K-NAME.log`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use onbehalf_core::json::Value;

use crate::process::TESTED;
use crate::process::{cargo_bin, root, Result};

/// The test step of `cargo xtask test`, built without running.
const BUILD: [&str; 8] = [
    "test",
    TESTED[0],
    TESTED[1],
    TESTED[2],
    TESTED[3],
    "--no-run",
    "--message-format",
    "json-render-diagnostics",
];

/// One test binary: where it was copied, the folder it runs in, its name for the logs.
struct TestBinary {
    path: PathBuf,
    dir: PathBuf,
    name: String,
}

/// Spins until `stop` is set: one core's worth of load that the scheduler cannot skip.
fn busy(stop: &AtomicBool) {
    let mut x: u64 = 1;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    }
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    match v.get(key)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// Builds the test binaries and copies each to `bin`.
fn build(bin: &Path) -> Result<Vec<TestBinary>> {
    eprintln!("xtask: $ cargo {}", BUILD.join(" "));
    let out = Command::new(cargo_bin())
        .args(BUILD)
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("building the tests failed ({})", out.status));
    }
    let mut binaries = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = Value::parse(line) else {
            continue;
        };
        let is_test = matches!(
            message.get("profile").and_then(|p| p.get("test")),
            Some(Value::Bool(true))
        );
        let (Some(exe), Some(manifest), true) = (
            text(&message, "executable"),
            text(&message, "manifest_path"),
            is_test,
        ) else {
            continue;
        };
        let exe = Path::new(exe);
        let name = exe
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let copy = bin.join(&name);
        std::fs::copy(exe, &copy).map_err(|e| format!("copying {}: {e}", exe.display()))?;
        binaries.push(TestBinary {
            path: copy,
            dir: Path::new(manifest)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(root),
            name,
        });
    }
    if binaries.is_empty() {
        return Err("cargo reported no test binaries".into());
    }
    Ok(binaries)
}

/// Runs the test binaries `runs` times under load; fails unless every run passed.
pub fn stress(runs: u32) -> Result {
    let logs = root().join("target").join("stress");
    let bin = logs.join("bin");
    let _ = std::fs::remove_dir_all(&bin);
    std::fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let binaries = build(&bin)?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let failed = std::thread::scope(|s| {
        for _ in 0..cores {
            s.spawn(|| busy(&stop));
        }
        eprintln!(
            "xtask: stress: {runs} runs of {} test binaries beside {cores} busy threads",
            binaries.len()
        );
        let mut failed = Vec::new();
        for run in 1..=runs {
            let began = Instant::now();
            let broken: Vec<&str> = binaries
                .iter()
                .filter(|b| run_logged(b, &logs.join(format!("run-{run}-{}.log", b.name))).is_err())
                .map(|b| b.name.as_str())
                .collect();
            let verdict = if broken.is_empty() {
                "passed".to_owned()
            } else {
                failed.push(run);
                format!("FAILED in {}", broken.join(", "))
            };
            eprintln!(
                "xtask: stress: run {run}/{runs} {verdict} in {:.0} s",
                began.elapsed().as_secs_f64()
            );
        }
        stop.store(true, Ordering::Relaxed);
        failed
    });
    println!(
        "stress: {} passed, {} failed in {:.1} min",
        runs as usize - failed.len(),
        failed.len(),
        started.elapsed().as_secs_f64() / 60.0
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stress: runs {failed:?} failed; their output is in {}",
            logs.display()
        ))
    }
}

/// One run of one test binary, its output in `log` (removed when it passes).
fn run_logged(binary: &TestBinary, log: &Path) -> Result {
    let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let status = Command::new(&binary.path)
        .current_dir(&binary.dir)
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .status()
        .map_err(|e| format!("cannot start {}: {e}", binary.path.display()))?;
    if status.success() {
        let _ = std::fs::remove_file(log);
        Ok(())
    } else {
        Err(format!("{status}, output in {}", log.display()))
    }
}
