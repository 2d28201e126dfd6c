//! The typed request (spec §2) and its hop-free projection, [`CallContext`].

use crate::auth::AuthService;
use crate::delegation::{Delegation, ServerTrust};
use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::hop::{Hop, MAX_HOPS};
use crate::level::RequestedLevel;
use crate::transport::{ServerLocation, Transport};

/// A request to decide (spec §2), borrowing its strings. [`Request::new`] gives the defaults.
///
/// ```
/// use onbehalf_core::{decide, Level, Reach, Request, RequestedLevel, AuthService};
/// let mut req = Request::new(RequestedLevel::Impersonation);
/// req.auth = AuthService::Kerberos;
/// let d = decide(&req).unwrap();
/// assert_eq!((d.effective, d.reach), (Level::Impersonation, Reach::Local));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The level the client asks for.
    pub level: RequestedLevel,
    /// The client → server transport.
    pub transport: Transport,
    /// Where the server runs.
    pub server: ServerLocation,
    /// The client → server authentication service.
    pub auth: AuthService,
    /// The client can obtain a Kerberos ticket for this server.
    pub kerberos_available: bool,
    /// The server holds SeImpersonatePrivilege (or runs as the client).
    pub server_can_impersonate: bool,
    /// Delegation prerequisites.
    pub delegation: Delegation<'a>,
    /// Onward calls, at most [`MAX_HOPS`].
    pub hops: &'a [Hop<'a>],
}

impl Request<'_> {
    /// A request at `level` with every other field at the spec's default
    /// (`ncacn_ip_tcp`, remote server, `negotiate`, …).
    #[must_use]
    pub fn new(level: RequestedLevel) -> Request<'static> {
        Request::over(level, Transport::NcacnIpTcp)
    }

    /// A request at `level` over `transport`, with `server` defaulted as the spec says
    /// (`local` for `ncalrpc`, else `remote`).
    #[must_use]
    pub fn over(level: RequestedLevel, transport: Transport) -> Request<'static> {
        Request {
            level,
            transport,
            server: ServerLocation::default_for(transport),
            auth: AuthService::Negotiate,
            kerberos_available: true,
            server_can_impersonate: true,
            delegation: Delegation::default(),
            hops: &[],
        }
    }
}

impl Request<'_> {
    /// The hop-free facts the call itself is decided from.
    #[must_use]
    pub fn context(&self) -> CallContext {
        CallContext {
            level: self.level,
            transport: self.transport,
            server: self.server,
            auth: self.auth,
            kerberos_available: self.kerberos_available,
            server_can_impersonate: self.server_can_impersonate,
            client_sensitive: self.delegation.client_sensitive,
            client_protected_user: self.delegation.client_protected_user,
            server_trust: self.delegation.server_trust,
            has_allowed_targets: !self.delegation.allowed_targets.is_empty(),
            domain_joined: self.delegation.domain_joined,
            protocol_transition: self.delegation.protocol_transition,
            client_credential_guard: self.delegation.client_credential_guard,
        }
    }

    /// The checks of spec §4 that a typed request can still fail, in §4's order:
    /// empty allowed target (9), too many hops (after 10), each hop's empty target and
    /// `ncalrpc` transport (11), `ncalrpc` with a remote server (12).
    pub fn validate(&self) -> Result<(), RequestError> {
        for (i, target) in self.delegation.allowed_targets.iter().enumerate() {
            if target.is_empty() {
                return Err(RequestError::new(
                    ErrorCode::InvalidValue,
                    FieldPath::AllowedTarget(i),
                    "a non-empty SPN or host string",
                ));
            }
        }
        check_hop_count(self.hops.len())?;
        for (i, hop) in self.hops.iter().enumerate() {
            if hop.target.is_empty() {
                return Err(RequestError::new(
                    ErrorCode::InvalidValue,
                    FieldPath::HopField(i, "target"),
                    "a non-empty SPN or host string",
                ));
            }
            check_hop_transport(i, hop.transport)?;
        }
        self.context().validate()
    }
}

/// Spec §4 bound on `hops` (documented in [`MAX_HOPS`]).
pub(crate) fn check_hop_count(count: usize) -> Result<(), RequestError> {
    if count > MAX_HOPS {
        return Err(RequestError::new(
            ErrorCode::InvalidValue,
            FieldPath::Field("hops"),
            "at most 16 hops",
        )
        .found(count));
    }
    Ok(())
}

/// Spec §4 check 11, last part: every hop crosses a machine boundary.
pub(crate) fn check_hop_transport(index: usize, transport: Transport) -> Result<(), RequestError> {
    if transport == Transport::Ncalrpc {
        return Err(RequestError::new(
            ErrorCode::HopTransportNcalrpc,
            FieldPath::HopField(index, "transport"),
            "ncacn_np, ncacn_ip_tcp, ncacn_http, ncadg_ip_udp",
        ));
    }
    Ok(())
}

/// Everything the decision *without hops* depends on: a [`Request`] with the target list
/// reduced to "empty / not empty". This is the packed domain (see [`PackedRequest`](crate::PackedRequest)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the fields are those of Request and Delegation
pub struct CallContext {
    pub level: RequestedLevel,
    pub transport: Transport,
    pub server: ServerLocation,
    pub auth: AuthService,
    pub kerberos_available: bool,
    pub server_can_impersonate: bool,
    pub client_sensitive: bool,
    pub client_protected_user: bool,
    pub server_trust: ServerTrust,
    /// `delegation.allowed_targets` is not empty.
    pub has_allowed_targets: bool,
    pub domain_joined: bool,
    pub protocol_transition: bool,
    pub client_credential_guard: bool,
}

impl CallContext {
    /// Spec §4 check 12: `ncalrpc` is local-only.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.transport == Transport::Ncalrpc && self.server == ServerLocation::Remote {
            return Err(RequestError::new(
                ErrorCode::NcalrpcRequiresLocalServer,
                FieldPath::Field("server"),
                "local (or omit server) with ncalrpc",
            ));
        }
        Ok(())
    }
}
