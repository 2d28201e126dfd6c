//! `onbehalf audit`: every delegation risk of a directory, each finding with a stable code, a
//! severity, the accounts, the evidence (properties with their source) and the decision of a
//! request that shows the reach it grants — filled from the same facts by [`crate::check`].
//!
//! | code | severity | what |
//! |---|---|---|
//! | `unconstrained-delegation` | high | `TRUSTED_FOR_DELEGATION` on an account that is not a DC: every Kerberos client's TGT, any service, any number of hops (PingCastle `P-UnconstrainedDelegation`, BloodHound `CoerceToTGT`) |
//! | `constrained-protocol-transition` | high; critical to a DC | KCD with `TRUSTED_TO_AUTH_FOR_DELEGATION`: any user's identity to the listed SPNs without that user authenticating (`P-DelegationDCt2a4d`) |
//! | `constrained-delegation` | medium; high to a DC | Kerberos-only KCD (`P-DelegationDCa2d2`, BloodHound `AllowedToDelegate`) |
//! | `resource-based-delegation` | medium; critical on a DC | an account's msDS-AllowedToActOnBehalfOfOtherIdentity admits another (`P-DelegationDCsourcedeleg`, BloodHound `AllowedToAct`) |
//! | `privileged-account-delegable` | high | a Domain Admins / Enterprise Admins / Administrators member neither sensitive nor in Protected Users (`P-Delegated`, `P-ProtectedUsers`) |
//! | `delegation-target-unregistered` | medium | a KCD target SPN no account registers (a typo, or a name an attacker can register) |
//! | `duplicate-spn` | medium | one SPN on several accounts: the KDC cannot choose |

use onbehalf_core::json::{OwnedHop, OwnedRequest, Value};
use onbehalf_core::{AuthService, RequestedLevel, ServerTrust};

use crate::check::{fill_typed, CLIENT_ACCOUNT, SERVER_ACCOUNT};
use crate::facts::Fact;
use crate::model::Account;
use crate::Directory;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing.
    Medium,
    /// An identity travels further than most reviews assume.
    High,
    /// A path to the domain controllers.
    Critical,
}

impl Severity {
    /// The wire name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One piece of evidence: a property of an object of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The account or group (`CONTOSO.TEST\svcweb`).
    pub object: String,
    /// The file and JSON path.
    pub source: String,
    /// The property.
    pub property: String,
    /// Its value.
    pub value: Value,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable code (module table).
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What it means, in one sentence naming the accounts.
    pub summary: String,
    /// The accounts concerned (`DOMAIN\sam`), the acting one first.
    pub accounts: Vec<String>,
    /// The acting account's SID and the target's (for graph edges), when there are two.
    pub sids: (String, Option<String>),
    /// The properties it rests on.
    pub evidence: Vec<Evidence>,
    /// A named request that shows the reach, and its `onbehalf check` answer.
    pub demonstration: Option<(Value, Value)>,
}

fn name(a: &Account) -> String {
    format!("{}\\{}", a.domain, a.sam_account_name)
}

fn evidence(dir: &Directory, a: &Account, fact: Fact, value: Value) -> Evidence {
    Evidence {
        object: name(a),
        source: format!("{} {}", a.origin.file, a.origin.path),
        property: fact.property(dir).to_owned(),
        value,
    }
}

fn json_list(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

/// A request at `level` with `auth` and hops to `targets` (every other field at its
/// default), the named accounts filled in: the named request and its `onbehalf check`
/// answer.
fn demo(
    dir: &Directory,
    (level, auth): (RequestedLevel, AuthService),
    (client, server): (Option<&Account>, Option<&Account>),
    server_trust: Option<ServerTrust>,
    targets: &[&str],
) -> Option<(Value, Value)> {
    let mut request = OwnedRequest::blank();
    request.level = level;
    request.auth = auth;
    if let Some(trust) = server_trust {
        request.delegation.server_trust = trust;
    }
    request.hops = targets
        .iter()
        .map(|t| OwnedHop {
            target: (*t).to_owned(),
            ..OwnedHop::blank()
        })
        .collect();
    // The named request as a person would type it: only what differs from the defaults.
    let mut named = match minimal(&request.to_value(), &OwnedRequest::blank().to_value()) {
        Some(Value::Object(fields)) => fields,
        _ => Vec::new(),
    };
    let names = [(SERVER_ACCOUNT, server), (CLIENT_ACCOUNT, client)];
    for (key, account) in names {
        if let Some(a) = account {
            named.insert(0, (key.to_owned(), Value::String(short_name(dir, a))));
        }
    }
    let answer = fill_typed(dir, request, client, server, &|_| false)
        .map_or_else(|e| e.to_value(), |f| f.answer());
    Some((Value::Object(named), answer))
}

/// `value` without what equals `blank` (recursively through objects); `None` when nothing
/// differs. The required level always differs from the blank's (it has none).
fn minimal(value: &Value, blank: &Value) -> Option<Value> {
    match (value, blank) {
        (Value::Object(fields), Value::Object(_)) => {
            let kept: Vec<(String, Value)> = fields
                .iter()
                .filter_map(|(k, v)| match blank.get(k) {
                    Some(b) => minimal(v, b).map(|m| (k.clone(), m)),
                    None => Some((k.clone(), v.clone())),
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        (Value::Array(items), _) => {
            let blank_item = OwnedHop::blank().to_value();
            let items = items
                .iter()
                .map(|i| minimal(i, &blank_item).unwrap_or_else(|| i.clone()))
                .collect();
            (value != blank).then_some(Value::Array(items))
        }
        _ => (value != blank).then(|| value.clone()),
    }
}

/// The account's sAMAccountName when that names it alone, else its SID.
fn short_name(dir: &Directory, a: &Account) -> String {
    match dir.account(&a.sam_account_name) {
        Ok(found) if found.sid == a.sid => a.sam_account_name.clone(),
        _ => a.sid.clone(),
    }
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// An SPN of a domain controller (its LDAP service), the target that makes a reach critical.
fn dc_spn(dir: &Directory) -> Option<&str> {
    dir.accounts
        .iter()
        .filter(|a| a.enabled && dir.is_dc(a))
        .flat_map(|a| &a.service_principal_names)
        .find(|spn| spn.to_ascii_lowercase().starts_with("ldap/") && spn.matches('/').count() == 1)
        .map(String::as_str)
}

/// Whether `spn` runs as a domain controller.
fn on_dc(dir: &Directory, spn: &str) -> bool {
    dir.spn_account(spn).is_ok_and(|a| dir.is_dc(a))
}

/// Every finding of `dir`, most severe first, then in directory order; `progress` is called
/// with (accounts done, accounts in all) every 1,000 accounts.
pub fn audit(dir: &Directory, mut progress: impl FnMut(usize, usize)) -> Vec<Finding> {
    let mut out = Vec::new();
    let total = dir.accounts.len();
    // The DC service the demonstrations call, found once.
    let dc = dc_spn(dir);
    for (i, a) in dir.accounts.iter().enumerate() {
        if i % 1000 == 999 {
            progress(i + 1, total);
        }
        unconstrained(dir, a, dc, &mut out);
        constrained(dir, a, &mut out);
        resource_based(dir, a, &mut out);
        privileged(dir, a, dc, &mut out);
    }
    progress(total, total);
    let mut duplicates: Vec<_> = dir.duplicate_spns().into_iter().collect();
    duplicates.sort();
    for (spn, sids) in duplicates {
        let accounts: Vec<&Account> = sids.iter().filter_map(|sid| dir.by_sid(sid)).collect();
        out.push(Finding {
            code: "duplicate-spn",
            severity: Severity::Medium,
            summary: format!(
                "the SPN {spn} is registered on {} accounts: the KDC cannot choose, so Kerberos to it fails (KRB_AP_ERR_MODIFIED or a ticket for the wrong account)",
                accounts.len()
            ),
            accounts: accounts.iter().map(|a| name(a)).collect(),
            sids: (sids.first().map(|s| (*s).to_owned()).unwrap_or_default(), None),
            evidence: accounts
                .iter()
                .map(|a| Evidence {
                    object: name(a),
                    source: format!("{} {}", a.origin.file, a.origin.path),
                    property: Fact::ServicePrincipalNames.property(dir).into(),
                    value: s(&spn),
                })
                .collect(),
            demonstration: None,
        });
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

fn unconstrained(dir: &Directory, a: &Account, dc: Option<&str>, out: &mut Vec<Finding>) {
    // A writable DC is unconstrained by design; a read-only DC is not.
    if !a.trusted_for_delegation || dir.is_writable_dc(a) {
        return;
    }
    let target = dc;
    let demonstration = target.and_then(|t| {
        let how = (RequestedLevel::Delegation, AuthService::Kerberos);
        demo(dir, how, (None, Some(a)), None, &[t, t])
    });
    out.push(Finding {
        code: "unconstrained-delegation",
        severity: Severity::High,
        summary: format!(
            "{} is trusted for unconstrained delegation: every Kerberos client that calls it at delegate level hands it a TGT usable for any service, hop after hop (a domain controller included)",
            name(a)
        ),
        accounts: vec![name(a)],
        sids: (a.sid.clone(), None),
        evidence: vec![evidence(dir, a, Fact::TrustedForDelegation, Value::Bool(true))],
        demonstration,
    });
}

fn constrained(dir: &Directory, a: &Account, out: &mut Vec<Finding>) {
    if a.allowed_to_delegate_to.is_empty() {
        return;
    }
    for spn in &a.allowed_to_delegate_to {
        if let Err(e) = dir.spn_account(spn) {
            out.push(Finding {
                code: "delegation-target-unregistered",
                severity: Severity::Medium,
                summary: format!("{} may delegate to {spn}, which {}", name(a), e.message),
                accounts: vec![name(a)],
                sids: (a.sid.clone(), None),
                evidence: vec![evidence(
                    dir,
                    a,
                    Fact::AllowedToDelegateTo,
                    json_list(&a.allowed_to_delegate_to),
                )],
                demonstration: None,
            });
        }
    }
    let to_dc = a.allowed_to_delegate_to.iter().any(|t| on_dc(dir, t));
    let pt = a.trusted_to_auth_for_delegation;
    let (code, severity) = match (pt, to_dc) {
        (true, true) => ("constrained-protocol-transition", Severity::Critical),
        (true, false) => ("constrained-protocol-transition", Severity::High),
        (false, true) => ("constrained-delegation", Severity::High),
        (false, false) => ("constrained-delegation", Severity::Medium),
    };
    let target = a
        .allowed_to_delegate_to
        .iter()
        .find(|t| on_dc(dir, t))
        .or_else(|| {
            a.allowed_to_delegate_to
                .iter()
                .find(|t| dir.spn_account(t).is_ok())
        });
    // With protocol transition the client need not use Kerberos at all: NTLM shows it.
    let auth = if pt {
        AuthService::Ntlm
    } else {
        AuthService::Kerberos
    };
    let demonstration = target.and_then(|t| {
        demo(
            dir,
            (RequestedLevel::Impersonation, auth),
            (None, Some(a)),
            None,
            &[t],
        )
    });
    let mut evidence_list = vec![evidence(
        dir,
        a,
        Fact::AllowedToDelegateTo,
        json_list(&a.allowed_to_delegate_to),
    )];
    evidence_list.push(evidence(
        dir,
        a,
        Fact::TrustedToAuthForDelegation,
        Value::Bool(pt),
    ));
    let how = if pt {
        "any user's identity, without that user authenticating to it (protocol transition),"
    } else {
        "the identity of clients that authenticated to it with Kerberos"
    };
    out.push(Finding {
        code,
        severity,
        summary: format!(
            "{} may present {how} to {}{}",
            name(a),
            a.allowed_to_delegate_to.join(", "),
            if to_dc {
                " — a domain controller's service"
            } else {
                ""
            }
        ),
        accounts: vec![name(a)],
        sids: (
            a.sid.clone(),
            target
                .and_then(|t| dir.spn_account(t).ok())
                .map(|t| t.sid.clone()),
        ),
        evidence: evidence_list,
        demonstration,
    });
}

fn resource_based(dir: &Directory, target: &Account, out: &mut Vec<Finding>) {
    for sid in &target.allowed_to_act {
        let actor = dir.by_sid(sid);
        // The admitted principal may be a group (its members all act).
        let actor_name = actor
            .map(name)
            .or_else(|| dir.group(sid).map(|g| g.name.clone()))
            .unwrap_or_else(|| sid.clone());
        let dc = dir.is_dc(target);
        let spn = target.service_principal_names.first();
        let demonstration = match (actor, spn) {
            (Some(actor), Some(spn)) => {
                let how = (RequestedLevel::Impersonation, AuthService::Ntlm);
                demo(dir, how, (None, Some(actor)), None, &[spn])
            }
            _ => None,
        };
        out.push(Finding {
            code: "resource-based-delegation",
            severity: if dc { Severity::Critical } else { Severity::Medium },
            summary: format!(
                "{} admits {actor_name} for resource-based delegation: {actor_name} may present any user's identity (protocol transition is always allowed) to every service of {}{}",
                name(target),
                name(target),
                if dc { ", a domain controller" } else { "" }
            ),
            accounts: vec![actor_name, name(target)],
            sids: (sid.clone(), Some(target.sid.clone())),
            evidence: vec![evidence(dir, target, Fact::AllowedToAct, json_list(&target.allowed_to_act))],
            demonstration,
        });
    }
}

fn privileged(dir: &Directory, a: &Account, dc: Option<&str>, out: &mut Vec<Finding>) {
    if a.kind != crate::Kind::User || !a.enabled {
        return;
    }
    let groups = dir.privileged_groups(a);
    if groups.is_empty() || a.not_delegated == Some(true) || dir.is_protected_user(a) {
        return;
    }
    let demonstration = dc.and_then(|t| {
        let how = (RequestedLevel::Delegation, AuthService::Kerberos);
        demo(
            dir,
            how,
            (Some(a), None),
            Some(ServerTrust::Unconstrained),
            &[t],
        )
    });
    out.push(Finding {
        code: "privileged-account-delegable",
        severity: Severity::High,
        summary: format!(
            "{} is in {} but neither sensitive (NOT_DELEGATED) nor in Protected Users: any server trusted for delegation it calls can act as it",
            name(a),
            groups.join(", ")
        ),
        accounts: vec![name(a)],
        sids: (a.sid.clone(), None),
        evidence: vec![
            evidence(dir, a, Fact::NotDelegated, a.not_delegated.map_or(Value::Null, Value::Bool)),
            evidence(dir, a, Fact::Members, json_list(&groups)),
        ],
        demonstration,
    });
}
