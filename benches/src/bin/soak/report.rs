//! The soak's report (one Markdown table row, as BENCHMARKS.md shows it) and its verdict.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::abusers::Abuse;
use crate::clients::{ClientResult, Reloads, Tally};

pub struct Report<'a> {
    pub clients: u64,
    pub elapsed: Duration,
    pub reload_every_ms: u64,
    pub tally: &'a Tally,
    pub results: &'a [ClientResult],
    pub reloads: &'a Reloads,
    pub abuse: &'a Abuse,
    pub rss_before: u64,
    pub rss_after: u64,
    pub rss_peak: u64,
    pub rss_bound_kib: u64,
    pub healthy: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(index).copied().unwrap_or(Duration::ZERO)
}

fn sorted(latencies: impl Iterator<Item = Duration>) -> Vec<Duration> {
    let mut all: Vec<Duration> = latencies.collect();
    all.sort();
    all
}

impl Report<'_> {
    /// Prints the table row and any unexpected answers; whether the soak passed.
    pub fn print_and_judge(&self) -> bool {
        let singles = sorted(
            self.results
                .iter()
                .flat_map(|r| r.single_latencies.iter().copied()),
        );
        let batches = sorted(
            self.results
                .iter()
                .flat_map(|r| r.batch_latencies.iter().copied()),
        );
        let served = self.tally.requests.load(Ordering::Relaxed);
        let fail_closed = self.tally.fail_closed.load(Ordering::Relaxed);
        let a = self.abuse;
        let unexpected = self.tally.unexpected.load(Ordering::Relaxed)
            + self.reloads.unexpected.len() as u64
            + a.unexpected.len() as u64;
        println!(
            "soak: {} clients, {:.0} s, reload every {} ms",
            self.clients,
            self.elapsed.as_secs_f64(),
            self.reload_every_ms
        );
        println!("| requests served | decisions | expected fail-closed decisions | unexpected | reloads accepted / refused | heaviest batches answered / busy | non-reading connections cut / held | single p50 / p99 | batch-of-64 p99 | RSS after calibration → end (peak) |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        println!(
            "| {served} | {} | {fail_closed} | {unexpected} | {} / {} | {} / {} | {} / {} | {:?} / {:?} | {:?} | {} → {} MiB ({} MiB) |",
            self.tally.decisions.load(Ordering::Relaxed),
            self.reloads.accepted,
            self.reloads.refused,
            a.heavy_answered,
            a.heavy_busy,
            a.readers_cut,
            a.readers_held,
            percentile(&singles, 0.50),
            percentile(&singles, 0.99),
            percentile(&batches, 0.99),
            self.rss_before >> 10,
            self.rss_after >> 10,
            self.rss_peak.max(self.rss_after) >> 10,
        );
        let examples = self.results.iter().flat_map(|r| &r.examples);
        let examples = examples
            .chain(&self.reloads.unexpected)
            .chain(&a.unexpected);
        for example in examples.take(10) {
            eprintln!("soak: unexpected: {example}");
        }
        let growth = self.rss_after.saturating_sub(self.rss_before);
        let failures = [
            (unexpected > 0, format!("{unexpected} unexpected answers")),
            (
                served == 0 || self.reloads.accepted == 0 || self.reloads.refused == 0,
                "the soak did not exercise requests, reloads and refused reloads".into(),
            ),
            (
                a.heavy_answered == 0 || a.readers_cut == 0,
                "the abusers were not exercised (no heavy batch answered, or no non-reader cut)"
                    .into(),
            ),
            (
                a.readers_held > 0,
                format!(
                    "{} connections that did not read were still held after the deadline",
                    a.readers_held
                ),
            ),
            (
                fail_closed == 0,
                "no fail-closed answer was seen: the faulting module was never exercised".into(),
            ),
            (
                growth > self.rss_bound_kib,
                format!(
                    "RSS grew by {} MiB, over the bound of {} MiB",
                    growth >> 10,
                    self.rss_bound_kib >> 10
                ),
            ),
            (
                !self.healthy,
                "after the soak the server no longer answers as the default policy".into(),
            ),
        ];
        let mut ok = true;
        for (failed, why) in failures {
            if failed {
                eprintln!("soak: FAILED: {why}");
                ok = false;
            }
        }
        ok
    }
}
