//! The web explainer: building `web/dist/`, its browser tests, and `cargo xtask serve`.

use std::path::Path;

use crate::process::{
    build_workspace_bins, cargo, ensure_debian_package, ensure_wasm_target, has_version,
    install_tool, root, run, run_in, Result,
};

/// The size of `bytes` gzipped at the best level (what a static server would send).
fn gzip_size(bytes: &[u8]) -> Result<usize> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    encoder.finish().map(|z| z.len()).map_err(|e| e.to_string())
}

/// Must equal the `wasm-bindgen` version pinned in `wasm/Cargo.toml`.
const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The wasm-bindgen CLI must match the crate's version exactly; install it if it does not.
fn ensure_wasm_bindgen() -> Result {
    if has_version("wasm-bindgen", &["--version"], WASM_BINDGEN_VERSION) {
        return Ok(());
    }
    install_tool("wasm-bindgen-cli", WASM_BINDGEN_VERSION)
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

/// Prepends the TypeScript types the core generates from its tables to wasm-bindgen's
/// declarations, whose functions name them (`Request`, `Decision`, `Explanation`, …).
fn write_types(pkg: &Path) -> Result {
    let path = pkg.join("onbehalf_web.d.ts");
    let bindings =
        std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let types = onbehalf_core::json::typescript();
    std::fs::write(&path, format!("{types}\n{bindings}"))
        .map_err(|e| format!("write {}: {e}", path.display()))
}

/// Builds `web/dist/`: the static page plus the wasm-bindgen package.
pub fn web() -> Result {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    cargo(&[
        "build",
        "-p",
        "onbehalf-web",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ])?;
    let root = root();
    let dist = root.join("web/dist");
    let _ = std::fs::remove_dir_all(&dist);
    let wasm = root.join("target/wasm32-unknown-unknown/wasm/onbehalf_web.wasm");
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
    write_types(&pkg)?;
    copy_dir(&root.join("web/src"), &dist)?;
    let bg = pkg.join("onbehalf_web_bg.wasm");
    let wasm = std::fs::read(&bg).map_err(|e| format!("read {}: {e}", bg.display()))?;
    eprintln!(
        "xtask: web/dist built; page wasm {} bytes, {} bytes gzipped",
        wasm.len(),
        gzip_size(&wasm)?
    );
    Ok(())
}

/// `web/dist/` and the web tests' npm dependencies (`npm ci`: playwright-core, axe-core and
/// TypeScript, which the npm package's consumer test also uses).
pub fn web_deps() -> Result {
    web()?;
    run_in(
        &root().join("web"),
        "npm",
        &["ci", "--no-audit", "--no-fund"],
    )
}

pub fn web_test() -> Result {
    web_deps()?;
    let web_dir = root().join("web");
    // The page's JavaScript against the declarations the core generates (web/tsconfig.json).
    let tsc = web_dir.join("node_modules/.bin/tsc");
    run_in(&web_dir, &tsc.to_string_lossy(), &["-p", "."])?;
    ensure_debian_package("/usr/bin/chromium", "chromium")?;
    build_workspace_bins()?;
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

/// Builds the release binary (with the embedded policy module) and the web explainer, then
/// runs `onbehalf serve --web web/dist`; extra arguments go to `serve`.
pub fn serve(extra: &[String]) -> Result {
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
