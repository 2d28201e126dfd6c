//! `cargo xtask npm`: the npm package `onbehalf` (the wasm-bindgen build of the core, the
//! same files the web page loads) packed with `npm pack`, then used as a stranger would: a
//! fresh project installs the tarball, type-checks a TypeScript file against it, runs the
//! package's test suite under Node's test runner (the exhaustive table, the worked examples,
//! explain/fix/exposure against the native CLI) and the README's JavaScript example, whose
//! output must be the one the README shows.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use onbehalf_core::json::Value;

use crate::process::{build_workspace_bins, root, run_in, Result};
use crate::readme;

/// The package name on npm.
const NAME: &str = "onbehalf";

/// The files of wasm-bindgen's output (`web/dist/pkg/`) that make up the package.
const PKG_FILES: [&str; 4] = [
    "onbehalf_web.js",
    "onbehalf_web.d.ts",
    "onbehalf_web_bg.wasm",
    "onbehalf_web_bg.wasm.d.ts",
];

/// Node's entry point: the same build, initialised synchronously from the package's own
/// `.wasm` file, so `import { decide } from "onbehalf"` works without an `await init()`.
const NODE_ENTRY: &str = r#"// Node's entry point: the wasm-bindgen build, initialised from the package's own .wasm.
import { readFileSync } from "node:fs";
import { initSync } from "./onbehalf_web.js";
initSync({ module: readFileSync(new URL("./onbehalf_web_bg.wasm", import.meta.url)) });
export * from "./onbehalf_web.js";
"#;

fn write(path: &Path, text: &str) -> Result {
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

fn text(s: &str) -> Value {
    Value::String(s.into())
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// `package.json`, from the workspace's version and license: browsers and bundlers take the
/// wasm-bindgen module (`await init()` first), Node the entry that initialises itself.
fn manifest() -> Value {
    let files = PKG_FILES
        .iter()
        .chain(&["node.js", "README.md"])
        .map(|f| text(f))
        .collect();
    object(vec![
        ("name", text(NAME)),
        ("version", text(env!("CARGO_PKG_VERSION"))),
        (
            "description",
            text("Windows impersonation and delegation decisions (onbehalf's core in WebAssembly): effective level, reach, hop verdicts, reasons, fixes."),
        ),
        ("license", text(env!("CARGO_PKG_LICENSE"))),
        ("type", text("module")),
        ("types", text("./onbehalf_web.d.ts")),
        (
            "exports",
            object(vec![(
                ".",
                object(vec![
                    ("types", text("./onbehalf_web.d.ts")),
                    ("node", text("./node.js")),
                    ("default", text("./onbehalf_web.js")),
                ]),
            )]),
        ),
        ("files", Value::Array(files)),
        ("sideEffects", Value::Array(vec![text("./node.js")])),
    ])
}

/// Assembles the package from `web/dist/pkg/` (built by `cargo xtask web`) and packs it;
/// returns the tarball.
fn pack(example: &readme::Example) -> Result<PathBuf> {
    let root = root();
    let out = root.join("target/npm");
    let package = out.join("package");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&package).map_err(|e| format!("create {}: {e}", package.display()))?;
    let pkg = root.join("web/dist/pkg");
    for file in PKG_FILES {
        fs::copy(pkg.join(file), package.join(file))
            .map_err(|e| format!("copy {file} from {}: {e}", pkg.display()))?;
    }
    write(&package.join("node.js"), NODE_ENTRY)?;
    let readme = format!(
        "# onbehalf\n\n{}\n\nThe rules, the request and answer shapes, the CLI and the server: the \
         onbehalf repository's README.md and docs/.\n",
        example.section.trim_end()
    );
    write(&package.join("README.md"), &readme)?;
    write(&package.join("package.json"), &manifest().to_json())?;
    run_in(
        &package,
        "npm",
        &["pack", "--pack-destination", "..", "--silent"],
    )?;
    let tarball = out.join(format!("{NAME}-{}.tgz", env!("CARGO_PKG_VERSION")));
    if !tarball.is_file() {
        return Err(format!("npm pack did not write {}", tarball.display()));
    }
    Ok(tarball)
}

/// The npm package, built and tested as a consumer uses it. Needs `web/dist/` (`web()`)
/// and the web tests' `npm ci` (TypeScript is their dev dependency).
pub fn npm_test() -> Result {
    let example = readme::example("## Use it from JavaScript", "js")?;
    let tarball = pack(&example)?;
    let root = root();
    let consumer = root.join("target/npm/consumer");
    fs::create_dir_all(&consumer).map_err(|e| format!("create {}: {e}", consumer.display()))?;
    write(
        &consumer.join("package.json"),
        r#"{"name":"consumer","private":true,"type":"module"}"#,
    )?;
    let tarball = tarball.to_string_lossy();
    // A local tarball without dependencies: nothing is fetched.
    run_in(
        &consumer,
        "npm",
        &["install", "--no-audit", "--no-fund", "--offline", &tarball],
    )?;
    for (from, to) in [
        ("npm/tests/types.ts", "types.ts"),
        ("npm/tests/tsconfig.json", "tsconfig.json"),
        ("npm/tests/package.test.mjs", "package.test.mjs"),
        ("npm/tests/outputs.mjs", "outputs.mjs"),
        ("web/tests/conformance.mjs", "conformance.mjs"),
    ] {
        fs::copy(root.join(from), consumer.join(to)).map_err(|e| format!("copy {from}: {e}"))?;
    }
    build_workspace_bins()?;
    let cli = root.join("target/debug/onbehalf");
    let node = |args: &[&str]| {
        Command::new("node")
            .args(args)
            .current_dir(&consumer)
            .env("ONBEHALF_CLI", &cli)
            .env("ONBEHALF_ROOT", &root)
            .output()
            .map_err(|e| format!("cannot run node: {e}"))
    };
    // The package's real answers as typed literals (outputs.ts), then one strict `tsc` over
    // them and the hand-written usage (types.ts).
    let outputs = node(&["outputs.mjs"])?;
    if !outputs.status.success() {
        return Err(format!(
            "outputs.mjs failed: {}",
            String::from_utf8_lossy(&outputs.stderr)
        ));
    }
    eprint!("{}", String::from_utf8_lossy(&outputs.stdout));
    let tsc = root.join("web/node_modules/.bin/tsc");
    run_in(&consumer, &tsc.to_string_lossy(), &["-p", "."])?;
    let tests = node(&["--test", "--test-reporter=spec", "package.test.mjs"])?;
    eprint!("{}", String::from_utf8_lossy(&tests.stdout));
    if !tests.status.success() {
        return Err(format!(
            "the npm package's tests failed: {}",
            String::from_utf8_lossy(&tests.stderr)
        ));
    }
    write(&consumer.join("readme.mjs"), &example.code)?;
    example.check_output(&node(&["readme.mjs"])?)?;
    eprintln!("xtask: npm package {tarball}: consumer install, types, tests and README example ok");
    Ok(())
}
