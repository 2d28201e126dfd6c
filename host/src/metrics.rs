//! Server metrics through `prometheus-client` (OpenMetrics text): HTTP responses by route and
//! status, the latency of every response as a histogram, the connections and the decision
//! lane. The policy host's and the lane's own counters are read when scraped ([`Scraped`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::policy::{Fault, PolicyHost};
use crate::server::lane::Lane;
use crate::server::ROUTES;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 11] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 1.0,
];
/// The route label of responses that are not from one of [`ROUTES`] (the web files).
const FILES: &str = "files";
/// The route label of hyper's own answers to requests it could not parse.
const UNPARSED: &str = "unparsed";

/// The labels of a response.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResponseLabels {
    route: &'static str,
    status: u16,
}

/// The label of what became of a connection.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// Counters of the HTTP layer, and the registry that shows them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    responses: Family<ResponseLabels, Counter>,
    latency: Histogram,
    /// Connection counters of the accept loop.
    pub connections: Connections,
}

/// Counters of the accept loop (`connections/`).
#[derive(Debug, Clone, Default)]
pub struct Connections {
    open: Gauge,
    outcomes: Family<OutcomeLabels, Counter>,
}

/// Counts one open connection until dropped.
#[derive(Debug)]
pub struct OpenConnection<'a>(&'a Connections);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.open.dec();
    }
}

impl Connections {
    fn count(&self, outcome: &'static str) {
        self.outcomes
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// A connection was accepted; it counts as open until the guard is dropped.
    pub fn opened(&self) -> OpenConnection<'_> {
        self.count("accepted");
        self.open.inc();
        OpenConnection(self)
    }

    /// A connection over a cap was refused: answered `503`, or served the operator's
    /// routes only ([`Connections::operator_only`] counts those too).
    pub fn refused(&self) {
        self.count("refused");
    }

    /// A refused connection was served the operator's routes from the reserve.
    pub fn operator_only(&self) {
        self.count("operator-only");
    }

    /// A connection was closed because its request headers did not arrive in time.
    pub fn header_timeout(&self) {
        self.count("header-timeout");
    }

    /// A connection was closed because its client did not read its answer in time.
    pub fn write_timeout(&self) {
        self.count("write-timeout");
    }

    /// `accept` failed (for example, out of file descriptors).
    pub fn accept_error(&self) {
        self.count("accept-error");
    }

    /// Connections open now.
    #[must_use]
    pub fn open(&self) -> u64 {
        u64::try_from(self.open.get()).unwrap_or(0)
    }
}

impl Metrics {
    /// The server's metrics; `scraped` adds the counters kept elsewhere (policy host, lane).
    #[must_use]
    pub fn new(scraped: Scraped) -> Metrics {
        let mut registry = Registry::default();
        let responses = Family::<ResponseLabels, Counter>::default();
        registry.register(
            "onbehalf_http_responses",
            "HTTP responses, by route and status",
            responses.clone(),
        );
        let latency = Histogram::new(BUCKETS);
        registry.register_with_unit(
            "onbehalf_request_duration",
            "Latency of every response of the routes and files",
            Unit::Seconds,
            latency.clone(),
        );
        let connections = Connections::default();
        registry.register(
            "onbehalf_connections_open",
            "HTTP connections open now",
            connections.open.clone(),
        );
        registry.register(
            "onbehalf_connections",
            "HTTP connections, by what became of them",
            connections.outcomes.clone(),
        );
        registry.register_collector(Box::new(scraped));
        Metrics {
            registry,
            responses,
            latency,
            connections,
        }
    }

    /// Counts one response of the route `ROUTES[route]` (`None`: a web file) and observes
    /// its latency.
    pub fn count_response(&self, route: Option<usize>, status: u16, elapsed: Duration) {
        let route = route.and_then(|i| ROUTES.get(i)).copied().unwrap_or(FILES);
        self.responses
            .get_or_create(&ResponseLabels { route, status })
            .inc();
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// Counts hyper's own answer (`400`, `414`, `431`) to a request it could not parse.
    pub fn count_unparsed(&self, status: u16) {
        let labels = ResponseLabels {
            route: UNPARSED,
            status,
        };
        self.responses.get_or_create(&labels).inc();
    }

    /// The OpenMetrics exposition text.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; the collectors only read atomics.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The counters that live elsewhere, read at each scrape: the policy host's (decisions,
/// faults, reloads, generation) and the decision lane's.
pub struct Scraped {
    /// The policy host.
    pub host: PolicyHost,
    /// The decision lane.
    pub lane: Arc<Lane>,
}

impl std::fmt::Debug for Scraped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scraped").finish_non_exhaustive()
    }
}

/// One metric without labels, its value read at scrape time (a `ConstCounter` or a
/// `ConstGauge`), with its unit if it has one.
fn constant(
    encoder: &mut DescriptorEncoder,
    (name, help, unit): (&str, &str, Option<&Unit>),
    metric: impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, unit, metric.metric_type())?)
}

/// A counter family with one label.
fn labelled(
    encoder: &mut DescriptorEncoder,
    (name, help, label): (&str, &str, &str),
    values: &[(&str, u64)],
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(
        name,
        help,
        None,
        prometheus_client::metrics::MetricType::Counter,
    )?;
    for (value, count) in values {
        let labels = [(label, *value)];
        ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.host.stats();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        constant(
            &mut encoder,
            (
                "onbehalf_decisions",
                "Decisions asked of the policy module",
                None,
            ),
            ConstCounter::new(get(&stats.decisions)),
        )?;
        let faults: Vec<(&str, u64)> = Fault::ALL
            .iter()
            .zip(&stats.faults)
            .map(|(f, c)| (f.name(), get(c)))
            .collect();
        labelled(
            &mut encoder,
            (
                "onbehalf_policy_faults",
                "Policy-module faults, answered fail-closed",
                "kind",
            ),
            &faults,
        )?;
        labelled(
            &mut encoder,
            (
                "onbehalf_policy_reloads",
                "Policy reloads, by result",
                "result",
            ),
            &[
                ("ok", get(&stats.reloads)),
                ("refused", get(&stats.reload_failures)),
            ],
        )?;
        let generation = i64::try_from(self.host.info().generation).unwrap_or(i64::MAX);
        constant(
            &mut encoder,
            (
                "onbehalf_policy_generation",
                "Generation of the loaded policy module",
                None,
            ),
            ConstGauge::new(generation),
        )?;
        let lane = self.lane.stats();
        labelled(
            &mut encoder,
            (
                "onbehalf_lane_jobs",
                "Jobs of the decision lane, by result",
                "result",
            ),
            &[("done", get(&lane.done)), ("refused", get(&lane.refused))],
        )?;
        constant(
            &mut encoder,
            (
                "onbehalf_lane_busy",
                "Time the decision lane's threads spent on jobs",
                Some(&Unit::Seconds),
            ),
            ConstCounter::new(get(&lane.busy_nanos) as f64 / 1e9),
        )?;
        let queued = i64::try_from(self.lane.queued()).unwrap_or(i64::MAX);
        constant(
            &mut encoder,
            (
                "onbehalf_lane_queued",
                "Jobs waiting for the decision lane",
                None,
            ),
            ConstGauge::new(queued),
        )?;
        let running = i64::try_from(get(&lane.running)).unwrap_or(i64::MAX);
        constant(
            &mut encoder,
            (
                "onbehalf_lane_running",
                "Jobs the decision lane runs now",
                None,
            ),
            ConstGauge::new(running),
        )
    }
}
