//! Measurement support the test command runs: the fixed request mix ([`mix`]), the
//! instruction-count probe ([`probe`] and `src/bin/probe.rs`, for `cargo xtask callgrind`,
//! against the committed `callgrind-baseline.txt`), `src/bin/load.rs` the HTTP load generator
//! and `src/bin/soak/` the load-and-fault soak, both over the test kit's HTTP client, and
//! `src/bin/mix.rs`, the mix as JSON Lines for the packages' speed scripts
//! (`npm/benchmarks/`, `python/benchmarks/`). [`verdict`] is onbehalf's answer as the peers
//! are compared on it. The criterion benchmarks and the peers (cedar-policy, regorus) are in
//! `peers/`, built only by `cargo xtask bench`. The numbers are in BENCHMARKS.md.
#![forbid(unsafe_code)]

pub use onbehalf_workload::mix;
pub mod probe;

use onbehalf_core::json::OwnedRequest;
use onbehalf_core::{Level, PackedRequest, Reach};

/// The hop-free packed projection of a request (what the module's `decide` takes).
#[must_use]
pub fn packed(r: &OwnedRequest) -> PackedRequest {
    PackedRequest::pack(r)
}

/// What the peers and onbehalf are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verdict {
    /// Effective level.
    pub effective: Level,
    /// Reach.
    pub reach: Reach,
}

/// onbehalf's verdict, for comparison with the peers.
#[must_use]
pub fn verdict(r: &OwnedRequest) -> Option<Verdict> {
    onbehalf_core::decide(r).ok().map(|d| Verdict {
        effective: d.effective,
        reach: d.reach,
    })
}
