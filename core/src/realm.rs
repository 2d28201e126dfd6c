//! Domains and forests (spec revision 3): where an account lives relative to another.

use crate::vocabulary::vocabulary;

vocabulary! {
    /// Where the server's (or a hop target's) service account lives relative to the client's
    /// account (for a hop: relative to the calling machine's account).
    pub enum Realm {
        /// the same domain
        SameDomain = "same-domain",
        /// another domain of the same forest
        SameForest = "same-forest",
        /// another forest (across a forest or external trust)
        OtherForest = "other-forest",
    }
}

impl Realm {
    /// §6 "realms along the chain": the client's relation to the next machine, from its
    /// relation to the calling machine and the next machine's relation to the caller — a
    /// chain that has left the client's forest is never taken to come back (fail closed).
    #[must_use]
    pub const fn then(self, next: Realm) -> Realm {
        match (self, next) {
            (Realm::OtherForest, _) | (_, Realm::OtherForest) => Realm::OtherForest,
            (Realm::SameForest, _) | (_, Realm::SameForest) => Realm::SameForest,
            (Realm::SameDomain, Realm::SameDomain) => Realm::SameDomain,
        }
    }
}
