//! Where one account's domain lies relative to another's (spec revision 3's `Realm`), from the
//! domains and their trusts.
//!
//! - the same domain → `same-domain`;
//! - domains joined by parent-child, tree-root or shortcut trusts (one forest) →
//!   `same-forest`;
//! - domains of two forests whose forest or external trust lets the second admit the first's
//!   users (the second trusts the first: outbound from it, or inbound at the first, or
//!   bidirectional) → `other-forest`. Without such a trust the first's users cannot
//!   authenticate there at all, and the spec says not to emit `other-forest`: unknown.

use onbehalf_core::Realm;

use crate::error::Result;
use crate::facts::Fact;
use crate::model::{Direction, Domain};
use crate::Directory;

/// A realm the directory could derive (and the fact it rests on), or why it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derived {
    /// Derived.
    Known(Realm, Fact),
    /// Not derivable from the source; the reason.
    Unknown(String),
}

/// The forest each domain of the directory belongs to: an index per domain, domains joined
/// by within-forest trusts sharing one.
fn forests(domains: &[Domain]) -> Vec<usize> {
    let mut forest: Vec<usize> = (0..domains.len()).collect();
    let find = |forest: &Vec<usize>, mut i: usize| {
        while let Some(&p) = forest.get(i) {
            if p == i {
                break;
            }
            i = p;
        }
        i
    };
    for (i, d) in domains.iter().enumerate() {
        for t in d.trusts.iter().filter(|t| t.kind.within_forest()) {
            let j = domains
                .iter()
                .position(|o| o.sid == t.target_sid || o.name.eq_ignore_ascii_case(&t.target_name));
            if let Some(j) = j {
                let (a, b) = (find(&forest, i), find(&forest, j));
                if let Some(slot) = forest.get_mut(a.max(b)) {
                    *slot = a.min(b);
                }
            }
        }
    }
    (0..domains.len()).map(|i| find(&forest, i)).collect()
}

/// Whether `trusting` admits users of `trusted` through one of the two domains' trust
/// objects (each side's view of the same trust).
fn admits(trusting: &Domain, trusted: &Domain) -> bool {
    let names = |d: &Domain, t: &crate::model::Trust| {
        t.target_sid == d.sid || t.target_name.eq_ignore_ascii_case(&d.name)
    };
    let from_trusting = trusting.trusts.iter().any(|t| {
        names(trusted, t) && matches!(t.direction, Direction::Outbound | Direction::Bidirectional)
    });
    let from_trusted = trusted.trusts.iter().any(|t| {
        names(trusting, t) && matches!(t.direction, Direction::Inbound | Direction::Bidirectional)
    });
    from_trusting || from_trusted
}

/// The realm of the account in domain `to` relative to the account in domain `from` (for a
/// server: relative to its client; for a hop target: relative to the calling machine).
///
/// # Errors
/// Never today; the `Result` leaves room for a malformed trust graph.
pub fn realm_between(directory: &Directory, from: &str, to: &str) -> Result<Derived> {
    if from.eq_ignore_ascii_case(to) {
        return Ok(Derived::Known(Realm::SameDomain, Fact::Domain));
    }
    let domains = &directory.domains;
    let position = |name: &str| {
        domains
            .iter()
            .position(|d| d.name.eq_ignore_ascii_case(name))
    };
    let (Some(a), Some(b)) = (position(from), position(to)) else {
        let missing = if position(from).is_none() { from } else { to };
        return Ok(Derived::Unknown(format!(
            "the source holds no domain {missing}, so where {to} lies relative to {from} is unknown"
        )));
    };
    let forest = forests(domains);
    if forest.get(a) == forest.get(b) {
        return Ok(Derived::Known(Realm::SameForest, Fact::Trusts));
    }
    let (Some(from_domain), Some(to_domain)) = (domains.get(a), domains.get(b)) else {
        return Ok(Derived::Unknown("unreachable".into()));
    };
    // Across forests a trust links the two forest roots (or the two domains, external); any
    // domain of the trusting forest admitting any of the trusted forest's counts.
    let in_forest = |k: usize| -> Vec<&Domain> {
        domains
            .iter()
            .enumerate()
            .filter(|(i, _)| forest.get(*i) == forest.get(k))
            .map(|(_, d)| d)
            .collect()
    };
    let (trusting, trusted) = (in_forest(b), in_forest(a));
    let trusted = trusting
        .iter()
        .any(|t| trusted.iter().any(|u| admits(t, u)));
    if trusted {
        Ok(Derived::Known(Realm::OtherForest, Fact::Trusts))
    } else {
        Ok(Derived::Unknown(format!(
            "{} does not trust {} (no forest or external trust admits its users), so its accounts cannot authenticate there",
            to_domain.name, from_domain.name
        )))
    }
}
