//! An example of somebody else's policy, loaded with `--module`: stricter than the reference.
//!
//! 1. Unconstrained delegation is never allowed: `server_trust: unconstrained` is decided as
//!    `none` (so delegation downgrades with `server-not-trusted-for-delegation`).
//! 2. Reach is capped at `network`: a `multi-hop` reach becomes `network`, and only the
//!    first hop may arrive as the client — a later hop the reference would allow is denied
//!    `hop-no-credentials`, and the chain is broken after it.
//!
//! It reuses the repository's policy ABI file, so all its `unsafe` is in that one file.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

#[cfg(target_arch = "wasm32")]
#[path = "../../../module/src/abi.rs"]
mod abi;

/// The strict policy.
pub mod policy {
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    use onbehalf_core::json::{decision_to_value, error_to_value, parse_request};
    use onbehalf_core::{
        decide_packed, Decision, HopOutcome, HopReason, PackedDecision, PackedRequest, Reach,
        ServerTrust,
    };

    fn cap_reach(decision: &mut Decision<'_>) {
        if decision.reach == Reach::MultiHop {
            decision.reach = Reach::Network;
        }
    }

    /// ABI `decide`.
    #[must_use]
    pub fn decide(request: i64) -> i64 {
        let ctx = match PackedRequest::from_raw(request).and_then(|p| p.unpack()) {
            Ok(mut ctx) => {
                if ctx.server_trust == ServerTrust::Unconstrained {
                    ctx.server_trust = ServerTrust::None;
                }
                ctx
            }
            Err(_) => return onbehalf_core::decide_raw(request),
        };
        match decide_packed(PackedRequest::pack(&ctx)) {
            Ok(packed) => {
                let mut d = packed.unpack();
                cap_reach(&mut d);
                PackedDecision::pack(&d).raw()
            }
            Err(e) => -1 - e.code as i64,
        }
    }

    /// ABI `explain`.
    #[must_use]
    pub fn explain(text: &str) -> String {
        let mut request = match parse_request(text) {
            Ok(r) => r,
            Err(e) => return error_to_value(&e).to_string(),
        };
        if request.server_trust == ServerTrust::Unconstrained {
            request.server_trust = ServerTrust::None;
        }
        request.with_request(|r| {
            let d = match onbehalf_core::decide(r) {
                Ok(d) => d,
                Err(e) => return error_to_value(&e).to_string(),
            };
            let mut allowed = 0;
            let mut broken = false;
            let hops: Vec<HopOutcome<'_>> = d
                .hops()
                .iter()
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
                .collect();
            let mut capped =
                Decision::with_hops(d.effective, d.reach, d.reasons, &hops).unwrap_or(d);
            cap_reach(&mut capped);
            decision_to_value(&capped).to_string()
        })
    }
}
