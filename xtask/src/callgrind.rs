//! `cargo xtask callgrind`: the noise-free regression gate. Each hot path of
//! `onbehalf-benches`' `probe` runs under Valgrind's Callgrind, which counts the
//! instructions of the measured function alone; the count per decision is compared with the
//! committed baseline (`benches/callgrind-baseline.txt`), and more than 5 % above it fails.
//!
//! The probe is the dev-profile build the tests already made (dependencies and the core at
//! opt-level 2, see the workspace `Cargo.toml`), so the gate compiles nothing new; its counts
//! are its own baseline's, not release numbers (those are criterion's, in BENCHMARKS.md).

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::process::{build_workspace_bins, ensure_debian_package, root, Result};

/// The largest rise over the baseline that passes, in percent.
const TOLERANCE_PERCENT: f64 = 5.0;

/// Each path of the probe and the rounds of the mix it runs (enough decisions that the
/// per-decision count is stable to far below the tolerance).
const PATHS: [(&str, u32); 8] = [
    ("native_table", 40),
    ("native_packed", 20),
    ("native_typed", 20),
    ("native_json", 4),
    ("module_single", 10),
    ("module_batch", 20),
    ("module_mix", 10),
    ("server_body", 3),
];

fn baseline_file() -> PathBuf {
    root().join("benches").join("callgrind-baseline.txt")
}

/// `path instructions-per-decision` lines; `#` starts a comment.
fn read_baseline() -> Result<Vec<(String, f64)>> {
    let file = baseline_file();
    let text = fs::read_to_string(&file).map_err(|e| {
        format!(
            "cannot read {}: {e} (run `cargo xtask callgrind --bless`)",
            file.display()
        )
    })?;
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [path, count] => count
                .parse::<f64>()
                .map(|c| (path.to_owned(), c))
                .map_err(|e| format!("{}: {l:?}: {e}", file.display())),
            _ => Err(format!(
                "{}: expected `path count`, found {l:?}",
                file.display()
            )),
        })
        .collect()
}

/// Instructions per decision of one path, counted by Callgrind.
fn count(probe: &PathBuf, path: &str, rounds: u32) -> Result<f64> {
    let out_dir = root().join("target").join("callgrind");
    fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let out_file = out_dir.join(format!("{path}.out"));
    let output = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=*onbehalf_probe_measured*",
            "--compress-strings=no",
        ])
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(probe)
        .args([path, &rounds.to_string()])
        .output()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "probe {path} under callgrind failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let decisions: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("probe {path}: no decision count: {e}"))?;
    let profile = fs::read_to_string(&out_file).map_err(|e| e.to_string())?;
    let total: f64 = profile
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|t| t.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| format!("{}: no instruction total", out_file.display()))?;
    if decisions == 0.0 || total == 0.0 {
        return Err(format!("probe {path}: nothing was measured"));
    }
    Ok(total / decisions)
}

/// Counts every path; with `bless`, writes them as the new baseline, otherwise compares.
pub fn callgrind(bless: bool) -> Result {
    ensure_debian_package("/usr/bin/valgrind", "valgrind")?;
    build_workspace_bins()?;
    let probe = root().join("target").join("debug").join("probe");
    let mut counts = Vec::new();
    for (path, rounds) in PATHS {
        let c = count(&probe, path, rounds)?;
        eprintln!("xtask: callgrind {path}: {c:.0} instructions per decision");
        counts.push((path, c));
    }
    if bless {
        let mut text = String::from(
            "# Instructions per decision of each probe path (dev profile), counted by\n\
             # `cargo xtask callgrind`; it fails when a path needs more than 5 % more.\n\
             # Rewrite with `cargo xtask callgrind --bless` after a deliberate change.\n",
        );
        for (path, c) in &counts {
            text.push_str(&format!("{path} {c:.0}\n"));
        }
        return fs::write(baseline_file(), text).map_err(|e| e.to_string());
    }
    compare(&counts, &read_baseline()?)
}

fn compare(counts: &[(&str, f64)], baseline: &[(String, f64)]) -> Result {
    let mut failures = Vec::new();
    println!(
        "{:<14} {:>12} {:>12} {:>8}",
        "path", "baseline", "now", "change"
    );
    for (path, now) in counts {
        let Some((_, before)) = baseline.iter().find(|(p, _)| p == path) else {
            failures.push(format!("{path}: not in the baseline"));
            continue;
        };
        let change = (now - before) / before * 100.0;
        println!("{path:<14} {before:>12.0} {now:>12.0} {change:>+7.1}%");
        if change > TOLERANCE_PERCENT {
            failures.push(format!("{path}: {change:+.1}% instructions per decision"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "instruction-count regression over {TOLERANCE_PERCENT}%: {} (if intended, `cargo xtask callgrind --bless`)",
            failures.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn more_than_five_percent_more_fails_and_less_passes() {
        let baseline = vec![("a".to_owned(), 100.0), ("b".to_owned(), 100.0)];
        assert!(compare(&[("a", 105.0), ("b", 50.0)], &baseline).is_ok());
        assert!(compare(&[("a", 105.1), ("b", 100.0)], &baseline).is_err());
        assert!(compare(&[("c", 1.0)], &baseline).is_err());
    }
}
