//! Delegation prerequisites: the Active Directory configuration of client and server (spec §2).

use crate::vocabulary::vocabulary;

vocabulary! {
    /// How the server account is trusted for delegation.
    pub enum ServerTrust {
        /// Not trusted (the AD default; fail closed).
        None = "none",
        /// `TRUSTED_FOR_DELEGATION`: the client's TGT is forwarded.
        Unconstrained = "unconstrained",
        /// Kerberos constrained delegation (`msDS-AllowedToDelegateTo`).
        Constrained = "constrained",
        /// Resource-based constrained delegation (`msDS-AllowedToActOnBehalfOfOtherIdentity`).
        ResourceBased = "resource_based",
    }
}

/// The `delegation` object of a request. [`Default`] gives the spec's defaults.
///
/// ```
/// use onbehalf_core::{Delegation, ServerTrust};
/// let d = Delegation { server_trust: ServerTrust::Constrained, allowed_targets: &["cifs/fs1"], ..Delegation::default() };
/// assert!(d.domain_joined);
/// assert!(d.allows_target("CIFS/FS1"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delegation<'a> {
    /// "Account is sensitive and cannot be delegated" (`NOT_DELEGATED`).
    pub client_sensitive: bool,
    /// The client is in the Protected Users group.
    pub client_protected_user: bool,
    /// The server account's trust for delegation.
    pub server_trust: ServerTrust,
    /// SPNs the server may delegate to (KCD) or whose RBCD list admits it.
    pub allowed_targets: &'a [&'a str],
    /// Client, server and all downstream computers are domain-joined and reach the KDC.
    pub domain_joined: bool,
    /// KCD "use any authentication protocol" (`TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION`).
    pub protocol_transition: bool,
    /// Credential Guard runs on the client (blocks unconstrained delegation).
    pub client_credential_guard: bool,
}

impl Default for Delegation<'_> {
    fn default() -> Self {
        Delegation {
            client_sensitive: false,
            client_protected_user: false,
            server_trust: ServerTrust::None,
            allowed_targets: &[],
            domain_joined: true,
            protocol_transition: false,
            client_credential_guard: false,
        }
    }
}

impl Delegation<'_> {
    /// Whether `target` is in `allowed_targets` (ASCII-case-insensitive equality; no SPN expansion).
    #[must_use]
    pub fn allows_target(&self, target: &str) -> bool {
        self.allowed_targets
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(target))
    }
}
