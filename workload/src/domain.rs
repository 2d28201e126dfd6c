//! A seeded synthetic Active Directory domain, written as a BloodHound collection in
//! SharpHound's spelling (timestamped file names, `meta` after `data`, `isdc`, the top-level
//! `UnconstrainedDelegation`, `gmsa`, `collectorversion`) — a collection the
//! directory reader was not written against — together with its ground truth, so a test can
//! fill requests by hand from the truth and compare.
//!
//! The truth is kept as the generator made it (who is sensitive, who sits in a group nested
//! into Protected Users, which SPNs an account may delegate to), never read back from the
//! JSON.

use onbehalf_core::json::Value;

use crate::Rng;

/// The domain's DNS name.
pub const DOMAIN: &str = "SCALE.TEST";
/// The domain's SID.
pub const DOMAIN_SID: &str = "S-1-5-21-1000-2000-3000";

/// What an account is, as the generator made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    /// objectSid.
    pub sid: String,
    /// sAMAccountName.
    pub sam: String,
    /// A computer (else a user or gMSA).
    pub computer: bool,
    /// Registered SPNs.
    pub spns: Vec<String>,
    /// TRUSTED_FOR_DELEGATION.
    pub unconstrained: bool,
    /// TRUSTED_TO_AUTH_FOR_DELEGATION.
    pub protocol_transition: bool,
    /// msDS-AllowedToDelegateTo.
    pub allowed_to_delegate_to: Vec<String>,
    /// SIDs msDS-AllowedToActOnBehalfOfOtherIdentity admits.
    pub allowed_to_act: Vec<String>,
    /// NOT_DELEGATED.
    pub sensitive: bool,
    /// Placed (directly or through nested groups) in Protected Users.
    pub protected: bool,
    /// A domain controller.
    pub dc: bool,
}

/// A generated collection: its files (name, JSON text) and the truth of every account.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// `(file name, text)`: users, computers, groups, domains.
    pub files: Vec<(String, String)>,
    /// Every account, in file order (users first).
    pub accounts: Vec<Truth>,
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn obj(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|i| s(i)).collect())
}

fn refs(sids: &[String], kind: &str) -> Value {
    Value::Array(
        sids.iter()
            .map(|sid| obj(vec![("ObjectIdentifier", s(sid)), ("ObjectType", s(kind))]))
            .collect(),
    )
}

fn rid(n: usize) -> String {
    format!("{DOMAIN_SID}-{n}")
}

/// A file of `kind` in SharpHound's shape: `data`, then `meta`.
fn file(kind: &str, data: Vec<Value>) -> (String, String) {
    let count = data.len();
    let body = obj(vec![
        ("data", Value::Array(data)),
        (
            "meta",
            obj(vec![
                ("methods", Value::Number("46067".into())),
                ("type", s(kind)),
                ("count", Value::Number(count.to_string())),
                ("version", Value::Number("6".into())),
                ("collectorversion", s("2.6.0.0")),
            ]),
        ),
    ]);
    (format!("20261204120000_{kind}.json"), body.to_json())
}

fn account_json(t: &Truth, primary: &str) -> Value {
    let bool_ = Value::Bool;
    // BloodHound names users NAME@DOMAIN and computers by their DNS host name.
    let short = t.sam.trim_end_matches('$').to_uppercase();
    let name = if t.computer {
        format!("{short}.{DOMAIN}")
    } else {
        format!("{short}@{DOMAIN}")
    };
    let mut props = vec![
        ("name", s(&name)),
        ("domain", s(DOMAIN)),
        ("domainsid", s(DOMAIN_SID)),
        ("samaccountname", s(&t.sam)),
        ("enabled", bool_(true)),
        ("trustedtoauth", bool_(t.protocol_transition)),
        ("serviceprincipalnames", strings(&t.spns)),
    ];
    if t.computer {
        props.push(("isdc", bool_(t.dc)));
    } else {
        props.push(("sensitive", bool_(t.sensitive)));
        props.push(("gmsa", bool_(false)));
    }
    if !t.allowed_to_delegate_to.is_empty() {
        props.push(("allowedtodelegate", strings(&t.allowed_to_delegate_to)));
    }
    let mut fields = vec![
        ("ObjectIdentifier", s(&t.sid)),
        ("PrimaryGroupSID", s(primary)),
        ("Properties", obj(props)),
        // SharpHound ≥ 2.5.8 writes the flag at the top level only.
        ("UnconstrainedDelegation", bool_(t.unconstrained)),
        ("DomainSID", s(DOMAIN_SID)),
        ("AllowedToDelegate", Value::Array(Vec::new())),
        ("Aces", Value::Array(Vec::new())),
    ];
    if t.computer {
        fields.push(("AllowedToAct", refs(&t.allowed_to_act, "User")));
        fields.push(("IsDC", bool_(t.dc)));
    }
    obj(fields)
}

/// A domain of about `accounts` accounts with about `delegations` delegation entries
/// (unconstrained, KCD targets, resource-based admissions), from `seed`.
#[must_use]
pub fn generate(seed: u64, accounts: usize, delegations: usize) -> Synthetic {
    let mut rng = Rng(seed);
    let computers = (accounts / 5).max(4);
    let services = (delegations / 2).max(4);
    let users = accounts.saturating_sub(computers + services).max(4);
    let mut next_rid = 2000;
    let mut fresh = || {
        next_rid += 1;
        rid(next_rid)
    };
    let mut hosts: Vec<Truth> = (0..computers)
        .map(|i| {
            let name = format!("srv{i}");
            let dc = i < 2;
            let fqdn = format!("{name}.scale.test");
            // Half register cifs/ themselves; the rest only host/, which cifs maps to.
            let mut spns = vec![
                format!("HOST/{fqdn}"),
                format!("HOST/{}", name.to_uppercase()),
            ];
            if dc {
                spns.push(format!("ldap/{fqdn}"));
            } else if i % 2 == 0 {
                spns.push(format!("cifs/{fqdn}"));
            }
            Truth {
                sid: fresh(),
                sam: format!("{}$", name.to_uppercase()),
                computer: true,
                spns,
                unconstrained: dc || rng.chance(2),
                protocol_transition: false,
                allowed_to_delegate_to: Vec::new(),
                allowed_to_act: Vec::new(),
                sensitive: false,
                protected: false,
                dc,
            }
        })
        .collect();
    let target_spns: Vec<String> = hosts
        .iter()
        .filter(|h| !h.dc)
        .map(|h| {
            format!(
                "cifs/{}.scale.test",
                h.sam.trim_end_matches('$').to_lowercase()
            )
        })
        .collect();
    let mut service_list: Vec<Truth> = (0..services)
        .map(|i| {
            let kind = rng.below(4);
            let a2d: Vec<String> = if kind >= 2 {
                (0..1 + rng.below(3))
                    .filter_map(|_| target_spns.get(rng.below(target_spns.len())).cloned())
                    .collect()
            } else {
                Vec::new()
            };
            let mut a2d_unique = Vec::new();
            for t in a2d {
                if !a2d_unique.contains(&t) {
                    a2d_unique.push(t);
                }
            }
            Truth {
                sid: fresh(),
                sam: format!("svc{i}"),
                computer: false,
                spns: vec![format!("http/svc{i}.scale.test")],
                unconstrained: kind == 1,
                protocol_transition: kind == 3,
                allowed_to_delegate_to: a2d_unique,
                allowed_to_act: Vec::new(),
                sensitive: false,
                protected: false,
                dc: false,
            }
        })
        .collect();
    // Resource-based admissions on non-DC hosts.
    for _ in 0..delegations / 4 {
        let h = 2 + rng.below(computers - 2);
        let Some(svc) = service_list
            .get(rng.below(service_list.len()))
            .map(|t| t.sid.clone())
        else {
            continue;
        };
        if let Some(host) = hosts.get_mut(h) {
            if !host.allowed_to_act.contains(&svc) {
                host.allowed_to_act.push(svc);
            }
        }
    }
    // Users: some sensitive, some in a group nested two deep into Protected Users.
    let (outer, inner) = (fresh(), fresh());
    let mut protected_members = Vec::new();
    let people: Vec<Truth> = (0..users)
        .map(|i| {
            let sid = fresh();
            let protected = rng.chance(10);
            if protected {
                protected_members.push(sid.clone());
            }
            Truth {
                sid,
                sam: format!("user{i}"),
                computer: false,
                spns: Vec::new(),
                unconstrained: false,
                protocol_transition: false,
                allowed_to_delegate_to: Vec::new(),
                allowed_to_act: Vec::new(),
                sensitive: rng.chance(10),
                protected,
                dc: false,
            }
        })
        .collect();
    service_list.extend(people);
    let user_data: Vec<Value> = service_list
        .iter()
        .map(|t| account_json(t, &rid(513)))
        .collect();
    let computer_data: Vec<Value> = hosts
        .iter()
        .map(|t| account_json(t, &rid(if t.dc { 516 } else { 515 })))
        .collect();
    let group = |sid: &str, name: &str, members: Value| {
        obj(vec![
            ("ObjectIdentifier", s(sid)),
            (
                "Properties",
                obj(vec![
                    ("name", s(&format!("{name}@{DOMAIN}"))),
                    ("domain", s(DOMAIN)),
                ]),
            ),
            ("Members", members),
        ])
    };
    let groups = vec![
        group(
            &rid(525),
            "PROTECTED USERS",
            refs(std::slice::from_ref(&outer), "Group"),
        ),
        group(
            &outer,
            "TIER0 STAFF",
            refs(std::slice::from_ref(&inner), "Group"),
        ),
        group(&inner, "TIER0 OPERATORS", refs(&protected_members, "User")),
        group(&rid(512), "DOMAIN ADMINS", Value::Array(Vec::new())),
        group(&rid(516), "DOMAIN CONTROLLERS", Value::Array(Vec::new())),
    ];
    let domain = obj(vec![
        ("ObjectIdentifier", s(DOMAIN_SID)),
        (
            "Properties",
            obj(vec![("name", s(DOMAIN)), ("domain", s(DOMAIN))]),
        ),
        ("Trusts", Value::Array(Vec::new())),
    ]);
    let mut accounts = service_list;
    accounts.extend(hosts);
    Synthetic {
        files: vec![
            file("users", user_data),
            file("computers", computer_data),
            file("groups", groups),
            file("domains", vec![domain]),
        ],
        accounts,
    }
}
