//! `cargo xtask bench`: criterion benchmarks, the HTTP load run, and the table of
//! `BENCHMARKS.md`.

use crate::process::BENCH_ONLY;
use crate::process::{cargo, root, run, Result};

/// The mean of one criterion benchmark, in nanoseconds (from its `estimates.json`).
fn criterion_mean_ns(group: &str, name: &str) -> Option<f64> {
    let path = root().join(format!(
        "target/criterion/{group}/{name}/new/estimates.json"
    ));
    let text = std::fs::read_to_string(path).ok()?;
    let mean = text.get(text.find("\"mean\"")?..)?;
    let value = mean.get(mean.find("\"point_estimate\":")? + 17..)?;
    let end = value.find([',', '}'])?;
    value.get(..end)?.trim().parse().ok()
}

/// The release server and the load and soak drivers (shared by `bench` and `soak`).
pub fn build_release_tools() -> Result {
    cargo(&[
        "build",
        "--release",
        "-p",
        "onbehalf-host",
        "-p",
        "onbehalf-benches",
    ])
}

/// What the test command leaves to `bench` (it does not compile the peers): clippy over the
/// peers' crate, then their agreement with onbehalf on the whole mix, before any timing.
fn check_peers() -> Result {
    cargo(&[
        "clippy",
        "-p",
        BENCH_ONLY,
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&["test", "--profile", "bench", "-p", BENCH_ONLY])
}

pub fn bench() -> Result {
    check_peers()?;
    cargo(&["bench", "-p", BENCH_ONLY, "--bench", "decide"])?;
    build_release_tools()?;
    let release = root().join("target/release");
    let (load, server) = (release.join("load"), release.join("onbehalf"));
    let (load, server) = (load.to_string_lossy(), server.to_string_lossy());
    // Single requests at full load; batches of 100 at moderate (2 connections) and full load.
    // Each run starts its own server on a free loopback port.
    for (connections, batch) in [("8", "1"), ("2", "100"), ("8", "100")] {
        run(
            &load,
            &[
                "--server",
                &server,
                "--connections",
                connections,
                "--seconds",
                "10",
                "--batch",
                batch,
            ],
        )?;
    }

    print_table();
    Ok(())
}

/// The criterion rows of BENCHMARKS.md: (label, group, bench, decisions per iteration).
const ROWS: [(&str, &str, &str, f64); 14] = [
    (
        "native `DecisionTable::decide_raw` (single)",
        "native",
        "table_decide_raw",
        1.0,
    ),
    (
        "native `DecisionTable`, batch of 1,024",
        "native",
        "table_batch_1024",
        1024.0,
    ),
    (
        "native `decide_packed` (computed, single)",
        "native",
        "decide_packed",
        1.0,
    ),
    (
        "native `decide_packed` (computed), batch of 1,024",
        "native",
        "decide_packed_batch_1024",
        1024.0,
    ),
    (
        "native `decide` (typed, the mix with hops)",
        "native",
        "decide_full",
        1.0,
    ),
    (
        "native JSON text in → JSON text out (the mix)",
        "native",
        "json_in_json_out",
        1.0,
    ),
    (
        "module `decide` (typed call, hop-free)",
        "module",
        "decide",
        1.0,
    ),
    (
        "module `decide_batch` of 1,024 (hop-free)",
        "module",
        "decide_batch_1024",
        1024.0,
    ),
    (
        "module, requests with hops, one per call (`decide_records`)",
        "module",
        "decide_with_hops",
        1.0,
    ),
    (
        "module, the whole mix, one request per call",
        "module",
        "decide_mix_single",
        1.0,
    ),
    (
        "**module, the whole mix in one call of 1,024**",
        "module",
        "decide_mix_batch_1024",
        1024.0,
    ),
    (
        "server work per request: JSON body → module → JSON body",
        "module",
        "json_body_to_json_body",
        1.0,
    ),
    (
        "cedar-policy (same verdict, up to 4 queries)",
        "peers",
        "cedar_policy",
        1.0,
    ),
    (
        "regorus (same verdict, one `eval_rule`)",
        "peers",
        "regorus",
        1.0,
    ),
];

/// Prints the per-decision table from criterion's results of the last run.
fn print_table() {
    let base = criterion_mean_ns("native", "table_decide_raw").unwrap_or(f64::NAN);
    let typed = criterion_mean_ns("module", "decide").unwrap_or(f64::NAN);
    let full = criterion_mean_ns("native", "decide_full").unwrap_or(f64::NAN);
    println!("| path | ns / decision | ÷ native table lookup | ÷ module typed call | peer ÷ native `decide` |");
    println!("|---|---:|---:|---:|---:|");
    for (label, group, name, per) in &ROWS {
        let ns = criterion_mean_ns(group, name)
            .map(|t| t / per)
            .unwrap_or(f64::NAN);
        let peer = if *group == "peers" {
            format!("{:.0}×", ns / full)
        } else {
            String::new()
        };
        println!(
            "| {label} | {ns:.2} | {:.1} | {:.2} | {peer} |",
            ns / base,
            ns / typed
        );
    }
}
