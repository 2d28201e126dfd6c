//! An executable definition of "minimal": a brute-force enumerator, written without the
//! search (plain loops over each lever's values, one change, then two), lists every fix of at
//! most two changes that works and has no working proper part. On sampled failing requests
//! over the whole space (hops, realms and forest trusts) the search must return exactly that
//! set, ranked so that no fix granting delegation or lowering a protection comes before one
//! that does neither.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use onbehalf_core::fix::{fixes, DelegationClass, PLACEHOLDER_TARGET};
use onbehalf_core::json::{OwnedRequest, Value};
use onbehalf_core::{AuthService, Level, RequestedLevel, ServerTrust, Transport};
use onbehalf_workload::sample::{request as sample, Space};
use onbehalf_workload::Rng;

/// The goal: with hops, every hop arrives as the client; without, the level asked for.
fn works(r: &OwnedRequest) -> bool {
    let Ok(d) = onbehalf_core::decide(r) else {
        return false;
    };
    if r.hops.is_empty() {
        d.effective >= r.level.level().unwrap_or(Level::Identification)
    } else {
        d.hops().iter().all(|h| h.allowed())
    }
}

/// One lever set to one value. `Trust(t, added)`: the delegation trust `t` with `added`
/// appended to the allowed targets (the trust and its list are configured together).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    Trust(u8, Vec<String>),
    ProtocolTransition,
    Level(u8),
    Auth(u8),
    Transport(u8),
    HopAuth(usize, u8),
    KerberosAvailable,
    ServerCanImpersonate,
    NotSensitive,
    NotProtected,
    NoCredentialGuard,
}

const TRUSTS: [ServerTrust; 3] = [
    ServerTrust::Constrained,
    ServerTrust::ResourceBased,
    ServerTrust::Unconstrained,
];
const AUTHS: [AuthService; 4] = [
    AuthService::Kerberos,
    AuthService::Negotiate,
    AuthService::Ntlm,
    AuthService::Schannel,
];
const LEVELS: [RequestedLevel; 2] = [RequestedLevel::Impersonation, RequestedLevel::Delegation];

impl Change {
    /// Which lever it sets (two changes of one lever are not a fix of two levers).
    fn lever(&self) -> (u8, usize) {
        match self {
            Change::Trust(..) => (0, 0),
            Change::ProtocolTransition => (1, 0),
            Change::Level(_) => (2, 0),
            Change::Auth(_) => (3, 0),
            Change::Transport(_) => (4, 0),
            Change::HopAuth(i, _) => (5, *i),
            Change::KerberosAvailable => (6, 0),
            Change::ServerCanImpersonate => (7, 0),
            Change::NotSensitive => (8, 0),
            Change::NotProtected => (9, 0),
            Change::NoCredentialGuard => (10, 0),
        }
    }

    fn apply(&self, r: &mut OwnedRequest) {
        let d = &mut r.delegation;
        match self {
            Change::Trust(t, added) => {
                d.server_trust = TRUSTS[usize::from(*t)];
                d.allowed_targets.extend(added.iter().cloned());
            }
            Change::ProtocolTransition => d.protocol_transition = true,
            Change::Level(l) => r.level = LEVELS[usize::from(*l)],
            Change::Auth(a) => r.auth = AUTHS[usize::from(*a)],
            Change::Transport(t) => r.transport = Transport::ALL[usize::from(*t)],
            Change::HopAuth(i, a) => r.hops[*i].auth = AUTHS[usize::from(*a)],
            Change::KerberosAvailable => r.kerberos_available = true,
            Change::ServerCanImpersonate => r.server_can_impersonate = true,
            Change::NotSensitive => d.client_sensitive = false,
            Change::NotProtected => d.client_protected_user = false,
            Change::NoCredentialGuard => d.client_credential_guard = false,
        }
    }

    /// Its proper parts that still change something: a trust change with fewer added targets
    /// (none at all is no change when the trust stays).
    fn parts(&self, base: &OwnedRequest) -> Vec<Change> {
        let Change::Trust(t, added) = self else {
            return Vec::new();
        };
        let same = TRUSTS[usize::from(*t)] == base.delegation.server_trust;
        subsets(added)
            .into_iter()
            .filter(|s| s.len() < added.len() && !(same && s.is_empty()))
            .map(|s| Change::Trust(*t, s))
            .collect()
    }
}

/// Every subset of `items`, in order.
fn subsets(items: &[String]) -> Vec<Vec<String>> {
    (0..1u32 << items.len())
        .map(|mask| {
            items
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> i & 1 == 1)
                .map(|(_, t)| t.clone())
                .collect()
        })
        .collect()
}

/// The targets a fix may add: each hop target not yet listed (case-insensitively, once), or
/// the placeholder for a hop-free request with an empty list.
fn missing(r: &OwnedRequest) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for hop in &r.hops {
        let listed = r
            .delegation
            .allowed_targets
            .iter()
            .chain(&out)
            .any(|t| t.eq_ignore_ascii_case(&hop.target));
        if !listed {
            out.push(hop.target.clone());
        }
    }
    if r.hops.is_empty() && r.delegation.allowed_targets.is_empty() {
        out.push(PLACEHOLDER_TARGET.to_owned());
    }
    out
}

/// Every single change the request leaves open.
fn changes(r: &OwnedRequest) -> Vec<Change> {
    let d = &r.delegation;
    let want = r.level.level().unwrap_or(Level::Identification);
    let mut out = Vec::new();
    for (t, trust) in TRUSTS.iter().enumerate() {
        let targets = if *trust == ServerTrust::Unconstrained {
            Vec::new()
        } else {
            missing(r)
        };
        for added in subsets(&targets) {
            if *trust == d.server_trust && added.is_empty() {
                continue;
            }
            out.push(Change::Trust(t as u8, added));
        }
    }
    if !d.protocol_transition {
        out.push(Change::ProtocolTransition);
    }
    for (l, level) in LEVELS.iter().enumerate() {
        if level.level() > Some(want) {
            out.push(Change::Level(l as u8));
        }
    }
    for (a, auth) in AUTHS.iter().enumerate() {
        if *auth != r.auth {
            out.push(Change::Auth(a as u8));
        }
    }
    for (t, transport) in Transport::ALL.iter().enumerate() {
        if *transport != r.transport {
            out.push(Change::Transport(t as u8));
        }
    }
    for (i, hop) in r.hops.iter().enumerate() {
        for (a, auth) in AUTHS.iter().enumerate().take(3) {
            if *auth != hop.auth {
                out.push(Change::HopAuth(i, a as u8));
            }
        }
    }
    let flags = [
        (!r.kerberos_available, Change::KerberosAvailable),
        (!r.server_can_impersonate, Change::ServerCanImpersonate),
        (d.client_sensitive, Change::NotSensitive),
        (d.client_protected_user, Change::NotProtected),
        (d.client_credential_guard, Change::NoCredentialGuard),
    ];
    out.extend(flags.into_iter().filter(|(open, _)| *open).map(|(_, c)| c));
    out
}

fn applied(base: &OwnedRequest, fix: &[Change]) -> OwnedRequest {
    let mut r = base.clone();
    for c in fix {
        c.apply(&mut r);
    }
    r
}

/// Every minimal fix of at most two changes, as the canonical JSON of the fixed request.
fn enumerate(base: &OwnedRequest) -> BTreeSet<String> {
    let one = changes(base);
    let mut candidates: Vec<Vec<Change>> = one.iter().map(|c| vec![c.clone()]).collect();
    for (i, a) in one.iter().enumerate() {
        for b in &one[i + 1..] {
            if a.lever() != b.lever() {
                candidates.push(vec![a.clone(), b.clone()]);
            }
        }
    }
    let works_with = |fix: &[Change]| works(&applied(base, fix));
    candidates
        .into_iter()
        .filter(|fix| works_with(fix))
        .filter(|fix| {
            // No proper part works: each change left out, or a trust change made smaller.
            let dropped = (0..fix.len()).filter(|_| fix.len() > 1).map(|i| {
                let mut rest = fix.clone();
                rest.remove(i);
                rest
            });
            let shrunk = fix.iter().enumerate().flat_map(|(i, c)| {
                c.parts(base).into_iter().map(move |p| {
                    let mut smaller = fix.clone();
                    smaller[i] = p;
                    smaller
                })
            });
            !dropped.chain(shrunk).any(|part| works_with(&part))
        })
        .map(|fix| applied(base, &fix).to_value().to_json())
        .collect()
}

/// Whether a fix grants delegation: a wider class, or the same with more targets or
/// protocol transition on.
fn grants(before: &OwnedRequest, after: &Value) -> bool {
    let after = onbehalf_core::json::request_from_value(after).unwrap();
    let (b, a) = (
        DelegationClass::of(&before.delegation),
        DelegationClass::of(&after.delegation),
    );
    a > b
        || (a == b
            && (after.delegation.allowed_targets.len() > before.delegation.allowed_targets.len()
                || after.delegation.protocol_transition && !before.delegation.protocol_transition))
}

fn compare(base: &OwnedRequest) {
    let found = fixes(base).unwrap();
    let by_search: Vec<String> = found
        .iter()
        .map(|f| f.request.to_value().to_json())
        .collect();
    let set: BTreeSet<String> = by_search.iter().cloned().collect();
    assert_eq!(
        set.len(),
        by_search.len(),
        "duplicates for {}",
        base.to_value()
    );
    let want = enumerate(base);
    assert_eq!(set, want, "search ≠ enumerator for {}", base.to_value());
    // The ranking: nothing that lowers a protection or grants delegation before a fix that
    // does neither.
    let plain: Vec<bool> = found
        .iter()
        .map(|f| !f.lowers_security() && !grants(base, &f.request.to_value()))
        .collect();
    if let Some(last_plain) = plain.iter().rposition(|p| *p) {
        assert!(
            plain[..last_plain].iter().all(|p| *p),
            "a granting or lowering fix ranks first: {}",
            base.to_value()
        );
    }
}

/// The two requests of the issue: the one-change fixes come first.
#[test]
fn a_local_servers_one_network_hop_needs_only_the_clients_authentication() {
    for (text, first) in [
        (
            r#"{"level":"delegate","auth":"schannel","server":"local","delegation":{"server_trust":"resource_based"},"server_realm":"other-forest","hops":[{"target":"MSSQLSvc/db1.contoso.com:1433"}]}"#,
            AuthService::Kerberos,
        ),
        (
            r#"{"level":"delegation","transport":"ncalrpc","auth":"kerberos","server":"local","delegation":{"domain_joined":false,"server_trust":"resource_based"},"hops":[{"target":"cifs/fs1"}]}"#,
            AuthService::Negotiate,
        ),
    ] {
        let request = onbehalf_core::json::parse_request(text).unwrap();
        let found = fixes(&request).unwrap();
        assert!(!found.is_empty(), "{text}");
        assert_eq!(found[0].request.auth, first, "{text}");
        assert_eq!(found[0].edits.len(), 1, "{text}");
        assert!(!found[0].grants_delegation());
        compare(&request);
    }
}

/// 100,000 sampled requests of the whole space that fall short (up to three hops).
#[test]
fn the_search_finds_exactly_the_minimal_fixes_of_the_enumerator() {
    let mut rng = Rng(24);
    let mut checked = 0;
    let goal: usize = std::env::var("ONBEHALF_FIX_SAMPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    while checked < goal {
        let r = sample(&mut rng, Space::All, 3);
        if works(&r) {
            continue;
        }
        compare(&r);
        checked += 1;
    }
}
