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
        /// A realm (`server_realm`, a hop's `realm`) is unknown (revision 3).
        UnknownRealm = "unknown-realm",
    }
}

impl ErrorCode {
    /// What went wrong, in words.
    #[must_use]
    pub const fn summary(self) -> &'static str {
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
            UnknownRealm => "unknown realm",
        }
    }
}

/// One step of a [`FieldPath`]: an object key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// An object key (always a name from the spec's field table).
    Key(&'static str),
    /// An array index.
    Index(u32),
}

/// Where in the request an error is: rendered as a path like `hops[1].forest_trust.two_way`,
/// or `request` for the whole input.
///
/// ```
/// use onbehalf_core::FieldPath;
/// let p = FieldPath::field("hops").index(1).key("auth");
/// assert_eq!(p.to_string(), "hops[1].auth");
/// assert_eq!(FieldPath::REQUEST.to_string(), "request");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldPath {
    segments: [Segment; FieldPath::MAX_SEGMENTS],
    len: u8,
}

impl FieldPath {
    /// The deepest path kept; deeper segments are dropped (no request field nests deeper).
    pub const MAX_SEGMENTS: usize = 4;

    /// The whole input or request object.
    pub const REQUEST: FieldPath = FieldPath {
        segments: [Segment::Index(0); FieldPath::MAX_SEGMENTS],
        len: 0,
    };

    /// A top-level field.
    #[must_use]
    pub fn field(name: &'static str) -> FieldPath {
        FieldPath::REQUEST.key(name)
    }

    fn push(mut self, segment: Segment) -> FieldPath {
        if let Some(slot) = self.segments.get_mut(usize::from(self.len)) {
            *slot = segment;
            self.len += 1;
        }
        self
    }

    /// This path, then an object key.
    #[must_use]
    pub fn key(self, name: &'static str) -> FieldPath {
        self.push(Segment::Key(name))
    }

    /// This path, then an array index.
    #[must_use]
    pub fn index(self, index: usize) -> FieldPath {
        self.push(Segment::Index(u32::try_from(index).unwrap_or(u32::MAX)))
    }

    /// The segments, outermost first.
    #[must_use]
    pub fn segments(&self) -> &[Segment] {
        self.segments.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("request");
        }
        for (i, segment) in self.segments().iter().enumerate() {
            match segment {
                Segment::Key(name) if i == 0 => f.write_str(name)?,
                Segment::Key(name) => write!(f, ".{name}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Longest `found` detail kept in an error, in characters.
pub const FOUND_LIMIT: usize = 64;

/// `text` as an error message may echo it: whole when it has at most [`FOUND_LIMIT`]
/// characters, else its start and its length in bytes.
///
/// ```
/// assert_eq!(onbehalf_core::echo("short".into()), "short");
/// assert_eq!(onbehalf_core::echo("é".repeat(100)), format!("{}… (200 bytes)", "é".repeat(64)));
/// ```
#[cfg(feature = "alloc")]
#[must_use]
pub fn echo(mut text: alloc::string::String) -> alloc::string::String {
    if let Some((cut, _)) = text.char_indices().nth(FOUND_LIMIT) {
        let total = text.len();
        text.truncate(cut);
        text.push_str(&alloc::format!("… ({total} bytes)"));
    }
    text
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
    pub found: Option<alloc::boxed::Box<str>>,
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

    /// Adds what was found (kept only with `alloc`), cut to its first [`FOUND_LIMIT`]
    /// characters and its length: an error is not a mirror (a 1 MB unknown value would come
    /// back as a 1 MB message).
    ///
    /// ```
    /// use onbehalf_core::{ErrorCode, FieldPath, RequestError};
    /// let long = "x".repeat(1_000);
    /// let e = RequestError::new(ErrorCode::UnknownLevel, FieldPath::REQUEST, "a level").found(&long);
    /// assert!(e.to_string().len() < 200, "{e}");
    /// assert!(e.to_string().contains("… (1000 bytes)"), "{e}");
    /// ```
    #[must_use]
    #[allow(unused_variables, unused_mut)]
    pub fn found(mut self, found: impl fmt::Display) -> RequestError {
        #[cfg(feature = "alloc")]
        {
            use alloc::string::ToString;
            self.found = Some(echo(found.to_string()).into_boxed_str());
        }
        self
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.code.summary())?;
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
