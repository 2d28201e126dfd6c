//! `cargo xtask <command>`: the project's build and test automation (no shell scripts).
//!
//! - `cargo xtask test`  — everything CI checks: format, clippy, all tests, the no_std wasm build.
//! - `cargo xtask serve` — build (release) and run the HTTP server on 127.0.0.1:8080.

use std::process::{Command, ExitCode};

type Result<T = ()> = std::result::Result<T, String>;

fn run(program: &str, args: &[&str]) -> Result {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn cargo(args: &[&str]) -> Result {
    run(
        &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
        args,
    )
}

/// `rust-toolchain.toml` names the target, but rustup does not fetch it everywhere.
fn ensure_wasm_target() -> Result {
    run("rustup", &["target", "add", "wasm32-unknown-unknown"])
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
    Ok(())
}

/// Builds the release binary (with the embedded policy module) and runs `onbehalf serve`;
/// extra arguments go to `serve` (e.g. `--addr 127.0.0.1:9000 --module my.wasm`).
fn serve(extra: &[String]) -> Result {
    ensure_wasm_target()?;
    let mut args = vec!["run", "--release", "-p", "onbehalf-host", "--", "serve"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("serve") => serve(args.get(1..).unwrap_or_default()),
        other => Err(format!(
            "unknown command {other:?}; accepted: test, serve\n\
             usage: cargo xtask test | cargo xtask serve"
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
