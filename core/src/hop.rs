//! Onward calls ("hops") and their per-hop verdicts (spec §2, §6, §8).

use crate::vocabulary::vocabulary;

/// The most onward hops a request may list. A longer list is an `invalid-value` error, never
/// a truncation. Sixteen machine boundaries is far beyond any real delegation chain, and the
/// bound keeps a [`Decision`](crate::Decision) a fixed-size value with no allocation.
pub const MAX_HOPS: usize = 16;

vocabulary! {
    /// The identity the next machine sees (`as` in the decision JSON).
    pub enum Identity {
        /// arrives as the client
        Client = "client",
        /// arrives as NT AUTHORITY\ANONYMOUS LOGON
        Anonymous = "anonymous",
    }
}

vocabulary! {
    /// The one reason of a hop's verdict (spec §8), in the order of the §6 table.
    pub enum HopReason {
        /// Row 1: an earlier hop was denied.
        ChainBroken = "hop-chain-broken",
        /// Row 2: the server holds no impersonation token.
        NoImpersonation = "hop-no-impersonation",
        /// Row 3: the server's token has no network credentials.
        NoCredentials = "hop-no-credentials",
        /// Row 3a: the calling machine got no TGT across the forest trust.
        TgtNotForwardedAcrossForest = "hop-tgt-not-forwarded-across-forest",
        /// Row 4: Schannel cannot cloak.
        SchannelNoCloaking = "hop-schannel-no-cloaking",
        /// Row 5: the onward call is unauthenticated.
        Unauthenticated = "hop-unauthenticated",
        /// Row 6: explicit Kerberos outside a domain.
        KerberosUnavailable = "hop-kerberos-unavailable",
        /// Row 7: a Protected User over NTLM.
        ProtectedUserNtlm = "hop-protected-user-ntlm",
        /// Row 7a: selective authentication refuses the client on the target.
        SelectiveAuthDenied = "hop-selective-auth-denied",
        /// Row 8 (allowed): the client's own logon session makes the call.
        UsesClientLogonSession = "hop-uses-client-logon-session",
        /// Row 9 (allowed): the client's forwarded TGT.
        ForwardedTgt = "hop-forwarded-tgt",
        /// Row 10: a delegated Kerberos identity cannot go on over NTLM.
        NtlmCannotDelegate = "hop-ntlm-cannot-delegate",
        /// Row 10a: classic KCD does not cross a domain boundary.
        KcdCrossDomain = "hop-kcd-cross-domain",
        /// Row 10b: S4U2proxy cannot bring a user back from outside the caller's forest.
        S4uUserOutsideCallerForest = "hop-s4u-user-outside-caller-forest",
        /// Row 11 (allowed): the target is in `allowed_targets`.
        ConstrainedTargetAllowed = "hop-constrained-target-allowed",
        /// Row 12: the target is not in `allowed_targets`.
        TargetNotAllowed = "hop-target-not-allowed",
    }
}

impl HopReason {
    /// Whether the hop arrives as the client.
    #[must_use]
    pub const fn allowed(self) -> bool {
        matches!(
            self,
            HopReason::UsesClientLogonSession
                | HopReason::ForwardedTgt
                | HopReason::ConstrainedTargetAllowed
        )
    }

    /// Whether the onward call is made at all as far as the chain goes: `false` only after an
    /// earlier hop was denied (row 1), when nothing beyond it is reached as the client.
    #[must_use]
    pub const fn reached(self) -> bool {
        !matches!(self, HopReason::ChainBroken)
    }

    /// Who the next machine sees: the client iff allowed, else `ANONYMOUS LOGON`.
    #[must_use]
    pub const fn identity(self) -> Identity {
        if self.allowed() {
            Identity::Client
        } else {
            Identity::Anonymous
        }
    }

    /// The row of the spec §6 table that decided (`"3"`, `"3a"`, …).
    #[must_use]
    pub const fn row(self) -> &'static str {
        use HopReason::*;
        match self {
            ChainBroken => "1",
            NoImpersonation => "2",
            NoCredentials => "3",
            TgtNotForwardedAcrossForest => "3a",
            SchannelNoCloaking => "4",
            Unauthenticated => "5",
            KerberosUnavailable => "6",
            ProtectedUserNtlm => "7",
            SelectiveAuthDenied => "7a",
            UsesClientLogonSession => "8",
            ForwardedTgt => "9",
            NtlmCannotDelegate => "10",
            KcdCrossDomain => "10a",
            S4uUserOutsideCallerForest => "10b",
            ConstrainedTargetAllowed => "11",
            TargetNotAllowed => "12",
        }
    }

    /// The code's stable index in binary encodings (policy ABI v2): revision 2's twelve rows
    /// in table order, then the codes added later.
    #[must_use]
    pub const fn wire_index(self) -> u8 {
        use HopReason::*;
        match self {
            ChainBroken => 0,
            NoImpersonation => 1,
            NoCredentials => 2,
            SchannelNoCloaking => 3,
            Unauthenticated => 4,
            KerberosUnavailable => 5,
            ProtectedUserNtlm => 6,
            UsesClientLogonSession => 7,
            ForwardedTgt => 8,
            NtlmCannotDelegate => 9,
            ConstrainedTargetAllowed => 10,
            TargetNotAllowed => 11,
            TgtNotForwardedAcrossForest => 12,
            SelectiveAuthDenied => 13,
            KcdCrossDomain => 14,
            S4uUserOutsideCallerForest => 15,
        }
    }

    /// The row's condition and consequence, in the spec's words.
    #[must_use]
    pub const fn rule(self) -> &'static str {
        use HopReason::*;
        match self {
            ChainBroken => "An earlier hop was denied: the chain is broken and nothing beyond it arrives as the client.",
            NoImpersonation => "The server holds no impersonation token (effective level anonymous or identification): it cannot act as the client at all.",
            NoCredentials => "The server's token is a network-logon token without network credentials (impersonation level, or one hop already used): the onward call arrives as ANONYMOUS LOGON — the classic double hop.",
            TgtNotForwardedAcrossForest => "The calling machine is in another forest than the client and the trust it crossed has no TGT delegation (or is quarantined): its ticket came without OK-AS-DELEGATE, so it holds no TGT to forward.",
            SchannelNoCloaking => "Schannel supports no delegation and no cloaking: the onward call cannot carry the client.",
            Unauthenticated => "The onward call is unauthenticated (auth none off a named pipe): no identity travels.",
            KerberosUnavailable => "The hop asks explicitly for Kerberos but the machines are not domain-joined: no ticket can be had.",
            ProtectedUserNtlm => "Protected Users cannot authenticate with NTLM, so an NTLM hop cannot carry the client.",
            SelectiveAuthDenied => "The target is across a trust with selective authentication and the client lacks Allowed-to-Authenticate on it: the KDC or DC refuses the client.",
            UsesClientLogonSession => "The server runs on the client's computer and uses the client's own logon session, which has network credentials: one remote call as the client.",
            ForwardedTgt => "The server holds the client's forwarded TGT (unconstrained delegation) and gets a Kerberos ticket for the target as the client.",
            NtlmCannotDelegate => "A delegated (TGT or S4U) identity exists only as Kerberos tickets; an NTLM leg cannot carry it.",
            KcdCrossDomain => "Classic constrained delegation works only inside one domain: the KDC checks msDS-AllowedToDelegateTo only when it serves both services' realm; across a domain boundary only resource-based delegation is evaluated.",
            S4uUserOutsideCallerForest => "The calling machine is already outside the client's forest: the next forest filters the PAC as coming from the caller's forest and refuses a user of another forest — a round trip back fails by design.",
            ConstrainedTargetAllowed => "Constrained or resource-based delegation: the target SPN is in allowed_targets, so S4U2proxy yields a ticket for it.",
            TargetNotAllowed => "Constrained or resource-based delegation: the target SPN is not in allowed_targets, so the KDC refuses S4U2proxy.",
        }
    }

    /// The spec sources (§11) behind the row.
    #[must_use]
    pub const fn sources(self) -> &'static str {
        use HopReason::*;
        match self {
            ChainBroken | NoImpersonation | NoCredentials => "S5, S7, S8, S23",
            SchannelNoCloaking => "S7, S10",
            Unauthenticated => "S15, S18",
            KerberosUnavailable => "S1, S9",
            ProtectedUserNtlm => "S22",
            UsesClientLogonSession => "S1, S5, S7",
            ForwardedTgt | NtlmCannotDelegate => "S19",
            ConstrainedTargetAllowed | TargetNotAllowed => "S20",
            TgtNotForwardedAcrossForest => "S36, S37",
            SelectiveAuthDenied => "S36, S39",
            KcdCrossDomain => "S20, S21, S40",
            S4uUserOutsideCallerForest => "S41, S42",
        }
    }
}

/// One hop's verdict, carrying the request's `target` verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HopOutcome<'a> {
    /// The hop's target, exactly as requested (not case-folded).
    pub target: &'a str,
    /// Why the hop is allowed or denied.
    pub reason: HopReason,
}

impl HopOutcome<'_> {
    /// Whether the next machine sees the client.
    #[must_use]
    pub const fn allowed(&self) -> bool {
        self.reason.allowed()
    }

    /// Who the next machine sees.
    #[must_use]
    pub const fn identity(&self) -> Identity {
        self.reason.identity()
    }
}
