//! How to apply a change: **the one table** of commands and API parameters ([`HOW_TO`]), one
//! row per [`Action`], and the mapping from a fix's edits to its steps. Every renderer (CLI,
//! server, page) shows these texts; none writes its own.
//!
//! Templates name what the request does not know with placeholders: `{server}` and
//! `{client}` (the accounts, [`Accounts`]), `{spn}` (an allowed target), `{target}` (the
//! account that runs `{spn}`, or `<account of SPN>`), `{value}` (the API
//! constant or protocol sequence), `{name}` (the value's canonical name), `{hop}` (a hop's
//! number, 1-based), `{class}` (the server's delegation class after the fix, in words).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::class::DelegationClass;
use super::edit::Edit;
use crate::delegation::ServerTrust;
use crate::json::OwnedRequest;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// One step a person takes to apply a fix.
    pub enum Action {
        /// stop trusting the server account for unconstrained delegation
        StopUnconstrained = "stop-unconstrained-delegation",
        /// let the server account delegate to the target SPN (Kerberos-only constrained
        /// delegation: msDS-AllowedToDelegateTo)
        AddKcdTarget = "add-constrained-delegation-target",
        /// let the target's account admit the server account (resource-based constrained
        /// delegation: msDS-AllowedToActOnBehalfOfOtherIdentity on the target)
        AddRbcdPrincipal = "add-resource-based-delegation-principal",
        /// trust the server account for unconstrained delegation (TRUSTED_FOR_DELEGATION)
        TrustUnconstrained = "trust-for-unconstrained-delegation",
        /// let the server account use any authentication protocol (protocol transition:
        /// TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION)
        ProtocolTransition = "allow-protocol-transition",
        /// register the server's SPN on its account, and call the server by host name (not IP
        /// address), so that the client can get a Kerberos ticket
        RegisterSpn = "register-server-spn",
        /// grant the server's account SeImpersonatePrivilege
        GrantImpersonate = "grant-impersonate-privilege",
        /// request this impersonation level in the client's code
        SetLevel = "set-impersonation-level",
        /// use this authentication service in the client's code
        SetAuth = "set-authentication-service",
        /// call over this protocol sequence
        SetTransport = "set-protocol-sequence",
        /// use this authentication service on the hop's onward call
        SetHopAuth = "set-hop-authentication-service",
        /// clear "Account is sensitive and cannot be delegated" on the client's account (lowers security)
        UnmarkSensitive = "unmark-account-sensitive",
        /// remove the client's account from Protected Users (lowers security)
        LeaveProtectedUsers = "leave-protected-users",
        /// turn Credential Guard off on the client's computer (lowers security)
        DisableCredentialGuard = "disable-credential-guard",
    }
}

/// One row of [`HOW_TO`]: the ways to take one action.
#[derive(Debug, Clone, Copy)]
pub struct HowTo {
    /// The action.
    pub action: Action,
    /// What the change is, as a phrase (a fix's summary joins its steps' titles).
    pub title: &'static str,
    /// The Active Directory PowerShell cmdlet.
    pub powershell: Option<&'static str>,
    /// The Samba AD `samba-tool` command.
    pub samba_tool: Option<&'static str>,
    /// A Windows tool or setting (`setspn`, Group Policy).
    pub windows: Option<&'static str>,
    /// The API parameter in the client's (or intermediate's) code.
    pub api: Option<&'static str>,
}

const fn row(
    action: Action,
    title: &'static str,
    powershell: Option<&'static str>,
    samba_tool: Option<&'static str>,
    windows: Option<&'static str>,
    api: Option<&'static str>,
) -> HowTo {
    HowTo {
        action,
        title,
        powershell,
        samba_tool,
        windows,
        api,
    }
}

/// How to take each action, in [`Action`] order (checked by a test).
pub const HOW_TO: &[HowTo] = &[
    row(Action::StopUnconstrained, "stop unconstrained delegation for {server}",
        Some("Set-ADAccountControl -Identity {server} -TrustedForDelegation $false"),
        Some("samba-tool delegation for-any-service {server} off"), None, None),
    row(Action::AddKcdTarget, "{class} from {server} to {spn}",
        Some("Set-ADObject -Identity (Get-ADObject -Filter \"sAMAccountName -eq '{server}'\") -Add @{'msDS-AllowedToDelegateTo'='{spn}'}"),
        Some("samba-tool delegation add-service {server} {spn}"), None, None),
    row(Action::AddRbcdPrincipal, "{class}: the account of {spn} admits {server}",
        Some("Set-ADComputer -Identity {target} -PrincipalsAllowedToDelegateToAccount {server}"),
        Some("samba-tool delegation add-principal {target} {server}"), None, None),
    row(Action::TrustUnconstrained, "unconstrained delegation for {server}",
        Some("Set-ADAccountControl -Identity {server} -TrustedForDelegation $true"),
        Some("samba-tool delegation for-any-service {server} on"), None, None),
    row(Action::ProtocolTransition, "{server} trusted to authenticate for delegation (any authentication protocol)",
        Some("Set-ADAccountControl -Identity {server} -TrustedToAuthForDelegation $true"),
        Some("samba-tool delegation for-any-protocol {server} on"), None, None),
    row(Action::RegisterSpn, "the server's SPN registered on {server}, the server called by host name",
        Some("Set-ADObject -Identity (Get-ADObject -Filter \"sAMAccountName -eq '{server}'\") -Add @{servicePrincipalName='<service class>/<server host name>'}"),
        Some("samba-tool spn add <service class>/<server host name> {server}"),
        Some("setspn -S <service class>/<server host name> {server}"), None),
    row(Action::GrantImpersonate, "SeImpersonatePrivilege for {server}", None, None,
        Some("Group Policy: Computer Configuration > Windows Settings > Security Settings > Local Policies > User Rights Assignment > Impersonate a client after authentication: add {server}"),
        None),
    row(Action::SetLevel, "the client requests the {name} level", None, None, None,
        Some("{value}: dwImpLevel of CoInitializeSecurity or CoSetProxyBlanket (COM); ImpersonationType of RPC_SECURITY_QOS for RpcBindingSetAuthInfoEx (RPC)")),
    row(Action::SetAuth, "the client authenticates with {name}", None, None, None,
        Some("{value}: dwAuthnSvc of CoSetProxyBlanket (COM); AuthnSvc of RpcBindingSetAuthInfoEx (RPC)")),
    row(Action::SetTransport, "the call goes over {name}", None, None, None,
        Some("protocol sequence {value}: Protseq of RpcStringBindingCompose (client) and RpcServerUseProtseqEp (server)")),
    row(Action::SetHopAuth, "hop {hop} authenticates with {name}", None, None, None,
        Some("{value} on hop {hop}'s onward call: CoSetProxyBlanket with EOAC_DYNAMIC_CLOAKING (COM), or RpcBindingSetAuthInfoEx while impersonating (RPC)")),
    row(Action::UnmarkSensitive, "{client} no longer marked sensitive (lowers security)",
        Some("Set-ADAccountControl -Identity {client} -AccountNotDelegated $false"),
        Some("samba-tool user sensitive {client} off"), None, None),
    row(Action::LeaveProtectedUsers, "{client} out of Protected Users (lowers security)",
        Some("Remove-ADGroupMember -Identity 'Protected Users' -Members {client}"),
        Some("samba-tool group removemembers 'Protected Users' {client}"), None, None),
    row(Action::DisableCredentialGuard, "Credential Guard off on the client's computer (lowers security)", None, None,
        Some("Group Policy on the client computer: Computer Configuration > Administrative Templates > System > Device Guard > Turn On Virtualization Based Security > Credential Guard Configuration: Disabled"),
        None),
];

impl Action {
    /// Its row of [`HOW_TO`].
    #[must_use]
    pub fn how_to(self) -> Option<&'static HowTo> {
        HOW_TO.iter().find(|row| row.action == self)
    }
}

/// The accounts the commands name. [`Accounts::PLACEHOLDERS`] until a directory names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accounts<'a> {
    /// The server's service account (sAMAccountName).
    pub server: &'a str,
    /// The client's account.
    pub client: &'a str,
    /// The accounts that run target SPNs, as `(spn, sAMAccountName)` (resource-based
    /// delegation is set on the target's account); a target not listed is named
    /// `<account of SPN>`. SPNs compare ASCII case-insensitively.
    pub targets: &'a [(&'a str, &'a str)],
}

impl Accounts<'static> {
    /// Placeholders a person replaces.
    pub const PLACEHOLDERS: Accounts<'static> = Accounts {
        server: "<server account>",
        client: "<client account>",
        targets: &[],
    };
}

impl Accounts<'_> {
    /// The account that runs `spn`, or the placeholder `<account of SPN>`.
    #[must_use]
    pub fn target(&self, spn: &str) -> String {
        self.targets
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(spn))
            .map_or_else(
                || alloc::format!("<account of {spn}>"),
                |(_, a)| (*a).to_string(),
            )
    }
}

/// One step of a fix, rendered: the action and its commands with the placeholders filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What to do.
    pub action: Action,
    /// What the change is, as a phrase.
    pub title: String,
    /// The PowerShell cmdlet, if there is one.
    pub powershell: Option<String>,
    /// The `samba-tool` command, if there is one.
    pub samba_tool: Option<String>,
    /// The Windows tool or setting, if there is one.
    pub windows: Option<String>,
    /// The API parameter, if there is one.
    pub api: Option<String>,
}

/// What a template's placeholders stand for in one step.
struct Fill<'a> {
    accounts: &'a Accounts<'a>,
    class: &'a str,
    spn: &'a str,
    /// The API constant (or protocol sequence) and the canonical name of the value set.
    value: (&'a str, &'a str),
    hop: usize,
}

impl<'a> Fill<'a> {
    fn new(
        accounts: &'a Accounts<'a>,
        class: &'a str,
        spn: &'a str,
        value: (&'a str, &'a str),
        hop: usize,
    ) -> Fill<'a> {
        Fill {
            accounts,
            class,
            spn,
            value,
            hop,
        }
    }

    fn render(&self, template: Option<&str>) -> Option<String> {
        let hop = self.hop.to_string();
        template.map(|t| {
            let t = if t.contains("{target}") {
                t.replace("{target}", &self.accounts.target(self.spn))
            } else {
                t.to_string()
            };
            t.replace("{server}", self.accounts.server)
                .replace("{client}", self.accounts.client)
                .replace("{spn}", self.spn)
                .replace("{value}", self.value.0)
                .replace("{name}", self.value.1)
                .replace("{hop}", &hop)
                .replace("{class}", self.class)
        })
    }

    fn step(&self, action: Action) -> Option<Step> {
        let how = action.how_to()?;
        Some(Step {
            action,
            title: self.render(Some(how.title)).unwrap_or_default(),
            powershell: self.render(how.powershell),
            samba_tool: self.render(how.samba_tool),
            windows: self.render(how.windows),
            api: self.render(how.api),
        })
    }
}

/// The steps that apply `edits` to `before`, giving `after` (delegation first, in edit order).
pub(crate) fn steps(
    edits: &[Edit],
    before: &OwnedRequest,
    after: &OwnedRequest,
    added: &[String],
    accounts: &Accounts<'_>,
) -> Vec<Step> {
    let class = DelegationClass::of(&after.delegation).label();
    let fill = |spn, value, hop| Fill::new(accounts, class, spn, value, hop);
    let plain = fill("", ("", ""), 0);
    let mut out = Vec::new();
    let trust = after.delegation.server_trust;
    let trust_changed = trust != before.delegation.server_trust;
    if trust_changed && before.delegation.server_trust == ServerTrust::Unconstrained {
        out.extend(plain.step(Action::StopUnconstrained));
    }
    let per_target = match trust {
        ServerTrust::Constrained => Some(Action::AddKcdTarget),
        ServerTrust::ResourceBased => Some(Action::AddRbcdPrincipal),
        ServerTrust::None | ServerTrust::Unconstrained => None,
    };
    if let Some(action) = per_target.filter(|_| trust_changed || !added.is_empty()) {
        // A new trust names every target it now lists; a longer list names what it adds.
        let named = if trust_changed {
            after.delegation.allowed_targets.as_slice()
        } else {
            added
        };
        out.extend(
            named
                .iter()
                .filter_map(|spn| fill(spn, ("", ""), 0).step(action)),
        );
    }
    for edit in edits {
        let step = match *edit {
            Edit::ServerTrust(ServerTrust::Unconstrained) => plain.step(Action::TrustUnconstrained),
            Edit::ServerTrust(_) | Edit::AllowedTargets => None,
            Edit::ProtocolTransition => plain.step(Action::ProtocolTransition),
            Edit::Level(level) => level
                .level()
                .and_then(|l| fill("", (l.windows_names().1, l.name()), 0).step(Action::SetLevel)),
            Edit::Auth(auth) => {
                fill("", (auth.rpc_authn_name(), auth.name()), 0).step(Action::SetAuth)
            }
            Edit::Transport(t) => fill("", (t.name(), t.name()), 0).step(Action::SetTransport),
            Edit::HopAuth(i, auth) => {
                fill("", (auth.rpc_authn_name(), auth.name()), usize::from(i) + 1)
                    .step(Action::SetHopAuth)
            }
            Edit::KerberosAvailable => plain.step(Action::RegisterSpn),
            Edit::ServerCanImpersonate => plain.step(Action::GrantImpersonate),
            Edit::ClientSensitive => plain.step(Action::UnmarkSensitive),
            Edit::ClientProtectedUser => plain.step(Action::LeaveProtectedUsers),
            Edit::ClientCredentialGuard => plain.step(Action::DisableCredentialGuard),
        };
        out.extend(step);
    }
    out
}
