//! `cargo xtask <command>`: the project's build and test automation (no shell scripts, no
//! shell strings). One module per command: `test` (everything CI checks; `.ci/run` calls it
//! and nothing else), `serve`, `web`, `npm`, `python`, `bench`, `fuzz`, `soak`, `deny` (the
//! policy in `deny.toml`: licenses, bans, duplicate versions each skipped with its reason,
//! sources) and `callgrind`; `readme.rs` runs README.md's examples and `process.rs` the
//! tools.
#![forbid(unsafe_code)]

mod bench;
mod callgrind;
mod fuzz;
mod npm;
mod process;
mod python;
mod readme;
mod soak;
mod stress;
mod test;
mod web;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// onbehalf's build and test automation.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything CI checks: format, clippy, cargo-deny, all Rust tests, the no_std wasm
    /// build, a short soak, a fuzz smoke per target, the web explainer build, its exhaustive
    /// wasm-vs-native check and the end-to-end tests in real Chromium.
    Test {
        /// Instead: the Rust test suite N times in a row beside a busy loop on every core
        /// (flaky-test hunting); fails unless all N runs pass.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        stress: Option<u32>,
    },
    /// Build (release) and serve decisions and the web explainer on 127.0.0.1:8080; extra
    /// arguments go to `onbehalf serve`.
    Serve {
        /// Options for `onbehalf serve` (e.g. `--module FILE --watch`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        serve_args: Vec<String>,
    },
    /// Build the web explainer into `web/dist/` (a static site).
    Web,
    /// Build the npm package (`target/npm/onbehalf-*.tgz`) and test it as a consumer would:
    /// installed into a fresh project, type-checked, its suite under Node's test runner.
    Npm,
    /// Build the Python package (`python/`, the embedded default module as package data)
    /// into a fresh virtualenv and run its pytest suite and README's Python example.
    Python,
    /// The criterion benchmarks and the HTTP load runs, then the table of BENCHMARKS.md.
    Bench,
    /// Every fuzz target for a while, from the committed corpus.
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        seconds: u64,
    },
    /// The load-and-fault soak against the release server.
    Soak {
        /// How long to soak.
        #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u64).range(1..))]
        seconds: u64,
    },
    /// cargo-deny's offline checks alone.
    Deny,
    /// Instruction counts of the hot paths under Valgrind's Callgrind against the committed
    /// baseline (`benches/callgrind-baseline.txt`): more than 5 % above it fails.
    Callgrind {
        /// Write the counts as the new baseline instead of comparing.
        #[arg(long)]
        bless: bool,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Test { stress: None } => test::test(),
        Command::Test { stress: Some(runs) } => stress::stress(runs),
        Command::Serve { serve_args } => web::serve(&serve_args),
        Command::Web => web::web(),
        Command::Npm => web::web_deps().and_then(|()| npm::npm_test()),
        Command::Python => python::python_test(),
        Command::Bench => bench::bench(),
        Command::Fuzz { seconds } => fuzz::fuzz(seconds),
        Command::Soak { seconds } => soak::soak(seconds, true),
        Command::Deny => test::deny(),
        Command::Callgrind { bless } => callgrind::callgrind(bless),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
