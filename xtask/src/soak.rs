//! `cargo xtask soak --seconds N`: the load-and-fault soak (`benches/src/bin/soak/`)
//! against the release server. `cargo xtask test` runs a short one against the debug build.

use crate::process::{root, run, Result};

/// Builds the server and the soak driver, then runs the soak for `seconds`.
pub fn soak(seconds: u64, release: bool) -> Result {
    let profile = if release { "release" } else { "debug" };
    if release {
        crate::bench::build_release_tools()?;
    } else {
        crate::process::build_workspace_bins()?;
    }
    let bin = root().join("target").join(profile);
    let server = bin.join("onbehalf");
    let seconds = seconds.to_string();
    run(
        &bin.join("soak").to_string_lossy(),
        &[
            "--server",
            &server.to_string_lossy(),
            "--seconds",
            &seconds,
            "--clients",
            "4",
            "--reload-every-ms",
            "250",
            "--rss-growth-bound-mib",
            "64",
        ],
    )
}
