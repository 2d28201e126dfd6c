//! `cargo xtask <command>`: the project's build and test automation (no shell scripts).
//!
//! - `cargo xtask test`  — everything CI checks: format, clippy, all Rust tests, the no_std
//!   wasm build, the web explainer build, its exhaustive wasm-vs-native check and the
//!   end-to-end tests in real Chromium.
//! - `cargo xtask serve` — build (release) and run the HTTP server on 127.0.0.1:8080, serving
//!   the web explainer at `/`.
//! - `cargo xtask web`   — build the web explainer into `web/dist/` (a static site).
//! - `cargo xtask bench` — the criterion benchmarks and the HTTP load run, then the table
//!   of `BENCHMARKS.md` (ns per decision and ratios, all from this one run).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T = ()> = std::result::Result<T, String>;

/// Must equal the `wasm-bindgen` version pinned in `wasm/Cargo.toml`.
const WASM_BINDGEN_VERSION: &str = "0.2.130";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn run(program: &str, args: &[&str]) -> Result {
    run_in(&root(), program, args)
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn cargo(args: &[&str]) -> Result {
    run(&cargo_bin(), args)
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `rust-toolchain.toml` names the target, but rustup does not fetch it everywhere.
fn ensure_wasm_target() -> Result {
    run("rustup", &["target", "add", "wasm32-unknown-unknown"])
}

/// The wasm-bindgen CLI must match the crate's version exactly; install it if it does not.
fn ensure_wasm_bindgen() -> Result {
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.trim() == format!("wasm-bindgen {WASM_BINDGEN_VERSION}") {
        return Ok(());
    }
    cargo(&[
        "install",
        "wasm-bindgen-cli",
        "--version",
        WASM_BINDGEN_VERSION,
    ])
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("create {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("read {}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        std::fs::copy(entry.path(), &target)
            .map_err(|e| format!("copy to {}: {e}", target.display()))?;
    }
    Ok(())
}

/// Builds `web/dist/`: the static page plus the wasm-bindgen package.
fn web() -> Result {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    cargo(&[
        "build",
        "-p",
        "onbehalf-wasm",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ])?;
    let root = root();
    let dist = root.join("web/dist");
    let _ = std::fs::remove_dir_all(&dist);
    let wasm = root.join("target/wasm32-unknown-unknown/wasm/onbehalf_wasm.wasm");
    let pkg = dist.join("pkg");
    run(
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--out-dir",
            &pkg.to_string_lossy(),
            &wasm.to_string_lossy(),
        ],
    )?;
    copy_dir(&root.join("web/src"), &dist)?;
    let bg = pkg.join("onbehalf_wasm_bg.wasm");
    let size = std::fs::metadata(&bg).map(|m| m.len()).unwrap_or(0);
    let gzip = output(
        "sh",
        &["-c", &format!("gzip -9 -c '{}' | wc -c", bg.display())],
    )
    .unwrap_or_default();
    eprintln!(
        "xtask: web/dist built; page wasm {size} bytes, {} bytes gzipped",
        gzip.trim()
    );
    Ok(())
}

/// Debian's Chromium for the browser tests, installed when missing (CI runs as root).
fn ensure_chromium() -> Result {
    if Path::new("/usr/bin/chromium").exists() {
        return Ok(());
    }
    run("apt-get", &["update"])?;
    run(
        "apt-get",
        &["install", "-y", "--no-install-recommends", "chromium"],
    )
}

fn web_test() -> Result {
    web()?;
    ensure_chromium()?;
    let web_dir = root().join("web");
    run_in(&web_dir, "npm", &["ci", "--no-audit", "--no-fund"])?;
    cargo(&["build", "-p", "onbehalf-host"])?;
    run_in(
        &web_dir,
        "node",
        &[
            "tests/e2e.mjs",
            "dist",
            "../target/debug/onbehalf",
            "../target/screenshots",
        ],
    )
}

fn test() -> Result {
    ensure_wasm_target()?;
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&["test", "--workspace", "--all-features"])?;
    // The core must stay no_std and allocation-free.
    cargo(&[
        "build",
        "-p",
        "onbehalf-core",
        "--no-default-features",
        "--target",
        "wasm32-unknown-unknown",
    ])?;
    web_test()
}

/// Builds the release binary (with the embedded policy module) and the web explainer, then
/// runs `onbehalf serve --web web/dist`; extra arguments go to `serve`.
fn serve(extra: &[String]) -> Result {
    web()?;
    let web_dist = root().join("web/dist");
    let web_dist = web_dist.to_string_lossy();
    let mut args = vec![
        "run",
        "--release",
        "-p",
        "onbehalf-host",
        "--",
        "serve",
        "--web",
        &web_dist,
    ];
    // `cargo xtask serve -- --addr …` and `cargo xtask serve --addr …` both work.
    let extra = extra.strip_prefix(&["--".to_owned()]).unwrap_or(extra);
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)
}

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
fn start_server() -> Result<(std::process::Child, String)> {
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

fn bench() -> Result {
    cargo(&["bench", "-p", "onbehalf-benches", "--bench", "decide"])?;
    cargo(&[
        "build",
        "--release",
        "-p",
        "onbehalf-host",
        "-p",
        "onbehalf-benches",
    ])?;
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("serve") => serve(args.get(1..).unwrap_or_default()),
        Some("web") => web(),
        Some("bench") => bench(),
        other => Err(format!(
            "unknown command {other:?}; accepted: test, serve, web, bench\n\
             usage: cargo xtask test | cargo xtask serve [-- SERVE OPTIONS] | cargo xtask web | cargo xtask bench"
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
