//! Benchmark support: the fixed request mix ([`mix`]) and the peers encoding the same rules
//! ([`peers`]). The benchmarks themselves are in `benches/decide.rs`; `src/bin/load.rs` is
//! the HTTP load generator and `src/bin/soak.rs` the load-and-fault soak, both over the
//! test kit's HTTP client.
#![forbid(unsafe_code)]

pub use onbehalf_workload::mix;
pub mod peers;
pub mod probe;

use onbehalf_core::json::OwnedRequest;
use onbehalf_core::PackedRequest;

/// The hop-free packed projection of a request (what the module's `decide` takes).
#[must_use]
pub fn packed(r: &OwnedRequest) -> PackedRequest {
    PackedRequest::pack(r)
}

/// onbehalf's verdict, for comparison with the peers.
#[must_use]
pub fn verdict(r: &OwnedRequest) -> Option<peers::Verdict> {
    onbehalf_core::decide(r).ok().map(|d| peers::Verdict {
        effective: d.effective,
        reach: d.reach,
    })
}
