//! The search: every lever the request leaves open is tried alone, then in pairs (only levers
//! that do not work alone, so every pair is lever-minimal); each variation is decided by the
//! engine itself. What works is then made minimal — the fewest added targets, then the
//! smallest set of its levers that still works (the delegation trust with its targets is one
//! lever, kept whole) — and deduplicated.
//!
//! Deterministic: a fixed enumeration order, no hashing. Bounded: with `m` moves (at most
//! 3 + 1 + 3 + 4 + 4 + 3 × 16 + 4 = 67, for 16 hops) the search decides at most `m + m(m−1)/2`
//! variations, plus, per fix found, one per added target and one per subset of its at most
//! four edits. A hop lever is paired only with a lever after which every earlier hop arrives
//! as the client (it cannot change an earlier hop).

use alloc::string::String;
use alloc::vec::Vec;

use super::edit::Edit;
use crate::auth::AuthService;
use crate::delegation::ServerTrust;
use crate::json::OwnedRequest;
use crate::level::{Level, RequestedLevel};
use crate::transport::Transport;

/// The allowed target a fix names when the request has no hop to name: KCD and RBCD are per
/// target, and a hop-free request does not say which service the server calls.
pub const PLACEHOLDER_TARGET: &str = "<SPN of the service the server calls>";

/// The client authentication services a fix may switch to, most preferred first (Kerberos
/// delegates; switching authentication off is never offered).
const AUTH_PREFERENCE: [AuthService; 4] = [
    AuthService::Kerberos,
    AuthService::Negotiate,
    AuthService::Ntlm,
    AuthService::Schannel,
];

/// A hop's: Schannel and no authentication never carry the client onward (§6 rows 4–5).
const HOP_AUTH_PREFERENCE: [AuthService; 3] = [
    AuthService::Kerberos,
    AuthService::Negotiate,
    AuthService::Ntlm,
];

/// What a variation decides, as far as the goal is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// The effective level is at least the one asked for and every hop arrives as the client.
    pub meets: bool,
    /// How many leading hops arrive as the client.
    pub reached: usize,
}

/// The level a hop-free request asks for (`default` means identification, §5 step 2).
pub(crate) fn wanted(request: &OwnedRequest) -> Level {
    request.level.level().unwrap_or(Level::Identification)
}

/// Decides `request` against the goal; `None` if it is not a valid request.
///
/// The goal (module docs): a request with hops asks that every hop arrive as the client —
/// the identity travelling is what the person wants, whatever level the server's token is
/// reported at (a local server's one network hop needs no delegation level, spec §6); a
/// hop-free request asks for its level.
pub(crate) fn outcome(request: &OwnedRequest, want: Level) -> Option<Outcome> {
    let decision = crate::decide(request).ok()?;
    let reached = decision.hops().iter().take_while(|h| h.allowed()).count();
    let meets = if request.hops.is_empty() {
        decision.effective >= want
    } else {
        reached == request.hops.len()
    };
    Some(Outcome { meets, reached })
}

/// A fix before it is ranked: its edits (sorted) and the targets it adds.
pub(crate) type Found = (Vec<Edit>, Vec<String>);

pub(crate) struct Search<'r> {
    base: &'r OwnedRequest,
    /// The request every variation is decided in: edits are applied, decided, then restored.
    scratch: OwnedRequest,
    want: Level,
    /// Targets a fix may add: the hop targets not yet listed, or the placeholder.
    added: Vec<String>,
}

impl<'r> Search<'r> {
    pub fn new(base: &'r OwnedRequest) -> Search<'r> {
        let mut added: Vec<String> = Vec::new();
        for hop in &base.hops {
            let listed = base.delegation.allows_target(&hop.target)
                || added.iter().any(|a| a.eq_ignore_ascii_case(&hop.target));
            if !listed {
                added.push(hop.target.clone());
            }
        }
        if base.hops.is_empty() && !base.delegation.has_allowed_targets() {
            added.push(PLACEHOLDER_TARGET.into());
        }
        Search {
            base,
            scratch: base.clone(),
            want: wanted(base),
            added,
        }
    }

    /// The request with `edits` applied (`targets`: what `AllowedTargets` appends).
    pub fn apply(&self, edits: &[Edit], targets: &[String]) -> OwnedRequest {
        let mut request = self.base.clone();
        for edit in edits {
            edit.apply(&mut request, targets);
        }
        request
    }

    fn evaluate(&mut self, edits: &[Edit], targets: &[String]) -> Option<Outcome> {
        for edit in edits {
            edit.apply(&mut self.scratch, targets);
        }
        let result = outcome(&self.scratch, self.want);
        for edit in edits {
            edit.restore(&mut self.scratch, self.base);
        }
        result
    }

    fn works(&mut self, edits: &[Edit], targets: &[String]) -> bool {
        self.evaluate(edits, targets).is_some_and(|o| o.meets)
    }

    /// Every lever the request leaves open, each way it can be used, in preference order.
    fn moves(&self) -> Vec<Vec<Edit>> {
        let r = self.base;
        let d = &r.delegation;
        let mut out: Vec<Vec<Edit>> = Vec::new();
        for trust in [
            ServerTrust::Constrained,
            ServerTrust::ResourceBased,
            ServerTrust::Unconstrained,
        ] {
            let change = (trust != d.server_trust).then_some(Edit::ServerTrust(trust));
            let add = (trust != ServerTrust::Unconstrained && !self.added.is_empty())
                .then_some(Edit::AllowedTargets);
            let edits: Vec<Edit> = change.into_iter().chain(add).collect();
            if !edits.is_empty() {
                out.push(edits);
            }
        }
        let mut one = |open: bool, edit: Edit| {
            if open {
                out.push(alloc::vec![edit]);
            }
        };
        one(!d.protocol_transition, Edit::ProtocolTransition);
        for level in [RequestedLevel::Impersonation, RequestedLevel::Delegation] {
            one(level.level() > Some(self.want), Edit::Level(level));
        }
        for auth in AUTH_PREFERENCE {
            one(auth != r.auth, Edit::Auth(auth));
        }
        for transport in Transport::ALL {
            one(*transport != r.transport, Edit::Transport(*transport));
        }
        for (i, hop) in r.hops.iter().enumerate() {
            let i = u8::try_from(i).unwrap_or(u8::MAX);
            for auth in HOP_AUTH_PREFERENCE {
                one(auth != hop.auth, Edit::HopAuth(i, auth));
            }
        }
        one(!r.kerberos_available, Edit::KerberosAvailable);
        one(!r.server_can_impersonate, Edit::ServerCanImpersonate);
        one(d.client_sensitive, Edit::ClientSensitive);
        one(d.client_protected_user, Edit::ClientProtectedUser);
        one(d.client_credential_guard, Edit::ClientCredentialGuard);
        out
    }

    /// Every minimal fix of one or two levers, deduplicated, in enumeration order.
    pub fn run(&mut self) -> Vec<Found> {
        let moves = self.moves();
        let all = self.added.clone();
        let singles: Vec<Option<Outcome>> = moves.iter().map(|m| self.evaluate(m, &all)).collect();
        let mut candidates: Vec<Vec<Edit>> = Vec::new();
        let mut usable: Vec<(&Vec<Edit>, Outcome)> = Vec::new();
        for (m, single) in moves.iter().zip(&singles) {
            match single {
                Some(o) if o.meets => candidates.push(m.clone()),
                Some(o) => usable.push((m, *o)),
                None => {}
            }
        }
        for (n, (a, oa)) in usable.iter().enumerate() {
            for (b, ob) in usable.iter().skip(n + 1) {
                let (Some(ea), Some(eb)) = (a.first(), b.first()) else {
                    continue;
                };
                if ea.lever() == eb.lever() || !may_matter(b, oa) || !may_matter(a, ob) {
                    continue;
                }
                let mut pair: Vec<Edit> = a.iter().chain(b.iter()).copied().collect();
                pair.sort_unstable();
                if self.works(&pair, &all) {
                    candidates.push(pair);
                }
            }
        }
        let mut found: Vec<Found> = Vec::new();
        for edits in candidates {
            if let Some(fix) = self.minimize(edits) {
                if !found.contains(&fix) {
                    found.push(fix);
                }
            }
        }
        found
    }

    /// Makes one working fix minimal: drops added targets it does not need, then keeps the
    /// first smallest set of its levers that still works. A lever's value is kept whole: the
    /// delegation trust with its targets is one change, so "constrained with these targets"
    /// is not made into "the current trust with these targets" (another fix, found on its
    /// own when it works).
    fn minimize(&mut self, mut edits: Vec<Edit>) -> Option<Found> {
        let mut targets = self.added.clone();
        if edits.contains(&Edit::AllowedTargets) {
            let mut i = 0;
            while i < targets.len() {
                let mut fewer = targets.clone();
                fewer.remove(i);
                if self.works(&edits, &fewer) {
                    targets = fewer;
                } else {
                    i += 1;
                }
            }
            if targets.is_empty() {
                // The trust works with the targets already listed: appending none is no edit.
                edits.retain(|e| *e != Edit::AllowedTargets);
            }
        }
        let edits = self.smallest_working_levers(&edits, &targets)?;
        if !edits.contains(&Edit::AllowedTargets) {
            targets.clear();
        }
        Some((edits, targets))
    }

    /// The first set of `edits`' levers (by size, then enumeration order) that works, each
    /// lever with all of its edits, so that no proper set of them works; `None` if not even
    /// all of them work.
    fn smallest_working_levers(&mut self, edits: &[Edit], targets: &[String]) -> Option<Vec<Edit>> {
        let mut levers: Vec<Edit> = edits.iter().map(|e| e.lever()).collect();
        levers.dedup();
        let n = u32::try_from(levers.len()).ok().filter(|n| *n < 16)?;
        let mut masks: Vec<u32> = (1..1u32 << n).collect();
        masks.sort_by_key(|mask| (mask.count_ones(), *mask));
        masks.into_iter().find_map(|mask| {
            let chosen: Vec<Edit> = levers
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> i & 1 == 1)
                .map(|(_, l)| *l)
                .collect();
            let subset: Vec<Edit> = edits
                .iter()
                .filter(|e| chosen.contains(&e.lever()))
                .copied()
                .collect();
            self.works(&subset, targets).then_some(subset)
        })
    }
}

/// A hop move on hop `h` cannot change an earlier hop: it matters only if, with the other
/// move applied, every hop before `h` arrives as the client.
fn may_matter(edits: &[Edit], other: &Outcome) -> bool {
    edits
        .iter()
        .filter_map(|e| e.hop())
        .all(|h| usize::from(h) <= other.reached)
}
