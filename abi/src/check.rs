//! Checking a module's answer, the host side of the contract (`docs/policy-abi.md` §5):
//! well-formed for the request (a spec decision, own-reason bits within the module's
//! catalog, one known hop reason per hop), then within the reference engine's decision
//! ([`invariants::within_reference`]: a policy may only restrict). Shared by every host —
//! the Rust host and, through the default module's embedding kit, the Python package — so
//! they cannot disagree on what is accepted.

use onbehalf_core::json::{decision_from_value, Value};
use onbehalf_core::{
    invariants, Decision, ForestTrust, HopOutcome, HopReason, PackedDecision, RawDecision, Realm,
    Request, Storage, MAX_HOPS,
};

use crate::record::{self, Answer, OWN_REASON};
use crate::{Fault, ABI_V2};

/// A module's packed answer's decision and own reasons, if well-formed: a spec decision, and
/// (ABI v2) own-reason bits within a catalog of `catalog` codes.
#[must_use]
pub fn packed(version: i32, catalog: usize, raw: i64) -> Option<(PackedDecision, u32)> {
    let (spec, own) = if version >= ABI_V2 {
        record::split_own_reasons(raw)
    } else {
        (raw, 0)
    };
    let own_ok = catalog >= 32 || own >> catalog == 0;
    match RawDecision::classify(spec) {
        RawDecision::Decision(d) if own_ok => Some((d, own)),
        _ => None,
    }
}

/// Whether a hop uses the revision-3 fields (an ABI v1 module cannot see them).
pub fn uses_realms<S: Storage>(hop: &onbehalf_core::Hop<S>) -> bool {
    hop.realm != Realm::SameDomain || hop.forest_trust != ForestTrust::blank()
}

/// Checks `answer` against the engine's own decision for `request`: it grants no more
/// ([`invariants::within_reference`]) and its reasons claim no more
/// ([`invariants::reasons_within_reference`]).
///
/// # Errors
/// [`Fault::ExceedsReference`] when the answer or its reasons claim more; [`Fault::MalformedAnswer`] when
/// the request itself has no reference decision (a host never sends such a request).
pub fn within_reference<S: Storage>(
    request: &Request<S>,
    answer: &Decision<'_>,
) -> Result<(), Fault> {
    let reference = onbehalf_core::decide(request).map_err(|_| Fault::MalformedAnswer)?;
    invariants::within_reference(&reference, answer).map_err(|_| Fault::ExceedsReference)?;
    let outline = (reference.effective, reference.reach, reference.reasons);
    let at = |level| {
        let request = Request {
            level,
            ..request.clone()
        };
        onbehalf_core::decide(&request)
            .ok()
            .map(|d| (d.effective, d.reach, d.reasons))
    };
    invariants::reasons_within_reference(answer, outline, at).map_err(|_| Fault::ExceedsReference)
}

/// A checked answer record: the decision, the own-reason bits, and per hop the index of the
/// own reason that denied it (such a hop holds `hop-target-not-allowed` in the decision).
pub type CheckedRecord<'r> = (Decision<'r>, u32, [Option<u8>; MAX_HOPS]);

/// An answer record (ABI v2) for `request`, from a module whose catalog has `catalog` codes.
///
/// # Errors
/// The fault: not a well-formed answer for the request, or more than the reference grants.
pub fn record<'r, S: Storage>(
    version: i32,
    catalog: usize,
    request: &'r Request<S>,
    bytes: &[u8],
) -> Result<CheckedRecord<'r>, Fault> {
    let answer = Answer::from_bytes(bytes).ok_or(Fault::MalformedAnswer)?;
    let (decision, own) =
        packed(version, catalog, answer.decision).ok_or(Fault::MalformedAnswer)?;
    let d = decision.unpack();
    let mut outcomes = [HopOutcome {
        target: "",
        reason: HopReason::ChainBroken,
    }; MAX_HOPS];
    let mut hop_own = [None; MAX_HOPS];
    let hops = request.hops().iter().zip(answer.hops).zip(&mut hop_own);
    for (((hop, byte), own_slot), slot) in hops.zip(&mut outcomes) {
        let reason = if byte & OWN_REASON != 0 {
            let n = byte & !OWN_REASON;
            if usize::from(n) >= catalog {
                return Err(Fault::MalformedAnswer);
            }
            *own_slot = Some(n);
            HopReason::TargetNotAllowed
        } else {
            record::hop_reason(byte).ok_or(Fault::MalformedAnswer)?
        };
        *slot = HopOutcome {
            target: hop.target.as_ref(),
            reason,
        };
    }
    let outcomes = outcomes
        .get(..request.hops().len())
        .ok_or(Fault::MalformedAnswer)?;
    let decision = Decision::with_hops(d.effective, d.reach, d.reasons, outcomes)
        .ok_or(Fault::MalformedAnswer)?;
    within_reference(request, &decision)?;
    Ok((decision, own, hop_own))
}

/// A JSON answer (ABI v1 `explain`) for `request`, checked.
///
/// # Errors
/// The fault: not a decision for the request, or more than the reference grants.
pub fn json<'r, S: Storage>(request: &'r Request<S>, value: &Value) -> Result<Decision<'r>, Fault> {
    let decision = decision_from_value(value, request).ok_or(Fault::MalformedAnswer)?;
    within_reference(request, &decision)?;
    Ok(decision)
}

/// Whether an ABI v1 module can be asked `request`: v1 knows no realms or forest trusts
/// (neither the server's, in the packed bits above the one-domain table, nor a hop's).
pub fn v1_can_express<S: Storage>(request: &Request<S>) -> bool {
    v1_can_express_packed(onbehalf_core::PackedRequest::pack(request))
        && !request.hops().iter().any(uses_realms)
}

/// [`v1_can_express`] of a packed (hop-free) request.
#[must_use]
pub const fn v1_can_express_packed(request: onbehalf_core::PackedRequest) -> bool {
    request.raw() >> onbehalf_core::TABLE_BITS == 0
}

/// The decision object of a checked answer, with the module's own codes after the spec's:
/// bit n of `own` is `catalog[n]`; a hop denied by an own reason names `catalog[hop_own]`.
pub fn render<C: AsRef<str>>(
    decision: &Decision<'_>,
    own: u32,
    hop_own: &[Option<u8>],
    catalog: &[C],
) -> Value {
    let codes: alloc::vec::Vec<&str> = catalog
        .iter()
        .enumerate()
        .filter(|(n, _)| own >> n & 1 == 1)
        .map(|(_, c)| c.as_ref())
        .collect();
    let hop_codes: alloc::vec::Vec<Option<&str>> = hop_own
        .iter()
        .map(|n| {
            n.and_then(|n| catalog.get(usize::from(n)))
                .map(AsRef::as_ref)
        })
        .collect();
    onbehalf_core::json::decision_with_own_reasons(decision, &codes, &hop_codes)
}
