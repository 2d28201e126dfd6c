//! Running programs: the repository root, `cargo`, and the tools `xtask` installs on demand.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every command's result: a readable message on failure.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs `program args` in `dir`, echoing it; an error names the command and its status.
pub fn run_in(dir: &Path, program: &str, args: &[&str]) -> Result {
    run_with_env(dir, program, args, &[])
}

/// [`run_in`] with extra environment variables.
pub fn run_with_env(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Runs `program args` in the repository root.
pub fn run(program: &str, args: &[&str]) -> Result {
    run_in(&root(), program, args)
}

/// The `cargo` that started `xtask` (so toolchain overrides carry over).
pub fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cargo args` in the repository root.
pub fn cargo(args: &[&str]) -> Result {
    run(&cargo_bin(), args)
}

/// The standard output of a successful command, or `None`.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `rust-toolchain.toml` names the target, but rustup does not fetch it everywhere.
pub fn ensure_wasm_target() -> Result {
    run("rustup", &["target", "add", "wasm32-unknown-unknown"])
}

/// The version a tool prints: the first word of `--version`'s output that starts with a
/// digit (`cargo-deny 0.20.2` → `0.20.2`; `wasm-bindgen 0.2.130` → `0.2.130`).
pub fn printed_version(output: &str) -> Option<&str> {
    output
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether `program args` prints exactly `version` (not a version that merely contains it:
/// "0.20.2" is not "0.20.21").
pub fn has_version(program: &str, args: &[&str], version: &str) -> bool {
    output(program, args).is_some_and(|out| printed_version(&out) == Some(version))
}

/// Installs the cargo subcommand `crate_name` (run as `cargo <subcommand>`) at exactly
/// `version` unless that version is installed. Fresh CI machines have neither `cargo-fuzz`
/// nor `cargo-deny`.
pub fn ensure_cargo_tool(subcommand: &str, crate_name: &str, version: &str) -> Result {
    if has_version(&cargo_bin(), &[subcommand, "--version"], version) {
        return Ok(());
    }
    install_tool(crate_name, version)
}

/// `cargo install`s a tool the way CI can afford: an unoptimised build (these tools run for
/// seconds; optimising them would cost minutes of a 2-core CI run) in one shared target
/// directory, so the dependencies the tools share (syn, serde, clap, …) compile once.
pub fn install_tool(crate_name: &str, version: &str) -> Result {
    let target_dir = root().join("target").join("tools");
    let target_dir = target_dir.to_string_lossy();
    cargo(&[
        "install",
        "--debug",
        "--target-dir",
        &target_dir,
        crate_name,
        "--version",
        version,
    ])
}

/// A Debian package, installed when `binary` is missing (CI runs as root).
pub fn ensure_debian_package(binary: &str, package: &str) -> Result {
    if Path::new(binary).exists() {
        return Ok(());
    }
    run("apt-get", &["update"])?;
    run(
        "apt-get",
        &["install", "-y", "--no-install-recommends", package],
    )
}

/// Every binary of the workspace in the dev profile, exactly as `cargo test --workspace
/// --all-features` builds them (it builds each package's binaries for its integration tests,
/// into `target/debug/`): after the test step this is a no-op. `cargo build --bins` would
/// resolve features without the dev-dependencies and compile wasmtime a second time.
pub fn build_workspace_bins() -> Result {
    cargo(&[&["test"][..], &TESTED[..], &["--no-run"][..]].concat())
}

/// The crate only `cargo xtask bench` builds: the peers (cedar-policy, regorus) and criterion.
/// Their agreement tests run there, before any timing; the test command does not compile
/// them (CI time is a budget: they were a third of the dependency tree).
pub const BENCH_ONLY: &str = "onbehalf-peers";

/// What the test command builds and checks: the workspace but [`BENCH_ONLY`], every feature.
/// One list for every build of it (clippy, tests, the probe, the soak, stress), so no step
/// builds the peers or unifies features differently (a different feature set is a different
/// probe binary, and other instruction counts).
pub const TESTED: [&str; 4] = ["--workspace", "--exclude", BENCH_ONLY, "--all-features"];

#[cfg(test)]
mod tests {
    use super::printed_version;

    #[test]
    fn versions_compare_exactly() {
        assert_eq!(printed_version("cargo-deny 0.20.2"), Some("0.20.2"));
        assert_ne!(printed_version("cargo-deny 0.20.21"), Some("0.20.2"));
        assert_eq!(printed_version("wasm-bindgen 0.2.130\n"), Some("0.2.130"));
        assert_eq!(
            printed_version("cargo-fuzz 0.13.2 (abc 2025)"),
            Some("0.13.2")
        );
        assert_eq!(printed_version("no version here"), None);
    }
}
