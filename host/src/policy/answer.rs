//! A policy module's answer, read back and checked: its shape (a well-formed decision for
//! the request, its own reason codes in its catalog), then against the reference engine (a
//! policy may only restrict: [`invariants::within_reference`]).

use std::sync::Arc;

use onbehalf_abi::check;
use onbehalf_core::json::{OwnedRequest, Value};
use onbehalf_core::{Decision, HopOutcome, HopReason, PackedDecision, MAX_HOPS};

use super::fault::Fault;
use super::load::LoadedPolicy;
use onbehalf_abi::reasons::OwnReason;

/// A checked answer, compact (a few words, where a [`Decision`] with its inline hops is
/// hundreds of bytes: answers are moved and collected per request on the hot path): the
/// packed decision, each hop's reason, the module's own reasons, and per hop the own reason
/// that denied it (if one did).
#[derive(Debug, Clone, Copy)]
pub(super) struct Compact {
    pub decision: PackedDecision,
    pub hops: [HopReason; MAX_HOPS],
    pub own: u32,
    pub hop_own: [Option<u8>; MAX_HOPS],
}

impl Compact {
    /// A hop-free answer.
    pub fn hop_free(decision: PackedDecision, own: u32) -> Compact {
        Compact {
            decision,
            hops: [HopReason::ChainBroken; MAX_HOPS],
            own,
            hop_own: [None; MAX_HOPS],
        }
    }

    /// The answer of a checked decision.
    fn of(decision: &Decision<'_>, own: u32, hop_own: [Option<u8>; MAX_HOPS]) -> Compact {
        let mut hops = [HopReason::ChainBroken; MAX_HOPS];
        for (slot, h) in hops.iter_mut().zip(decision.hops()) {
            *slot = h.reason;
        }
        Compact {
            decision: PackedDecision::pack(decision),
            hops,
            own,
            hop_own,
        }
    }
}

/// A checked answer to a request with hops, or the fault.
pub(super) type Checked = Result<Compact, Fault>;

/// A policy module's checked answer to one request.
#[derive(Clone)]
pub struct PolicyAnswer<'r> {
    request: &'r OwnedRequest,
    answer: Compact,
    /// The module that answered (its catalog of own reasons).
    pub policy: Arc<LoadedPolicy>,
    /// The policy generation that answered.
    pub generation: u64,
}

impl std::fmt::Debug for PolicyAnswer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyAnswer")
            .field("decision", &self.decision())
            .field("own", &self.answer.own)
            .field("hop_own", &self.hop_own())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl<'r> PolicyAnswer<'r> {
    pub(super) fn new(
        request: &'r OwnedRequest,
        answer: Compact,
        policy: Arc<LoadedPolicy>,
        generation: u64,
    ) -> PolicyAnswer<'r> {
        PolicyAnswer {
            request,
            answer,
            policy,
            generation,
        }
    }

    /// The decision. A hop the module denied for a reason of its own holds a denied spec
    /// reason here (`hop-target-not-allowed`); [`PolicyAnswer::hop_own`] names the real one.
    #[must_use]
    pub fn decision(&self) -> Decision<'r> {
        let d = self.answer.decision.unpack();
        let hops = self.request.hops();
        let mut outcomes = [HopOutcome {
            target: "",
            reason: HopReason::ChainBroken,
        }; MAX_HOPS];
        for ((slot, hop), reason) in outcomes.iter_mut().zip(hops).zip(self.answer.hops) {
            *slot = HopOutcome {
                target: hop.target.as_str(),
                reason,
            };
        }
        let outcomes = outcomes.get(..hops.len()).unwrap_or_default();
        Decision::with_hops(d.effective, d.reach, d.reasons, outcomes)
            .unwrap_or_else(|| Decision::new(d.effective, d.reach, d.reasons))
    }

    /// The module's own reasons: bit n is the n-th code of its catalog.
    #[must_use]
    pub fn own(&self) -> u32 {
        self.answer.own
    }

    /// Per hop, the index of the module's own reason that denied it, if one did.
    #[must_use]
    pub fn hop_own(&self) -> &[Option<u8>] {
        let n = self.request.hops().len();
        self.answer.hop_own.get(..n).unwrap_or_default()
    }

    /// Whether the answer carries any of the module's own reason codes (for the decision or a
    /// hop): then only [`PolicyAnswer::to_value`] shows it whole.
    #[must_use]
    pub fn has_own_reasons(&self) -> bool {
        self.answer.own != 0 || self.hop_own().iter().any(Option::is_some)
    }

    /// The module's own reasons, in catalog order.
    pub fn own_reasons(&self) -> impl Iterator<Item = &OwnReason> {
        self.policy
            .reasons
            .iter()
            .enumerate()
            .filter(|(n, _)| self.answer.own >> n & 1 == 1)
            .map(|(_, r)| r)
    }

    /// The decision object, with the module's own codes after the spec's.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let catalog: Vec<&str> = self
            .policy
            .reasons
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        check::render(&self.decision(), self.answer.own, self.hop_own(), &catalog)
    }
}

/// A packed answer's decision and own reasons, if well-formed (`onbehalf_abi::check`).
pub(super) fn packed(policy: &LoadedPolicy, raw: i64) -> Option<(PackedDecision, u32)> {
    check::packed(policy.version, policy.reasons.len(), raw)
}

/// An answer record (ABI v2) for `request`, checked.
pub(super) fn record(policy: &LoadedPolicy, request: &OwnedRequest, bytes: &[u8]) -> Checked {
    let (decision, own, hop_own) =
        check::record(policy.version, policy.reasons.len(), request, bytes)?;
    Ok(Compact::of(&decision, own, hop_own))
}

/// A JSON answer (ABI v1) for `request`, checked.
pub(super) fn json(request: &OwnedRequest, value: &Value) -> Checked {
    let decision = check::json(request, value)?;
    Ok(Compact::of(&decision, 0, [None; MAX_HOPS]))
}
