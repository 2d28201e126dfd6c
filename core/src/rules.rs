//! Spec §5: the evaluation algorithm for the client → server call, step by step.
//! Pure, total and allocation-free; every `match` is exhaustive so a new enum value cannot
//! slip through a default arm.

use crate::auth::{AuthService, ResolvedAuth};
use crate::decision::Reach;
use crate::delegation::ServerTrust;
use crate::level::{Level, RequestedLevel};
use crate::realm::Realm;
use crate::reason::{Reason, Reasons};
use crate::request::Request;
use crate::request::Storage;
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

/// Runs spec §5 steps 1–10 (with 5a and 9a) on a validated request (its hops are not read).
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

    // Steps 4–5a: no usable client authentication ends at step 10 as anonymous.
    if let Some(reason) = unusable_authentication(ctx, auth) {
        reasons.insert(reason);
        level = Level::Anonymous;
    } else {
        level = steps_6_to_9(ctx, auth, level, &mut reasons);
    }

    // Step 9a: KCD/RBCD need no request from the client.
    let server_side_delegation = level == Level::Impersonation
        && server_side_constrained_delegation(ctx, auth, &mut reasons);

    CallOutcome {
        level,
        reach: reach(ctx, auth, level, server_side_delegation, &mut reasons),
        reasons,
        auth,
        server_side_delegation,
    }
}

/// Steps 4, 5 and 5a: the reason the client's authentication yields nothing usable, if so.
fn unusable_authentication<S: Storage>(ctx: &Request<S>, auth: ResolvedAuth) -> Option<Reason> {
    let k = ctx.kerberos_available && ctx.delegation.domain_joined;
    let remote = ctx.server == ServerLocation::Remote;
    let trust = &ctx.forest_trust;
    if auth == ResolvedAuth::Unauthenticated {
        Some(Reason::UnauthenticatedCall)
    } else if auth == ResolvedAuth::Kerberos && !k {
        Some(Reason::KerberosUnavailable)
    } else if ctx.delegation.client_protected_user && auth == ResolvedAuth::Ntlm && remote {
        Some(Reason::ProtectedUserNtlmRejected)
    } else if remote
        && matches!(auth, ResolvedAuth::Kerberos | ResolvedAuth::Ntlm)
        && ctx.server_realm == Realm::OtherForest
        && trust.selective_auth
        && !trust.allowed_to_authenticate
    {
        Some(Reason::SelectiveAuthDenied) // 5a (revision 3)
    } else {
        None
    }
}

/// Steps 6–9 for an authenticated client: the level after promotion, Schannel, the
/// delegation gate and the impersonation right.
fn steps_6_to_9<S: Storage>(
    ctx: &Request<S>,
    auth: ResolvedAuth,
    mut level: Level,
    reasons: &mut Reasons,
) -> Level {
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
    level
}

/// Step 10: how far the server can act as the client.
fn reach<S: Storage>(
    ctx: &Request<S>,
    auth: ResolvedAuth,
    level: Level,
    server_side_delegation: bool,
    reasons: &mut Reasons,
) -> Reach {
    match level {
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

/// Step 8: D1–D9. Returns the failing checks' codes, and whether D1 passed only through
/// protocol transition.
fn delegation_gate<S: Storage>(ctx: &Request<S>, auth: ResolvedAuth) -> (Reasons, bool) {
    let (mut failed, via_protocol_transition) = constrained_prerequisites(ctx, auth);
    let trust = ctx.delegation.server_trust;
    if trust == ServerTrust::None {
        failed.insert(Reason::ServerNotTrustedForDelegation); // D4
    }
    if trust == ServerTrust::Unconstrained && ctx.delegation.client_credential_guard {
        failed.insert(Reason::ClientCredentialGuard); // D7
    }
    // D8 (revision 3): no OK-AS-DELEGATE across a forest trust without TGT delegation.
    let forwards = ctx.forest_trust.tgt_delegation && !ctx.forest_trust.quarantined;
    if ctx.server == ServerLocation::Remote
        && trust == ServerTrust::Unconstrained
        && ctx.server_realm == Realm::OtherForest
        && !forwards
    {
        failed.insert(Reason::CrossForestTgtDelegationDisabled);
    }
    (failed, via_protocol_transition)
}

/// The checks step 8 (D1, D2, D3, D5, D6, D9) and step 9a share: the failing codes, and
/// whether D1 passed only through protocol transition. (D5 applies to KCD/RBCD only.)
fn constrained_prerequisites<S: Storage>(ctx: &Request<S>, auth: ResolvedAuth) -> (Reasons, bool) {
    let mut failed = Reasons::EMPTY;
    let mut via_protocol_transition = false;
    let delegation = &ctx.delegation;

    // D1: only Kerberos crosses computers; NTLM needs S4U2self (protocol transition).
    if auth == ResolvedAuth::Ntlm && ctx.server == ServerLocation::Remote {
        let transition = (delegation.server_trust == ServerTrust::Constrained
            && delegation.protocol_transition)
            || delegation.server_trust == ServerTrust::ResourceBased;
        if transition {
            via_protocol_transition = true;
        } else {
            failed.insert(Reason::NtlmCannotDelegateRemotely);
        }
    }
    if delegation.client_sensitive {
        failed.insert(Reason::ClientAccountSensitive); // D2
    }
    if delegation.client_protected_user {
        failed.insert(Reason::ClientProtectedUser); // D3
    }
    let constrained = matches!(
        delegation.server_trust,
        ServerTrust::Constrained | ServerTrust::ResourceBased
    );
    if constrained && !delegation.has_allowed_targets() {
        failed.insert(Reason::NoAllowedDelegationTargets); // D5
    }
    if !delegation.domain_joined {
        failed.insert(Reason::NotDomainJoined); // D6
    }
    // D9 (revision 3): S4U2self for a user of another forest needs a referral path back.
    if via_protocol_transition
        && ctx.server_realm == Realm::OtherForest
        && !ctx.forest_trust.two_way
    {
        failed.insert(Reason::S4u2selfNoReferralPath);
    }
    (failed, via_protocol_transition)
}
