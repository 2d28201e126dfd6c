//! What a person can change to make a request work: one [`Edit`] per changed request field,
//! with the kind of change it is and what it does to the server's rights. The field an edit
//! changes is named through the request's field tables (a misspelt name is a build error).

use alloc::string::String;

use crate::auth::AuthService;
use crate::delegation::ServerTrust;
use crate::error::FieldPath;
use crate::json::OwnedRequest;
use crate::level::RequestedLevel;
use crate::model::{RecordInfo, Shape};
use crate::request::Borrowed;
use crate::request::Request;
use crate::transport::Transport;
use crate::vocabulary::vocabulary;

vocabulary! {
    /// Who makes a change, and where.
    pub enum ChangeKind {
        /// an Active Directory change (an account's delegation settings, an SPN, a group)
        Directory = "directory",
        /// a parameter of the client's or an intermediate's code (COM/RPC API)
        Code = "code",
        /// a setting of a computer (a user right, Credential Guard)
        Machine = "machine",
    }
}

vocabulary! {
    /// What a change does to what the server (or anyone) may do.
    pub enum Effect {
        /// grants no right: which authentication, level or transport is used, an SPN registered
        None = "none",
        /// changes the server's delegation rights (see the fix's delegation class)
        Delegation = "delegation",
        /// grants the server a right beyond its delegation settings (SeImpersonatePrivilege)
        Widens = "widens",
        /// removes a protection from the client's account or computer (lowers security)
        LowersSecurity = "lowers-security",
    }
}

/// One changed field of a fix. The order is the display order: delegation first, code next,
/// client protections last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Edit {
    /// `delegation.server_trust` set to this trust.
    ServerTrust(ServerTrust),
    /// `delegation.allowed_targets` extended by the fix's
    /// [`added_targets`](super::Fix::added_targets).
    AllowedTargets,
    /// `delegation.protocol_transition` switched on.
    ProtocolTransition,
    /// `level` raised to this level.
    Level(RequestedLevel),
    /// `auth` (client → server) set.
    Auth(AuthService),
    /// `transport` set.
    Transport(Transport),
    /// `hops[i].auth` set.
    HopAuth(u8, AuthService),
    /// `kerberos_available` switched on (register the server's SPN).
    KerberosAvailable,
    /// `server_can_impersonate` switched on (grant SeImpersonatePrivilege).
    ServerCanImpersonate,
    /// `delegation.client_sensitive` switched off (lowers security).
    ClientSensitive,
    /// `delegation.client_protected_user` switched off (lowers security).
    ClientProtectedUser,
    /// `delegation.client_credential_guard` switched off (lowers security).
    ClientCredentialGuard,
}

// The request's field tables, looked up at compile time.
const REQUEST: &RecordInfo = &Request::<Borrowed<'static>>::INFO;
const DELEGATION: &RecordInfo = record(REQUEST, "delegation");
const HOP: &RecordInfo = record(REQUEST, "hops");

/// The field's name as the table spells it.
const fn name(record: &'static RecordInfo, field: &str) -> &'static str {
    record.row(field).name
}

/// The nested record of the field `name`.
#[allow(clippy::panic)] // const items only
const fn record(parent: &'static RecordInfo, field: &str) -> &'static RecordInfo {
    match parent.row(field).shape {
        Shape::Record(inner) | Shape::RecordList(inner, _) => inner,
        _ => panic!("not a record field"),
    }
}

const LEVEL: &str = name(REQUEST, "level");
const AUTH: &str = name(REQUEST, "auth");
const TRANSPORT: &str = name(REQUEST, "transport");
const KERBEROS_AVAILABLE: &str = name(REQUEST, "kerberos_available");
const SERVER_CAN_IMPERSONATE: &str = name(REQUEST, "server_can_impersonate");
const DELEGATION_FIELD: &str = name(REQUEST, "delegation");
const HOPS: &str = name(REQUEST, "hops");
const SERVER_TRUST: &str = name(DELEGATION, "server_trust");
const ALLOWED_TARGETS: &str = name(DELEGATION, "allowed_targets");
const PROTOCOL_TRANSITION: &str = name(DELEGATION, "protocol_transition");
const CLIENT_SENSITIVE: &str = name(DELEGATION, "client_sensitive");
const CLIENT_PROTECTED_USER: &str = name(DELEGATION, "client_protected_user");
const CLIENT_CREDENTIAL_GUARD: &str = name(DELEGATION, "client_credential_guard");
const HOP_AUTH: &str = name(HOP, "auth");

impl Edit {
    /// The lever this edit belongs to: the server's delegation trust and its target list are
    /// one lever (configured together); every other edit is a lever of its own, whatever its
    /// value. A fix uses each lever at most once.
    #[must_use]
    pub(crate) const fn lever(self) -> Edit {
        match self {
            Edit::ServerTrust(_) | Edit::AllowedTargets => Edit::ServerTrust(ServerTrust::None),
            Edit::Level(_) => Edit::Level(RequestedLevel::Default),
            Edit::Auth(_) => Edit::Auth(AuthService::None),
            Edit::Transport(_) => Edit::Transport(Transport::Ncalrpc),
            Edit::HopAuth(i, _) => Edit::HopAuth(i, AuthService::None),
            other => other,
        }
    }

    /// The request field it changes.
    #[must_use]
    pub fn path(self) -> FieldPath {
        let delegation = FieldPath::field(DELEGATION_FIELD);
        match self {
            Edit::ServerTrust(_) => delegation.key(SERVER_TRUST),
            Edit::AllowedTargets => delegation.key(ALLOWED_TARGETS),
            Edit::ProtocolTransition => delegation.key(PROTOCOL_TRANSITION),
            Edit::Level(_) => FieldPath::field(LEVEL),
            Edit::Auth(_) => FieldPath::field(AUTH),
            Edit::Transport(_) => FieldPath::field(TRANSPORT),
            Edit::HopAuth(i, _) => FieldPath::field(HOPS).index(usize::from(i)).key(HOP_AUTH),
            Edit::KerberosAvailable => FieldPath::field(KERBEROS_AVAILABLE),
            Edit::ServerCanImpersonate => FieldPath::field(SERVER_CAN_IMPERSONATE),
            Edit::ClientSensitive => delegation.key(CLIENT_SENSITIVE),
            Edit::ClientProtectedUser => delegation.key(CLIENT_PROTECTED_USER),
            Edit::ClientCredentialGuard => delegation.key(CLIENT_CREDENTIAL_GUARD),
        }
    }

    /// Who makes the change, and where.
    #[must_use]
    pub const fn kind(self) -> ChangeKind {
        match self {
            Edit::ServerTrust(_)
            | Edit::AllowedTargets
            | Edit::ProtocolTransition
            | Edit::KerberosAvailable
            | Edit::ClientSensitive
            | Edit::ClientProtectedUser => ChangeKind::Directory,
            Edit::Level(_) | Edit::Auth(_) | Edit::Transport(_) | Edit::HopAuth(..) => {
                ChangeKind::Code
            }
            Edit::ServerCanImpersonate | Edit::ClientCredentialGuard => ChangeKind::Machine,
        }
    }

    /// What it does to what the server (or anyone) may do.
    #[must_use]
    pub const fn effect(self) -> Effect {
        match self {
            Edit::ServerTrust(_) | Edit::AllowedTargets | Edit::ProtocolTransition => {
                Effect::Delegation
            }
            Edit::ClientSensitive | Edit::ClientProtectedUser | Edit::ClientCredentialGuard => {
                Effect::LowersSecurity
            }
            Edit::ServerCanImpersonate => Effect::Widens,
            Edit::Level(_)
            | Edit::Auth(_)
            | Edit::Transport(_)
            | Edit::HopAuth(..)
            | Edit::KerberosAvailable => Effect::None,
        }
    }

    /// Applies the edit (`targets`: what [`Edit::AllowedTargets`] appends).
    pub(crate) fn apply(self, request: &mut OwnedRequest, targets: &[String]) {
        let delegation = &mut request.delegation;
        match self {
            Edit::ServerTrust(trust) => delegation.server_trust = trust,
            Edit::AllowedTargets => delegation.allowed_targets.extend_from_slice(targets),
            Edit::ProtocolTransition => delegation.protocol_transition = true,
            Edit::Level(level) => request.level = level,
            Edit::Auth(auth) => request.auth = auth,
            Edit::Transport(transport) => request.transport = transport,
            Edit::HopAuth(i, auth) => {
                if let Some(hop) = request.hops.get_mut(usize::from(i)) {
                    hop.auth = auth;
                }
            }
            Edit::KerberosAvailable => request.kerberos_available = true,
            Edit::ServerCanImpersonate => request.server_can_impersonate = true,
            Edit::ClientSensitive => delegation.client_sensitive = false,
            Edit::ClientProtectedUser => delegation.client_protected_user = false,
            Edit::ClientCredentialGuard => delegation.client_credential_guard = false,
        }
    }

    /// Undoes [`apply`](Self::apply): copies the field back from `base` (the request it was
    /// applied to), so one scratch request serves every variation without reallocating.
    pub(crate) fn restore(self, request: &mut OwnedRequest, base: &OwnedRequest) {
        let (delegation, from) = (&mut request.delegation, &base.delegation);
        match self {
            Edit::ServerTrust(_) => delegation.server_trust = from.server_trust,
            Edit::AllowedTargets => delegation
                .allowed_targets
                .truncate(from.allowed_targets.len()),
            Edit::ProtocolTransition => delegation.protocol_transition = from.protocol_transition,
            Edit::Level(_) => request.level = base.level,
            Edit::Auth(_) => request.auth = base.auth,
            Edit::Transport(_) => request.transport = base.transport,
            Edit::HopAuth(i, _) => {
                let i = usize::from(i);
                if let (Some(hop), Some(from)) = (request.hops.get_mut(i), base.hops.get(i)) {
                    hop.auth = from.auth;
                }
            }
            Edit::KerberosAvailable => request.kerberos_available = base.kerberos_available,
            Edit::ServerCanImpersonate => {
                request.server_can_impersonate = base.server_can_impersonate;
            }
            Edit::ClientSensitive => delegation.client_sensitive = from.client_sensitive,
            Edit::ClientProtectedUser => {
                delegation.client_protected_user = from.client_protected_user;
            }
            Edit::ClientCredentialGuard => {
                delegation.client_credential_guard = from.client_credential_guard;
            }
        }
    }

    /// The hop it edits, if any.
    #[must_use]
    pub const fn hop(self) -> Option<u8> {
        match self {
            Edit::HopAuth(i, _) => Some(i),
            _ => None,
        }
    }
}
