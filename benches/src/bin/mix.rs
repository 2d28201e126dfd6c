//! `mix`: the standard request mix (`workload/src/mix.rs`, the 1,024 requests every
//! benchmark uses) as JSON Lines on stdout — what the npm and Python packages' speed scripts
//! decide, so their numbers stand beside the Rust ones in BENCHMARKS.md.
#![forbid(unsafe_code)]

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for request in onbehalf_benches::mix::mix() {
        writeln!(out, "{}", request.to_value().to_json())?;
    }
    out.flush()
}
