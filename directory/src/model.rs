//! The directory model: domains, accounts and groups with exactly the facts delegation
//! depends on. The same structs are the facts file's format (`facts.rs`), so a field here is
//! a documented key there.

use serde::{Deserialize, Serialize};

/// What kind of security principal an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A user account (a person or a service account).
    User,
    /// A computer account (`sAMAccountName` ends in `$`).
    Computer,
    /// A group managed service account (`msDS-GroupManagedServiceAccount`).
    Gmsa,
}

impl Kind {
    /// The name used in messages and the facts file.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Computer => "computer",
            Kind::Gmsa => "gmsa",
        }
    }
}

/// An account: a user, computer or gMSA, with its delegation facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// objectSid (`S-1-5-21-…`).
    pub sid: String,
    /// User, computer or gMSA.
    pub kind: Kind,
    /// The DNS name of the account's domain (`CONTOSO.TEST`).
    pub domain: String,
    /// sAMAccountName as the directory holds it (computers and gMSAs end in `$`).
    pub sam_account_name: String,
    /// userPrincipalName, when set.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// dNSHostName of a computer, when known.
    #[serde(default)]
    pub dns_host_name: Option<String>,
    /// distinguishedName, when the source has it.
    #[serde(default)]
    pub distinguished_name: Option<String>,
    /// The account is enabled (`ACCOUNTDISABLE` clear).
    pub enabled: bool,
    /// servicePrincipalName values.
    pub service_principal_names: Vec<String>,
    /// `TRUSTED_FOR_DELEGATION` (0x80000): unconstrained delegation.
    pub trusted_for_delegation: bool,
    /// `TRUSTED_TO_AUTH_FOR_DELEGATION` (0x1000000): protocol transition.
    pub trusted_to_auth_for_delegation: bool,
    /// `NOT_DELEGATED` (0x100000), "account is sensitive and cannot be delegated"; `None`
    /// when the source does not say (BloodHound collectors omit it for computers).
    #[serde(default)]
    pub not_delegated: Option<bool>,
    /// msDS-AllowedToDelegateTo: the SPNs of Kerberos constrained delegation.
    pub allowed_to_delegate_to: Vec<String>,
    /// The SIDs msDS-AllowedToActOnBehalfOfOtherIdentity admits (resource-based delegation
    /// *to* this account).
    pub allowed_to_act: Vec<String>,
    /// primaryGroupID as a SID (`…-513` Domain Users, `…-515` Domain Computers, `…-516`
    /// Domain Controllers, `…-521` read-only DCs).
    #[serde(default)]
    pub primary_group: Option<String>,
    /// The source says it is a domain controller (SharpHound's `isdc`); a DC is also known by
    /// its primary group.
    #[serde(default)]
    pub is_dc: Option<bool>,
    /// Where it was read: a file and the JSON path of the object (not in the facts file).
    #[serde(skip)]
    pub origin: Origin,
}

/// A group and its direct members (SIDs); membership is resolved transitively by the
/// directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// objectSid; BloodHound writes well-known SIDs with the domain prefix
    /// (`CONTOSO.TEST-S-1-5-32-544`).
    pub sid: String,
    /// The group's name as the source gives it.
    pub name: String,
    /// The DNS name of its domain.
    pub domain: String,
    /// The SIDs of its direct members (accounts and groups).
    pub members: Vec<String>,
    /// Where it was read.
    #[serde(skip)]
    pub origin: Origin,
}

/// A domain and its trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// The domain SID (`S-1-5-21-a-b-c`).
    pub sid: String,
    /// The DNS name (`CONTOSO.TEST`).
    pub name: String,
    /// Its trusts to other domains.
    pub trusts: Vec<Trust>,
    /// Where it was read.
    #[serde(skip)]
    pub origin: Origin,
}

/// Which way a trust lets users authenticate, from the domain holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The trust is disabled.
    Disabled,
    /// The other domain trusts this one (this domain's users reach the other).
    Inbound,
    /// This domain trusts the other (the other's users reach this one).
    Outbound,
    /// Both ways.
    Bidirectional,
}

/// What kind of trust it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustKind {
    /// Parent and child domain of one forest.
    ParentChild,
    /// Between two trees of one forest.
    TreeRoot,
    /// A shortcut trust inside a forest.
    CrossLink,
    /// A forest trust.
    Forest,
    /// An external (domain-to-domain) trust.
    External,
    /// A trust to a non-Windows Kerberos realm.
    Realm,
}

impl TrustKind {
    /// Both domains are in one forest.
    #[must_use]
    pub const fn within_forest(self) -> bool {
        matches!(
            self,
            TrustKind::ParentChild | TrustKind::TreeRoot | TrustKind::CrossLink
        )
    }
}

/// A trust from a domain to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// The other domain's SID.
    pub target_sid: String,
    /// The other domain's DNS name.
    pub target_name: String,
    /// Which way it works.
    pub direction: Direction,
    /// Its kind.
    pub kind: TrustKind,
    /// SID filtering (`QUARANTINED_DOMAIN`, or a forest trust's default filtering).
    pub sid_filtering: bool,
    /// TGT delegation across the trust (`CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION` set and
    /// `NO_TGT_DELEGATION` clear); `None` when the source does not say.
    #[serde(default)]
    pub tgt_delegation: Option<bool>,
    /// Selective authentication (`CROSS_ORGANIZATION`); `None` when the source does not say.
    #[serde(default)]
    pub selective_authentication: Option<bool>,
}

/// Where an object was read: the file and the JSON path of the object in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The file's name (inside a zip: `archive.zip!users.json`).
    pub file: String,
    /// The object's JSON path (`data[3]`, `accounts[0]`).
    pub path: String,
}
