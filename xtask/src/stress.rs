//! `cargo xtask test --stress N`: the Rust test suite N times in a row while a busy loop
//! keeps every core loaded, to flush out tests that race the server or the scheduler (a
//! flaky test costs a whole CI round). Each failing run's output is kept in
//! `target/stress/run-K.log`.

use std::fs::File;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::process::{cargo, cargo_bin, root, Result};

/// The test step of `cargo xtask test`, run as is.
const SUITE: [&str; 3] = ["test", "--workspace", "--all-features"];

/// Spins until `stop` is set: one core's worth of load that the scheduler cannot skip.
fn busy(stop: &AtomicBool) {
    let mut x: u64 = 1;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    }
}

/// Runs the suite `runs` times under load; fails unless every run passed.
pub fn stress(runs: u32) -> Result {
    // Build first, unloaded: the runs then only test.
    let mut build = SUITE.to_vec();
    build.push("--no-run");
    cargo(&build)?;
    let logs = root().join("target").join("stress");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let failed = std::thread::scope(|s| {
        for _ in 0..cores {
            s.spawn(|| busy(&stop));
        }
        eprintln!(
            "xtask: stress: {runs} runs of `cargo {}` beside {cores} busy threads",
            SUITE.join(" ")
        );
        let mut failed = Vec::new();
        for run in 1..=runs {
            let began = Instant::now();
            let outcome = run_logged(&logs.join(format!("run-{run}.log")));
            let verdict = match &outcome {
                Ok(()) => "passed".to_owned(),
                Err(e) => {
                    failed.push(run);
                    format!("FAILED: {e}")
                }
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

/// One run of the suite, its output in `log` (removed when the run passes).
fn run_logged(log: &std::path::Path) -> Result {
    let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let status = Command::new(cargo_bin())
        .args(SUITE)
        .current_dir(root())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .status()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if status.success() {
        let _ = std::fs::remove_file(log);
        Ok(())
    } else {
        Err(format!("{status}, output in {}", log.display()))
    }
}
