//! Server metrics in the Prometheus text format: HTTP requests by status, and the latency of
//! decision requests as a histogram. The policy host's own counters are added at render time.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::policy::{Fault, PolicyHost};

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 11] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 1.0,
];
/// Status codes counted individually (others count as "other").
const STATUSES: [u16; 10] = [200, 400, 401, 403, 404, 408, 413, 415, 422, 500];

/// Counters of the HTTP layer.
#[derive(Debug, Default)]
pub struct Metrics {
    statuses: [AtomicU64; STATUSES.len() + 1],
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
    /// Connection counters of the accept loop.
    pub connections: Connections,
}

/// Counters of the accept loop (`connections.rs`).
#[derive(Debug, Default)]
pub struct Connections {
    open: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    header_timeouts: AtomicU64,
    accept_errors: AtomicU64,
}

/// Counts one open connection until dropped.
#[derive(Debug)]
pub struct OpenConnection<'a>(&'a Connections);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connections {
    /// A connection was accepted; it counts as open until the guard is dropped.
    pub fn opened(&self) -> OpenConnection<'_> {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(self)
    }

    /// A connection over the cap was answered `503` and closed.
    pub fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was closed because its request headers did not arrive in time.
    pub fn header_timeout(&self) {
        self.header_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// `accept` failed (for example, out of file descriptors).
    pub fn accept_error(&self) {
        self.accept_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections open now.
    #[must_use]
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }
}

impl Metrics {
    /// Counts one response.
    pub fn count_status(&self, status: u16) {
        let index = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len());
        if let Some(c) = self.statuses.get(index) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records the latency of one decision request.
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The Prometheus exposition text.
    #[must_use]
    pub fn render(&self, host: &PolicyHost) -> String {
        let mut out = String::new();
        let stats = host.stats();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "# HELP onbehalf_decisions_total Decisions asked of the policy module."
        );
        let _ = writeln!(out, "# TYPE onbehalf_decisions_total counter");
        let _ = writeln!(out, "onbehalf_decisions_total {}", get(&stats.decisions));
        let _ = writeln!(
            out,
            "# HELP onbehalf_policy_faults_total Policy-module faults, answered fail-closed."
        );
        let _ = writeln!(out, "# TYPE onbehalf_policy_faults_total counter");
        for (fault, counter) in Fault::ALL.iter().zip(&stats.faults) {
            let _ = writeln!(
                out,
                "onbehalf_policy_faults_total{{kind=\"{}\"}} {}",
                fault.name(),
                get(counter)
            );
        }
        let _ = writeln!(
            out,
            "# HELP onbehalf_policy_reloads_total Policy reloads, by result."
        );
        let _ = writeln!(out, "# TYPE onbehalf_policy_reloads_total counter");
        let _ = writeln!(
            out,
            "onbehalf_policy_reloads_total{{result=\"ok\"}} {}",
            get(&stats.reloads)
        );
        let _ = writeln!(
            out,
            "onbehalf_policy_reloads_total{{result=\"refused\"}} {}",
            get(&stats.reload_failures)
        );
        let _ = writeln!(
            out,
            "# HELP onbehalf_policy_generation Generation of the loaded policy module."
        );
        let _ = writeln!(out, "# TYPE onbehalf_policy_generation gauge");
        let _ = writeln!(out, "onbehalf_policy_generation {}", host.info().generation);
        let _ = writeln!(
            out,
            "# HELP onbehalf_http_responses_total HTTP responses, by status."
        );
        let _ = writeln!(out, "# TYPE onbehalf_http_responses_total counter");
        for (status, counter) in STATUSES.iter().zip(&self.statuses) {
            let _ = writeln!(
                out,
                "onbehalf_http_responses_total{{status=\"{status}\"}} {}",
                get(counter)
            );
        }
        if let Some(other) = self.statuses.last() {
            let _ = writeln!(
                out,
                "onbehalf_http_responses_total{{status=\"other\"}} {}",
                get(other)
            );
        }
        let c = &self.connections;
        let _ = writeln!(
            out,
            "# HELP onbehalf_connections_open HTTP connections open now."
        );
        let _ = writeln!(out, "# TYPE onbehalf_connections_open gauge");
        let _ = writeln!(out, "onbehalf_connections_open {}", get(&c.open));
        let _ = writeln!(
            out,
            "# HELP onbehalf_connections_total HTTP connections, by what became of them."
        );
        let _ = writeln!(out, "# TYPE onbehalf_connections_total counter");
        for (outcome, counter) in [
            ("accepted", &c.accepted),
            ("refused", &c.refused),
            ("header-timeout", &c.header_timeouts),
            ("accept-error", &c.accept_errors),
        ] {
            let _ = writeln!(
                out,
                "onbehalf_connections_total{{outcome=\"{outcome}\"}} {}",
                get(counter)
            );
        }
        let _ = writeln!(
            out,
            "# HELP onbehalf_request_duration_seconds Latency of /v1/decide and /v1/explain."
        );
        let _ = writeln!(out, "# TYPE onbehalf_request_duration_seconds histogram");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "onbehalf_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(
            out,
            "onbehalf_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = get(&self.latency_sum_nanos) as f64 / 1e9;
        let _ = writeln!(out, "onbehalf_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "onbehalf_request_duration_seconds_count {count}");
        out
    }
}
