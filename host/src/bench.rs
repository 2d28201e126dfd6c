//! `onbehalf bench`: what a policy module costs before it is deployed. The standard request
//! mix (`onbehalf_workload::mix`, the one `cargo xtask bench` and the load generator send)
//! goes through the module on each path a server uses — one hop-free request per call,
//! batches, requests with hops, the whole mix in one call — beside the embedded default
//! module and the native core, with the module's fuel per decision.
//!
//! criterion stays the project's own benchmark; this is a quick, honest reading for policy
//! authors (wall-clock time on this machine, so run it on a quiet one).

use std::hint::black_box;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use onbehalf_core::json::{OwnedRequest, Value};
use onbehalf_core::{decide, DecisionTable, PackedRequest};
use onbehalf_host::policy::{LoadError, PolicyHost, Verdict, Worker};
use onbehalf_workload::mix::{mix, packed_hop_free, MIX_SIZE};

use crate::module_args::ModuleArgs;

/// Output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// One JSON object.
    Json,
}

/// `onbehalf bench` options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    module: ModuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Total measuring time in seconds, shared by every path and engine (longer is steadier).
    #[arg(long, default_value_t = 4.0, value_parser = seconds)]
    seconds: f64,
}

fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.01..=3600.0).contains(&s) => Ok(s),
        _ => Err(format!(
            "expected a number of seconds from 0.01 to 3600, found {text:?}"
        )),
    }
}

/// The paths a server takes, in the order reported.
#[derive(Debug, Clone, Copy)]
enum Path {
    Single,
    Batch,
    Hops,
    Mix,
}

impl Path {
    const ALL: [Path; 4] = [Path::Single, Path::Batch, Path::Hops, Path::Mix];

    fn name(self) -> &'static str {
        match self {
            Path::Single => "single",
            Path::Batch => "batch",
            Path::Hops => "hops",
            Path::Mix => "mix",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Path::Single => "hop-free requests, one per call",
            Path::Batch => "the hop-free requests, all in one call",
            Path::Hops => "requests with hops, one per call",
            Path::Mix => "the whole mix (hops included), 1,024 per call",
        }
    }
}

/// The requests of the mix, in the shapes each path takes, and the native table.
struct Workload {
    all: Vec<OwnedRequest>,
    packed: Vec<PackedRequest>,
    with_hops: Vec<usize>,
    /// What the host itself answers hop-free requests from (the native hot path).
    table: DecisionTable,
}

impl Workload {
    fn new() -> Workload {
        let all = mix();
        let packed = packed_hop_free(&all);
        let with_hops = (0..all.len())
            .filter(|&i| all.get(i).is_some_and(|r| !r.hops().is_empty()))
            .collect();
        Workload {
            all,
            packed,
            with_hops,
            table: DecisionTable::new(),
        }
    }
}

/// One engine's reading on one path.
#[derive(Debug, Clone, Copy)]
struct Reading {
    ns_per_decision: f64,
    /// `None` for the native core (no fuel).
    fuel_per_decision: Option<f64>,
}

/// Runs `round` (which decides some requests and returns how many) until `budget` is spent;
/// NaN if no round decided anything.
fn timed(budget: Duration, mut round: impl FnMut() -> u64) -> f64 {
    let started = Instant::now();
    let mut decisions = 0u64;
    loop {
        decisions += round();
        if started.elapsed() >= budget {
            break;
        }
    }
    started.elapsed().as_nanos() as f64 / decisions as f64
}

fn module_round(worker: &mut Worker, work: &Workload, path: Path) -> u64 {
    match path {
        Path::Single => {
            for p in &work.packed {
                black_box(worker.decide_packed(*p));
            }
            work.packed.len() as u64
        }
        Path::Batch => {
            let verdicts: Vec<Verdict> = worker.decide_batch(&work.packed);
            black_box(verdicts.len()) as u64
        }
        Path::Hops => {
            for &i in &work.with_hops {
                if let Some(r) = work.all.get(i) {
                    black_box(worker.decide(r).is_ok());
                }
            }
            work.with_hops.len() as u64
        }
        Path::Mix => {
            let all: Vec<&OwnedRequest> = work.all.iter().collect();
            black_box(worker.decide_many(&all).len()) as u64
        }
    }
}

fn native_round(work: &Workload, path: Path) -> u64 {
    match path {
        // Natively a batch is the same loop: the precomputed table, as the host uses it.
        Path::Single | Path::Batch => {
            for p in &work.packed {
                black_box(work.table.decide_raw(black_box(p.raw())));
            }
            work.packed.len() as u64
        }
        Path::Hops => {
            for &i in &work.with_hops {
                if let Some(r) = work.all.get(i) {
                    black_box(decide(r).ok());
                }
            }
            work.with_hops.len() as u64
        }
        Path::Mix => {
            for r in &work.all {
                black_box(decide(r).ok());
            }
            work.all.len() as u64
        }
    }
}

fn module_reading(
    host: &PolicyHost,
    worker: &mut Worker,
    work: &Workload,
    path: Path,
    budget: Duration,
) -> Reading {
    module_round(worker, work, path); // warm: instantiate, size the buffers
    let faults = host.stats().total_faults();
    let before = worker.fuel_burnt();
    let decisions = module_round(worker, work, path);
    // One round on one instance gives the fuel, unless a fault replaced the instance (then
    // the count would mix two instances: no figure rather than a wrong one).
    let fuel = match (before, worker.fuel_burnt()) {
        (Some(b), Some(a)) if a >= b && host.stats().total_faults() == faults => {
            Some((a - b) as f64 / decisions as f64)
        }
        _ => None,
    };
    Reading {
        ns_per_decision: timed(budget, || module_round(worker, work, path)),
        fuel_per_decision: fuel,
    }
}

/// Every reading: per path, the given module's (if any), the default module's, native.
struct Results {
    rows: Vec<(Path, Option<Reading>, Reading, Reading)>,
    faults: u64,
}

/// The progress line: redrawn in place on a terminal, one line per step otherwise.
fn progress(step: usize, total: usize, what: &str) {
    let mut err = io::stderr();
    if err.is_terminal() {
        let _ = write!(err, "\r\x1b[2Kbench [{step}/{total}] {what}");
    } else {
        let _ = writeln!(err, "bench [{step}/{total}] {what}");
    }
    let _ = err.flush();
}

fn measure(custom: Option<&PolicyHost>, default: &PolicyHost, seconds: f64) -> Results {
    let work = Workload::new();
    let engines = if custom.is_some() { 3 } else { 2 };
    let total = Path::ALL.len() * engines;
    let budget = Duration::from_secs_f64(seconds / total as f64);
    let mut custom_worker = custom.map(PolicyHost::worker);
    let mut default_worker = default.worker();
    let mut step = 0;
    let mut next = |what: String| {
        step += 1;
        progress(step, total, &what);
    };
    let rows = Path::ALL
        .iter()
        .map(|&path| {
            let mine = custom.zip(custom_worker.as_mut()).map(|(host, w)| {
                next(format!("{}: your module", path.name()));
                module_reading(host, w, &work, path, budget)
            });
            next(format!("{}: default module", path.name()));
            let theirs = module_reading(default, &mut default_worker, &work, path, budget);
            next(format!("{}: native core", path.name()));
            let native = Reading {
                ns_per_decision: timed(budget, || native_round(&work, path)),
                fuel_per_decision: None,
            };
            (path, mine, theirs, native)
        })
        .collect();
    let mut err = io::stderr();
    let clear = if err.is_terminal() { "\r\x1b[2K" } else { "" };
    let _ = writeln!(err, "{clear}bench: done");
    Results {
        rows,
        faults: custom.map_or(0, |h| h.stats().total_faults()),
    }
}

fn reading_value(r: &Reading) -> Value {
    Value::Object(vec![
        (
            "ns_per_decision".into(),
            Value::Number(format!("{:.2}", r.ns_per_decision)),
        ),
        (
            "fuel_per_decision".into(),
            r.fuel_per_decision
                .map_or(Value::Null, |f| Value::Number(format!("{f:.1}"))),
        ),
    ])
}

fn json(results: &Results, module: Option<&str>, seconds: f64) -> String {
    let paths = results.rows.iter().map(|(path, mine, theirs, native)| {
        Value::Object(vec![
            ("path".into(), Value::String(path.name().into())),
            ("what".into(), Value::String(path.what().into())),
            (
                "module".into(),
                mine.as_ref().map_or(Value::Null, reading_value),
            ),
            ("default_module".into(), reading_value(theirs)),
            ("native".into(), reading_value(native)),
        ])
    });
    Value::Object(vec![
        (
            "module".into(),
            module.map_or(Value::Null, |m| Value::String(m.into())),
        ),
        ("mix_size".into(), Value::Number(MIX_SIZE.to_string())),
        ("seconds".into(), Value::Number(format!("{seconds}"))),
        ("faults".into(), Value::Number(results.faults.to_string())),
        ("paths".into(), Value::Array(paths.collect())),
    ])
    .to_json()
}

fn cell(r: Option<&Reading>) -> String {
    match r {
        None => "-".into(),
        Some(r) => match r.fuel_per_decision {
            Some(f) => format!("{:.1} ns ({f:.0} fuel)", r.ns_per_decision),
            None => format!("{:.1} ns", r.ns_per_decision),
        },
    }
}

fn table(results: &Results, module: Option<&str>) -> String {
    let mut out = String::new();
    let head = [
        "path",
        "your module",
        "default module",
        "native core",
        "what",
    ];
    let mut rows = vec![head.map(String::from)];
    for (path, mine, theirs, native) in &results.rows {
        rows.push([
            path.name().into(),
            cell(mine.as_ref()),
            cell(Some(theirs)),
            cell(Some(native)),
            path.what().into(),
        ]);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, String::len))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "ns per decision over the standard mix ({MIX_SIZE} requests; native: the precomputed table for hop-free requests, the engine for hops); fuel is the module's own unit, per decision.\n"
    ));
    if let Some(m) = module {
        out.push_str(&format!(
            "{m}: {} fault(s) while measuring (each answered fail-closed).\n",
            results.faults
        ));
    }
    out
}

/// Runs the harness and prints the report on stdout (progress on stderr).
///
/// # Errors
/// The load error of the module given (or, never in practice, of the default module).
pub fn run(args: &BenchArgs) -> Result<String, LoadError> {
    let custom = match &args.module.module {
        Some(_) => Some(args.module.host()?),
        None => None,
    };
    let default = PolicyHost::with_default_module(args.module.limits())?;
    let results = measure(custom.as_ref(), &default, args.seconds);
    let name = args.module.module.as_ref().map(|p| p.display().to_string());
    Ok(match args.format {
        Format::Json => json(&results, name.as_deref(), args.seconds),
        Format::Table => table(&results, name.as_deref()),
    })
}
