//! Server metrics in the Prometheus text format: HTTP responses by route and status, the
//! latency of every response as a histogram, the connections and the decision lane. The
//! policy host's own counters are added at render time.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::policy::{Fault, PolicyHost};
use crate::server::lane::LaneStats;
use crate::server::ROUTES;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 11] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 1.0,
];
/// Status codes counted individually (others count as "other").
const STATUSES: [u16; 14] = [
    200, 400, 401, 403, 404, 405, 408, 413, 414, 415, 422, 431, 500, 503,
];
/// The route label of responses that are not from one of [`ROUTES`] (the web files).
const FILES: &str = "files";
/// The route label of hyper's own answers to requests it could not parse.
const UNPARSED: &str = "unparsed";

/// Counters of the HTTP layer.
#[derive(Debug, Default)]
pub struct Metrics {
    /// By route (`ROUTES`, then files, then unparsed) and status (`STATUSES`, then other).
    statuses: [[AtomicU64; STATUSES.len() + 1]; ROUTES.len() + 2],
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
    operator_only: AtomicU64,
    header_timeouts: AtomicU64,
    write_timeouts: AtomicU64,
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

    /// A connection over a cap was refused: answered `503`, or served the operator's
    /// routes only ([`Connections::operator_only`] counts those too).
    pub fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A refused connection was served the operator's routes from the reserve.
    pub fn operator_only(&self) {
        self.operator_only.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was closed because its client did not read its answer in time.
    pub fn write_timeout(&self) {
        self.write_timeouts.fetch_add(1, Ordering::Relaxed);
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
    /// Counts one response of the route `ROUTES[route]` (`None`: a web file) and observes
    /// its latency.
    pub fn count_response(&self, route: Option<usize>, status: u16, elapsed: Duration) {
        self.count_status(route.unwrap_or(ROUTES.len()), status);
        self.observe(elapsed);
    }

    /// Counts hyper's own answer (`400`, `414`, `431`) to a request it could not parse.
    pub fn count_unparsed(&self, status: u16) {
        self.count_status(ROUTES.len() + 1, status);
    }

    fn count_status(&self, route: usize, status: u16) {
        let index = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len());
        if let Some(c) = self.statuses.get(route).and_then(|r| r.get(index)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records the latency of one response.
    fn observe(&self, elapsed: Duration) {
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
    pub fn render(&self, host: &PolicyHost, lane: &LaneStats, queued: usize) -> String {
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
            "# HELP onbehalf_http_responses_total HTTP responses, by route and status."
        );
        let _ = writeln!(out, "# TYPE onbehalf_http_responses_total counter");
        let routes = ROUTES.iter().copied().chain([FILES, UNPARSED]);
        for (route, counters) in routes.zip(&self.statuses) {
            let statuses = STATUSES.iter().map(u16::to_string).chain(["other".into()]);
            for (status, counter) in statuses.zip(counters) {
                let _ = writeln!(
                    out,
                    "onbehalf_http_responses_total{{route=\"{route}\",status=\"{status}\"}} {}",
                    get(counter)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP onbehalf_lane_jobs_total Jobs of the decision lane, by result."
        );
        let _ = writeln!(out, "# TYPE onbehalf_lane_jobs_total counter");
        let _ = writeln!(
            out,
            "onbehalf_lane_jobs_total{{result=\"done\"}} {}",
            get(&lane.done)
        );
        let _ = writeln!(
            out,
            "onbehalf_lane_jobs_total{{result=\"refused\"}} {}",
            get(&lane.refused)
        );
        let _ = writeln!(
            out,
            "# HELP onbehalf_lane_busy_seconds_total Time the decision lane's threads spent on jobs."
        );
        let _ = writeln!(out, "# TYPE onbehalf_lane_busy_seconds_total counter");
        let busy = get(&lane.busy_nanos) as f64 / 1e9;
        let _ = writeln!(out, "onbehalf_lane_busy_seconds_total {busy}");
        let _ = writeln!(
            out,
            "# HELP onbehalf_lane_queued Jobs waiting for the decision lane."
        );
        let _ = writeln!(out, "# TYPE onbehalf_lane_queued gauge");
        let _ = writeln!(out, "onbehalf_lane_queued {queued}");
        let _ = writeln!(
            out,
            "# HELP onbehalf_lane_running Jobs the decision lane runs now."
        );
        let _ = writeln!(out, "# TYPE onbehalf_lane_running gauge");
        let _ = writeln!(out, "onbehalf_lane_running {}", get(&lane.running));
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
            ("operator-only", &c.operator_only),
            ("header-timeout", &c.header_timeouts),
            ("write-timeout", &c.write_timeouts),
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
            "# HELP onbehalf_request_duration_seconds Latency of every response of the routes and files."
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
