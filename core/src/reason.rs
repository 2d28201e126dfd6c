//! Decision reason codes (spec §7): stable names, the step that emits them, their rule text
//! and sources. Steps emit codes in declaration order, so a set kept as a bit mask and
//! iterated in declaration order reproduces the spec's emission order without allocating.
//! (Each code's bit is its stable [`Reason::wire_index`], not its declaration index.)

use crate::vocabulary::vocabulary;

vocabulary! {
    /// A reason code of a decision's `reasons` list (spec §7), in emission order.
    pub enum Reason {
        /// Step 2: `default` became `identification`.
        DefaultResolvedToIdentification = "default-resolved-to-identification",
        /// Step 3: remote `ncacn_np` + `auth:none`: the SMB session authenticates.
        SmbSessionAuthenticatesPipe = "smb-session-authenticates-pipe",
        /// Step 3: Negotiate (or a remote pipe's SMB session) gave NTLM.
        NegotiateFellBackToNtlm = "negotiate-fell-back-to-ntlm",
        /// Step 4: no RPC authentication on tcp/http/udp.
        UnauthenticatedCall = "unauthenticated-call",
        /// Step 4: explicit `kerberos` but the client cannot get a ticket.
        KerberosUnavailable = "kerberos-unavailable",
        /// Step 5: a Protected User over remote NTLM.
        ProtectedUserNtlmRejected = "protected-user-ntlm-rejected",
        /// Step 5a: selective authentication without Allowed-to-Authenticate.
        SelectiveAuthDenied = "selective-auth-denied",
        /// Step 6: anonymous is promoted off `ncalrpc`.
        AnonymousPromotedToIdentification = "anonymous-promoted-to-identification",
        /// Step 7: Schannel forces impersonate.
        SchannelImpersonateOnly = "schannel-impersonate-only",
        /// Step 8 D1: NTLM to a remote server without protocol transition.
        NtlmCannotDelegateRemotely = "ntlm-cannot-delegate-remotely",
        /// Step 8 D2: the account is sensitive and cannot be delegated.
        ClientAccountSensitive = "client-account-sensitive",
        /// Step 8 D3: Protected Users cannot be delegated.
        ClientProtectedUser = "client-protected-user",
        /// Step 8 D4: the server account is not trusted for delegation.
        ServerNotTrustedForDelegation = "server-not-trusted-for-delegation",
        /// Step 8 D5: KCD/RBCD with an empty target list.
        NoAllowedDelegationTargets = "no-allowed-delegation-targets",
        /// Step 8 D6: a computer is not in a domain.
        NotDomainJoined = "not-domain-joined",
        /// Step 8 D7: Credential Guard on the client blocks unconstrained delegation.
        ClientCredentialGuard = "client-credential-guard",
        /// Step 8 D8: the forest trust passes no OK-AS-DELEGATE, so no TGT is forwarded.
        CrossForestTgtDelegationDisabled = "cross-forest-tgt-delegation-disabled",
        /// Step 8 D9 / 9a: protocol transition for a client of another forest without a trust back.
        S4u2selfNoReferralPath = "s4u2self-no-referral-path",
        /// Step 8: an NTLM client was delegated via S4U2self/S4U2proxy.
        ProtocolTransitionUsed = "protocol-transition-used",
        /// Step 9: no SeImpersonatePrivilege, so Identify only.
        ServerCannotImpersonate = "server-cannot-impersonate",
        /// Step 9a: impersonation level with KCD/RBCD — the server reaches its allowed
        /// targets as the client without the client's consent.
        ServerSideConstrainedDelegation = "server-side-constrained-delegation",
        /// Step 10: a local server reaches one network hop.
        LocalServerOneNetworkHop = "local-server-one-network-hop",
    }
}

vocabulary! {
    /// What a reason code did to the decision (spec §7 "kind").
    pub enum ReasonKind {
        /// Resolved a default.
        Resolve = "resolve",
        /// Informational: nothing lowered.
        Info = "info",
        /// Lowered the level.
        Downgrade = "downgrade",
        /// Raised the level (documented promotion).
        Promotion = "promotion",
        /// Forced a level regardless of the request.
        Override = "override",
    }
}

impl Reason {
    /// The algorithm step (spec §5) that emits this code, e.g. `"8/D1"`.
    #[must_use]
    pub const fn step(self) -> &'static str {
        use Reason::*;
        match self {
            DefaultResolvedToIdentification => "2",
            SmbSessionAuthenticatesPipe | NegotiateFellBackToNtlm => "3",
            UnauthenticatedCall | KerberosUnavailable => "4",
            ProtectedUserNtlmRejected => "5",
            SelectiveAuthDenied => "5a",
            AnonymousPromotedToIdentification => "6",
            SchannelImpersonateOnly => "7",
            NtlmCannotDelegateRemotely => "8/D1, 9a",
            ClientAccountSensitive => "8/D2, 9a",
            ClientProtectedUser => "8/D3, 9a",
            ServerNotTrustedForDelegation => "8/D4",
            NoAllowedDelegationTargets => "8/D5, 9a",
            NotDomainJoined => "8/D6, 9a",
            ClientCredentialGuard => "8/D7",
            CrossForestTgtDelegationDisabled => "8/D8",
            S4u2selfNoReferralPath => "8/D9, 9a",
            ProtocolTransitionUsed => "8, 9a",
            ServerCannotImpersonate => "9",
            ServerSideConstrainedDelegation => "9a",
            LocalServerOneNetworkHop => "10",
        }
    }

    /// The one step that emitted this code in a decision: the codes step 8 and step 9a share
    /// come from step 8 when the client asked for delegation (the gate ran), else from 9a.
    #[must_use]
    pub const fn emitted_by(self, delegation_requested: bool) -> &'static str {
        use Reason::*;
        match self {
            NtlmCannotDelegateRemotely
            | ClientAccountSensitive
            | ClientProtectedUser
            | NoAllowedDelegationTargets
            | NotDomainJoined
            | S4u2selfNoReferralPath
            | ProtocolTransitionUsed
                if !delegation_requested =>
            {
                "9a"
            }
            NtlmCannotDelegateRemotely => "8/D1",
            ClientAccountSensitive => "8/D2",
            ClientProtectedUser => "8/D3",
            NoAllowedDelegationTargets => "8/D5",
            NotDomainJoined => "8/D6",
            S4u2selfNoReferralPath => "8/D9",
            ProtocolTransitionUsed => "8",
            other => other.step(),
        }
    }

    /// The code's kind (spec §7).
    #[must_use]
    pub const fn kind(self) -> ReasonKind {
        use Reason::*;
        match self {
            DefaultResolvedToIdentification => ReasonKind::Resolve,
            SmbSessionAuthenticatesPipe
            | NegotiateFellBackToNtlm
            | ProtocolTransitionUsed
            | ServerSideConstrainedDelegation
            | LocalServerOneNetworkHop => ReasonKind::Info,
            AnonymousPromotedToIdentification => ReasonKind::Promotion,
            SchannelImpersonateOnly => ReasonKind::Override,
            _ => ReasonKind::Downgrade,
        }
    }

    /// The rule that fired, in the spec's words.
    #[must_use]
    pub const fn rule(self) -> &'static str {
        use Reason::*;
        match self {
            DefaultResolvedToIdentification => "COM uses the client's blanket level; with no explicit setting the system default is RPC_C_IMP_LEVEL_IDENTIFY, so `default` becomes `identification` (MODEL DECISION: COM semantics).",
            SmbSessionAuthenticatesPipe => "Remote ncacn_np with auth:none: the SMB session authenticates the pipe client and carries the client's requested level, which is then honoured like that of any other call.",
            NegotiateFellBackToNtlm => "Negotiate picks Kerberos when the client can get a ticket (kerberos_available and domain_joined); otherwise it falls back to NTLM.",
            UnauthenticatedCall => "No RPC authentication over ncacn_ip_tcp, ncacn_http or ncadg_ip_udp: there is no security context, so nothing to impersonate; the server sees an anonymous caller.",
            KerberosUnavailable => "Explicit Kerberos, but the client cannot obtain a ticket: the call does not fall back to NTLM and the server gets nothing usable (MODEL DECISION: fail closed).",
            ProtectedUserNtlmRejected => "Members of Protected Users cannot authenticate with NTLM; a remote NTLM call yields nothing usable (MODEL DECISION: modelled as anonymous).",
            SelectiveAuthDenied => "Across a trust with selective authentication the KDC (Kerberos) and the DC (NTLM) refuse a user without the Allowed-to-Authenticate right on the server's account: the server gets nothing usable.",
            AnonymousPromotedToIdentification => "Anonymous is supported only over the local IPC transport (ncalrpc); all other transports silently promote it to identify.",
            SchannelImpersonateOnly => "TLS supports only the impersonate level and COM forces it regardless of the requested level; Schannel supports no delegation and no cloaking.",
            NtlmCannotDelegateRemotely => "NTLM supports delegate level only cross-thread/cross-process locally; only Kerberos delegates across computers, unless the server uses protocol transition (KCD with TrustedToAuthForDelegation, or RBCD).",
            ClientAccountSensitive => "The client account is marked \"Account is sensitive and cannot be delegated\" (NOT_DELEGATED): its tickets are never forwardable.",
            ClientProtectedUser => "Members of Protected Users cannot be delegated, neither unconstrained nor constrained.",
            ServerNotTrustedForDelegation => "The server account is not trusted for delegation (neither TRUSTED_FOR_DELEGATION, KCD nor RBCD): the KDC gives it no forwardable ticket for the client.",
            NoAllowedDelegationTargets => "Constrained or resource-based delegation with an empty target list: the KDC refuses every S4U2proxy request.",
            NotDomainJoined => "Delegation needs Kerberos, and Kerberos needs every computer in a domain reaching its KDC.",
            ClientCredentialGuard => "Credential Guard on the client blocks Kerberos unconstrained (TGT-forwarding) delegation; constrained and resource-based delegation still work.",
            CrossForestTgtDelegationDisabled => "The client's KDC sets OK-AS-DELEGATE on a referral only within the forest or over a trust with TGT delegation enabled and not quarantined, so the client forwards no TGT to a server in another forest; forest trusts have TGT delegation off by default since the 2019 updates.",
            S4u2selfNoReferralPath => "Protocol transition (S4U2self) for a user of another forest follows referrals back to the user's realm; without a trust from the client's forest back to the server's there is no referral path (MODEL DECISION, derived, fail closed).",
            ProtocolTransitionUsed => "The NTLM-authenticated client was delegated through S4U2self + S4U2proxy (protocol transition).",
            ServerCannotImpersonate => "Without SeImpersonatePrivilege (and a different identity) impersonation succeeds at Identify level only.",
            ServerSideConstrainedDelegation => "The server holds an impersonation-level token and is configured for constrained (KCD) or resource-based (RBCD) delegation: the client does not request delegation, the service performs it at its own discretion (S4U2proxy), so the server reaches its allowed targets as the client, hop after hop. The effective level stays impersonation — what grows is where the server may act.",
            LocalServerOneNetworkHop => "A server on the client's own computer uses the client's logon session and may access network resources as the client, for one remote call only.",
        }
    }

    /// The spec sources (§11) behind the rule.
    #[must_use]
    pub const fn sources(self) -> &'static str {
        use Reason::*;
        match self {
            DefaultResolvedToIdentification => "S12, S13, S14",
            SmbSessionAuthenticatesPipe => "S18-10, S26",
            NegotiateFellBackToNtlm => "S11, S17",
            UnauthenticatedCall => "S15, S18",
            KerberosUnavailable => "MODEL DECISION",
            ProtectedUserNtlmRejected => "S22",
            SelectiveAuthDenied => "S36, S39",
            AnonymousPromotedToIdentification => "S1",
            SchannelImpersonateOnly => "S2, S10",
            NtlmCannotDelegateRemotely => "S1, S5, S8, S20",
            ClientAccountSensitive => "S1, S19",
            ClientProtectedUser => "S22",
            ServerNotTrustedForDelegation => "S1, S19",
            NoAllowedDelegationTargets => "S20",
            NotDomainJoined => "S1, S9",
            ClientCredentialGuard => "S27, S28",
            CrossForestTgtDelegationDisabled => "S36, S37",
            S4u2selfNoReferralPath => "S20 (derived)",
            ProtocolTransitionUsed => "S20, S21",
            ServerCannotImpersonate => "S15, S16",
            ServerSideConstrainedDelegation => "S33, S29, S30, S34",
            LocalServerOneNetworkHop => "S1, S5, S7",
        }
    }

    /// The code's bit in a packed decision's reason field (policy ABI): codes keep the bit
    /// they were given when added, so a module built against an older layout still means the
    /// same codes. Revision 2's codes hold bits 0–17 in their §7 order; later codes are
    /// appended, whatever their place in the emission order.
    #[must_use]
    pub const fn wire_index(self) -> u32 {
        use Reason::*;
        match self {
            DefaultResolvedToIdentification => 0,
            SmbSessionAuthenticatesPipe => 1,
            NegotiateFellBackToNtlm => 2,
            UnauthenticatedCall => 3,
            KerberosUnavailable => 4,
            ProtectedUserNtlmRejected => 5,
            AnonymousPromotedToIdentification => 6,
            SchannelImpersonateOnly => 7,
            NtlmCannotDelegateRemotely => 8,
            ClientAccountSensitive => 9,
            ClientProtectedUser => 10,
            ServerNotTrustedForDelegation => 11,
            NoAllowedDelegationTargets => 12,
            NotDomainJoined => 13,
            ClientCredentialGuard => 14,
            ProtocolTransitionUsed => 15,
            ServerCannotImpersonate => 16,
            LocalServerOneNetworkHop => 17,
            ServerSideConstrainedDelegation => 18,
            SelectiveAuthDenied => 19,
            CrossForestTgtDelegationDisabled => 20,
            S4u2selfNoReferralPath => 21,
        }
    }

    const fn bit(self) -> u32 {
        1 << self.wire_index()
    }
}

/// The ordered, duplicate-free set of reasons of one decision; iterates in emission order.
///
/// ```
/// use onbehalf_core::{Reason, Reasons};
/// let mut r = Reasons::EMPTY;
/// r.insert(Reason::LocalServerOneNetworkHop);
/// r.insert(Reason::NegotiateFellBackToNtlm);
/// let v: Vec<_> = r.iter().collect();
/// assert_eq!(v, [Reason::NegotiateFellBackToNtlm, Reason::LocalServerOneNetworkHop]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Reasons(u32);

impl Reasons {
    /// No reasons.
    pub const EMPTY: Reasons = Reasons(0);
    /// Mask of the bits that name a reason.
    pub const MASK: u32 = (1 << Reason::ALL.len()) - 1;

    /// Adds a reason (a no-op if present).
    pub fn insert(&mut self, reason: Reason) {
        self.0 |= reason.bit();
    }

    /// Removes a reason (a no-op if absent): a policy that lowers an answer drops the codes
    /// that report what it took away (docs/policy-abi.md §5, item 4).
    pub fn remove(&mut self, reason: Reason) {
        self.0 &= !reason.bit();
    }

    /// Whether `reason` is present.
    #[must_use]
    pub const fn contains(self, reason: Reason) -> bool {
        self.0 & reason.bit() != 0
    }

    /// Whether no reason is present.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many reasons are present.
    #[must_use]
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The raw bit mask (bit `n` = the [`Reason`] whose [`wire_index`](Reason::wire_index) is `n`).
    #[must_use]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// From a raw bit mask; `None` if a bit names no reason.
    #[must_use]
    pub const fn from_bits(bits: u32) -> Option<Reasons> {
        if bits & !Self::MASK == 0 {
            Some(Reasons(bits))
        } else {
            None
        }
    }

    /// The reasons in emission order.
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL
            .iter()
            .copied()
            .filter(move |r| self.contains(*r))
    }
}
