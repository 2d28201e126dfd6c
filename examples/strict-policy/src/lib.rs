//! An example of somebody else's policy, loaded with `--module`: stricter than the reference,
//! and saying why with reason codes of its own (policy ABI v2).
//!
//! 1. Unconstrained delegation is never allowed: `server_trust: unconstrained` is decided as
//!    `none` (so delegation downgrades with `server-not-trusted-for-delegation`), and the
//!    answer carries `strict-no-unconstrained-delegation`.
//! 2. Reach is capped at `network`: a `multi-hop` reach becomes `network` (with
//!    `strict-reach-capped-at-network`, and without the codes that reported the multi-hop
//!    grant: a module's reasons claim no more than its answer), and only the first hop may arrive as the client — a
//!    later hop the reference would allow is denied with that reason, and the chain is broken
//!    after it.
//!
//! It is built with the same ABI crate as the default module, so it has no `unsafe` of its own.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::{String, ToString};

use onbehalf_abi::record::{with_own_reasons, Answer, RecordView, OWN_REASON};
use onbehalf_core::json::{error_to_value, parse_request};
use onbehalf_core::{
    decide_packed, Borrowed, Decision, HopReason, PackedDecision, PackedRequest, Reach, Reason,
    Request, ServerTrust,
};

/// The strict policy.
pub struct Strict;

/// Own reason 0 (bit 32 of a packed decision).
const NO_UNCONSTRAINED: u32 = 1 << 0;
/// Own reason 1.
const REACH_CAPPED: u32 = 1 << 1;

/// The decision under rule 1, and whether rule 1 changed the request.
fn without_unconstrained<'a>(request: &Request<Borrowed<'a>>) -> (Request<Borrowed<'a>>, u32) {
    let mut decided_as = *request;
    if request.delegation.server_trust == ServerTrust::Unconstrained {
        decided_as.delegation.server_trust = ServerTrust::None;
        return (decided_as, NO_UNCONSTRAINED);
    }
    (decided_as, 0)
}

/// Rule 2 on a decision: reach capped; the own-reason bit if it capped anything.
fn cap_reach(decision: &mut Decision<'_>) -> u32 {
    if decision.reach == Reach::MultiHop {
        decision.reach = Reach::Network;
        // The codes that report the multi-hop grant no longer hold: a module's reasons may
        // claim no more than its answer (docs/policy-abi.md §5, item 4).
        decision
            .reasons
            .remove(Reason::ServerSideConstrainedDelegation);
        decision.reasons.remove(Reason::ProtocolTransitionUsed);
        return REACH_CAPPED;
    }
    0
}

impl onbehalf_abi::PolicyV2 for Strict {
    fn decide(raw: i64) -> i64 {
        let request = match PackedRequest::from_raw(raw).and_then(|p| p.unpack()) {
            Ok(r) => r,
            Err(_) => return onbehalf_core::decide_raw(raw),
        };
        let (decided_as, mut own) = without_unconstrained(&request);
        match decide_packed(PackedRequest::pack(&decided_as)) {
            Ok(packed) => {
                let mut d = packed.unpack();
                own |= cap_reach(&mut d);
                with_own_reasons(PackedDecision::pack(&d).raw(), own)
            }
            Err(e) => -1 - e.code as i64,
        }
    }

    fn decide_record(record: &RecordView<'_>) -> Answer {
        let answer = record.with_request(|request| {
            let (decided_as, mut own) = without_unconstrained(request);
            let mut d = onbehalf_core::decide(&decided_as).ok()?;
            own |= cap_reach(&mut d);
            let mut answer = Answer::from_decision(&d);
            // Only the first hop may arrive as the client.
            let mut broken = false;
            for (byte, hop) in answer.hops.iter_mut().zip(d.hops()).skip(1) {
                if broken {
                    *byte = HopReason::ChainBroken.wire_index();
                } else if hop.allowed() {
                    *byte = OWN_REASON | 1;
                    own |= REACH_CAPPED;
                    broken = true;
                } else {
                    broken = true;
                }
            }
            answer.decision = with_own_reasons(answer.decision, own);
            Some(answer)
        });
        answer.flatten().unwrap_or(Answer {
            decision: onbehalf_core::decide_raw(record.packed).min(-1),
            hops: [0; onbehalf_core::MAX_HOPS],
        })
    }

    fn reasons() -> &'static str {
        r#"[{"code":"strict-no-unconstrained-delegation","rule":"Unconstrained delegation is not allowed here: the request is decided as if the server were not trusted for delegation."},{"code":"strict-reach-capped-at-network","rule":"Reach is capped at one network hop here: only the first hop may arrive as the client."}]"#
    }

    fn decide_json(text: &str) -> String {
        // Diagnostics only: the reference's JSON for the request as this policy decides it.
        match parse_request(text) {
            Ok(mut request) => {
                if request.delegation.server_trust == ServerTrust::Unconstrained {
                    request.delegation.server_trust = ServerTrust::None;
                }
                onbehalf_core::json::decide_owned(&request).to_string()
            }
            Err(e) => error_to_value(&e).to_string(),
        }
    }
}

onbehalf_abi::export_policy_v2!(Strict);
