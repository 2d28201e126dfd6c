//! `cargo xtask bench`: criterion benchmarks, the HTTP load run, and the table of
//! `BENCHMARKS.md`.

use std::process::Command;

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

/// Starts the release server on a free loopback port; returns it and its address.
pub fn start_server() -> Result<(std::process::Child, String)> {
    use std::io::BufRead;
    let binary = root().join("target/release/onbehalf");
    let mut child = Command::new(binary)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let mut line = String::new();
    if let Some(out) = child.stdout.as_mut() {
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
    }
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .map(str::to_owned);
    match addr {
        Some(a) => Ok((child, a)),
        None => {
            let _ = child.kill();
            Err(format!("unexpected server banner: {line:?}"))
        }
    }
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

pub fn bench() -> Result {
    cargo(&["bench", "-p", "onbehalf-benches", "--bench", "decide"])?;
    build_release_tools()?;
    let (mut server, addr) = start_server()?;
    let load = root().join("target/release/load");
    let load = load.to_string_lossy();
    // Single requests at full load; batches of 100 at moderate (2 connections) and full load.
    let runs = [("8", "1"), ("2", "100"), ("8", "100")];
    let mut result = Ok(());
    for (connections, batch) in runs {
        result = result.and(run(&load, &[&addr, connections, "10", batch]));
    }
    let _ = server.kill();
    let _ = server.wait();
    result?;

    let rows: [(&str, &str, &str, f64); 11] = [
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
            "native `decide` (typed, with hops)",
            "native",
            "decide_full",
            1.0,
        ),
        (
            "native JSON in → JSON out",
            "native",
            "json_in_json_out",
            1.0,
        ),
        (
            "module `decide` via wasmtime (typed call)",
            "module",
            "decide",
            1.0,
        ),
        (
            "module `decide_batch` of 1,024",
            "module",
            "decide_batch_1024",
            1024.0,
        ),
        (
            "module `explain` (JSON, requests with hops)",
            "module",
            "explain_json_with_hops",
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
    let base = criterion_mean_ns("native", "table_decide_raw").unwrap_or(f64::NAN);
    let full = criterion_mean_ns("native", "decide_full").unwrap_or(f64::NAN);
    println!("| path | ns / decision | ÷ native table lookup | peer ÷ native `decide` |");
    println!("|---|---:|---:|---:|");
    for (label, group, name, per) in rows {
        let ns = criterion_mean_ns(group, name)
            .map(|t| t / per)
            .unwrap_or(f64::NAN);
        let peer = if group == "peers" {
            format!("{:.0}×", ns / full)
        } else {
            String::new()
        };
        println!("| {label} | {ns:.2} | {:.1} | {peer} |", ns / base);
    }
    Ok(())
}
