//! # onbehalf-core
//!
//! The pure decision engine of onbehalf: given how a client calls a Windows DCOM/RPC server
//! (requested impersonation level, transport, server locality, authentication service,
//! server privilege, Active Directory delegation settings, onward hops), it decides what the
//! server really gets — the **effective level**, the **reach** of the client's identity, a
//! verdict per onward hop, and the stable **reason codes** of every step.
//!
//! The rules are those of the project's `impersonation-rules.md` (§ numbers in the docs
//! refer to it). The crate is `no_std`, has no I/O and never allocates on the decision path;
//! the `alloc` feature adds the strict JSON layer ([`json`]).
//!
//! ```
//! use onbehalf_core::{decide, AuthService, Hop, HopReason, Level, Reach, Request, RequestedLevel};
//!
//! // The classic double hop: Kerberos impersonation, then the server calls a file server.
//! let hops = [Hop::to("cifs/fs1.contoso.com")];
//! let mut req = Request::new(RequestedLevel::Impersonation);
//! req.auth = AuthService::Kerberos;
//! req.hops = &hops[..];
//! let d = decide(&req).unwrap();
//! assert_eq!((d.effective, d.reach), (Level::Impersonation, Reach::Local));
//! assert_eq!(d.hops()[0].reason, HopReason::NoCredentials); // arrives as ANONYMOUS LOGON
//! ```
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod vocabulary;

pub mod model;

mod auth;
mod chain;
mod checks;
mod decision;
mod delegation;
mod error;
mod explanation;
#[cfg(feature = "alloc")]
pub mod fix;
mod hop;
mod http;
pub mod invariants;
mod level;
mod packed;
mod realm;
mod reason;
mod request;
mod rules;
mod transport;

#[cfg(feature = "alloc")]
pub mod json;

pub use auth::{ApiFamily, AuthService, ResolvedAuth, RPC_C_AUTHN_DEFAULT};
pub use chain::{resolve_hop_auth, TokenState};
pub use decision::{Decision, Reach};
pub use delegation::ServerTrust;
#[cfg(feature = "alloc")]
pub use error::echo;
pub use error::{ErrorCode, FieldPath, RequestError, Segment, FOUND_LIMIT};
pub use explanation::{Explanation, HopStep};
pub use hop::{HopOutcome, HopReason, Identity, MAX_HOPS};
pub use http::HttpError;
pub use level::{Level, RequestedLevel, SECURITY_SQOS_PRESENT};
pub use model::{
    from_wire_byte, packed_span, wire_byte, ChoiceSet, DefaultInfo, Field, FieldInfo, RecordInfo,
    Shape,
};
#[cfg(feature = "alloc")]
pub use packed::DecisionTable;
pub use packed::{
    decide_packed, decide_raw, PackedDecision, PackedRequest, RawDecision, DENSE_SIZE, DOMAIN_SIZE,
    REQUEST_BITS, TABLE_BITS,
};
pub use realm::Realm;
pub use reason::{Reason, ReasonKind, Reasons};
#[cfg(feature = "alloc")]
pub use request::Owned;
pub use request::{Borrowed, Storage};
pub use request::{Delegation, ForestTrust, Hop, Request, PACKED_TARGETS};
pub use rules::{evaluate_call, resolve_auth, CallOutcome};
pub use transport::{ServerLocation, Transport};
pub use vocabulary::Choice;

/// Decides a request: validates what a typed request can still get wrong (spec §4), runs
/// the §5 algorithm, then walks the hops (§6). Works on borrowed and owned requests alike;
/// the decision borrows the hop targets from the request.
///
/// Never panics and never allocates. See the crate docs for an example.
pub fn decide<S: Storage>(request: &Request<S>) -> Result<Decision<'_>, RequestError> {
    request.validate()?;
    Ok(decide_valid(request))
}

/// [`decide`] for a request known to be valid (read by the JSON layer, or checked).
fn decide_valid<S: Storage>(request: &Request<S>) -> Decision<'_> {
    let outcome = evaluate_call(request);
    let mut decision = Decision::new(outcome.level, outcome.reach, outcome.reasons);
    let initial = TokenState::initial(
        outcome.level,
        request.server,
        outcome.auth,
        request.delegation.server_trust,
        outcome.server_side_delegation,
    );
    chain::evaluate_hops(
        outcome.level == Level::Delegation || outcome.server_side_delegation,
        initial,
        request,
        |hop, reason| {
            // `validate` bounded the hop count by MAX_HOPS, so every push fits.
            let pushed = decision.push_hop(HopOutcome {
                target: hop.target.as_ref(),
                reason,
            });
            debug_assert!(pushed);
        },
    );
    decision
}
