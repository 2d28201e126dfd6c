//! Active Directory facts for onbehalf: one [`Directory`] model of accounts, groups and
//! domains, read from a BloodHound collection ([`bloodhound`]) or a facts file ([`facts`]),
//! turned into the spec's requests ([`check`]) and audited for delegation risks ([`audit`]).
//!
//! The core stays `no_std` and never learns about directories: this crate fills the
//! request's directory-derived fields (delegation trust, targets, protocol transition,
//! sensitive, Protected Users, realms) from named accounts and leaves the decision to the
//! core.
//!
//! ```
//! use onbehalf_directory::Directory;
//! let dir = Directory::load(std::path::Path::new("tests/fixtures/bloodhound-contoso")).unwrap();
//! let svcweb = dir.account("svcweb").unwrap();
//! assert_eq!(svcweb.allowed_to_delegate_to, ["cifs/fs1.contoso.test"]);
//! assert!(dir.is_protected_user(dir.account("carol@contoso.test").unwrap()));
//! ```
//!
//! The rules by which facts fill a request (server delegation, client protections, realms, SPN
//! and name matching, what a DC is, audit severities) are decisions the spec leaves open; they
//! are listed in ARCHITECTURE.md, "Directory facts → the spec request".
//!
//! # Layout
//!
//! `model.rs` the model, which is also the facts file's format; `bloodhound.rs` a collection
//! (folder or zip, dispatched by `meta.type`) with every property it reads; `read.rs` JSON
//! read with its path (every error names file and JSON path); `facts.rs` the facts file
//! (versioned, strict) and `Fact`, each fact's property per source; `index.rs` lookups (SID,
//! names, SPNs with the forest's default `sPNMappings`) and transitive membership; `realm.rs`
//! realms from trusts; `check/` a named request → the spec request plus provenance; `fix.rs`
//! fixes naming real accounts; `audit.rs` findings with their demonstrations; `report.rs`
//! JSON Lines, Markdown and BloodHound OpenGraph.
//!
//! `ldap/` (feature `ldap`, off for the wasm build) is the live directory: `conn.rs` the
//! session (LDAPS or StartTLS on rustls, certificate verification on unless asked, at most
//! 5 s to connect, paged searches, no referrals), `filter.rs` RFC 4515 escaping (every value
//! that enters a filter goes through `filter::escape`), `sd.rs` the binary security
//! descriptor of `msDS-AllowedToActOnBehalfOfOtherIdentity` (a malformed one or a deny entry
//! is an error, never "admits nobody"), `mod.rs` entries → the same model.
//! `examples/scale.rs` gives its timings on 10,000 synthetic accounts (BENCHMARKS.md).
#![forbid(unsafe_code)]

pub mod audit;
pub mod bloodhound;
pub mod check;
mod error;
pub mod facts;
pub mod fix;
mod index;
#[cfg(feature = "ldap")]
pub mod ldap;
pub mod model;
mod read;
pub mod realm;
pub mod report;

use std::collections::HashMap;
use std::path::Path;

pub use error::{Error, ErrorCode, Result};
pub use model::{Account, Domain, Group, Kind, Origin};

/// Well-known relative identifiers of the groups delegation cares about.
pub mod rid {
    /// Domain Admins.
    pub const DOMAIN_ADMINS: u32 = 512;
    /// Domain Controllers (a DC's primary group).
    pub const DOMAIN_CONTROLLERS: u32 = 516;
    /// Enterprise Admins (forest root domain).
    pub const ENTERPRISE_ADMINS: u32 = 519;
    /// Read-only Domain Controllers (an RODC's primary group).
    pub const READ_ONLY_DOMAIN_CONTROLLERS: u32 = 521;
    /// Protected Users (Windows Server 2012 R2 and later).
    pub const PROTECTED_USERS: u32 = 525;
    /// BUILTIN\Administrators (`S-1-5-32-544`).
    pub const BUILTIN_ADMINISTRATORS: u32 = 544;
}

/// A directory: domains, accounts and groups, with lookups by name, SPN and SID and group
/// membership resolved transitively.
#[derive(Debug, Default)]
pub struct Directory {
    /// The domains.
    pub domains: Vec<Domain>,
    /// Users, computers and gMSAs.
    pub accounts: Vec<Account>,
    /// Groups with their direct members.
    pub groups: Vec<Group>,
    /// What it was read from (a path), for provenance.
    pub source: String,
    /// The format it was read from (provenance names each fact's property as that format
    /// spells it).
    pub format: facts::Format,
    index: index::Index,
}

impl Directory {
    /// Reads `path`: a facts file (`.json` whose `format` is the facts format), or a
    /// BloodHound collection (a folder or a `.zip`).
    ///
    /// # Errors
    /// `directory-invalid` naming the file and JSON path of what could not be read.
    pub fn load(path: &Path) -> Result<Directory> {
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json && path.is_file() {
            facts::load(path)
        } else {
            bloodhound::load(path)
        }
    }

    /// Reads a source held in memory (the web page's file picker): a BloodHound collection's
    /// `.zip`, or a facts file; `name` names it in messages and provenance.
    ///
    /// # Errors
    /// `directory-invalid`, as [`Directory::load`].
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Directory> {
        if bytes.starts_with(b"PK\x03\x04") {
            return bloodhound::from_zip_bytes(bytes, name);
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            Error::invalid(format!("{name}: neither a zip nor UTF-8 JSON text: {e}"))
        })?;
        facts::from_text(text, name)
    }

    /// Builds the lookups; duplicate SIDs are an error.
    pub(crate) fn index(&mut self) -> Result<()> {
        self.index = index::Index::build(self)?;
        Ok(())
    }

    /// The account a name stands for: its SID, sAMAccountName (with or without `$`), UPN,
    /// DNS host name, BloodHound name (`NAME@DOMAIN`) or a registered SPN — ASCII
    /// case-insensitive.
    ///
    /// # Errors
    /// `account-not-found`, or `account-ambiguous` listing the candidates.
    pub fn account(&self, name: &str) -> Result<&Account> {
        self.index.one(self, name)
    }

    /// The account a hop target (an SPN) runs as: the account that registers the SPN, or
    /// the computer that registers `host/<host>` when the service class maps to `host`
    /// (the forest's default `sPNMappings`).
    ///
    /// # Errors
    /// `account-not-found` when no account holds it; `account-ambiguous` when several do
    /// (a duplicate SPN: the KDC cannot choose either).
    pub fn spn_account(&self, spn: &str) -> Result<&Account> {
        self.index.spn(self, spn)
    }

    /// The account with this SID.
    #[must_use]
    pub fn by_sid(&self, sid: &str) -> Option<&Account> {
        self.index.by_sid(self, sid)
    }

    /// The group with this SID.
    #[must_use]
    pub fn group(&self, sid: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.sid == sid)
    }

    /// Every group `sid` belongs to, transitively, its primary group included.
    #[must_use]
    pub fn groups_of(&self, sid: &str) -> Vec<String> {
        self.index.groups_of(self, sid)
    }

    /// Whether `account` is a member (transitively, primary group included) of the group of
    /// its own domain with relative identifier `rid`.
    #[must_use]
    pub fn in_domain_group(&self, account: &Account, rid: u32) -> bool {
        let Some(domain_sid) = domain_sid(&account.sid) else {
            return false;
        };
        let wanted = format!("{domain_sid}-{rid}");
        self.groups_of(&account.sid).contains(&wanted)
    }

    /// Whether `account` is in Protected Users (RID 525), nested groups included.
    #[must_use]
    pub fn is_protected_user(&self, account: &Account) -> bool {
        self.index.is_protected(self, &account.sid)
    }

    /// Whether `account` is a domain controller: `isdc`, or its primary group Domain
    /// Controllers (516) or Read-only Domain Controllers (521), or a member of either or of
    /// Enterprise Domain Controllers (`S-1-5-9`).
    #[must_use]
    pub fn is_dc(&self, account: &Account) -> bool {
        account.is_dc == Some(true)
            || self.in_domain_group(account, rid::DOMAIN_CONTROLLERS)
            || self.in_domain_group(account, rid::READ_ONLY_DOMAIN_CONTROLLERS)
            // Enterprise Domain Controllers, which both collectors synthesise with the DCs
            // as members (BloodHound.py has no DC flag).
            || self
                .groups_of(&account.sid)
                .iter()
                .any(|g| g.ends_with("-S-1-5-9"))
    }

    /// Whether `account` is a writable domain controller (a DC that is not read-only): its
    /// unconstrained delegation is by design; a read-only DC's is not (its default
    /// userAccountControl does not carry TRUSTED_FOR_DELEGATION).
    #[must_use]
    pub fn is_writable_dc(&self, account: &Account) -> bool {
        self.is_dc(account) && !self.in_domain_group(account, rid::READ_ONLY_DOMAIN_CONTROLLERS)
    }

    /// The privileged groups `account` belongs to (Domain Admins, Enterprise Admins of any
    /// domain of the directory, BUILTIN\Administrators), by name.
    #[must_use]
    pub fn privileged_groups(&self, account: &Account) -> Vec<String> {
        self.groups_of(&account.sid)
            .into_iter()
            .filter(|sid| is_privileged_group(sid))
            .map(|sid| self.group(&sid).map_or(sid, |g| g.name.clone()))
            .collect()
    }

    /// Whether `target`'s msDS-AllowedToActOnBehalfOfOtherIdentity admits `server`: its own
    /// SID, a group it belongs to, or a well-known SID every service's token carries (the
    /// KDC checks the descriptor against the service's token, groups included).
    #[must_use]
    pub fn admits(&self, target: &Account, server: &Account) -> bool {
        // Most accounts admit nobody: the server's groups are resolved only when needed.
        !target.allowed_to_act.is_empty()
            && (target.allowed_to_act.contains(&server.sid)
                || target
                    .allowed_to_act
                    .iter()
                    .any(|sid| self.in_every_token(sid, server))
                || self
                    .groups_of(&server.sid)
                    .iter()
                    .any(|g| target.allowed_to_act.contains(g)))
    }

    /// Whether `sid` is one the logon adds to `account`'s token whatever its groups:
    /// Everyone, Authenticated Users, This Organization, and Enterprise Domain Controllers
    /// for a DC. The model holds them bare or as BloodHound writes them (`DOMAIN-S-1-5-11`).
    fn in_every_token(&self, sid: &str, account: &Account) -> bool {
        let bare = sid.find("S-1-").and_then(|at| sid.get(at..)).unwrap_or(sid);
        match bare {
            "S-1-1-0" | "S-1-5-11" | "S-1-5-15" => true,
            "S-1-5-9" => self.is_dc(account),
            _ => false,
        }
    }

    /// The domain named `name` (ASCII case-insensitive).
    #[must_use]
    pub fn domain(&self, name: &str) -> Option<&Domain> {
        self.domains
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// Every SPN registered on more than one account, with the accounts' SIDs.
    #[must_use]
    pub fn duplicate_spns(&self) -> HashMap<String, Vec<&str>> {
        self.index.duplicate_spns(self)
    }
}

/// The domain part of a domain account's SID (`S-1-5-21-a-b-c-RID` → `S-1-5-21-a-b-c`).
#[must_use]
pub fn domain_sid(sid: &str) -> Option<&str> {
    sid.starts_with("S-1-5-21-")
        .then(|| sid.rsplit_once('-').map(|(domain, _)| domain))
        .flatten()
}

/// The relative identifier of a SID (its last number).
#[must_use]
pub fn rid_of(sid: &str) -> Option<u32> {
    sid.rsplit_once('-').and_then(|(_, rid)| rid.parse().ok())
}

/// Domain Admins, Enterprise Admins or BUILTIN\Administrators (BloodHound writes builtin
/// SIDs as `DOMAIN-S-1-5-32-544`).
fn is_privileged_group(sid: &str) -> bool {
    if sid.ends_with("S-1-5-32-544") {
        return true;
    }
    domain_sid(sid).is_some()
        && matches!(
            rid_of(sid),
            Some(rid::DOMAIN_ADMINS | rid::ENTERPRISE_ADMINS)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_split_into_domain_and_rid() {
        assert_eq!(domain_sid("S-1-5-21-1-2-3-1105"), Some("S-1-5-21-1-2-3"));
        assert_eq!(domain_sid("CONTOSO.TEST-S-1-5-32-544"), None);
        assert_eq!(rid_of("S-1-5-21-1-2-3-525"), Some(525));
        assert!(is_privileged_group("CONTOSO.TEST-S-1-5-32-544"));
        assert!(is_privileged_group("S-1-5-21-1-2-3-512"));
        assert!(!is_privileged_group("S-1-5-21-1-2-3-513"));
    }
}
