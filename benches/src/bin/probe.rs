//! `probe PATH ROUNDS`: runs one hot path over the standard mix `ROUNDS` times, for
//! `cargo xtask callgrind`, which counts the instructions of [`onbehalf_probe_measured`] alone under
//! Valgrind's Callgrind (setup — table, engine, module compilation — is not counted).
//! Instruction counts are deterministic where timings are not: they are the regression gate;
//! timings stay in criterion.
#![allow(missing_docs)]

use std::hint::black_box;
use std::process::ExitCode;

use onbehalf_benches::probe::{Path, Probe};

/// The only function whose instructions are counted (`--toggle-collect`).
#[inline(never)]
fn onbehalf_probe_measured(probe: &mut Probe, path: Path, rounds: u32) -> u64 {
    let mut decisions = 0;
    for _ in 0..rounds {
        decisions += black_box(probe.round(path));
    }
    decisions
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(rounds)) = (
        args.first().and_then(|p| Path::from_name(p)),
        args.get(1).and_then(|r| r.parse::<u32>().ok()),
    ) else {
        eprintln!(
            "usage: probe PATH ROUNDS   (PATH one of: {})",
            Path::ALL.map(Path::name).join(", ")
        );
        return ExitCode::from(2);
    };
    let mut probe = Probe::new(path);
    probe.round(path); // warm: instantiate, size buffers, fill caches
    let decisions = onbehalf_probe_measured(&mut probe, path, rounds);
    println!("{decisions}");
    ExitCode::SUCCESS
}
