//! The live directory (feature `ldap`): Active Directory read over LDAP into the same
//! [`Directory`] model a BloodHound collection fills, each property from the attribute
//! BloodHound itself reads it from. A missing or malformed attribute is `directory-invalid`
//! naming the entry's DN and the attribute; an unreachable or refusing server is
//! `directory-unavailable` (see [`conn`]).

pub mod conn;
pub mod filter;
pub mod sd;

use std::collections::HashMap;

pub use conn::{Entry, Options, Password, Session};
/// The search scope of [`Session::search`].
pub use ldap3::Scope;

use crate::error::{Error, Result};
use crate::model::{Account, Direction, Domain, Group, Kind, Origin, Trust, TrustKind};
use crate::Directory;

/// userAccountControl bits read (MS-ADTS 2.2.16).
mod uac {
    pub const ACCOUNTDISABLE: u32 = 0x2;
    pub const TRUSTED_FOR_DELEGATION: u32 = 0x8_0000;
    pub const NOT_DELEGATED: u32 = 0x10_0000;
    pub const TRUSTED_TO_AUTH_FOR_DELEGATION: u32 = 0x100_0000;
    /// A writable DC's computer account.
    pub const SERVER_TRUST_ACCOUNT: u32 = 0x2000;
    /// A read-only DC's computer account.
    pub const PARTIAL_SECRETS_ACCOUNT: u32 = 0x400_0000;
}

/// The attributes read from each account.
const ACCOUNT_ATTRS: [&str; 11] = [
    "sAMAccountName",
    "objectSid",
    "objectClass",
    "userAccountControl",
    "servicePrincipalName",
    "msDS-AllowedToDelegateTo",
    "msDS-AllowedToActOnBehalfOfOtherIdentity",
    "primaryGroupID",
    "dNSHostName",
    "userPrincipalName",
    "distinguishedName",
];

/// Users, computers and managed service accounts (normal and machine account types).
const ACCOUNTS: &str = "(|(sAMAccountType=805306368)(sAMAccountType=805306369))";

/// Reads the directory `options` point at.
///
/// # Errors
/// `directory-unavailable` when it cannot be reached, read or bound to; `directory-invalid`
/// naming the entry and attribute that is missing or malformed.
pub fn read(options: &Options) -> Result<Directory> {
    let mut session = Session::open(options)?;
    let root = session.search(
        "",
        Scope::Base,
        "(objectClass=*)",
        &["defaultNamingContext"],
    )?;
    let root = root
        .first()
        .ok_or_else(|| conn::unavailable(format!("{}: no RootDSE", options.url)))?;
    // The domain's naming context: its SID, name, groups and trusts are always read whole
    // (a group outside a narrower base would otherwise drop Protected Users members
    // silently); `--base-dn` narrows the accounts only.
    let domain_nc = text(root, "defaultNamingContext")?;
    let base = options.base_dn.clone().unwrap_or_else(|| domain_nc.clone());
    let domain_name = dns_name(&domain_nc);
    let head = session.search(&domain_nc, Scope::Base, "(objectClass=*)", &["objectSid"])?;
    let head = head.first().ok_or_else(|| {
        Error::invalid(format!(
            "{domain_nc}: the domain's naming context names no entry"
        ))
    })?;
    let domain_sid = sid(head, "objectSid")?;
    let origin = |dn: &str| Origin {
        file: options.url.clone(),
        path: dn.to_owned(),
    };

    // Every security principal under the base, so a group's member DNs resolve to SIDs.
    let principals = session.search(&domain_nc, Scope::Subtree, "(objectSid=*)", &["objectSid"])?;
    let mut sids = HashMap::new();
    for p in &principals {
        sids.insert(
            p.dn.to_ascii_lowercase(),
            principal(&domain_name, &sid(p, "objectSid")?),
        );
    }

    let mut directory = Directory {
        format: crate::facts::Format::Ldap,
        ..Directory::default()
    };
    for entry in session.search(&base, Scope::Subtree, ACCOUNTS, &ACCOUNT_ATTRS)? {
        let mut account = account(&entry, &domain_name, &domain_sid)?;
        account.origin = origin(&entry.dn);
        directory.accounts.push(account);
    }
    // A domain always holds accounts (Administrator, krbtgt): none means the base DN or
    // the bind's rights hide them, and an empty directory would audit as clean.
    if directory.accounts.is_empty() {
        return Err(Error::invalid(format!(
            "{}: no account under {base} (a base DN outside the domain, or a bind that may not read accounts)",
            options.url
        )));
    }
    for entry in session.search(
        &domain_nc,
        Scope::Subtree,
        "(objectClass=group)",
        &["sAMAccountName", "objectSid", "member"],
    )? {
        ranged_members(&entry)?;
        let members = values(&entry, "member")
            .iter()
            .filter_map(|dn| member(&entry, dn, &domain_nc, &sids).transpose())
            .collect::<Result<Vec<_>>>()?;
        directory.groups.push(Group {
            sid: principal(&domain_name, &sid(&entry, "objectSid")?),
            name: format!(
                "{}@{domain_name}",
                text(&entry, "sAMAccountName")?.to_uppercase()
            ),
            domain: domain_name.clone(),
            members,
            origin: origin(&entry.dn),
        });
    }
    let mut trusts = Vec::new();
    let system = format!("CN=System,{domain_nc}");
    let trust_attrs = [
        "trustPartner",
        "securityIdentifier",
        "trustDirection",
        "trustType",
        "trustAttributes",
    ];
    for entry in session.search(
        &system,
        Scope::OneLevel,
        "(objectClass=trustedDomain)",
        &trust_attrs,
    )? {
        trusts.push(trust(&entry, &domain_name)?);
    }
    directory.domains.push(Domain {
        sid: domain_sid,
        name: domain_name,
        trusts,
        origin: origin(&domain_nc),
    });
    directory.source = options.url.clone();
    directory.index()?;
    Ok(directory)
}

/// A group with more members than the server returns at once comes back as
/// `member;range=0-1499` (ranged retrieval): not read yet, so an error, never a group that
/// looks empty (a Protected Users group read empty would make its members delegable).
fn ranged_members(group: &Entry) -> Result<()> {
    match group.attrs.keys().find(|k| k.starts_with("member;range=")) {
        Some(key) => Err(Error::invalid(format!(
            "{}: {key}: the group has more members than the server returns at once (ranged retrieval is not read yet)",
            group.dn
        ))),
        None => Ok(()),
    }
}

/// `DC=contoso,DC=test` → `CONTOSO.TEST`.
fn dns_name(base: &str) -> String {
    base.split(',')
        .filter_map(|rdn| rdn.trim().split_once('='))
        .filter(|(k, _)| k.eq_ignore_ascii_case("dc"))
        .map(|(_, v)| v.to_uppercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// A SID as the model writes it: domain SIDs as they are, well-known ones (`S-1-5-32-544`)
/// with the domain's name in front, as BloodHound writes them.
fn principal(domain: &str, sid: &str) -> String {
    if sid.starts_with("S-1-5-21-") {
        sid.to_owned()
    } else {
        format!("{domain}-{sid}")
    }
}

/// A group member's SID: a principal of the domain (foreign security principals included:
/// they carry the outside SID as objectSid); a DN in the domain that is no principal (a
/// contact) is in no token; a DN of another domain is not read (an error, not a skip).
fn member(
    group: &Entry,
    dn: &str,
    base: &str,
    sids: &HashMap<String, String>,
) -> Result<Option<String>> {
    let key = dn.to_ascii_lowercase();
    if let Some(sid) = sids.get(&key) {
        return Ok(Some(sid.clone()));
    }
    // In this domain (not a child domain's DN, which also ends in the base) and no
    // principal: a contact.
    let in_domain = key
        .strip_suffix(&base.to_ascii_lowercase())
        .is_some_and(|rest| {
            !rest
                .split(',')
                .any(|rdn| rdn.trim_start().starts_with("dc="))
        });
    if in_domain {
        return Ok(None);
    }
    Err(Error::invalid(format!(
        "{}: member: {dn} is outside {base}: members from other domains of the forest are not read",
        group.dn
    )))
}

fn account(entry: &Entry, domain: &str, domain_sid: &str) -> Result<Account> {
    let classes = values(entry, "objectClass");
    let has = |class: &str| classes.iter().any(|c| c.eq_ignore_ascii_case(class));
    let kind = if has("msDS-GroupManagedServiceAccount") || has("msDS-ManagedServiceAccount") {
        Kind::Gmsa
    } else if has("computer") {
        Kind::Computer
    } else {
        Kind::User
    };
    let control = number(entry, "userAccountControl")?;
    let flag = |bit: u32| control & bit != 0;
    let allowed_to_act = match entry.attrs.get("msds-allowedtoactonbehalfofotheridentity") {
        None => Vec::new(),
        Some(values) => {
            let [descriptor] = values.as_slice() else {
                return Err(at(
                    entry,
                    "msDS-AllowedToActOnBehalfOfOtherIdentity",
                    "one security descriptor",
                ));
            };
            let parsed = sd::parse(descriptor).map_err(|e| {
                Error::invalid(format!(
                    "{}: msDS-AllowedToActOnBehalfOfOtherIdentity: {}",
                    entry.dn, e.message
                ))
            })?;
            let admission = parsed.admission();
            if !admission.denied.is_empty() {
                // The model has no place for a deny: refuse rather than over-admit a
                // member of a denied group.
                return Err(Error::invalid(format!(
                    "{}: msDS-AllowedToActOnBehalfOfOtherIdentity: deny ACEs for {} are not supported (the model lists admitted SIDs only)",
                    entry.dn,
                    admission.denied.join(", ")
                )));
            }
            admission
                .allowed
                .iter()
                .map(|s| principal(domain, s))
                .collect()
        }
    };
    let primary = number(entry, "primaryGroupID")?;
    Ok(Account {
        sid: sid(entry, "objectSid")?,
        kind,
        domain: domain.to_owned(),
        sam_account_name: text(entry, "sAMAccountName")?,
        user_principal_name: optional_text(entry, "userPrincipalName")?,
        dns_host_name: optional_text(entry, "dNSHostName")?.map(|h| h.to_ascii_lowercase()),
        distinguished_name: Some(entry.dn.clone()),
        enabled: !flag(uac::ACCOUNTDISABLE),
        service_principal_names: texts(entry, "servicePrincipalName")?,
        trusted_for_delegation: flag(uac::TRUSTED_FOR_DELEGATION),
        trusted_to_auth_for_delegation: flag(uac::TRUSTED_TO_AUTH_FOR_DELEGATION),
        not_delegated: Some(flag(uac::NOT_DELEGATED)),
        allowed_to_delegate_to: texts(entry, "msDS-AllowedToDelegateTo")?,
        allowed_to_act,
        primary_group: Some(format!("{domain_sid}-{primary}")),
        // As SharpHound reads `isdc` (the primary group says it too).
        is_dc: Some(flag(uac::SERVER_TRUST_ACCOUNT) || flag(uac::PARTIAL_SECRETS_ACCOUNT)),
        origin: Origin::default(),
    })
}

/// A `trustedDomain` object (MS-ADTS 6.1.6.7.9–12).
fn trust(entry: &Entry, domain: &str) -> Result<Trust> {
    let attributes = number(entry, "trustAttributes")?;
    let bit = |b: u32| attributes & b != 0;
    let partner = text(entry, "trustPartner")?.to_uppercase();
    let direction = match number(entry, "trustDirection")? {
        0 => Direction::Disabled,
        1 => Direction::Inbound,
        2 => Direction::Outbound,
        3 => Direction::Bidirectional,
        _ => return Err(at(entry, "trustDirection", "0 to 3")),
    };
    let kind = match number(entry, "trustType")? {
        3 => TrustKind::Realm,
        1 | 2 if bit(0x20) => {
            // WITHIN_FOREST: parent and child when one name ends with the other.
            let (a, b) = (partner.as_str(), domain);
            if a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}")) {
                TrustKind::ParentChild
            } else {
                TrustKind::TreeRoot
            }
        }
        1 | 2 if bit(0x8) => TrustKind::Forest,
        1 | 2 => TrustKind::External,
        _ => {
            return Err(at(
                entry,
                "trustType",
                "1 (downlevel), 2 (uplevel) or 3 (MIT)",
            ))
        }
    };
    Ok(Trust {
        target_sid: sid(entry, "securityIdentifier")?,
        target_name: partner,
        direction,
        kind,
        // QUARANTINED_DOMAIN, or a forest trust (filtered by default).
        sid_filtering: bit(0x4) || kind == TrustKind::Forest,
        // CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION set, NO_TGT_DELEGATION clear.
        tgt_delegation: Some(bit(0x800) && !bit(0x200)),
        selective_authentication: Some(bit(0x10)),
    })
}

fn at(entry: &Entry, attribute: &str, expected: &str) -> Error {
    Error::invalid(format!("{}: {attribute}: expected {expected}", entry.dn))
}

fn values(entry: &Entry, attribute: &str) -> Vec<String> {
    entry
        .attrs
        .get(&attribute.to_ascii_lowercase())
        .map(|v| {
            v.iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every value of a text attribute (none when absent), each UTF-8.
fn texts(entry: &Entry, attribute: &str) -> Result<Vec<String>> {
    entry
        .attrs
        .get(&attribute.to_ascii_lowercase())
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|b| String::from_utf8(b.clone()).map_err(|_| at(entry, attribute, "UTF-8 text")))
        .collect()
}

fn optional_text(entry: &Entry, attribute: &str) -> Result<Option<String>> {
    let mut all = texts(entry, attribute)?;
    match all.len() {
        0 => Ok(None),
        1 => Ok(all.pop()),
        _ => Err(at(entry, attribute, "a single value")),
    }
}

fn text(entry: &Entry, attribute: &str) -> Result<String> {
    optional_text(entry, attribute)?
        .ok_or_else(|| at(entry, attribute, "a value (the attribute is missing)"))
}

fn number(entry: &Entry, attribute: &str) -> Result<u32> {
    let value = text(entry, attribute)?;
    // Integer syntax is signed 32-bit: userAccountControl with its high bit set reads negative.
    value
        .parse::<u32>()
        .or_else(|_| {
            value
                .parse::<i32>()
                .map(|n| u32::from_ne_bytes(n.to_ne_bytes()))
        })
        .map_err(|_| at(entry, attribute, "an integer"))
}

fn sid(entry: &Entry, attribute: &str) -> Result<String> {
    match entry
        .attrs
        .get(&attribute.to_ascii_lowercase())
        .map(Vec::as_slice)
    {
        Some([bytes]) => sd::sid_string(bytes)
            .map_err(|e| Error::invalid(format!("{}: {attribute}: {}", entry.dn, e.message))),
        _ => Err(at(entry, attribute, "one binary SID")),
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
