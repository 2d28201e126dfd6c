//! Spec §6: onward hops under the uniform-chain model decision.

use crate::auth::{AuthService, ResolvedAuth};
use crate::delegation::ServerTrust;
use crate::hop::HopReason;
use crate::level::Level;
use crate::realm::Realm;
use crate::request::Storage;
use crate::request::{Delegation, ForestTrust, Hop, Request};
use crate::transport::{ServerLocation, Transport};

/// What a machine in the chain holds for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// No impersonation token (anonymous / identification).
    NoToken,
    /// The client's own logon session (a local server).
    Primary,
    /// A network-logon token without network credentials.
    NetworkToken,
    /// The client's forwarded TGT (unconstrained delegation).
    Tgt,
    /// Constrained / resource-based delegation through S4U2proxy.
    S4u,
    /// (Revision 3) the call arrived as the client, but no TGT came with it across the forest
    /// trust: nothing to forward further.
    TgtBlocked,
}

impl TokenState {
    /// The server's (machine 0's) state, from the §6 initial-state table.
    /// `server_side_delegation`: step 9a fired.
    #[must_use]
    pub fn initial(
        level: Level,
        server: ServerLocation,
        auth: ResolvedAuth,
        trust: ServerTrust,
        server_side_delegation: bool,
    ) -> TokenState {
        match (level, server) {
            (Level::Anonymous | Level::Identification, _) => TokenState::NoToken,
            (Level::Impersonation, ServerLocation::Remote) if server_side_delegation => {
                TokenState::S4u
            }
            (Level::Impersonation, ServerLocation::Local) if auth != ResolvedAuth::Schannel => {
                TokenState::Primary
            }
            (Level::Impersonation, _) => TokenState::NetworkToken,
            (Level::Delegation, ServerLocation::Local) => TokenState::Primary,
            (Level::Delegation, ServerLocation::Remote) => match trust {
                ServerTrust::Unconstrained => TokenState::Tgt,
                ServerTrust::Constrained | ServerTrust::ResourceBased => TokenState::S4u,
                // Unreachable after the delegation gate (D4); fail closed all the same.
                ServerTrust::None => TokenState::NetworkToken,
            },
        }
    }
}

/// §6: a hop's authentication `H` (server-side leg: the intermediate reaches its KDC iff
/// domain-joined; `kerberos_available` is not consulted).
#[must_use]
pub fn resolve_hop_auth<S: Storage>(hop: &Hop<S>, domain_joined: bool) -> ResolvedAuth {
    let negotiate = if domain_joined {
        ResolvedAuth::Kerberos
    } else {
        ResolvedAuth::Ntlm
    };
    match hop.auth {
        AuthService::Negotiate => negotiate,
        AuthService::None if hop.transport == Transport::NcacnNp => negotiate,
        AuthService::None => ResolvedAuth::Unauthenticated,
        AuthService::Ntlm => ResolvedAuth::Ntlm,
        AuthService::Kerberos => ResolvedAuth::Kerberos,
        AuthService::Schannel => ResolvedAuth::Schannel,
    }
}

/// The client's relation to one machine of the chain and the trust on the way there
/// (§6 "realms along the chain": `rel(i)` and `T(i)`).
#[derive(Debug, Clone, Copy)]
struct Crossing {
    rel: Realm,
    trust: ForestTrust,
}

impl Crossing {
    /// Machine 0, the server.
    fn server<S: Storage>(request: &Request<S>) -> Crossing {
        Crossing {
            rel: request.server_realm,
            trust: request.forest_trust,
        }
    }

    /// The next machine, hop `hop`'s target.
    fn next<S: Storage>(self, hop: &Hop<S>) -> Crossing {
        Crossing {
            rel: self.rel.then(hop.realm),
            trust: if hop.realm == Realm::OtherForest {
                hop.forest_trust
            } else {
                self.trust
            },
        }
    }

    /// Whether a forwarded TGT reaches this machine: within the forest, or over a trust with
    /// TGT delegation enabled and not quarantined (OK-AS-DELEGATE on the referral).
    fn forwards_tgt(self) -> bool {
        self.rel != Realm::OtherForest || (self.trust.tgt_delegation && !self.trust.quarantined)
    }

    /// Whether selective authentication refuses the client on this machine.
    fn refuses_client(self) -> bool {
        self.rel == Realm::OtherForest
            && self.trust.selective_auth
            && !self.trust.allowed_to_authenticate
    }
}

/// Walks the chain: calls `emit` once per hop, in order, with its verdict. `delegating`:
/// the effective level is delegation or step 9a fired, so an allowed Kerberos hop hands the
/// next machine a delegable identity again.
pub fn evaluate_hops<'a, S: Storage>(
    delegating: bool,
    initial: TokenState,
    request: &'a Request<S>,
    mut emit: impl FnMut(&'a Hop<S>, HopReason),
) {
    let delegation = &request.delegation;
    let mut state = initial;
    let mut broken = false;
    let mut caller = Crossing::server(request);
    for hop in request.hops() {
        let h = resolve_hop_auth(hop, delegation.domain_joined);
        let target = caller.next(hop);
        let reason = if broken {
            HopReason::ChainBroken
        } else {
            verdict(state, h, hop, caller, target, delegation)
        };
        if reason.allowed() {
            state = if delegating && h == ResolvedAuth::Kerberos {
                match delegation.server_trust {
                    ServerTrust::Unconstrained if target.forwards_tgt() => TokenState::Tgt,
                    ServerTrust::Unconstrained => TokenState::TgtBlocked,
                    _ => TokenState::S4u,
                }
            } else {
                TokenState::NetworkToken
            };
        } else {
            broken = true;
        }
        caller = target;
        emit(hop, reason);
    }
}

/// The §6 table, rows 2–12 (row 1 is the caller's `broken`); the first matching row decides.
/// `caller` is the calling machine's crossing, `target` the hop target's.
fn verdict<S: Storage>(
    state: TokenState,
    h: ResolvedAuth,
    hop: &Hop<S>,
    caller: Crossing,
    target: Crossing,
    delegation: &Delegation<S>,
) -> HopReason {
    match state {
        TokenState::NoToken => return HopReason::NoImpersonation,
        TokenState::NetworkToken => return HopReason::NoCredentials,
        TokenState::TgtBlocked => return HopReason::TgtNotForwardedAcrossForest,
        TokenState::Primary | TokenState::Tgt | TokenState::S4u => {}
    }
    match h {
        ResolvedAuth::Schannel => return HopReason::SchannelNoCloaking,
        ResolvedAuth::Unauthenticated => return HopReason::Unauthenticated,
        ResolvedAuth::Kerberos if !delegation.domain_joined => {
            return HopReason::KerberosUnavailable
        }
        ResolvedAuth::Ntlm if delegation.client_protected_user => {
            return HopReason::ProtectedUserNtlm
        }
        ResolvedAuth::Kerberos | ResolvedAuth::Ntlm if target.refuses_client() => {
            return HopReason::SelectiveAuthDenied
        }
        _ => {}
    }
    let s4u = state == TokenState::S4u;
    match (state, h) {
        (TokenState::Primary, _) => HopReason::UsesClientLogonSession,
        (TokenState::Tgt, ResolvedAuth::Kerberos) => HopReason::ForwardedTgt,
        (TokenState::Tgt | TokenState::S4u, ResolvedAuth::Ntlm) => HopReason::NtlmCannotDelegate,
        _ if s4u
            && delegation.server_trust == ServerTrust::Constrained
            && hop.realm != Realm::SameDomain =>
        {
            HopReason::KcdCrossDomain
        }
        _ if s4u && hop.realm == Realm::OtherForest && caller.rel == Realm::OtherForest => {
            HopReason::S4uUserOutsideCallerForest
        }
        (TokenState::S4u, ResolvedAuth::Kerberos)
            if delegation.allows_target(hop.target.as_ref()) =>
        {
            HopReason::ConstrainedTargetAllowed
        }
        (TokenState::S4u, ResolvedAuth::Kerberos) => HopReason::TargetNotAllowed,
        // Not reachable (`H` is kerberos or ntlm here, and the token states without
        // credentials returned above); deny rather than assume.
        _ => HopReason::NoCredentials,
    }
}
