//! Spec §4: turning a JSON value into a request, checks in the spec's exact order (the first
//! failure wins), and the canonical JSON form of a request.

use alloc::string::String;
use alloc::vec::Vec;

use super::value::{object, string, Value};
use crate::auth::AuthService;
use crate::delegation::{Delegation, ServerTrust};
use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::hop::Hop;
use crate::level::RequestedLevel;
use crate::request::{check_hop_count, check_hop_transport, Request};
use crate::transport::{ServerLocation, Transport};

const TOP_FIELDS: &[&str] = &[
    "level",
    "transport",
    "server",
    "auth",
    "kerberos_available",
    "server_can_impersonate",
    "delegation",
    "hops",
];
const TOP_ACCEPTED: &str =
    "level, transport, server, auth, kerberos_available, server_can_impersonate, delegation, hops";
const DELEGATION_FIELDS: &[&str] = &[
    "client_sensitive",
    "client_protected_user",
    "server_trust",
    "allowed_targets",
    "domain_joined",
    "protocol_transition",
    "client_credential_guard",
];
const DELEGATION_ACCEPTED: &str = "client_sensitive, client_protected_user, server_trust, allowed_targets, domain_joined, protocol_transition, client_credential_guard";
const HOP_FIELDS: &[&str] = &["target", "auth", "transport"];
const HOP_ACCEPTED: &str = "target, auth, transport";

/// A validated request that owns its strings; [`OwnedRequest::with_request`] lends the
/// borrowed [`Request`] the engine decides.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // fields are those of Request
pub struct OwnedRequest {
    pub level: RequestedLevel,
    pub transport: Transport,
    pub server: ServerLocation,
    pub auth: AuthService,
    pub kerberos_available: bool,
    pub server_can_impersonate: bool,
    pub client_sensitive: bool,
    pub client_protected_user: bool,
    pub server_trust: ServerTrust,
    pub allowed_targets: Vec<String>,
    pub domain_joined: bool,
    pub protocol_transition: bool,
    pub client_credential_guard: bool,
    pub hops: Vec<OwnedHop>,
}

/// A hop that owns its target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct OwnedHop {
    pub target: String,
    pub auth: AuthService,
    pub transport: Transport,
}

impl OwnedRequest {
    /// Calls `f` with the borrowed request.
    pub fn with_request<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let targets: Vec<&str> = self.allowed_targets.iter().map(String::as_str).collect();
        let hops: Vec<Hop<'_>> = self
            .hops
            .iter()
            .map(|h| Hop {
                target: &h.target,
                auth: h.auth,
                transport: h.transport,
            })
            .collect();
        f(&Request {
            level: self.level,
            transport: self.transport,
            server: self.server,
            auth: self.auth,
            kerberos_available: self.kerberos_available,
            server_can_impersonate: self.server_can_impersonate,
            delegation: Delegation {
                client_sensitive: self.client_sensitive,
                client_protected_user: self.client_protected_user,
                server_trust: self.server_trust,
                allowed_targets: &targets,
                domain_joined: self.domain_joined,
                protocol_transition: self.protocol_transition,
                client_credential_guard: self.client_credential_guard,
            },
            hops: &hops,
        })
    }

    /// Copies a borrowed request.
    #[must_use]
    pub fn from_request(r: &Request<'_>) -> OwnedRequest {
        OwnedRequest {
            level: r.level,
            transport: r.transport,
            server: r.server,
            auth: r.auth,
            kerberos_available: r.kerberos_available,
            server_can_impersonate: r.server_can_impersonate,
            client_sensitive: r.delegation.client_sensitive,
            client_protected_user: r.delegation.client_protected_user,
            server_trust: r.delegation.server_trust,
            allowed_targets: r
                .delegation
                .allowed_targets
                .iter()
                .map(|t| String::from(*t))
                .collect(),
            domain_joined: r.delegation.domain_joined,
            protocol_transition: r.delegation.protocol_transition,
            client_credential_guard: r.delegation.client_credential_guard,
            hops: r
                .hops
                .iter()
                .map(|h| OwnedHop {
                    target: String::from(h.target),
                    auth: h.auth,
                    transport: h.transport,
                })
                .collect(),
        }
    }

    /// The canonical JSON form: every field present, canonical names. Parsing it gives back
    /// an equal request.
    #[must_use]
    pub fn to_value(&self) -> Value {
        object([
            ("level", string(self.level.name())),
            ("transport", string(self.transport.name())),
            ("server", string(self.server.name())),
            ("auth", string(self.auth.name())),
            ("kerberos_available", Value::Bool(self.kerberos_available)),
            (
                "server_can_impersonate",
                Value::Bool(self.server_can_impersonate),
            ),
            (
                "delegation",
                object([
                    ("client_sensitive", Value::Bool(self.client_sensitive)),
                    (
                        "client_protected_user",
                        Value::Bool(self.client_protected_user),
                    ),
                    ("server_trust", string(self.server_trust.name())),
                    (
                        "allowed_targets",
                        Value::Array(self.allowed_targets.iter().map(|t| string(t)).collect()),
                    ),
                    ("domain_joined", Value::Bool(self.domain_joined)),
                    ("protocol_transition", Value::Bool(self.protocol_transition)),
                    (
                        "client_credential_guard",
                        Value::Bool(self.client_credential_guard),
                    ),
                ]),
            ),
            (
                "hops",
                Value::Array(
                    self.hops
                        .iter()
                        .map(|h| {
                            object([
                                ("target", string(&h.target)),
                                ("auth", string(h.auth.name())),
                                ("transport", string(h.transport.name())),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
    }
}

fn invalid_type(path: FieldPath, expected: &'static str, found: &Value) -> RequestError {
    RequestError::new(ErrorCode::InvalidType, path, expected).found(found.kind())
}

fn quoted(s: &str) -> impl core::fmt::Display + '_ {
    Value::String(String::from(s))
}

/// A string field of a vocabulary type: `invalid-type` if not a string, `unknown` if no name matches.
fn name<T>(
    value: &Value,
    path: FieldPath,
    parse: fn(&str) -> Option<T>,
    unknown: ErrorCode,
    accepted: &'static str,
) -> Result<T, RequestError> {
    match value {
        Value::String(s) => {
            parse(s).ok_or_else(|| RequestError::new(unknown, path, accepted).found(quoted(s)))
        }
        other => Err(invalid_type(path, accepted, other)),
    }
}

fn boolean(value: Option<&Value>, path: FieldPath, default: bool) -> Result<bool, RequestError> {
    match value {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(invalid_type(path, "true or false", other)),
    }
}

fn non_empty_string(value: &Value, path: FieldPath) -> Result<String, RequestError> {
    match value {
        Value::String(s) if s.is_empty() => Err(RequestError::new(
            ErrorCode::InvalidValue,
            path,
            "a non-empty SPN or host string",
        )),
        Value::String(s) => Ok(s.clone()),
        other => Err(invalid_type(path, "a non-empty string", other)),
    }
}

fn check_keys(
    fields: &[(String, Value)],
    known: &[&str],
    path: FieldPath,
    accepted: &'static str,
) -> Result<(), RequestError> {
    match fields.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((key, _)) => {
            Err(RequestError::new(ErrorCode::UnknownField, path, accepted).found(quoted(key)))
        }
        None => Ok(()),
    }
}

/// Spec §4 on a parsed value: returns the request or the first failing check's error.
///
/// ```
/// use onbehalf_core::json::{request_from_value, Value};
/// use onbehalf_core::ErrorCode;
/// let v = Value::parse(r#"{"level":"delegate","delegation":{"allowed_targets":["",5]}}"#).unwrap();
/// assert_eq!(request_from_value(&v).unwrap_err().code, ErrorCode::InvalidValue);
/// ```
pub fn request_from_value(value: &Value) -> Result<OwnedRequest, RequestError> {
    // 1
    let Value::Object(fields) = value else {
        return Err(RequestError::new(
            ErrorCode::InvalidRequest,
            FieldPath::Request,
            "a JSON object",
        )
        .found(value.kind()));
    };
    // 2
    check_keys(fields, TOP_FIELDS, FieldPath::Request, TOP_ACCEPTED)?;
    // 3–4
    let level = match value.get("level") {
        None => {
            return Err(RequestError::new(
                ErrorCode::MissingLevel,
                FieldPath::Field("level"),
                RequestedLevel::ACCEPTED,
            ))
        }
        Some(v) => name(
            v,
            FieldPath::Field("level"),
            RequestedLevel::from_name,
            ErrorCode::UnknownLevel,
            RequestedLevel::ACCEPTED,
        )?,
    };
    // 5
    let transport = match value.get("transport") {
        None => Transport::NcacnIpTcp,
        Some(v) => name(
            v,
            FieldPath::Field("transport"),
            Transport::from_name,
            ErrorCode::UnknownTransport,
            Transport::ACCEPTED,
        )?,
    };
    // 6
    let server = match value.get("server") {
        None => ServerLocation::default_for(transport),
        Some(v) => name(
            v,
            FieldPath::Field("server"),
            ServerLocation::from_name,
            ErrorCode::UnknownServer,
            ServerLocation::ACCEPTED,
        )?,
    };
    // 7
    let auth = match value.get("auth") {
        None => AuthService::Negotiate,
        Some(v) => name(
            v,
            FieldPath::Field("auth"),
            AuthService::from_name,
            ErrorCode::UnknownAuth,
            AuthService::ACCEPTED,
        )?,
    };
    // 8
    let kerberos_available = boolean(
        value.get("kerberos_available"),
        FieldPath::Field("kerberos_available"),
        true,
    )?;
    let server_can_impersonate = boolean(
        value.get("server_can_impersonate"),
        FieldPath::Field("server_can_impersonate"),
        true,
    )?;

    let mut request = OwnedRequest {
        level,
        transport,
        server,
        auth,
        kerberos_available,
        server_can_impersonate,
        client_sensitive: false,
        client_protected_user: false,
        server_trust: ServerTrust::None,
        allowed_targets: Vec::new(),
        domain_joined: true,
        protocol_transition: false,
        client_credential_guard: false,
        hops: Vec::new(),
    };

    // 9
    if let Some(delegation) = value.get("delegation") {
        read_delegation(delegation, &mut request)?;
    }
    // 10–11
    if let Some(hops) = value.get("hops") {
        let Value::Array(items) = hops else {
            return Err(invalid_type(
                FieldPath::Field("hops"),
                "an array of hop objects",
                hops,
            ));
        };
        check_hop_count(items.len())?;
        for (i, item) in items.iter().enumerate() {
            request.hops.push(read_hop(i, item)?);
        }
    }
    // 12
    request.with_request(|r| r.context().validate())?;
    Ok(request)
}

fn read_delegation(value: &Value, request: &mut OwnedRequest) -> Result<(), RequestError> {
    let Value::Object(fields) = value else {
        return Err(invalid_type(
            FieldPath::Field("delegation"),
            "an object",
            value,
        ));
    };
    let path = FieldPath::Delegation;
    check_keys(
        fields,
        DELEGATION_FIELDS,
        FieldPath::Field("delegation"),
        DELEGATION_ACCEPTED,
    )?;
    request.client_sensitive = boolean(
        value.get("client_sensitive"),
        path("client_sensitive"),
        false,
    )?;
    request.client_protected_user = boolean(
        value.get("client_protected_user"),
        path("client_protected_user"),
        false,
    )?;
    if let Some(v) = value.get("server_trust") {
        request.server_trust = name(
            v,
            path("server_trust"),
            ServerTrust::from_name,
            ErrorCode::UnknownServerTrust,
            ServerTrust::ACCEPTED,
        )?;
    }
    if let Some(v) = value.get("allowed_targets") {
        let Value::Array(items) = v else {
            return Err(invalid_type(
                path("allowed_targets"),
                "an array of non-empty strings",
                v,
            ));
        };
        for (i, item) in items.iter().enumerate() {
            request
                .allowed_targets
                .push(non_empty_string(item, FieldPath::AllowedTarget(i))?);
        }
    }
    request.domain_joined = boolean(value.get("domain_joined"), path("domain_joined"), true)?;
    request.protocol_transition = boolean(
        value.get("protocol_transition"),
        path("protocol_transition"),
        false,
    )?;
    request.client_credential_guard = boolean(
        value.get("client_credential_guard"),
        path("client_credential_guard"),
        false,
    )?;
    Ok(())
}

fn read_hop(i: usize, value: &Value) -> Result<OwnedHop, RequestError> {
    let Value::Object(fields) = value else {
        return Err(invalid_type(
            FieldPath::Hop(i),
            "an object with target, auth, transport",
            value,
        ));
    };
    check_keys(fields, HOP_FIELDS, FieldPath::Hop(i), HOP_ACCEPTED)?;
    let target = match value.get("target") {
        None => {
            return Err(RequestError::new(
                ErrorCode::MissingHopTarget,
                FieldPath::HopField(i, "target"),
                "a non-empty SPN or host string",
            ))
        }
        Some(v) => non_empty_string(v, FieldPath::HopField(i, "target"))?,
    };
    let auth = match value.get("auth") {
        None => AuthService::Negotiate,
        Some(v) => name(
            v,
            FieldPath::HopField(i, "auth"),
            AuthService::from_name,
            ErrorCode::UnknownAuth,
            AuthService::ACCEPTED,
        )?,
    };
    let transport = match value.get("transport") {
        None => Transport::NcacnIpTcp,
        Some(v) => name(
            v,
            FieldPath::HopField(i, "transport"),
            Transport::from_name,
            ErrorCode::UnknownTransport,
            Transport::ACCEPTED,
        )?,
    };
    check_hop_transport(i, transport)?;
    Ok(OwnedHop {
        target,
        auth,
        transport,
    })
}
