//! "How to make it work" (feature `alloc`): the minimal changes that get a request what it
//! asks for, and what a server's delegation settings expose ([`exposure`]).
//!
//! A request **falls short** ([`falls_short`]) when a hop does not arrive as the client, or,
//! without hops, when its effective level is below the requested one (`default` asks for
//! identification, §5 step 2): with hops, the identity travelling is what the person asks
//! for, whatever level the server's token is reported at — a local server's one network hop
//! needs no delegation level (§6), so changing only how the client authenticates can be the
//! whole fix. [`fixes`]
//! searches the changes a person can make — the requested level, the client's
//! authentication service, the transport, each hop's authentication, registering the SPN
//! (`kerberos_available`), SeImpersonatePrivilege, the server's delegation trust with its
//! allowed targets, protocol transition, and the client's sensitive / Protected Users /
//! Credential Guard settings — one change, then two, each variation decided by the engine.
//!
//! Every fix is **minimal**: no proper subset of its edits (with its targets), and no smaller
//! set of added targets, gets the requested outcome. Each carries the whole changed
//! `request`, so anyone can verify it by deciding that request.
//!
//! # Ranking: least privilege first
//!
//! Fixes are sorted by, in order:
//! 1. **Keeps every client protection.** A fix that un-marks a sensitive account, removes it
//!    from Protected Users or turns Credential Guard off trades the client's safety for the
//!    call; it comes after every other fix and is flagged ([`Fix::lowers_security`]). When it
//!    is the only kind, [`recommended`] answers `None`.
//! 2. **Grants no delegation.** A fix that widens the server's delegation class, adds a
//!    target to its list or turns protocol transition on comes after every fix that changes
//!    only the call, the client's authentication or a right outside delegation (narrowing an
//!    unconstrained server to a few targets does not grant).
//! 3. **The narrowest delegation the server ends up with** ([`DelegationClass`], narrowest
//!    first): no delegation; Kerberos-only constrained delegation (only clients that proved
//!    themselves with Kerberos, only to the listed SPNs, set by a domain administrator);
//!    constrained delegation with protocol transition (any user's identity without that user
//!    authenticating to the server); resource-based (protocol transition always allowed,
//!    across domains and forests, granted by whoever may write the target's account);
//!    unconstrained (every Kerberos client's TGT, any service, any number of hops).
//! 4. **Fewer rights beyond delegation** (SeImpersonatePrivilege).
//! 5. **What changes, by whom**: only the call (the level asked for, the transport, a hop's
//!    authentication) before how the client authenticates, before registering the server's SPN.
//! 6. **Fewer changes** (levers: the delegation trust with its targets is one).
//! 7. The search's enumeration order (preferred values first, e.g. Kerberos before
//!    Negotiate): the order is total, so the answer is deterministic.
//!
//! ```
//! use onbehalf_core::fix::{fixes, DelegationClass};
//! use onbehalf_core::json::parse_request;
//! use onbehalf_core::Level;
//! // The classic double hop: impersonation, the server calls SQL Server as the client.
//! let request = parse_request(
//!     r#"{"level":"impersonation","auth":"kerberos","hops":[{"target":"MSSQLSvc/db.contoso.com"}]}"#,
//! ).unwrap();
//! let found = fixes(&request).unwrap();
//! let first = &found[0];
//! assert_eq!(first.delegation_class(), DelegationClass::ConstrainedKerberosOnly);
//! assert_eq!(first.added_targets, ["MSSQLSvc/db.contoso.com"]);
//! assert!(first.decision().unwrap().hops()[0].allowed());
//! assert!(first.steps[0].samba_tool.as_deref().unwrap().starts_with("samba-tool delegation add-service"));
//! ```

mod class;
mod edit;
mod exposure;
mod how;
mod search;

use alloc::string::String;
use alloc::vec::Vec;

pub use class::DelegationClass;
pub use edit::{ChangeKind, Edit, Effect};
pub use exposure::{exposure, ClientKind, Exposure, ExposureRow, ANY_OTHER_SERVICE};
pub use how::{Accounts, Action, HowTo, Step, HOW_TO};
pub use search::PLACEHOLDER_TARGET;

use crate::decision::Decision;
use crate::error::RequestError;
use crate::json::OwnedRequest;
use crate::model::Own;
use crate::request::Request;
use crate::request::Storage;

/// One minimal fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// The changed fields, in [`Edit`] order.
    pub edits: Vec<Edit>,
    /// What [`Edit::AllowedTargets`] appends to `delegation.allowed_targets` (empty without it).
    pub added_targets: Vec<String>,
    /// The whole changed request.
    pub request: OwnedRequest,
    /// How to apply it, step by step.
    pub steps: Vec<Step>,
    /// The server's delegation class before the fix.
    pub class_before: DelegationClass,
}

impl Fix {
    /// The decision of the changed request (it was decided valid by the search).
    pub fn decision(&self) -> Result<Decision<'_>, RequestError> {
        crate::decide(&self.request)
    }

    /// The server's delegation class after the fix.
    #[must_use]
    pub fn delegation_class(&self) -> DelegationClass {
        DelegationClass::of(&self.request.delegation)
    }

    /// The fix in one line: its steps' titles, joined.
    #[must_use]
    pub fn summary(&self) -> String {
        let titles: Vec<&str> = self.steps.iter().map(|s| s.title.as_str()).collect();
        titles.join(", ")
    }

    /// Whether it removes a client protection (sensitive, Protected Users, Credential Guard).
    #[must_use]
    pub fn lowers_security(&self) -> bool {
        self.edits
            .iter()
            .any(|e| e.effect() == Effect::LowersSecurity)
    }

    /// Whether it widens what the server may do: a wider delegation class, or a right beyond
    /// delegation.
    #[must_use]
    pub fn widens(&self) -> bool {
        self.delegation_class() > self.class_before || self.rights_granted() > 0
    }

    fn rights_granted(&self) -> usize {
        self.edits
            .iter()
            .filter(|e| e.effect() == Effect::Widens)
            .count()
    }

    fn levers(&self) -> usize {
        let mut levers: Vec<Edit> = self.edits.iter().map(|e| e.lever()).collect();
        levers.dedup();
        levers.len()
    }

    /// Whether it grants delegation: a wider delegation class, or the same class with more
    /// targets or protocol transition turned on (narrowing a class does not grant).
    #[must_use]
    pub fn grants_delegation(&self) -> bool {
        let class = self.delegation_class();
        class > self.class_before
            || (class == self.class_before
                && (!self.added_targets.is_empty()
                    || self.edits.contains(&Edit::ProtocolTransition)))
    }

    /// The kind of change, least intrusive first: only the call (0), the client's
    /// authentication (1), anything in the directory or on the server (2).
    fn change_class(&self) -> u8 {
        self.edits
            .iter()
            .map(|e| match e {
                Edit::Level(_) | Edit::Transport(_) | Edit::HopAuth(..) => 0,
                Edit::Auth(_) => 1,
                _ => 2,
            })
            .max()
            .unwrap_or(0)
    }

    /// The ranking key (module docs): smaller is recommended first.
    fn rank(&self) -> (bool, bool, DelegationClass, usize, u8, usize) {
        (
            self.lowers_security(),
            self.grants_delegation(),
            self.delegation_class(),
            self.rights_granted(),
            self.change_class(),
            self.levers(),
        )
    }
}

/// Whether `request` falls short of what it asks for (module docs): then [`fixes`] lists the
/// ways to make it work, or none when it needs more than two changes.
pub fn falls_short<S: Storage>(request: &Request<S>) -> Result<bool, RequestError> {
    crate::decide(request)?;
    let base: OwnedRequest = request.owned();
    let want = search::wanted(&base);
    Ok(!search::outcome(&base, want).is_some_and(|o| o.meets))
}

/// The minimal fixes of `request`, ranked least-privilege first (module docs); empty when
/// the request already gets what it asks for, or nothing of one or two changes helps.
/// Commands name [`Accounts::PLACEHOLDERS`].
pub fn fixes<S: Storage>(request: &Request<S>) -> Result<Vec<Fix>, RequestError> {
    fixes_with(request, &Accounts::PLACEHOLDERS)
}

/// [`fixes`], with the commands naming `accounts`.
pub fn fixes_with<S: Storage>(
    request: &Request<S>,
    accounts: &Accounts<'_>,
) -> Result<Vec<Fix>, RequestError> {
    crate::decide(request)?;
    let base: OwnedRequest = request.owned();
    let want = search::wanted(&base);
    if search::outcome(&base, want).is_some_and(|o| o.meets) {
        return Ok(Vec::new());
    }
    let mut search = search::Search::new(&base);
    let class_before = DelegationClass::of(&base.delegation);
    let found = search.run();
    let mut out: Vec<Fix> = found
        .into_iter()
        .map(|(edits, added_targets)| {
            let request = search.apply(&edits, &added_targets);
            let steps = how::steps(&edits, &base, &request, &added_targets, accounts);
            Fix {
                edits,
                added_targets,
                request,
                steps,
                class_before,
            }
        })
        .collect();
    out.sort_by_key(Fix::rank); // stable: ties keep the search's order
    Ok(out)
}

/// The fix to recommend: the first, unless it lowers a client protection (then none is).
#[must_use]
pub fn recommended(fixes: &[Fix]) -> Option<&Fix> {
    fixes.get(recommended_index(fixes)?)
}

/// The position of the fix to recommend in `fixes` (ranked as [`fixes`] ranks them): what
/// the fix answer's `recommended` field says, so no renderer decides it again.
#[must_use]
pub fn recommended_index(fixes: &[Fix]) -> Option<usize> {
    fixes.first().filter(|f| !f.lowers_security()).map(|_| 0)
}
