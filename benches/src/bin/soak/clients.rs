//! The soak's clients (keep-alive connections sending the mix) and its reloader.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use onbehalf_testkit::http::Client;
use serde_json::Value;

use crate::calibrate::{batch_body, Answer, Calibration, BATCH};
use crate::server::Server;

#[derive(Default)]
pub struct Tally {
    pub requests: AtomicU64,
    pub decisions: AtomicU64,
    pub fail_closed: AtomicU64,
    pub unexpected: AtomicU64,
}

#[derive(Default)]
pub struct ClientResult {
    pub single_latencies: Vec<Duration>,
    pub batch_latencies: Vec<Duration>,
    pub examples: Vec<String>,
}

impl ClientResult {
    fn unexpected(&mut self, tally: &Tally, what: String) {
        tally.unexpected.fetch_add(1, Ordering::Relaxed);
        if self.examples.len() < 5 {
            self.examples.push(what);
        }
    }
}

fn send_batch(
    client: &mut Client,
    c: usize,
    chunk: &[String],
    cal: &Calibration,
    tally: &Tally,
    out: &mut ClientResult,
) {
    let started = Instant::now();
    let answer = client.post_json("/v1/decide", &batch_body(chunk));
    out.batch_latencies.push(started.elapsed());
    tally.requests.fetch_add(1, Ordering::Relaxed);
    let items = match answer.map(|r| (r.status, serde_json::from_slice::<Value>(&r.body))) {
        Ok((200, Ok(Value::Array(items)))) if items.len() == chunk.len() => items,
        Ok((status, _)) => {
            return out.unexpected(tally, format!("batch {c}: status {status} or bad body"))
        }
        Err(e) => return out.unexpected(tally, format!("batch {c}: {e}")),
    };
    for (j, item) in items.iter().enumerate() {
        let i = c * BATCH + j;
        tally.decisions.fetch_add(1, Ordering::Relaxed);
        if !cal.element_ok(i, item) {
            out.unexpected(tally, format!("batch element {i}: {item}"));
        } else if cal.element_fail_closed(i, item) {
            tally.fail_closed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn send_single(
    client: &mut Client,
    i: usize,
    request: &str,
    cal: &Calibration,
    tally: &Tally,
    out: &mut ClientResult,
) {
    let started = Instant::now();
    let answer = client.post_json("/v1/decide", request);
    out.single_latencies.push(started.elapsed());
    tally.requests.fetch_add(1, Ordering::Relaxed);
    tally.decisions.fetch_add(1, Ordering::Relaxed);
    match answer.map(|r| Answer::from(&r)) {
        Ok(a) if cal.single_ok(i, &a) => {
            if a.fault.is_some() {
                tally.fail_closed.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(a) => out.unexpected(
            tally,
            format!(
                "request {i}: status {} fault {:?} body {}",
                a.status,
                a.fault,
                String::from_utf8_lossy(&a.body)
            ),
        ),
        Err(e) => out.unexpected(tally, format!("request {i}: {e}")),
    }
}

/// One client: single requests of the mix, every eighth a batch, until `stop`.
pub fn client_loop(
    t: u64,
    addr: &str,
    requests: &[String],
    cal: &Calibration,
    tally: &Tally,
    stop: &AtomicBool,
) -> ClientResult {
    let mut client = Client::new(addr);
    let mut out = ClientResult::default();
    let chunks: Vec<&[String]> = requests.chunks(BATCH).collect();
    let mut k = usize::try_from(t).unwrap_or(0);
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        if k % 8 == 7 {
            let c = (k / 8) % chunks.len().max(1);
            if let Some(chunk) = chunks.get(c) {
                send_batch(&mut client, c, chunk, cal, tally, &mut out);
            }
        } else {
            let i = k % requests.len().max(1);
            if let Some(request) = requests.get(i) {
                send_single(&mut client, i, request, cal, tally, &mut out);
            }
        }
    }
    out
}

#[derive(Default)]
pub struct Reloads {
    pub accepted: u64,
    pub refused: u64,
    pub unexpected: Vec<String>,
}

/// Cycles through `cycle` (name, module, should be accepted) every `every` until `stop`.
pub fn reload_loop(
    server: &Server,
    cycle: &[(&str, &[u8], bool)],
    every: Duration,
    stop: &AtomicBool,
) -> Reloads {
    let mut client = Client::new(&server.addr);
    let mut reloads = Reloads::default();
    for (name, module, good) in cycle.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        std::thread::sleep(every);
        match server.reload(&mut client, module) {
            Ok(r) if *good && r.status == 200 => reloads.accepted += 1,
            Ok(r) if !*good && r.status == 422 && r.text().contains("policy-rejected") => {
                reloads.refused += 1;
            }
            Ok(r) => {
                reloads
                    .unexpected
                    .push(format!("reload {name}: status {} {}", r.status, r.text()))
            }
            Err(e) => reloads.unexpected.push(format!("reload {name}: {e}")),
        }
    }
    reloads
}
