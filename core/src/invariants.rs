//! Properties every decision has, whatever the request: one definition, checked over the
//! whole packed domain and by property tests (`core/tests/properties.rs`), and on every
//! input the fuzz targets (`fuzz/`) generate.

use crate::decision::{Decision, Reach};
use crate::hop::{HopReason, Identity};
use crate::level::{Level, RequestedLevel};
use crate::packed::{decide_packed, PackedRequest};
use crate::reason::{Reason, ReasonKind, Reasons};
use crate::request::Request;
use crate::request::Storage;

/// A broken invariant, named in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation(pub &'static str);

impl core::fmt::Display for Violation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

/// Checks `decision` against `request`:
///
/// - reach is `none` exactly when the effective level is identification or lower, and
///   `multi-hop` exactly when it is delegation or step 9a fired (`server-side-constrained-delegation`);
/// - the hop-free part (effective level, reach, reasons) equals the packed path's answer;
/// - one outcome per requested hop, in order, with the target verbatim;
/// - a hop is allowed exactly when the next machine sees the client;
/// - after the first denied hop every later hop is `chain-broken`;
/// - no more hops are allowed than reach permits (none, one, or any).
///
/// ```
/// use onbehalf_core::{decide, invariants, Request, RequestedLevel};
/// let request = Request::new(RequestedLevel::Delegation);
/// let decision = decide(&request).unwrap();
/// assert_eq!(invariants::check(&request, &decision), Ok(()));
/// ```
///
/// # Errors
/// The first invariant that does not hold.
pub fn check<S: Storage>(request: &Request<S>, decision: &Decision<'_>) -> Result<(), Violation> {
    let require = |holds: bool, what: &'static str| {
        if holds {
            Ok(())
        } else {
            Err(Violation(what))
        }
    };
    require(
        (decision.reach == Reach::None) == (decision.effective <= Level::Identification),
        "reach is none exactly when the effective level is identification or lower",
    )?;
    require(
        (decision.reach == Reach::MultiHop)
            == (decision.effective == Level::Delegation
                || decision
                    .reasons
                    .contains(Reason::ServerSideConstrainedDelegation)),
        "reach is multi-hop exactly when the effective level is delegation or step 9a fired",
    )?;
    let hop_free = decide_packed(PackedRequest::pack(request))
        .map_err(|_| Violation("a decided request packs to a valid packed request"))?
        .unpack();
    require(
        (hop_free.effective, hop_free.reach, hop_free.reasons)
            == (decision.effective, decision.reach, decision.reasons),
        "the hop-free part equals the packed path's decision",
    )?;
    require(
        decision.hops().len() == request.hops().len(),
        "one outcome per requested hop",
    )?;
    let mut denied = false;
    let mut allowed = 0_usize;
    for (outcome, hop) in decision.hops().iter().zip(request.hops()) {
        require(
            outcome.target == hop.target.as_ref(),
            "hop targets are verbatim",
        )?;
        require(
            outcome.allowed() == (outcome.identity() == Identity::Client),
            "a hop is allowed exactly when the next machine sees the client",
        )?;
        require(
            !denied || outcome.reason == HopReason::ChainBroken,
            "every hop after a denied one is chain-broken",
        )?;
        if outcome.allowed() {
            allowed += 1;
        } else {
            denied = true;
        }
    }
    let bound = match decision.reach {
        Reach::None | Reach::Local => 0,
        Reach::Network => 1,
        Reach::MultiHop => usize::MAX,
    };
    require(
        allowed <= bound,
        "no more hops are allowed than reach permits",
    )
}

/// The most reach an answer's effective level (and reasons) can support: none below
/// impersonation; impersonation reaches one more machine at most, or any number after step 9a
/// (`server-side-constrained-delegation`); delegation any number.
fn max_reach(decision: &Decision<'_>) -> Reach {
    match decision.effective {
        Level::Anonymous | Level::Identification => Reach::None,
        Level::Impersonation
            if decision
                .reasons
                .contains(Reason::ServerSideConstrainedDelegation) =>
        {
            Reach::MultiHop
        }
        Level::Impersonation => Reach::Network,
        Level::Delegation => Reach::MultiHop,
    }
}

/// Whether an answer is consistent in itself, whatever the request — what a host checks of a
/// policy module's answer before comparing it with the reference:
///
/// - reach is `none` exactly when the effective level is identification or lower, and never
///   more than the level supports ([`Reach::MultiHop`] at impersonation only after step 9a);
/// - the reasons that leave the server nothing usable (`unauthenticated-call`,
///   `kerberos-unavailable`, `protected-user-ntlm-rejected`, `selective-auth-denied`) come
///   with effective `anonymous`; `server-cannot-impersonate` with identification or lower;
///   `schannel-impersonate-only` with impersonation or lower;
/// - no hop arrives as the client after a denied one, and no more hops arrive than the reach
///   permits.
///
/// A stricter answer than the reference passes this; a contradictory one does not.
///
/// # Errors
/// The first inconsistency.
pub fn consistent(decision: &Decision<'_>) -> Result<(), Violation> {
    let require =
        |holds: bool, what: &'static str| if holds { Ok(()) } else { Err(Violation(what)) };
    require(
        (decision.reach == Reach::None) == (decision.effective <= Level::Identification),
        "reach is none exactly when the effective level is identification or lower",
    )?;
    require(
        decision.reach <= max_reach(decision),
        "reach is no more than the effective level supports",
    )?;
    let has = |r: Reason| decision.reasons.contains(r);
    let nothing_usable = has(Reason::UnauthenticatedCall)
        || has(Reason::KerberosUnavailable)
        || has(Reason::ProtectedUserNtlmRejected)
        || has(Reason::SelectiveAuthDenied);
    require(
        !nothing_usable || decision.effective == Level::Anonymous,
        "a reason that leaves nothing usable comes with effective anonymous",
    )?;
    require(
        !has(Reason::ServerCannotImpersonate) || decision.effective <= Level::Identification,
        "server-cannot-impersonate comes with identification or lower",
    )?;
    require(
        !has(Reason::SchannelImpersonateOnly) || decision.effective <= Level::Impersonation,
        "schannel-impersonate-only comes with impersonation or lower",
    )?;
    let mut denied = false;
    let mut allowed = 0_usize;
    for hop in decision.hops() {
        require(
            !denied || !hop.allowed(),
            "no hop arrives as the client after a denied one",
        )?;
        denied |= !hop.allowed();
        allowed += usize::from(hop.allowed());
    }
    let bound = match decision.reach {
        Reach::None | Reach::Local => 0,
        Reach::Network => 1,
        Reach::MultiHop => usize::MAX,
    };
    require(allowed <= bound, "no more hops arrive than reach permits")
}

/// Whether `answer` (a policy module's, for the same request) grants no more than `reference`
/// (the engine's): effective level and reach no higher, no hop allowed that the reference
/// denies, and [`consistent`] in itself. A policy may only restrict.
///
/// ```
/// use onbehalf_core::{decide, invariants, Decision, Level, Reach, Reasons, Request, RequestedLevel};
/// let request = Request::new(RequestedLevel::Impersonation);
/// let reference = decide(&request).unwrap();
/// let stricter = Decision::new(Level::Identification, Reach::None, Reasons::EMPTY);
/// assert_eq!(invariants::within_reference(&reference, &stricter), Ok(()));
/// let more = Decision::new(Level::Delegation, Reach::MultiHop, Reasons::EMPTY);
/// assert!(invariants::within_reference(&reference, &more).is_err());
/// ```
///
/// # Errors
/// The first way the answer exceeds the reference or contradicts itself.
pub fn within_reference(reference: &Decision<'_>, answer: &Decision<'_>) -> Result<(), Violation> {
    let require =
        |holds: bool, what: &'static str| if holds { Ok(()) } else { Err(Violation(what)) };
    require(
        answer.effective <= reference.effective,
        "the effective level is no higher than the reference's",
    )?;
    require(
        answer.reach <= reference.reach,
        "the reach is no higher than the reference's",
    )?;
    require(
        answer.hops().len() == reference.hops().len(),
        "one outcome per requested hop",
    )?;
    for (a, r) in answer.hops().iter().zip(reference.hops()) {
        require(
            !a.allowed() || r.allowed(),
            "no hop is allowed that the reference denies",
        )?;
    }
    consistent(answer)
}

/// What the reference answers for one request: effective level, reach, reasons.
pub type Outline = (Level, Reach, Reasons);

/// Whether every spec reason of `answer` (a policy module's, already
/// [`within_reference`]) claims no more than the answer: a code that only lowers or
/// resolves (kinds `downgrade`, `resolve`, `override`) may always be given; a code that
/// reports a grant or a fact of the way there (kinds `info`, `promotion`: e.g.
/// `server-side-constrained-delegation`, `protocol-transition-used`,
/// `local-server-one-network-hop`) only if the reference gives it for this request at some
/// requested level with an answer at most as permissive as `answer` (effective level and reach
/// no higher). `reference_at(level)` is the reference's outline of the same request at
/// requested level `level`; `reference` is it at the request's own level (tried first).
/// The module's own codes are not spec codes and are not checked here.
///
/// ```
/// use onbehalf_core::{decide, invariants, AuthService, Decision, Hop, Level, Reach, Reason, Reasons, Request, RequestedLevel, ServerLocation, Transport};
/// let mut request = Request::over(RequestedLevel::Impersonation, Transport::Ncalrpc);
/// request.auth = AuthService::Kerberos;
/// let reference = decide(&request).unwrap(); // impersonation, network: one hop from a local server
/// assert!(reference.reasons.contains(Reason::LocalServerOneNetworkHop));
/// let at = |level| {
///     let r = Request { level, ..request.clone() };
///     decide(&r).ok().map(|d| (d.effective, d.reach, d.reasons))
/// };
/// let outline = (reference.effective, reference.reach, reference.reasons);
/// // Identification with the grant's reason claims a hop it does not allow.
/// let claims = Decision::new(Level::Identification, Reach::None, reference.reasons);
/// assert!(invariants::reasons_within_reference(&claims, outline, at).is_err());
/// let honest = Decision::new(Level::Identification, Reach::None, Reasons::EMPTY);
/// assert_eq!(invariants::reasons_within_reference(&honest, outline, at), Ok(()));
/// ```
///
/// # Errors
/// The first reason that claims more than the answer.
pub fn reasons_within_reference(
    answer: &Decision<'_>,
    reference: Outline,
    reference_at: impl Fn(RequestedLevel) -> Option<Outline>,
) -> Result<(), Violation> {
    // The common case, free: the reference's own level and reach with some of its codes —
    // every code is witnessed by the reference itself.
    let (effective, reach, given) = reference;
    if answer.effective == effective
        && answer.reach == reach
        && answer.reasons.bits() & !given.bits() == 0
    {
        return Ok(());
    }
    let at_most =
        |(effective, reach, _): &Outline| *effective <= answer.effective && *reach <= answer.reach;
    let gives = |outline: &Outline, reason: Reason| outline.2.contains(reason) && at_most(outline);
    for reason in answer.reasons.iter() {
        if !matches!(reason.kind(), ReasonKind::Info | ReasonKind::Promotion) {
            continue;
        }
        let witnessed = gives(&reference, reason)
            || RequestedLevel::ALL
                .iter()
                .filter_map(|level| reference_at(*level))
                .any(|outline| gives(&outline, reason));
        if !witnessed {
            return Err(Violation(
                "a reason that reports a grant comes only with an answer the reference gives it for",
            ));
        }
    }
    Ok(())
}
