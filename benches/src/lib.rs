//! Benchmark support: the fixed request mix ([`mix`]) and the peers encoding the same rules
//! ([`peers`]). The benchmarks themselves are in `benches/decide.rs`; `src/bin/load.rs` is
//! the HTTP load generator and `src/bin/soak.rs` the load-and-fault soak, both over
//! [`client`].

pub mod client;
pub mod mix;
pub mod peers;

use onbehalf_core::json::OwnedRequest;
use onbehalf_core::PackedRequest;

/// The hop-free packed projection of a request (what the module's `decide` takes).
#[must_use]
pub fn packed(r: &OwnedRequest) -> PackedRequest {
    r.with_request(|r| PackedRequest::pack(&r.context()))
}

/// onbehalf's verdict, for comparison with the peers.
#[must_use]
pub fn verdict(r: &OwnedRequest) -> Option<peers::Verdict> {
    r.with_request(|r| {
        onbehalf_core::decide(r).ok().map(|d| peers::Verdict {
            effective: d.effective,
            reach: d.reach,
        })
    })
}
