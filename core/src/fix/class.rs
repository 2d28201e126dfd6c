//! The delegation classes a fix is ranked by: how far a server's delegation settings let it
//! act as its clients, narrowest first. The ordering is the ranking's first criterion after
//! "keeps every protection", and its reasons are the classes' descriptions.

use crate::delegation::ServerTrust;
use crate::request::Delegation;
use crate::request::Storage;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// A server's delegation settings, by what they let it do, narrowest first. Each
    /// description starts with the class's name in words, then `": "`, then what it allows.
    pub enum DelegationClass {
        /// not trusted for delegation: no client's identity leaves the server by delegation
        None = "none",
        /// Kerberos-only constrained delegation: KCD without protocol transition, only for
        /// clients that authenticated with Kerberos, only to the listed SPNs, set by a domain
        /// administrator holding SeEnableDelegationPrivilege
        ConstrainedKerberosOnly = "constrained-kerberos-only",
        /// constrained delegation with protocol transition: any user's identity, without that
        /// user authenticating to the server (S4U2self), to the listed SPNs
        ConstrainedProtocolTransition = "constrained-protocol-transition",
        /// resource-based constrained delegation: each target's own account admits the server;
        /// protocol transition is always allowed, it works across domains and forests, and anyone
        /// who may write the target's account can grant it
        ResourceBased = "resource-based",
        /// unconstrained delegation: the server receives the TGT of every Kerberos client that
        /// grants delegation and may use it for any service, any number of hops
        Unconstrained = "unconstrained",
    }
}

impl DelegationClass {
    /// The class's name in words: its description up to the first `": "`.
    ///
    /// ```
    /// use onbehalf_core::fix::DelegationClass;
    /// assert_eq!(DelegationClass::ConstrainedKerberosOnly.label(), "Kerberos-only constrained delegation");
    /// assert_eq!(DelegationClass::Unconstrained.label(), "unconstrained delegation");
    /// ```
    #[must_use]
    pub fn label(self) -> &'static str {
        let description = self.describe();
        description
            .split_once(": ")
            .map_or(description, |(label, _)| label)
    }

    /// The class of a `delegation` object's settings.
    #[must_use]
    pub fn of<S: Storage>(delegation: &Delegation<S>) -> DelegationClass {
        match delegation.server_trust {
            ServerTrust::None => DelegationClass::None,
            ServerTrust::Constrained if delegation.protocol_transition => {
                DelegationClass::ConstrainedProtocolTransition
            }
            ServerTrust::Constrained => DelegationClass::ConstrainedKerberosOnly,
            ServerTrust::ResourceBased => DelegationClass::ResourceBased,
            ServerTrust::Unconstrained => DelegationClass::Unconstrained,
        }
    }
}
