//! How a server account is trusted for delegation (spec §2); the `delegation` object itself
//! is in the request's field table (`request.rs`).

use crate::vocabulary::vocabulary;

vocabulary! {
    /// How the server account is trusted for delegation.
    pub enum ServerTrust {
        /// not trusted (the AD default)
        None = "none",
        /// unconstrained: forwards the client's TGT (TRUSTED_FOR_DELEGATION)
        Unconstrained = "unconstrained",
        /// constrained — KCD (msDS-AllowedToDelegateTo)
        Constrained = "constrained",
        /// resource-based — RBCD (msDS-AllowedToActOnBehalfOfOtherIdentity)
        ResourceBased = "resource_based",
    }
}
