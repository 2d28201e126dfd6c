//! Spec §5: the evaluation algorithm for the client → server call, step by step.
//! Pure, total and allocation-free; every `match` is exhaustive so a new enum value cannot
//! slip through a default arm.

use crate::auth::{AuthService, ResolvedAuth};
use crate::decision::Reach;
use crate::delegation::ServerTrust;
use crate::level::{Level, RequestedLevel};
use crate::reason::{Reason, Reasons};
use crate::request::Request;
use crate::storage::Storage;
use crate::transport::{ServerLocation, Transport};

/// The outcome of §5 for one call, before hops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOutcome {
    /// `L` after step 9.
    pub level: Level,
    /// Step 10.
    pub reach: Reach,
    /// Emitted codes.
    pub reasons: Reasons,
    /// `A`, the resolved client → server authentication (step 3).
    pub auth: ResolvedAuth,
    /// Step 9a fired: the server delegates by S4U2proxy (KCD/RBCD) at impersonation level.
    pub server_side_delegation: bool,
}

/// Step 3: resolve `A`, emitting the step's informational codes.
#[must_use]
pub fn resolve_auth<S: Storage>(ctx: &Request<S>, reasons: &mut Reasons) -> ResolvedAuth {
    let k = ctx.kerberos_available && ctx.delegation.domain_joined;
    let nego = if k {
        ResolvedAuth::Kerberos
    } else {
        ResolvedAuth::Ntlm
    };
    let (auth, from_nego) = match ctx.auth {
        AuthService::Negotiate => (nego, true),
        AuthService::None => match (ctx.transport, ctx.server) {
            (Transport::Ncalrpc, _) | (Transport::NcacnNp, ServerLocation::Local) => {
                (ResolvedAuth::Transport, false)
            }
            (Transport::NcacnNp, ServerLocation::Remote) => {
                reasons.insert(Reason::SmbSessionAuthenticatesPipe);
                (nego, true)
            }
            (Transport::NcacnIpTcp | Transport::NcacnHttp | Transport::NcadgIpUdp, _) => {
                (ResolvedAuth::Unauthenticated, false)
            }
        },
        AuthService::Ntlm => (ResolvedAuth::Ntlm, false),
        AuthService::Kerberos => (ResolvedAuth::Kerberos, false),
        AuthService::Schannel => (ResolvedAuth::Schannel, false),
    };
    if from_nego && nego == ResolvedAuth::Ntlm {
        reasons.insert(Reason::NegotiateFellBackToNtlm);
    }
    auth
}

/// Runs spec §5 steps 1–10 (with 9a) on a validated request (its hops are not read).
#[must_use]
pub fn evaluate_call<S: Storage>(ctx: &Request<S>) -> CallOutcome {
    let mut reasons = Reasons::EMPTY;

    // Steps 1–2: normalise; `default` is the COM blanket default, identify.
    let mut level = match ctx.level.level() {
        Some(level) => level,
        None => {
            reasons.insert(Reason::DefaultResolvedToIdentification);
            Level::Identification
        }
    };
    debug_assert!(ctx.level != RequestedLevel::Default || level == Level::Identification);

    // Step 3.
    let auth = resolve_auth(ctx, &mut reasons);
    let k = ctx.kerberos_available && ctx.delegation.domain_joined;

    // Steps 4–5: no usable client authentication ends at step 10 as anonymous.
    let unusable = if auth == ResolvedAuth::Unauthenticated {
        Some(Reason::UnauthenticatedCall)
    } else if auth == ResolvedAuth::Kerberos && !k {
        Some(Reason::KerberosUnavailable)
    } else if ctx.delegation.client_protected_user
        && auth == ResolvedAuth::Ntlm
        && ctx.server == ServerLocation::Remote
    {
        Some(Reason::ProtectedUserNtlmRejected)
    } else {
        None
    };

    if let Some(reason) = unusable {
        reasons.insert(reason);
        level = Level::Anonymous;
    } else {
        // Step 6: anonymous exists only over local IPC.
        if level == Level::Anonymous && ctx.transport != Transport::Ncalrpc {
            level = Level::Identification;
            reasons.insert(Reason::AnonymousPromotedToIdentification);
        }
        // Step 7: Schannel forces impersonate, whatever was asked.
        if auth == ResolvedAuth::Schannel {
            level = Level::Impersonation;
            reasons.insert(Reason::SchannelImpersonateOnly);
        }
        // Step 8: the delegation gate.
        if level == Level::Delegation {
            let (failed, via_protocol_transition) = delegation_gate(ctx, auth);
            if failed.is_empty() {
                if via_protocol_transition {
                    reasons.insert(Reason::ProtocolTransitionUsed);
                }
            } else {
                level = Level::Impersonation;
                for reason in failed.iter() {
                    reasons.insert(reason);
                }
            }
        }
        // Step 9: impersonating needs SeImpersonatePrivilege.
        if !ctx.server_can_impersonate && level >= Level::Impersonation {
            level = Level::Identification;
            reasons.insert(Reason::ServerCannotImpersonate);
        }
    }

    // Step 9a: KCD/RBCD need no request from the client.
    let server_side_delegation = level == Level::Impersonation
        && server_side_constrained_delegation(ctx, auth, &mut reasons);

    // Step 10.
    let reach = match level {
        Level::Anonymous | Level::Identification => Reach::None,
        Level::Impersonation if server_side_delegation => Reach::MultiHop,
        Level::Impersonation => {
            if auth == ResolvedAuth::Schannel {
                Reach::Local
            } else if ctx.server == ServerLocation::Local {
                reasons.insert(Reason::LocalServerOneNetworkHop);
                Reach::Network
            } else {
                Reach::Local
            }
        }
        Level::Delegation => Reach::MultiHop,
    };

    CallOutcome {
        level,
        reach,
        reasons,
        auth,
        server_side_delegation,
    }
}

/// Step 9a, for an impersonation-level token: whether the server delegates by KCD/RBCD.
/// Emits the codes of the failing prerequisites (the level is unchanged), or, when it fires,
/// `protocol-transition-used` (if so) and `server-side-constrained-delegation`.
fn server_side_constrained_delegation<S: Storage>(
    ctx: &Request<S>,
    auth: ResolvedAuth,
    reasons: &mut Reasons,
) -> bool {
    let constrained = matches!(
        ctx.delegation.server_trust,
        ServerTrust::Constrained | ServerTrust::ResourceBased
    );
    let applies = constrained
        && auth != ResolvedAuth::Schannel
        && (ctx.server == ServerLocation::Local
            || matches!(auth, ResolvedAuth::Kerberos | ResolvedAuth::Ntlm));
    if !applies {
        return false;
    }
    let (failed, via_protocol_transition) = constrained_prerequisites(ctx, auth);
    if failed.is_empty() {
        if via_protocol_transition {
            reasons.insert(Reason::ProtocolTransitionUsed);
        }
        reasons.insert(Reason::ServerSideConstrainedDelegation);
        true
    } else {
        for reason in failed.iter() {
            reasons.insert(reason);
        }
        false
    }
}

/// Step 8: D1–D7. Returns the failing checks' codes, and whether D1 passed only through
/// protocol transition.
fn delegation_gate<S: Storage>(ctx: &Request<S>, auth: ResolvedAuth) -> (Reasons, bool) {
    let (mut failed, via_protocol_transition) = constrained_prerequisites(ctx, auth);
    if ctx.delegation.server_trust == ServerTrust::None {
        failed.insert(Reason::ServerNotTrustedForDelegation); // D4
    }
    if ctx.delegation.server_trust == ServerTrust::Unconstrained
        && ctx.delegation.client_credential_guard
    {
        failed.insert(Reason::ClientCredentialGuard); // D7
    }
    (failed, via_protocol_transition)
}

/// The checks step 8 (D1, D2, D3, D5, D6) and step 9a share: the failing codes, and whether
/// D1 passed only through protocol transition. (D5 applies to KCD/RBCD only.)
fn constrained_prerequisites<S: Storage>(ctx: &Request<S>, auth: ResolvedAuth) -> (Reasons, bool) {
    let mut failed = Reasons::EMPTY;
    let mut via_protocol_transition = false;

    // D1: only Kerberos crosses computers; NTLM needs S4U2self (protocol transition).
    if auth == ResolvedAuth::Ntlm && ctx.server == ServerLocation::Remote {
        let transition = (ctx.delegation.server_trust == ServerTrust::Constrained
            && ctx.delegation.protocol_transition)
            || ctx.delegation.server_trust == ServerTrust::ResourceBased;
        if transition {
            via_protocol_transition = true;
        } else {
            failed.insert(Reason::NtlmCannotDelegateRemotely);
        }
    }
    if ctx.delegation.client_sensitive {
        failed.insert(Reason::ClientAccountSensitive); // D2
    }
    if ctx.delegation.client_protected_user {
        failed.insert(Reason::ClientProtectedUser); // D3
    }
    let constrained = matches!(
        ctx.delegation.server_trust,
        ServerTrust::Constrained | ServerTrust::ResourceBased
    );
    if constrained && !ctx.delegation.has_allowed_targets() {
        failed.insert(Reason::NoAllowedDelegationTargets); // D5
    }
    if !ctx.delegation.domain_joined {
        failed.insert(Reason::NotDomainJoined); // D6
    }
    (failed, via_protocol_transition)
}
