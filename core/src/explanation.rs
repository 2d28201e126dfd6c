//! The explanation of a decision: the request as decided, the resolved authentication, each
//! §5 step that fired and each hop's §6 row — typed, so the CLI's text, the server's
//! `/v1/explain` and the page all render this one account (its JSON is in `json/output.rs`).

use crate::auth::ResolvedAuth;
use crate::chain::resolve_hop_auth;
use crate::decision::Decision;
use crate::error::RequestError;
use crate::hop::{HopOutcome, HopReason};
use crate::level::RequestedLevel;
use crate::realm::Realm;
use crate::reason::{Reason, Reasons};
use crate::request::Storage;
use crate::request::{Hop, Request};
use crate::rules::resolve_auth;

/// Why a request got its decision.
///
/// ```
/// use onbehalf_core::{Explanation, Hop, Request, RequestedLevel, ResolvedAuth};
/// let hops = [Hop::to("cifs/fs1")];
/// let mut request = Request::new(RequestedLevel::Impersonation);
/// request.hops = &hops[..];
/// let e = Explanation::new(&request).unwrap();
/// assert_eq!(e.auth, ResolvedAuth::Kerberos);
/// assert_eq!(e.hops().next().unwrap().row(), "3"); // the double hop
/// ```
#[derive(Debug, Clone)]
pub struct Explanation<'r, S: Storage> {
    /// The request, defaults filled in.
    pub request: &'r Request<S>,
    /// The decision.
    pub decision: Decision<'r>,
    /// `A`: the client → server authentication after §5 step 3.
    pub auth: ResolvedAuth,
}

/// One hop of an explanation: its verdict, the authentication the leg resolved to, its
/// request (for the transport), and the §6 row that decided.
#[derive(Debug, Clone, Copy)]
pub struct HopStep<'r, S: Storage> {
    /// The verdict.
    pub outcome: HopOutcome<'r>,
    /// The hop as requested.
    pub hop: &'r Hop<S>,
    /// `H`: the leg's resolved authentication.
    pub auth: ResolvedAuth,
    /// Where the hop's target lives relative to the client (§6 `rel(i)`).
    pub client_realm: Realm,
}

impl<S: Storage> HopStep<'_, S> {
    /// The §6 table row that decided.
    #[must_use]
    pub fn row(&self) -> &'static str {
        self.outcome.reason.row()
    }

    /// The row's reason.
    #[must_use]
    pub fn reason(&self) -> HopReason {
        self.outcome.reason
    }
}

impl<'r, S: Storage> Explanation<'r, S> {
    /// Decides `request` and keeps what explains it.
    pub fn new(request: &'r Request<S>) -> Result<Self, RequestError> {
        let decision = crate::decide(request)?;
        let mut scratch = Reasons::EMPTY;
        let auth = resolve_auth(request, &mut scratch);
        Ok(Explanation {
            request,
            decision,
            auth,
        })
    }

    /// The §5 steps that fired, in emission order, each with the step that emitted it.
    pub fn steps(&self) -> impl Iterator<Item = (Reason, &'static str)> {
        let delegation = self.request.level == RequestedLevel::Delegation;
        self.decision
            .reasons
            .iter()
            .map(move |r| (r, r.emitted_by(delegation)))
    }

    /// Each hop with its verdict and row, in request order.
    pub fn hops(&self) -> impl Iterator<Item = HopStep<'r, S>> + '_ {
        let joined = self.request.delegation.domain_joined;
        let mut realm = self.request.server_realm;
        self.decision
            .hops()
            .iter()
            .zip(self.request.hops())
            .map(move |(outcome, hop)| {
                realm = realm.then(hop.realm);
                HopStep {
                    outcome: *outcome,
                    hop,
                    auth: resolve_hop_auth(hop, joined),
                    client_realm: realm,
                }
            })
    }
}
