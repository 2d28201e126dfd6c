//! The facts file: the directory model as small, versioned JSON that every command and the
//! web page load (`onbehalf directory export SOURCE > facts.json`).
//!
//! ```json
//! {"format": "onbehalf-directory-facts", "version": 1,
//!  "domains": [{"sid", "name", "trusts": [...]}],
//!  "accounts": [{"sid", "kind", "domain", "sam_account_name", "enabled",
//!                "service_principal_names", "trusted_for_delegation",
//!                "trusted_to_auth_for_delegation", "not_delegated",
//!                "allowed_to_delegate_to", "allowed_to_act", "primary_group", ...}],
//!  "groups": [{"sid", "name", "domain", "members"}]}
//! ```
//!
//! Each key is a field of [`crate::model`] (its rustdoc says what it holds); unknown keys are
//! errors; optional facts (`null` or absent) are *unknown*, and a request that needs an
//! unknown fact is refused, never decided as if it were `false`. Export → load → export is
//! byte-identical.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Account, Domain, Group, Origin};
use crate::Directory;

/// The `format` value of a facts file.
pub const FORMAT: &str = "onbehalf-directory-facts";
/// The facts format version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactsFile {
    format: String,
    version: u32,
    domains: Vec<Domain>,
    accounts: Vec<Account>,
    groups: Vec<Group>,
}

/// The facts file of `directory`, pretty-printed, ending in a newline.
#[must_use]
pub fn export(directory: &Directory) -> String {
    let file = FactsFileRef {
        format: FORMAT,
        version: VERSION,
        domains: &directory.domains,
        accounts: &directory.accounts,
        groups: &directory.groups,
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Serialize)]
struct FactsFileRef<'a> {
    format: &'a str,
    version: u32,
    domains: &'a [Domain],
    accounts: &'a [Account],
    groups: &'a [Group],
}

/// Reads a facts file.
///
/// # Errors
/// `directory-invalid`: unreadable, not JSON, another format or version, a missing or
/// mistyped key (named by its JSON path), duplicate SIDs.
pub fn load(path: &Path) -> Result<Directory> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(format!("{name}: cannot read: {e}")))?;
    from_text(&text, &name)
}

/// Reads a facts file's text; `name` names it in messages and provenance.
///
/// # Errors
/// As [`load`].
pub fn from_text(text: &str, name: &str) -> Result<Directory> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid(format!("{name}: not valid JSON: {e}")))?;
    let format = value.get("format").and_then(serde_json::Value::as_str);
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if format != Some(FORMAT) {
        return Err(Error::invalid(format!(
            "{name}: format: expected {FORMAT:?} (a file written by `onbehalf directory export`), found {}",
            value.get("format").map_or("nothing".into(), ToString::to_string)
        )));
    }
    if version != Some(u64::from(VERSION)) {
        return Err(Error::invalid(format!(
            "{name}: version: this build reads facts format version {VERSION}, found {}",
            value
                .get("version")
                .map_or("nothing".into(), ToString::to_string)
        )));
    }
    let file: FactsFile = serde_path_to_error::deserialize(&value)
        .map_err(|e| Error::invalid(format!("{name}: {}: {}", e.path(), e.inner())))?;
    let mut directory = Directory {
        domains: file.domains,
        accounts: file.accounts,
        groups: file.groups,
        source: name.to_owned(),
        format: Format::Facts,
        ..Directory::default()
    };
    for (i, a) in directory.accounts.iter_mut().enumerate() {
        a.origin = origin(name, "accounts", i);
    }
    for (i, g) in directory.groups.iter_mut().enumerate() {
        g.origin = origin(name, "groups", i);
    }
    for (i, d) in directory.domains.iter_mut().enumerate() {
        d.origin = origin(name, "domains", i);
    }
    directory.index()?;
    Ok(directory)
}

fn origin(file: &str, list: &str, i: usize) -> Origin {
    Origin {
        file: file.to_owned(),
        path: format!("{list}[{i}]"),
    }
}

/// The format a directory was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A BloodHound collection (a folder or a `.zip`).
    #[default]
    BloodHound,
    /// A facts file (`onbehalf directory export`).
    Facts,
    /// Active Directory over LDAP.
    Ldap,
}

/// A fact the directory supplies, with the property it is read from in each source format
/// (the provenance of a filled request names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// `TRUSTED_FOR_DELEGATION`: unconstrained delegation.
    TrustedForDelegation,
    /// msDS-AllowedToDelegateTo: constrained delegation's SPNs.
    AllowedToDelegateTo,
    /// `TRUSTED_TO_AUTH_FOR_DELEGATION`: protocol transition.
    TrustedToAuthForDelegation,
    /// msDS-AllowedToActOnBehalfOfOtherIdentity: resource-based admissions.
    AllowedToAct,
    /// `NOT_DELEGATED`: the account is sensitive.
    NotDelegated,
    /// Group membership (Protected Users), direct lists.
    Members,
    /// The primary group.
    PrimaryGroup,
    /// The account's domain.
    Domain,
    /// A domain's trusts.
    Trusts,
    /// servicePrincipalName values.
    ServicePrincipalNames,
}

impl Fact {
    /// The property in a BloodHound collection (SharpHound and BloodHound.py spell these
    /// alike in format versions 5 and 6).
    #[must_use]
    pub const fn bloodhound(self) -> &'static str {
        match self {
            Fact::TrustedForDelegation => "Properties.unconstraineddelegation",
            Fact::AllowedToDelegateTo => "Properties.allowedtodelegate",
            Fact::TrustedToAuthForDelegation => "Properties.trustedtoauth",
            Fact::AllowedToAct => "AllowedToAct",
            Fact::NotDelegated => "Properties.sensitive",
            Fact::Members => "Members",
            Fact::PrimaryGroup => "PrimaryGroupSID",
            Fact::Domain => "Properties.domain",
            Fact::Trusts => "Trusts",
            Fact::ServicePrincipalNames => "Properties.serviceprincipalnames",
        }
    }

    /// The LDAP attribute (and, for a `userAccountControl` flag, the flag).
    #[must_use]
    pub const fn ldap(self) -> &'static str {
        match self {
            Fact::TrustedForDelegation => "userAccountControl TRUSTED_FOR_DELEGATION",
            Fact::AllowedToDelegateTo => "msDS-AllowedToDelegateTo",
            Fact::TrustedToAuthForDelegation => "userAccountControl TRUSTED_TO_AUTH_FOR_DELEGATION",
            Fact::AllowedToAct => "msDS-AllowedToActOnBehalfOfOtherIdentity",
            Fact::NotDelegated => "userAccountControl NOT_DELEGATED",
            Fact::Members => "member",
            Fact::PrimaryGroup => "primaryGroupID",
            Fact::Domain => "distinguishedName",
            Fact::Trusts => "trustedDomain",
            Fact::ServicePrincipalNames => "servicePrincipalName",
        }
    }

    /// The key in a facts file.
    #[must_use]
    pub const fn facts(self) -> &'static str {
        match self {
            Fact::TrustedForDelegation => "trusted_for_delegation",
            Fact::AllowedToDelegateTo => "allowed_to_delegate_to",
            Fact::TrustedToAuthForDelegation => "trusted_to_auth_for_delegation",
            Fact::AllowedToAct => "allowed_to_act",
            Fact::NotDelegated => "not_delegated",
            Fact::Members => "members",
            Fact::PrimaryGroup => "primary_group",
            Fact::Domain => "domain",
            Fact::Trusts => "trusts",
            Fact::ServicePrincipalNames => "service_principal_names",
        }
    }

    /// The property as `directory`'s source spells it.
    #[must_use]
    pub const fn property(self, directory: &Directory) -> &'static str {
        match directory.format {
            Format::BloodHound => self.bloodhound(),
            Format::Facts => self.facts(),
            Format::Ldap => self.ldap(),
        }
    }
}
