//! An example of somebody else's policy, loaded with `--module`: stricter than the reference.
//!
//! 1. Unconstrained delegation is never allowed: `server_trust: unconstrained` is decided as
//!    `none` (so delegation downgrades with `server-not-trusted-for-delegation`).
//! 2. Reach is capped at `network`: a `multi-hop` reach becomes `network`, and only the
//!    first hop may arrive as the client — a later hop the reference would allow is denied
//!    `hop-no-credentials`, and the chain is broken after it.
//!
//! It is built with the same ABI crate as the default module, so it has no `unsafe` of its own.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use onbehalf_core::json::{decision_to_value, error_to_value, parse_request};
use onbehalf_core::{
    decide_packed, Decision, HopOutcome, HopReason, PackedDecision, PackedRequest, Reach,
    ServerTrust,
};

/// The strict policy.
pub struct Strict;

fn cap_reach(decision: &mut Decision<'_>) {
    if decision.reach == Reach::MultiHop {
        decision.reach = Reach::Network;
    }
}

/// Only the first hop may arrive as the client; after a denied hop the chain is broken.
fn cap_hops<'a>(hops: &[HopOutcome<'a>]) -> Vec<HopOutcome<'a>> {
    let mut allowed = 0;
    let mut broken = false;
    hops.iter()
        .map(|h| {
            let reason = if broken {
                HopReason::ChainBroken
            } else if h.allowed() && allowed >= 1 {
                HopReason::NoCredentials
            } else {
                h.reason
            };
            allowed += usize::from(reason.allowed());
            broken |= !reason.allowed();
            HopOutcome {
                target: h.target,
                reason,
            }
        })
        .collect()
}

impl onbehalf_abi::PolicyV1 for Strict {
    fn decide(request: i64) -> i64 {
        let mut request = match PackedRequest::from_raw(request).and_then(|p| p.unpack()) {
            Ok(r) => r,
            Err(_) => return onbehalf_core::decide_raw(request),
        };
        if request.delegation.server_trust == ServerTrust::Unconstrained {
            request.delegation.server_trust = ServerTrust::None;
        }
        match decide_packed(PackedRequest::pack(&request)) {
            Ok(packed) => {
                let mut d = packed.unpack();
                cap_reach(&mut d);
                PackedDecision::pack(&d).raw()
            }
            Err(e) => -1 - e.code as i64,
        }
    }

    fn decide_json(text: &str) -> String {
        let mut request = match parse_request(text) {
            Ok(r) => r,
            Err(e) => return error_to_value(&e).to_string(),
        };
        if request.delegation.server_trust == ServerTrust::Unconstrained {
            request.delegation.server_trust = ServerTrust::None;
        }
        let d = match onbehalf_core::decide(&request) {
            Ok(d) => d,
            Err(e) => return error_to_value(&e).to_string(),
        };
        let hops = cap_hops(d.hops());
        let mut capped = Decision::with_hops(d.effective, d.reach, d.reasons, &hops).unwrap_or(d);
        cap_reach(&mut capped);
        decision_to_value(&capped).to_string()
    }
}

onbehalf_abi::export_policy_v1!(Strict);
