//! Request errors (spec §4): a stable code, the field path, and what would have been accepted.

use core::fmt;

use crate::vocabulary::vocabulary;

vocabulary! {
    /// The stable error codes of spec §4; conformance compares these codes only.
    pub enum ErrorCode {
        /// The text is not RFC 8259 JSON, or an object has a duplicate key.
        InvalidJson = "invalid-json",
        /// The top-level value is not an object.
        InvalidRequest = "invalid-request",
        /// A key the spec does not define.
        UnknownField = "unknown-field",
        /// `level` is absent.
        MissingLevel = "missing-level",
        /// A field has the wrong JSON type (including a present `null`).
        InvalidType = "invalid-type",
        /// A value of the right type is not allowed (empty string, too many hops).
        InvalidValue = "invalid-value",
        /// `level` names no level.
        UnknownLevel = "unknown-level",
        /// A transport name is unknown.
        UnknownTransport = "unknown-transport",
        /// `server` is neither `local` nor `remote`.
        UnknownServer = "unknown-server",
        /// An auth service name is unknown.
        UnknownAuth = "unknown-auth",
        /// `delegation.server_trust` is unknown.
        UnknownServerTrust = "unknown-server-trust",
        /// A hop has no `target`.
        MissingHopTarget = "missing-hop-target",
        /// A hop uses the local-only `ncalrpc` transport.
        HopTransportNcalrpc = "hop-transport-ncalrpc",
        /// `ncalrpc` with `server: remote`.
        NcalrpcRequiresLocalServer = "ncalrpc-requires-local-server",
    }
}

impl ErrorCode {
    /// What went wrong, in words.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidJson => "not valid JSON",
            InvalidRequest => "the request must be a JSON object",
            UnknownField => "unknown field",
            MissingLevel => "required field is missing",
            InvalidType => "wrong JSON type",
            InvalidValue => "value not allowed",
            UnknownLevel => "unknown level",
            UnknownTransport => "unknown transport",
            UnknownServer => "unknown server location",
            UnknownAuth => "unknown authentication service",
            UnknownServerTrust => "unknown server trust",
            MissingHopTarget => "hop has no target",
            HopTransportNcalrpc => {
                "a hop crosses a machine boundary, so it cannot use the local-only ncalrpc"
            }
            NcalrpcRequiresLocalServer => "ncalrpc is local-only, so the server must be local",
        }
    }
}

/// Where in the request an error is: rendered as a path like `hops[1].auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldPath {
    /// The whole input or request object.
    Request,
    /// A top-level field.
    Field(&'static str),
    /// A field of the `delegation` object.
    Delegation(&'static str),
    /// An entry of `delegation.allowed_targets`.
    AllowedTarget(usize),
    /// A whole hop object.
    Hop(usize),
    /// A field of a hop object.
    HopField(usize, &'static str),
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FieldPath::Request => f.write_str("request"),
            FieldPath::Field(name) => f.write_str(name),
            FieldPath::Delegation(name) => write!(f, "delegation.{name}"),
            FieldPath::AllowedTarget(i) => write!(f, "delegation.allowed_targets[{i}]"),
            FieldPath::Hop(i) => write!(f, "hops[{i}]"),
            FieldPath::HopField(i, name) => write!(f, "hops[{i}].{name}"),
        }
    }
}

/// A request the engine refuses to decide: the code, the field, what was expected, and
/// (with `alloc`) what was found.
///
/// ```
/// use onbehalf_core::{decide, ErrorCode, Request, RequestedLevel, ServerLocation, Transport};
/// let mut req = Request::new(RequestedLevel::Impersonation);
/// req.transport = Transport::Ncalrpc;
/// req.server = ServerLocation::Remote;
/// let err = decide(&req).unwrap_err();
/// assert_eq!(err.code, ErrorCode::NcalrpcRequiresLocalServer);
/// assert!(err.to_string().starts_with("server: ncalrpc is local-only"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The stable code.
    pub code: ErrorCode,
    /// The field the error is about.
    pub path: FieldPath,
    /// What would have been accepted (a type, or the list of accepted values).
    pub expected: &'static str,
    /// What was found, when the input carried it (the offending key or value, or the JSON
    /// parser's account of the syntax error).
    #[cfg(feature = "alloc")]
    pub found: Option<alloc::string::String>,
}

impl RequestError {
    /// An error without a `found` detail.
    #[must_use]
    pub const fn new(code: ErrorCode, path: FieldPath, expected: &'static str) -> RequestError {
        RequestError {
            code,
            path,
            expected,
            #[cfg(feature = "alloc")]
            found: None,
        }
    }

    /// Adds what was found (kept only with `alloc`).
    #[must_use]
    #[allow(unused_variables, unused_mut)]
    pub fn found(mut self, found: impl fmt::Display) -> RequestError {
        #[cfg(feature = "alloc")]
        {
            use alloc::string::ToString;
            self.found = Some(found.to_string());
        }
        self
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.code.describe())?;
        #[cfg(feature = "alloc")]
        if let Some(found) = &self.found {
            write!(f, " (found {found})")?;
        }
        if !self.expected.is_empty() {
            write!(f, "; expected {}", self.expected)?;
        }
        Ok(())
    }
}

impl core::error::Error for RequestError {}
