//! What a server's delegation settings expose: for every kind of client and every target,
//! whether the client's identity reaches the target, and how far it goes from there — each
//! answer a decision of a request anyone can decide again.
//!
//! The server is fixed as a remote one over `ncacn_ip_tcp`, reachable with Kerberos, holding
//! SeImpersonatePrivilege, in the client's domain: what varies is the client (the level it
//! grants, its authentication service, its protections) and the target. The targets are the
//! allowed targets and [`ANY_OTHER_SERVICE`], which stands for every service not listed.
//! "How far" is the decision of a two-hop chain: the target, then any other service.

use alloc::string::String;
use alloc::vec::Vec;

use crate::auth::AuthService;
use crate::decision::Decision;
use crate::error::RequestError;
use crate::json::{OwnedHop, OwnedRequest};
use crate::level::RequestedLevel;
use crate::model::Own;
use crate::request::Storage;
use crate::request::{Delegation, Hop, Request};

/// The target that stands for every service the settings do not list.
pub const ANY_OTHER_SERVICE: &str = "<any other service>";

/// A kind of client: what it grants and how it and its account are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientKind {
    /// The level the client grants (`level`).
    pub level: RequestedLevel,
    /// Its authentication service (`auth`).
    pub auth: AuthService,
    /// `delegation.client_sensitive`.
    pub sensitive: bool,
    /// `delegation.client_protected_user`.
    pub protected_user: bool,
    /// `delegation.client_credential_guard`.
    pub credential_guard: bool,
}

impl ClientKind {
    /// Every kind, in a fixed order: the two levels that can carry an identity onward
    /// (impersonation, delegation) × every authentication service × the three protections.
    pub fn all() -> impl Iterator<Item = ClientKind> {
        [RequestedLevel::Impersonation, RequestedLevel::Delegation]
            .into_iter()
            .flat_map(|level| AuthService::ALL.iter().map(move |auth| (level, *auth)))
            .flat_map(|(level, auth)| {
                (0u8..8).map(move |bits| ClientKind {
                    level,
                    auth,
                    sensitive: bits & 1 != 0,
                    protected_user: bits & 2 != 0,
                    credential_guard: bits & 4 != 0,
                })
            })
    }

    fn apply(self, request: &mut OwnedRequest) {
        request.level = self.level;
        request.auth = self.auth;
        request.delegation.client_sensitive = self.sensitive;
        request.delegation.client_protected_user = self.protected_user;
        request.delegation.client_credential_guard = self.credential_guard;
    }
}

/// One client kind whose identity reaches one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposureRow {
    /// The client.
    pub client: ClientKind,
    /// The target (an allowed target, or [`ANY_OTHER_SERVICE`]).
    pub target: String,
    /// The request that shows it: the settings, this client, hops to the target and then to
    /// [`ANY_OTHER_SERVICE`].
    pub request: OwnedRequest,
}

impl ExposureRow {
    /// The decision of [`Self::request`]: hop 1 arrives as the client; hop 2 says whether the
    /// identity travels on to any other service.
    pub fn decision(&self) -> Result<Decision<'_>, RequestError> {
        crate::decide(&self.request)
    }
}

/// The exposure of a server's delegation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// The settings, as the request every row starts from (client fields at their defaults).
    pub settings: OwnedRequest,
    /// The targets considered, in order: the allowed targets (case-insensitive duplicates
    /// once), then [`ANY_OTHER_SERVICE`] unless listed.
    pub targets: Vec<String>,
    /// Every (client kind, target) whose first hop arrives as the client, targets in
    /// `targets` order, kinds in [`ClientKind::all`] order.
    pub rows: Vec<ExposureRow>,
}

/// What `settings` expose (their client fields are ignored: every client kind is tried).
pub fn exposure<S: Storage>(settings: &Delegation<S>) -> Result<Exposure, RequestError> {
    let server = Request::<S> {
        delegation: Delegation {
            client_sensitive: false,
            client_protected_user: false,
            client_credential_guard: false,
            ..settings.clone()
        },
        ..Request::blank()
    };
    let mut base: crate::json::OwnedRequest = server.owned();
    base.level = RequestedLevel::Impersonation;
    crate::decide(&base)?;
    let mut targets: Vec<String> = Vec::new();
    for target in &base.delegation.allowed_targets {
        if !targets.iter().any(|t| t.eq_ignore_ascii_case(target)) {
            targets.push(target.clone());
        }
    }
    if !base.delegation.allows_target(ANY_OTHER_SERVICE) {
        targets.push(ANY_OTHER_SERVICE.into());
    }
    let mut rows = Vec::new();
    for target in &targets {
        for client in ClientKind::all() {
            let mut request = base.clone();
            client.apply(&mut request);
            request.hops = alloc::vec![hop(target), hop(ANY_OTHER_SERVICE)];
            let reaches = crate::decide(&request)?
                .hops()
                .first()
                .is_some_and(|h| h.allowed());
            if reaches {
                rows.push(ExposureRow {
                    client,
                    target: target.clone(),
                    request,
                });
            }
        }
    }
    Ok(Exposure {
        settings: base,
        targets,
        rows,
    })
}

fn hop(target: &str) -> OwnedHop {
    Hop {
        target: target.into(),
        ..Hop::blank()
    }
}
