//! Properties every decision has, whatever the request: one definition, checked over the
//! whole packed domain and by property tests (`core/tests/properties.rs`), and on every
//! input the fuzz targets (`fuzz/`) generate.

use crate::decision::{Decision, Reach};
use crate::hop::{HopReason, Identity};
use crate::level::Level;
use crate::packed::{decide_packed, PackedRequest};
use crate::reason::Reason;
use crate::request::Request;
use crate::storage::Storage;

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
