//! `cargo xtask python`: the Python package `onbehalf` (`python/`) built and tested as a
//! user gets it — the embedded default module (the engine and its embedding kit) and the
//! workspace version written into the package, `pip install ./python` into a fresh virtualenv
//! (wasmtime and pytest from PyPI, pinned in `python/pyproject.toml`), its pytest suite
//! against the native CLI and the Rust host's outcomes on the hostile corpus, and README's
//! Python example against the output printed there.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::process::{build_workspace_bins, root, run, Result};
use crate::readme;

fn write(path: &Path, bytes: &[u8]) -> Result {
    fs::write(path, bytes).map_err(|e| format!("write {}: {e}", path.display()))
}

/// The standard output of `program args`, or the error.
fn output(program: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`{} {}` failed: {}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// The package, installed into a fresh virtualenv and tested.
pub fn python_test() -> Result {
    let example = readme::example("## Use it from Python", "python")?;
    build_workspace_bins()?;
    let root = root();
    let cli = root.join("target/debug/onbehalf");
    let package = root.join("python/src/onbehalf");
    write(&package.join("policy.wasm"), &output(&cli, &["module"])?)?;
    write(
        &package.join("_version.py"),
        format!(
            "# Written by `cargo xtask python`: the workspace version.\n__version__ = \"{}\"\n",
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    )?;
    let corpus = root.join("target/python/corpus");
    let venv = root.join("target/python/venv");
    let _ = fs::remove_dir_all(root.join("target/python"));
    output(
        &root.join("target/debug/hostile-corpus"),
        &[&corpus.to_string_lossy()],
    )?;
    run("python3", &["-m", "venv", &venv.to_string_lossy()])?;
    let python = venv.join("bin/python");
    let python_str = python.to_string_lossy();
    run(
        &python_str,
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("{}[test]", root.join("python").display()),
        ],
    )?;
    let tests = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root.join("python/tests"))
        .env("ONBEHALF_CLI", &cli)
        .env("ONBEHALF_ROOT", &root)
        .env("ONBEHALF_CORPUS", &corpus)
        .status()
        .map_err(|e| format!("cannot run pytest: {e}"))?;
    if !tests.success() {
        return Err(format!("the Python package's tests failed ({tests})"));
    }
    let script = root.join("target/python/readme.py");
    write(&script, example.code.as_bytes())?;
    let run = Command::new(&python)
        .arg(&script)
        .current_dir(root.join("target/python"))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    example.check_output(&run)?;
    eprintln!("xtask: Python package: installed, pytest and README example ok");
    Ok(())
}
