//! The directory's lookups: SID, names and SPNs (ASCII case-insensitive, like AD's own
//! matching), and the reverse membership index behind transitive group resolution.

use std::collections::{BTreeSet, HashMap};

use crate::error::{Error, ErrorCode, Result};
use crate::{Account, Directory};

/// The service classes a forest maps to `host` by default (`sPNMappings` on
/// `CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration`): a ticket for
/// `cifs/fs1` is issued for the account that registers `host/fs1`.
const HOST_MAPPED: [&str; 53] = [
    "alerter",
    "appmgmt",
    "cisvc",
    "clipsrv",
    "browser",
    "dhcp",
    "dnscache",
    "replicator",
    "eventlog",
    "eventsystem",
    "policyagent",
    "oakley",
    "dmserver",
    "dns",
    "mcsvc",
    "fax",
    "msiserver",
    "ias",
    "messenger",
    "netlogon",
    "netman",
    "netdde",
    "netddedsm",
    "nmagent",
    "plugplay",
    "protectedstorage",
    "rasman",
    "rpclocator",
    "rpc",
    "rpcss",
    "remoteaccess",
    "rsvp",
    "samss",
    "scardsvr",
    "scesrv",
    "seclogon",
    "scm",
    "dcom",
    "cifs",
    "spooler",
    "snmp",
    "schedule",
    "tapisrv",
    "trksvr",
    "trkwks",
    "ups",
    "time",
    "wins",
    "www",
    "http",
    "w3svc",
    "iisadmin",
    "msdtc",
];

#[derive(Debug, Default)]
pub(crate) struct Index {
    sids: HashMap<String, usize>,
    names: HashMap<String, Vec<usize>>,
    spns: HashMap<String, Vec<usize>>,
    /// member SID → the groups listing it directly.
    member_of: HashMap<String, Vec<String>>,
    /// Every SID inside a Protected Users group (RID 525), nested groups followed: asked on
    /// every named client, so resolved once.
    protected: std::collections::HashSet<String>,
}

fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn push(map: &mut HashMap<String, Vec<usize>>, name: &str, i: usize) {
    let list = map.entry(key(name)).or_default();
    if !list.contains(&i) {
        list.push(i);
    }
}

impl Index {
    pub(crate) fn build(dir: &Directory) -> Result<Index> {
        let mut index = Index::default();
        let mut group_sids = BTreeSet::new();
        for group in &dir.groups {
            if !group_sids.insert(group.sid.as_str()) {
                return Err(duplicate(&group.sid, &group.origin.file));
            }
            for member in &group.members {
                index
                    .member_of
                    .entry(member.clone())
                    .or_default()
                    .push(group.sid.clone());
            }
        }
        index.protected = protected_members(dir);
        for (i, a) in dir.accounts.iter().enumerate() {
            if index.sids.insert(a.sid.clone(), i).is_some() || group_sids.contains(a.sid.as_str())
            {
                return Err(duplicate(&a.sid, &a.origin.file));
            }
            push(&mut index.names, &a.sid, i);
            push(&mut index.names, &a.sam_account_name, i);
            if let Some(short) = a.sam_account_name.strip_suffix('$') {
                push(&mut index.names, short, i);
            }
            push(
                &mut index.names,
                &format!("{}@{}", a.sam_account_name, a.domain),
                i,
            );
            for name in [&a.user_principal_name, &a.dns_host_name]
                .into_iter()
                .flatten()
            {
                push(&mut index.names, name, i);
            }
            for spn in &a.service_principal_names {
                push(&mut index.spns, spn, i);
            }
        }
        Ok(index)
    }

    /// Whether `sid` (or its primary group) is inside a Protected Users group.
    pub(crate) fn is_protected(&self, dir: &Directory, sid: &str) -> bool {
        let primary = self
            .by_sid(dir, sid)
            .and_then(|a| a.primary_group.as_deref());
        self.protected.contains(sid)
            || primary.is_some_and(|g| {
                self.protected.contains(g) || crate::rid_of(g) == Some(crate::rid::PROTECTED_USERS)
            })
    }

    pub(crate) fn by_sid<'d>(&self, dir: &'d Directory, sid: &str) -> Option<&'d Account> {
        self.sids.get(sid).and_then(|&i| dir.accounts.get(i))
    }

    pub(crate) fn one<'d>(&self, dir: &'d Directory, name: &str) -> Result<&'d Account> {
        let k = key(name);
        let mut found: Vec<usize> = self.names.get(&k).cloned().unwrap_or_default();
        for &i in self.spns.get(&k).into_iter().flatten() {
            if !found.contains(&i) {
                found.push(i);
            }
        }
        pick(
            dir,
            &found,
            || {
                format!("no account of {} is named {name:?} (sAMAccountName, UPN, DNS host name, SPN or SID)", dir.source)
            },
            || format!("{name:?} names"),
        )
    }

    pub(crate) fn spn<'d>(&self, dir: &'d Directory, spn: &str) -> Result<&'d Account> {
        let registered = self
            .spns
            .get(&key(spn))
            .map(Vec::as_slice)
            .unwrap_or_default();
        if !registered.is_empty() {
            return pick(dir, registered, String::new, || {
                format!("the SPN {spn:?} is registered on")
            });
        }
        let mapped = spn
            .split_once('/')
            .filter(|(class, _)| HOST_MAPPED.iter().any(|m| m.eq_ignore_ascii_case(class)))
            .map(|(_, rest)| format!("host/{rest}"));
        let via_host = mapped
            .as_deref()
            .and_then(|h| self.spns.get(&key(h)))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let also = mapped
            .as_deref()
            .map(|h| format!(" (nor {h:?}, which its service class maps to)"))
            .unwrap_or_default();
        pick(
            dir,
            via_host,
            || {
                format!(
                    "no account of {} registers the SPN {spn:?}{also}: Kerberos cannot get a ticket for it",
                    dir.source
                )
            },
            || format!("the SPN {spn:?} maps to host/, registered on"),
        )
    }

    pub(crate) fn groups_of(&self, dir: &Directory, sid: &str) -> Vec<String> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let primary = self.by_sid(dir, sid).and_then(|a| a.primary_group.clone());
        let mut queue: Vec<String> = self.member_of.get(sid).cloned().unwrap_or_default();
        queue.extend(primary);
        // A group the collection does not hold (another domain's) still counts as a
        // membership; it just has no members to follow.
        while let Some(group) = queue.pop() {
            if let Some(parents) = self.member_of.get(&group) {
                if !seen.contains(&group) {
                    queue.extend(parents.iter().cloned());
                }
            }
            seen.insert(group);
        }
        seen.into_iter().collect()
    }

    pub(crate) fn duplicate_spns<'d>(&self, dir: &'d Directory) -> HashMap<String, Vec<&'d str>> {
        self.spns
            .iter()
            .filter(|(_, accounts)| accounts.len() > 1)
            .map(|(spn, accounts)| {
                let sids = accounts
                    .iter()
                    .filter_map(|&i| dir.accounts.get(i).map(|a| a.sid.as_str()))
                    .collect();
                (spn.clone(), sids)
            })
            .collect()
    }
}

/// The members of every Protected Users group, transitively (a group's members, and its
/// member groups' members, …).
fn protected_members(dir: &Directory) -> std::collections::HashSet<String> {
    let groups: HashMap<&str, &crate::Group> =
        dir.groups.iter().map(|g| (g.sid.as_str(), g)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut queue: Vec<&str> = dir
        .groups
        .iter()
        .filter(|g| {
            crate::domain_sid(&g.sid).is_some()
                && crate::rid_of(&g.sid) == Some(crate::rid::PROTECTED_USERS)
        })
        .flat_map(|g| g.members.iter().map(String::as_str))
        .collect();
    while let Some(sid) = queue.pop() {
        if seen.insert(sid.to_owned()) {
            if let Some(group) = groups.get(sid) {
                queue.extend(group.members.iter().map(String::as_str));
            }
        }
    }
    seen
}

fn duplicate(sid: &str, file: &str) -> Error {
    Error::invalid(format!(
        "{file}: the SID {sid} appears twice: a collection holds each object once (two collections merged?)"
    ))
}

/// The one account of `found`: none → `account-not-found` (`none`'s message), several →
/// `account-ambiguous` listing them after `several`'s words.
fn pick<'d>(
    dir: &'d Directory,
    found: &[usize],
    none: impl FnOnce() -> String,
    several: impl FnOnce() -> String,
) -> Result<&'d Account> {
    match found {
        [] => Err(Error::new(ErrorCode::AccountNotFound, none())),
        [i] => dir
            .accounts
            .get(*i)
            .ok_or_else(|| Error::new(ErrorCode::AccountNotFound, none())),
        many => {
            let names: Vec<String> = many
                .iter()
                .filter_map(|&i| dir.accounts.get(i))
                .map(|a| format!("{}\\{} ({})", a.domain, a.sam_account_name, a.sid))
                .collect();
            Err(Error::new(
                ErrorCode::AccountAmbiguous,
                format!(
                    "{} {} accounts: {}; name one by SID or UPN{}",
                    several(),
                    names.len(),
                    names.join(", "),
                    " (for a duplicate SPN the KDC cannot choose either: remove it from all but one account)"
                ),
            ))
        }
    }
}
