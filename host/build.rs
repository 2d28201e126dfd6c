//! Builds the default policy module (`onbehalf-policy-module`, wasm32) and the example strict policy so the host can embed it:
//! `onbehalf serve` then works with no arguments. The nested cargo uses its own target
//! directory (no lock contention with the outer build) and a clean environment (no
//! clippy/rustc wrappers or host RUSTFLAGS leaking into the wasm build).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir.parent().map(PathBuf::from).unwrap_or_default();
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let target_dir = out_dir.join("module-target");

    for path in [
        "abi/src",
        "abi/Cargo.toml",
        "policy-module/src",
        "policy-module/Cargo.toml",
        "examples/strict-policy/src",
        "examples/strict-policy/Cargo.toml",
        "core/src",
        "core/Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--package",
            "onbehalf-policy-module",
            "--package",
            "strict-policy",
        ])
        .args(["--target", "wasm32-unknown-unknown"])
        .args(["--profile", "policy-module", "--target-dir"])
        .arg(&target_dir);
    for var in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status();
    let built = target_dir.join("wasm32-unknown-unknown/policy-module");
    let (default, strict) = (
        built.join("onbehalf_policy_module.wasm"),
        built.join("strict_policy.wasm"),
    );
    match status {
        Ok(s) if s.success() && default.exists() && strict.exists() => {
            println!(
                "cargo:rustc-env=ONBEHALF_DEFAULT_MODULE={}",
                default.display()
            );
            // The example custom policy, for tests, the soak run and `--module` demos.
            println!(
                "cargo:rustc-env=ONBEHALF_STRICT_MODULE={}",
                strict.display()
            );
        }
        other => {
            println!(
                "cargo:warning=building the default policy module failed ({other:?}); \
                 is the wasm32-unknown-unknown target installed? (`rustup target add wasm32-unknown-unknown`)"
            );
            std::process::exit(1);
        }
    }
}
