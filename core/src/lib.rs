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
//! req.hops = &hops;
//! let d = decide(&req).unwrap();
//! assert_eq!((d.effective, d.reach), (Level::Impersonation, Reach::Local));
//! assert_eq!(d.hops()[0].reason, HopReason::NoCredentials); // arrives as ANONYMOUS LOGON
//! ```
#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod vocabulary;

mod auth;
mod chain;
mod decision;
mod delegation;
mod error;
mod hop;
pub mod invariants;
mod level;
mod packed;
mod reason;
mod request;
mod rules;
mod transport;

#[cfg(feature = "alloc")]
pub mod json;

pub use auth::{ApiFamily, AuthService, ResolvedAuth, RPC_C_AUTHN_DEFAULT};
pub use chain::{resolve_hop_auth, TokenState};
pub use decision::{Decision, Reach};
pub use delegation::{Delegation, ServerTrust};
pub use error::{ErrorCode, FieldPath, RequestError};
pub use hop::{Hop, HopOutcome, HopReason, Identity, MAX_HOPS};
pub use level::{Level, RequestedLevel, SECURITY_SQOS_PRESENT};
#[cfg(feature = "alloc")]
pub use packed::DecisionTable;
pub use packed::{
    decide_packed, decide_raw, PackedDecision, PackedRequest, RawDecision, DENSE_SIZE, DOMAIN_SIZE,
    REQUEST_BITS,
};
pub use reason::{Reason, ReasonKind, Reasons};
pub use request::{CallContext, Request};
pub use rules::{evaluate_call, resolve_auth, CallOutcome};
pub use transport::{ServerLocation, Transport};

/// Decides a request: validates what a typed request can still get wrong (spec §4), runs
/// the §5 algorithm, then walks the hops (§6).
///
/// Never panics and never allocates. See the crate docs for an example.
pub fn decide<'a>(request: &Request<'a>) -> Result<Decision<'a>, RequestError> {
    request.validate()?;
    let outcome = evaluate_call(&request.context());
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
        &request.delegation,
        request.hops,
        |hop, reason| {
            // `validate` bounded the hop count by MAX_HOPS, so every push fits.
            let pushed = decision.push_hop(HopOutcome {
                target: hop.target,
                reason,
            });
            debug_assert!(pushed);
        },
    );
    Ok(decision)
}
