//! A bounded load-and-fault soak of `onbehalf serve` on loopback:
//!
//! ```text
//! soak --server target/release/onbehalf [--seconds 60] [--clients 4]
//!      [--reload-every-ms 250] [--rss-growth-bound-mib 64]
//! ```
//!
//! 1. Starts the server (`--addr 127.0.0.1:0 --admin-token-file …`).
//! 2. Calibrates: for each policy of the cycle — the default module, the strict example
//!    module, and a faulting module (traps in `explain` and `decide_batch`, runs out of fuel in `decide` for
//!    delegation requests) — uploads it and records the answer to every request of the mix,
//!    single and in batches of 64.
//! 3. Soaks: `clients` keep-alive connections send the mix (single requests, every eighth a
//!    batch) for `seconds`, while a reloader cycles default → strict → faulting → garbage
//!    (refused, the current policy stays). Every answer must equal the calibrated answer of
//!    one of the three policies for that request; an answer with `x-onbehalf-fault` (or a
//!    batch element equal to the faulting policy's) is an *expected fail-closed* answer;
//!    anything else — another status, another body, a dropped connection, a good reload
//!    refused, a garbage reload accepted — is *unexpected*.
//! 4. Reports requests served, expected fail-closed answers, unexpected errors, p50/p99
//!    latency and the server's RSS after calibration and at the end; exits non-zero when
//!    anything was unexpected, no fault was exercised, or RSS grew by more than the bound.
#![allow(clippy::indexing_slicing, missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onbehalf_benches::client::{Client, Response};
use onbehalf_benches::mix::mix;
use onbehalf_core::{decide_packed, PackedRequest, Request, RequestedLevel};
use onbehalf_host::policy::{DEFAULT_MODULE, STRICT_EXAMPLE_MODULE};
use serde_json::Value;

const BATCH: usize = 64;
const JSON: (&str, &str) = ("Content-Type", "application/json");

struct Options {
    server: String,
    seconds: u64,
    clients: usize,
    reload_every: Duration,
    rss_growth_bound_kib: u64,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        server: String::new(),
        seconds: 60,
        clients: 4,
        reload_every: Duration::from_millis(250),
        rss_growth_bound_kib: 64 << 10,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag}: expected a positive integer, found {value:?}"))
        };
        match flag.as_str() {
            "--server" => o.server.clone_from(value),
            "--seconds" => o.seconds = number()?,
            "--clients" => o.clients = usize::try_from(number()?).map_err(|e| e.to_string())?,
            "--reload-every-ms" => o.reload_every = Duration::from_millis(number()?),
            "--rss-growth-bound-mib" => o.rss_growth_bound_kib = number()? << 10,
            other => {
                return Err(format!(
                    "unknown option {other:?}; accepted: --server, --seconds, --clients, \
                     --reload-every-ms, --rss-growth-bound-mib"
                ))
            }
        }
    }
    if o.server.is_empty() {
        return Err("--server PATH (the onbehalf binary) is required".into());
    }
    Ok(o)
}

/// A policy module in ABI v1 that fails: `decide` loops until the fuel limit for
/// delegation requests (and answers impersonation's decision otherwise, so it passes the
/// load-time check); `decide_batch` and `explain` trap.
fn faulting_module() -> Result<Vec<u8>, String> {
    let ok = decide_packed(PackedRequest::pack(
        &Request::new(RequestedLevel::Impersonation).context(),
    ))
    .map_err(|e| e.to_string())?
    .raw();
    wat::parse_str(format!(
        r#"(module
          (memory (export "memory") 1)
          (func (export "onbehalf_abi_version") (result i32) i32.const 1)
          (func $decide (export "decide") (param i64) (result i64)
            (if (i64.eq (i64.and (local.get 0) (i64.const 7)) (i64.const 4))
              (then (loop $spin (br $spin))))
            i64.const {ok})
          (func (export "decide_batch") (param i32 i32 i32) (result i32) unreachable)
          (func (export "alloc") (param i32) (result i32) i32.const 1024)
          (func (export "dealloc") (param i32 i32))
          (func (export "explain") (param i32 i32) (result i64) unreachable))"#
    ))
    .map_err(|e| e.to_string())
}

/// The running server: its process, address, and the tail of its stderr.
struct Server {
    child: Child,
    addr: String,
    token: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(binary: &str, dir: &std::path::Path) -> Result<Server, String> {
        let token = format!(
            "soak-token-{:016x}",
            std::process::id() as u64 * 0x9E37_79B9
        );
        let token_file = dir.join("admin-token");
        std::fs::write(&token_file, &token).map_err(|e| e.to_string())?;
        let mut child = Command::new(binary)
            .args(["serve", "--addr", "127.0.0.1:0", "--admin-token-file"])
            .arg(&token_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {binary}: {e}"))?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut banner = String::new();
        stdout.read_line(&mut banner).map_err(|e| e.to_string())?;
        // Keep both pipes drained so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in stdout.lines() {});
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut l) = log.lock() {
                        if l.len() >= 20 {
                            l.remove(0);
                        }
                        l.push(line);
                    }
                }
            });
        }
        let addr = banner
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .map(str::to_owned);
        match addr {
            Some(addr) => Ok(Server {
                child,
                addr,
                token,
                log,
            }),
            None => {
                let _ = child.kill();
                Err(format!("unexpected server banner {banner:?}"))
            }
        }
    }

    fn reload(&self, client: &mut Client, module: &[u8]) -> std::io::Result<Response> {
        let bearer = format!("Bearer {}", self.token);
        client.post(
            "/v1/policy",
            &[
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/wasm"),
            ],
            module,
        )
    }

    /// VmRSS of the server, in KiB.
    fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What each policy of the cycle answers to each request of the mix, alone and inside a
/// batch: `singles[p][i]`, `elements[p][i]` for policy `p` of [`POLICIES`].
struct Calibration {
    singles: Vec<Vec<Response>>,
    elements: Vec<Vec<Value>>,
}

/// The policies of the reload cycle, in calibration order; the faulting one is at
/// [`FAULTING`], the default at [`DEFAULT`].
const POLICIES: [&str; 3] = ["strict", "faulting", "default"];
const FAULTING: usize = 1;
const DEFAULT: usize = 2;

impl Calibration {
    fn single_ok(&self, i: usize, r: &Response) -> bool {
        self.singles.iter().any(|p| p[i] == *r)
    }

    fn element_ok(&self, i: usize, v: &Value) -> bool {
        self.elements.iter().any(|p| p[i] == *v)
    }

    /// Only the faulting policy answers this (its fail-closed answer).
    fn element_fail_closed(&self, i: usize, v: &Value) -> bool {
        self.elements
            .iter()
            .enumerate()
            .all(|(p, answers)| (answers[i] == *v) == (p == FAULTING))
    }
}

fn batch_body(requests: &[String]) -> String {
    format!("[{}]", requests.join(","))
}

fn calibrate(
    server: &Server,
    requests: &[String],
    modules: &[&[u8]; 3],
) -> Result<Calibration, String> {
    let mut client = Client::new(&server.addr);
    let n = requests.len();
    let mut cal = Calibration {
        singles: Vec::new(),
        elements: Vec::new(),
    };
    for (name, module) in POLICIES.iter().zip(modules) {
        let r = server
            .reload(&mut client, module)
            .map_err(|e| e.to_string())?;
        if r.status != 200 {
            return Err(format!("loading the {name} policy: status {}", r.status));
        }
        let mut elements = Vec::with_capacity(n);
        for chunk in requests.chunks(BATCH) {
            let r = client
                .post("/v1/decide", &[JSON], batch_body(chunk).as_bytes())
                .map_err(|e| e.to_string())?;
            let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&r.body) else {
                return Err(format!("{name}: a batch answer is not an array"));
            };
            elements.extend(items);
        }
        if elements.len() != n {
            return Err(format!(
                "{name}: {} batch answers for {n} requests",
                elements.len()
            ));
        }
        let mut singles = Vec::with_capacity(n);
        for request in requests {
            singles.push(
                client
                    .post("/v1/decide", &[JSON], request.as_bytes())
                    .map_err(|e| e.to_string())?,
            );
        }
        cal.singles.push(singles);
        cal.elements.push(elements);
    }
    if cal.singles[FAULTING].iter().all(|r| r.fault.is_none()) {
        return Err("the faulting policy never faulted during calibration".into());
    }
    Ok(cal)
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    decisions: AtomicU64,
    fail_closed: AtomicU64,
    unexpected: AtomicU64,
}

struct ClientResult {
    single_latencies: Vec<Duration>,
    batch_latencies: Vec<Duration>,
    examples: Vec<String>,
}

fn client_loop(
    t: usize,
    addr: &str,
    requests: &[String],
    cal: &Calibration,
    tally: &Tally,
    stop: &AtomicBool,
) -> ClientResult {
    let mut client = Client::new(addr);
    let mut out = ClientResult {
        single_latencies: Vec::new(),
        batch_latencies: Vec::new(),
        examples: Vec::new(),
    };
    let unexpected = |out: &mut ClientResult, what: String| {
        tally.unexpected.fetch_add(1, Ordering::Relaxed);
        if out.examples.len() < 5 {
            out.examples.push(what);
        }
    };
    let chunks: Vec<&[String]> = requests.chunks(BATCH).collect();
    let mut k = t;
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        if k % 8 == 7 {
            let c = (k / 8) % chunks.len();
            let started = Instant::now();
            let answer = client.post("/v1/decide", &[JSON], batch_body(chunks[c]).as_bytes());
            out.batch_latencies.push(started.elapsed());
            tally.requests.fetch_add(1, Ordering::Relaxed);
            let items = match answer.map(|r| (r.status, serde_json::from_slice::<Value>(&r.body))) {
                Ok((200, Ok(Value::Array(items)))) if items.len() == chunks[c].len() => items,
                Ok((status, _)) => {
                    unexpected(&mut out, format!("batch {c}: status {status} or bad body"));
                    continue;
                }
                Err(e) => {
                    unexpected(&mut out, format!("batch {c}: {e}"));
                    continue;
                }
            };
            for (j, item) in items.iter().enumerate() {
                let i = c * BATCH + j;
                tally.decisions.fetch_add(1, Ordering::Relaxed);
                if !cal.element_ok(i, item) {
                    unexpected(&mut out, format!("batch element {i}: {item}"));
                } else if cal.element_fail_closed(i, item) {
                    tally.fail_closed.fetch_add(1, Ordering::Relaxed);
                }
            }
        } else {
            let i = k % requests.len();
            let started = Instant::now();
            let answer = client.post("/v1/decide", &[JSON], requests[i].as_bytes());
            out.single_latencies.push(started.elapsed());
            tally.requests.fetch_add(1, Ordering::Relaxed);
            tally.decisions.fetch_add(1, Ordering::Relaxed);
            match answer {
                Ok(r) if cal.single_ok(i, &r) => {
                    if r.fault.is_some() {
                        tally.fail_closed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(r) => unexpected(
                    &mut out,
                    format!(
                        "request {i}: status {} fault {:?} body {}",
                        r.status,
                        r.fault,
                        String::from_utf8_lossy(&r.body)
                    ),
                ),
                Err(e) => unexpected(&mut out, format!("request {i}: {e}")),
            }
        }
    }
    out
}

#[derive(Default)]
struct Reloads {
    accepted: u64,
    refused: u64,
    unexpected: Vec<String>,
}

fn reload_loop(
    server: &Server,
    cycle: &[(&str, &[u8], bool)],
    every: Duration,
    stop: &AtomicBool,
) -> Reloads {
    let mut client = Client::new(&server.addr);
    let mut reloads = Reloads::default();
    let mut step = 0usize;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(every);
        let (name, module, good) = cycle[step % cycle.len()];
        step += 1;
        match server.reload(&mut client, module) {
            Ok(r) if good && r.status == 200 => reloads.accepted += 1,
            Ok(r)
                if !good
                    && r.status == 422
                    && String::from_utf8_lossy(&r.body).contains("policy-rejected") =>
            {
                reloads.refused += 1;
            }
            Ok(r) => reloads.unexpected.push(format!(
                "reload {name}: status {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )),
            Err(e) => reloads.unexpected.push(format!("reload {name}: {e}")),
        }
    }
    reloads
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[index]
}

fn soak(o: &Options) -> Result<bool, String> {
    let dir = std::env::temp_dir().join(format!("onbehalf-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let server = Server::start(&o.server, &dir)?;
    let faulting = faulting_module()?;
    let garbage: Vec<u8> = b"\0asm\x01\0\0\0 this is not a module"
        .iter()
        .copied()
        .cycle()
        .take(4096)
        .collect();
    let modules: [&[u8]; 3] = [STRICT_EXAMPLE_MODULE, &faulting, DEFAULT_MODULE];
    let requests: Vec<String> = mix().iter().map(|r| r.to_value().to_string()).collect();
    let cal = calibrate(&server, &requests, &modules)?;
    let rss_before = server.rss_kib().unwrap_or(0);

    let tally = Tally::default();
    let stop = AtomicBool::new(false);
    let cycle: [(&str, &[u8], bool); 4] = [
        ("strict", STRICT_EXAMPLE_MODULE, true),
        ("faulting", &faulting, true),
        ("default", DEFAULT_MODULE, true),
        ("garbage", &garbage, false),
    ];
    let started = Instant::now();
    let mut rss_peak = rss_before;
    let (results, reloads) = std::thread::scope(|s| {
        let clients: Vec<_> = (0..o.clients)
            .map(|t| {
                let (addr, requests, cal, tally, stop) =
                    (&server.addr, &requests, &cal, &tally, &stop);
                s.spawn(move || client_loop(t, addr, requests, cal, tally, stop))
            })
            .collect();
        let reloader = s.spawn(|| reload_loop(&server, &cycle, o.reload_every, &stop));
        while started.elapsed() < Duration::from_secs(o.seconds) {
            std::thread::sleep(Duration::from_millis(200));
            rss_peak = rss_peak.max(server.rss_kib().unwrap_or(0));
        }
        stop.store(true, Ordering::Relaxed);
        let results: Vec<ClientResult> =
            clients.into_iter().filter_map(|c| c.join().ok()).collect();
        (results, reloader.join().ok())
    });
    let elapsed = started.elapsed();
    let reloads = reloads.ok_or("the reloader panicked")?;

    // After the soak, the server must still answer exactly as the default policy does.
    let mut client = Client::new(&server.addr);
    let mut healthy = server
        .reload(&mut client, DEFAULT_MODULE)
        .is_ok_and(|r| r.status == 200);
    for (i, request) in requests.iter().enumerate().step_by(17) {
        let expected = cal.singles[DEFAULT].get(i);
        let got = client.post("/v1/decide", &[JSON], request.as_bytes()).ok();
        healthy &= got.as_ref() == expected;
    }
    let rss_after = server.rss_kib().unwrap_or(0);

    let mut singles: Vec<Duration> = results
        .iter()
        .flat_map(|r| r.single_latencies.clone())
        .collect();
    let mut batches: Vec<Duration> = results
        .iter()
        .flat_map(|r| r.batch_latencies.clone())
        .collect();
    singles.sort();
    batches.sort();
    let requests_served = tally.requests.load(Ordering::Relaxed);
    let fail_closed = tally.fail_closed.load(Ordering::Relaxed);
    let unexpected = tally.unexpected.load(Ordering::Relaxed) + reloads.unexpected.len() as u64;
    let growth = rss_after.saturating_sub(rss_before);
    println!(
        "soak: {} clients, {:.0} s, reload every {} ms",
        o.clients,
        elapsed.as_secs_f64(),
        o.reload_every.as_millis()
    );
    println!("| requests served | decisions | expected fail-closed decisions | unexpected | reloads accepted / refused | single p50 / p99 | batch-of-64 p99 | RSS after calibration → end (peak) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {requests_served} | {} | {fail_closed} | {unexpected} | {} / {} | {:?} / {:?} | {:?} | {} → {} MiB ({} MiB) |",
        tally.decisions.load(Ordering::Relaxed),
        reloads.accepted,
        reloads.refused,
        percentile(&singles, 0.50),
        percentile(&singles, 0.99),
        percentile(&batches, 0.99),
        rss_before >> 10,
        rss_after >> 10,
        rss_peak.max(rss_after) >> 10,
    );
    for example in results
        .iter()
        .flat_map(|r| &r.examples)
        .chain(&reloads.unexpected)
        .take(10)
    {
        eprintln!("soak: unexpected: {example}");
    }
    let mut ok = true;
    let mut fail = |why: String| {
        eprintln!("soak: FAILED: {why}");
        ok = false;
    };
    if unexpected > 0 {
        fail(format!("{unexpected} unexpected answers"));
    }
    if requests_served == 0 || reloads.accepted == 0 || reloads.refused == 0 {
        fail("the soak did not exercise requests, reloads and refused reloads".into());
    }
    if fail_closed == 0 {
        fail("no fail-closed answer was seen: the faulting module was never exercised".into());
    }
    if growth > o.rss_growth_bound_kib {
        fail(format!(
            "RSS grew by {} MiB, over the bound of {} MiB",
            growth >> 10,
            o.rss_growth_bound_kib >> 10
        ));
    }
    if !healthy {
        fail("after the soak the server no longer answers as the default policy".into());
    }
    if !ok {
        if let Ok(log) = server.log.lock() {
            for line in log.iter() {
                eprintln!("server: {line}");
            }
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ok)
}

fn main() -> ExitCode {
    let result = options().and_then(|o| soak(&o));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}
