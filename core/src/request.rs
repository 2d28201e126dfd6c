//! The request (spec §2) as one field table per object. Everything else about the request —
//! its typed struct, §4 reading order and defaults, canonical JSON, packed bits, catalog and
//! TypeScript types — is derived from these tables (see `model.rs`). A new field is one line
//! here plus its rule.

use crate::auth::AuthService;
use crate::delegation::ServerTrust;
use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::hop::MAX_HOPS;
use crate::level::RequestedLevel;
use crate::model::{choice_field, record, Field, Shape, Unpack};
use crate::realm::Realm;
use crate::storage::{Borrowed, Storage};
use crate::transport::{ServerLocation, Transport};

choice_field! {
    RequestedLevel => UnknownLevel,
    Transport => UnknownTransport,
    ServerLocation => UnknownServer,
    AuthService => UnknownAuth,
    ServerTrust => UnknownServerTrust,
    Realm => UnknownRealm,
}

record! {
    /// The call: a request to decide (spec §2).
    ///
    /// `Request` (the default, `'static`-borrowed), `Request<Borrowed<'a>>` and
    /// [`OwnedRequest`](crate::json::OwnedRequest) are the same type over different string
    /// storage. [`Request::new`] gives the spec's defaults.
    ///
    /// ```
    /// use onbehalf_core::{decide, AuthService, Level, Reach, Request, RequestedLevel};
    /// let mut req = Request::new(RequestedLevel::Impersonation);
    /// req.auth = AuthService::Kerberos;
    /// let d = decide(&req).unwrap();
    /// assert_eq!((d.effective, d.reach), (Level::Impersonation, Reach::Local));
    /// ```
    pub struct Request<S> {
        /// Requested impersonation level
        /// The level the client asks for (`RPC_C_IMP_LEVEL_*`, `SECURITY_IMPERSONATION_LEVEL`).
        level: RequestedLevel = required(MissingLevel, RequestedLevel::Default), packed 0;
        /// Transport (protocol sequence)
        /// The RPC protocol sequence of the client → server call.
        transport: Transport = value(Transport::NcacnIpTcp), packed 3;
        /// Server runs
        /// Where the server process runs relative to the client.
        server: ServerLocation = derived(
            "local if transport is ncalrpc, else remote",
            ServerLocation::default_for(transport)
        ), packed 6;
        /// Authentication service
        /// The client → server authentication service.
        auth: AuthService = value(AuthService::Negotiate), packed 7;
        /// Client can get a Kerberos ticket for the server
        /// KDC reachable, SPN registered, server named by host name (not IP address); affects
        /// only the client → server leg.
        kerberos_available: bool = value(true), packed 10;
        /// Server holds SeImpersonatePrivilege
        /// Or runs as the client's identity; without it impersonation yields Identify only.
        server_can_impersonate: bool = value(true), packed 11;
        /// Active Directory delegation settings
        /// The delegation prerequisites of client and server accounts.
        delegation: Delegation<S> = value(Delegation::blank());
        /// Onward calls (hops) the server makes as the client
        /// Hop 1 is server → next machine, hop 2 that machine → the next, and so on.
        hops: S::Hops = value(S::Hops::default()),
            then |_path| check_ncalrpc_server(transport, server);
        /// Server's domain
        /// Where the server's service account lives relative to the client's account.
        server_realm: Realm = value(Realm::SameDomain), packed 20, group "realms";
        /// Forest trust to the server's forest
        /// The trust between the client's forest and the server's; read only when the server is
        /// in another forest.
        forest_trust: ForestTrust = value(ForestTrust::blank()), group "realms";
    }
}

record! {
    /// The forest trust an identity crosses: its attributes and the client's rights on it.
    ///
    /// Import from the trusted-domain object's `trustAttributes` (spec revision 3, §2).
    pub struct ForestTrust {
        /// TGT delegation enabled on the trust
        /// CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION set and NO_TGT_DELEGATION clear on the
        /// client forest's trusted-domain object (off by default since 2019).
        tgt_delegation: bool = value(false), packed 22;
        /// Trust is quarantined (SID filtering)
        /// QUARANTINED_DOMAIN on that trust.
        quarantined: bool = value(false), packed 23;
        /// Selective authentication
        /// CROSS_ORGANIZATION on the resource side's trust.
        selective_auth: bool = value(false), packed 24;
        /// Client holds Allowed-to-Authenticate
        /// On the account the DC checks for this leg; read only with selective authentication.
        allowed_to_authenticate: bool = value(false), packed 25;
        /// Two-way trust
        /// The client's forest also trusts the other forest, so referrals lead back (needed by
        /// protocol transition for a client of another forest).
        two_way: bool = value(false), packed 26;
    }
}

record! {
    /// The Active Directory configuration of the client and server accounts.
    ///
    /// The `delegation` object of a request; [`Delegation::blank`] gives the spec's defaults.
    ///
    /// ```
    /// use onbehalf_core::{Delegation, ServerTrust};
    /// let d: Delegation = Delegation { server_trust: ServerTrust::Constrained, allowed_targets: &["cifs/fs1"][..], ..Delegation::blank() };
    /// assert!(d.domain_joined);
    /// assert!(d.allows_target("CIFS/FS1"));
    /// ```
    pub struct Delegation<S> {
        /// Client account is sensitive and cannot be delegated
        /// "Account is sensitive and cannot be delegated" (`NOT_DELEGATED`).
        client_sensitive: bool = value(false), packed 12;
        /// Client is in Protected Users
        /// Members of Protected Users authenticate neither with NTLM nor with delegation.
        client_protected_user: bool = value(false), packed 13;
        /// Server account trusted for delegation
        /// How the server account is trusted for delegation (AD default: not at all).
        server_trust: ServerTrust = value(ServerTrust::None), packed 14;
        /// Allowed targets (SPNs)
        /// SPNs the server may delegate to (KCD), or targets whose RBCD list admits it; ignored
        /// for `none` and `unconstrained`.
        allowed_targets: S::Targets = value(S::Targets::default()), packed 16;
        /// Every computer is domain-joined
        /// Client, server and all downstream computers run in a domain and reach its KDC.
        domain_joined: bool = value(true), packed 17;
        /// Protocol transition (use any authentication protocol)
        /// KCD `TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION`: S4U2self for clients that did not use Kerberos.
        protocol_transition: bool = value(false), packed 18;
        /// Credential Guard runs on the client
        /// Blocks unconstrained (TGT-forwarding) delegation; KCD and RBCD still work.
        client_credential_guard: bool = value(false), packed 19;
    }
}

record! {
    /// An onward call the server (or the machine before) makes as the client.
    ///
    /// Hop 1 is server → next machine, hop 2 that machine → the next, …
    pub struct Hop<S> {
        /// Target
        /// SPN or host string, compared with `allowed_targets`; echoed verbatim.
        target: S::Str = required(MissingHopTarget, S::Str::default());
        /// Authentication
        /// The authentication service of this leg.
        auth: AuthService = value(AuthService::Negotiate);
        /// Transport
        /// The transport of this leg (never the local-only ncalrpc).
        transport: Transport = value(Transport::NcacnIpTcp),
            then |path| check_hop_transport(transport, path);
        /// Target's domain
        /// Where the target's service account lives relative to the calling machine's account.
        realm: Realm = value(Realm::SameDomain), group "realms";
        /// Forest trust to the target's forest
        /// The trust between the client's forest and the target's; read only when the target
        /// is in another forest.
        forest_trust: ForestTrust = value(ForestTrust::blank()), group "realms";
    }
}

impl ForestTrust {
    /// The features of a trust the decision reads (spec §5 step 5a, D8, D9; §6 rows 3a,
    /// 7a): the client is refused (selective authentication without the right), a TGT passes
    /// (TGT delegation enabled and not quarantined), the trust is two-way.
    #[must_use]
    pub fn features(&self) -> (bool, bool, bool) {
        (
            self.selective_auth && !self.allowed_to_authenticate,
            self.tgt_delegation && !self.quarantined,
            self.two_way,
        )
    }

    /// The one trust that stands for every trust with the same [`features`](Self::features).
    #[must_use]
    pub fn representative(&self) -> ForestTrust {
        let (refused, forwards, two_way) = self.features();
        ForestTrust {
            selective_auth: refused,
            tgt_delegation: forwards,
            two_way,
            ..ForestTrust::blank()
        }
    }
}

impl<'a> Request<Borrowed<'a>> {
    /// A request at `level` with every other field at the spec's default
    /// (`ncacn_ip_tcp`, remote server, `negotiate`, …).
    #[must_use]
    pub fn new(level: RequestedLevel) -> Self {
        Request {
            level,
            ..Request::blank()
        }
    }

    /// A request at `level` over `transport`, with `server` defaulted as the spec says
    /// (`local` for `ncalrpc`, else `remote`).
    #[must_use]
    pub fn over(level: RequestedLevel, transport: Transport) -> Self {
        Request {
            level,
            transport,
            server: ServerLocation::default_for(transport),
            ..Request::blank()
        }
    }
}

impl<'a> Hop<Borrowed<'a>> {
    /// A hop with the spec's defaults (`negotiate` over `ncacn_ip_tcp`).
    #[must_use]
    pub fn to(target: &'a str) -> Self {
        Hop {
            target,
            ..Hop::blank()
        }
    }
}

impl<S: Storage> Delegation<S> {
    /// Whether `target` is in `allowed_targets` (ASCII-case-insensitive equality; no SPN expansion).
    #[must_use]
    pub fn allows_target(&self, target: &str) -> bool {
        self.allowed_targets
            .as_ref()
            .iter()
            .any(|allowed| allowed.as_ref().eq_ignore_ascii_case(target))
    }

    /// Whether `allowed_targets` is not empty (all the hop-free decision needs of the list).
    #[must_use]
    pub fn has_allowed_targets(&self) -> bool {
        !self.allowed_targets.as_ref().is_empty()
    }
}

impl<S: Storage> Request<S> {
    /// The onward calls.
    #[must_use]
    pub fn hops(&self) -> &[Hop<S>] {
        self.hops.as_ref()
    }

    /// The checks of spec §4 that a typed request can still fail, in §4's order:
    /// empty allowed target (9), too many hops (after 10), each hop's empty target and
    /// `ncalrpc` transport (11), `ncalrpc` with a remote server (12).
    pub fn validate(&self) -> Result<(), RequestError> {
        let targets = FieldPath::field("delegation").key("allowed_targets");
        for (i, target) in self.delegation.allowed_targets.as_ref().iter().enumerate() {
            check_non_empty(target.as_ref(), targets.index(i))?;
        }
        check_hop_count(self.hops().len())?;
        for (i, hop) in self.hops().iter().enumerate() {
            let path = FieldPath::field("hops").index(i);
            check_non_empty(hop.target.as_ref(), path.key("target"))?;
            check_hop_transport(hop.transport, path.key("transport"))?;
        }
        check_ncalrpc_server(self.transport, self.server)
    }
}

/// `invalid-value` for an empty target string (spec §4 checks 9 and 11).
pub(crate) fn check_non_empty(text: &str, path: FieldPath) -> Result<(), RequestError> {
    if text.is_empty() {
        return Err(RequestError::new(
            ErrorCode::InvalidValue,
            path,
            Shape::Text.expected(),
        ));
    }
    Ok(())
}

/// Spec §4 bound on `hops` (documented in [`MAX_HOPS`]).
pub(crate) fn check_hop_count(count: usize) -> Result<(), RequestError> {
    if count > MAX_HOPS {
        return Err(RequestError::new(
            ErrorCode::InvalidValue,
            FieldPath::field("hops"),
            "at most 16 hops",
        )
        .found(count));
    }
    Ok(())
}

/// Spec §4 check 11, last part: every hop crosses a machine boundary.
fn check_hop_transport(transport: Transport, path: FieldPath) -> Result<(), RequestError> {
    if transport == Transport::Ncalrpc {
        return Err(RequestError::new(
            ErrorCode::HopTransportNcalrpc,
            path,
            "ncacn_np, ncacn_ip_tcp, ncacn_http, ncadg_ip_udp",
        ));
    }
    Ok(())
}

/// Spec §4 check 12: `ncalrpc` is local-only.
pub(crate) fn check_ncalrpc_server(
    transport: Transport,
    server: ServerLocation,
) -> Result<(), RequestError> {
    if transport == Transport::Ncalrpc && server == ServerLocation::Remote {
        return Err(RequestError::new(
            ErrorCode::NcalrpcRequiresLocalServer,
            FieldPath::field("server"),
            "local (or omit server) with ncalrpc",
        ));
    }
    Ok(())
}

/// The one target a packed request's non-empty `allowed_targets` decodes to: the hop-free
/// decision needs only "empty or not", and a packed request has no hops to match.
pub const PACKED_TARGETS: &[&str] = &["(any allowed target)"];

impl<'a> Field for &'a [&'a str] {
    const SHAPE: Shape = Shape::TextList;
    const PACKED_WIDTH: u32 = 1;
    fn packed(&self) -> u64 {
        u64::from(!self.is_empty())
    }
    #[cfg(feature = "alloc")]
    fn to_value(&self) -> crate::json::Value {
        crate::json::Value::Array(self.iter().map(|t| crate::json::string(t)).collect())
    }
}

impl<'a> Unpack for &'a [&'a str] {
    fn unpack_from(bits: u64, at: Option<u32>, _: FieldPath) -> Result<Self, RequestError> {
        Ok(if crate::model::bits_at(bits, at.unwrap_or(0), 1) == 1 {
            PACKED_TARGETS
        } else {
            &[]
        })
    }
}

impl Field for &str {
    const SHAPE: Shape = Shape::Text;
    #[cfg(feature = "alloc")]
    fn to_value(&self) -> crate::json::Value {
        crate::json::string(self)
    }
}

impl<'a> Field for &'a [Hop<Borrowed<'a>>] {
    const SHAPE: Shape = Shape::RecordList(&Hop::<Borrowed<'static>>::INFO, MAX_HOPS);
    #[cfg(feature = "alloc")]
    fn to_value(&self) -> crate::json::Value {
        crate::json::Value::Array(self.iter().map(Hop::to_value).collect())
    }
}

impl<'a> Unpack for &'a [Hop<Borrowed<'a>>] {
    fn unpack_from(_: u64, _: Option<u32>, _: FieldPath) -> Result<Self, RequestError> {
        Ok(&[])
    }
}
