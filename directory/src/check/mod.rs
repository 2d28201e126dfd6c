//! A request that names accounts → the spec request the directory's facts fill, with each
//! fact's provenance (`onbehalf check`).
//!
//! A line is a spec request plus `"client_account"` and/or `"server_account"` (any name
//! [`Directory::account`] accepts). The directory fills, and the line may then not give:
//! - from the client: `delegation.client_sensitive` (`NOT_DELEGATED`),
//!   `delegation.client_protected_user` (Protected Users, RID 525, nested);
//! - from the server: `delegation.server_trust`, `delegation.allowed_targets` and
//!   `delegation.protocol_transition` ([`server_delegation`]);
//! - from both: `server_realm` (same domain, same forest, other forest, from the domains'
//!   trusts) and, per hop, `hops[i].realm` where the target's account is known.
//!
//! Everything else (level, transport, SeImpersonatePrivilege, Credential Guard, forest trust
//! attributes, …) stays a request field with its default: no directory holds it.

use std::borrow::Cow;

use onbehalf_core::fix::Edit;
use onbehalf_core::json::{
    decision_to_value, error_to_value, request_from_value, OwnedRequest, Value,
};
use onbehalf_core::{
    Borrowed, ErrorCode as SpecCode, FieldPath, Request, RequestError, ServerTrust,
};

use crate::error::{Error, ErrorCode};
use crate::model::{Account, Origin};
use crate::Directory;

mod facts;

pub use facts::server_delegation;
use facts::{derive_realm, fill_client, fill_hop_realms, fill_server, Explicit};

/// The key naming the client's account.
pub const CLIENT_ACCOUNT: &str = "client_account";
/// The key naming the server's service account.
pub const SERVER_ACCOUNT: &str = "server_account";
/// The answer's key for the filled spec request.
pub const REQUEST_KEY: &str = "request";
/// The answer's key for the facts used.
pub const FACTS_KEY: &str = "facts";

const REQUEST: &onbehalf_core::RecordInfo = &Request::<Borrowed<'static>>::INFO;
const SERVER_REALM: &str = REQUEST.row("server_realm").name;
const HOPS: &str = REQUEST.row("hops").name;
const HOP_REALM: &str = match REQUEST.row("hops").shape {
    onbehalf_core::Shape::RecordList(hop, _) => hop.row("realm").name,
    _ => "realm",
};

/// Why a named request could not be filled: the spec's own errors, or the directory's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// A §4 error of the request (the core's code and message).
    Request(RequestError),
    /// A directory error.
    Directory(Error),
}

impl CheckError {
    /// The `{"error":{…}}` object.
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self {
            CheckError::Request(e) => error_to_value(e),
            CheckError::Directory(e) => e.to_value(),
        }
    }
}

impl From<RequestError> for CheckError {
    fn from(e: RequestError) -> Self {
        CheckError::Request(e)
    }
}

impl From<Error> for CheckError {
    fn from(e: Error) -> Self {
        CheckError::Directory(e)
    }
}

/// One fact the directory supplied: the field it set, the value, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactUse<'d> {
    /// The request field (`delegation.server_trust`).
    pub field: FieldPath,
    /// The value set, as the request's JSON writes it.
    pub value: Value,
    /// The account it was read from.
    pub account: &'d Account,
    /// The object it was read from (the account, or a group or domain): file and JSON path.
    pub origin: &'d Origin,
    /// The property read (as the source spells it).
    pub property: Cow<'static, str>,
}

impl FactUse<'_> {
    fn to_value(&self) -> Value {
        let text = |s: &str| Value::String(s.to_owned());
        Value::Object(vec![
            ("field".into(), Value::String(self.field.to_string())),
            ("value".into(), self.value.clone()),
            (
                "account".into(),
                Value::String(facts::account_name(self.account)),
            ),
            (
                "source".into(),
                Value::Object(vec![
                    ("file".into(), text(&self.origin.file)),
                    ("object".into(), text(&self.origin.path)),
                    ("property".into(), text(&self.property)),
                ]),
            ),
        ])
    }
}

/// A filled request: the spec request, the facts used, and the named accounts.
#[derive(Debug)]
pub struct Filled<'d> {
    /// The spec request, every directory-derived field set.
    pub request: OwnedRequest,
    /// Each fact the directory supplied, in field order.
    pub facts: Vec<FactUse<'d>>,
    /// The client's account, when named.
    pub client: Option<&'d Account>,
    /// The server's account, when named.
    pub server: Option<&'d Account>,
}

impl Filled<'_> {
    /// `{…decision, "request", "facts"}`: the decision object (or the spec error of a typed
    /// check) with the filled request and the facts.
    #[must_use]
    pub fn answer(&self) -> Value {
        let mut fields = match onbehalf_core::decide(&self.request) {
            Ok(d) => match decision_to_value(&d) {
                Value::Object(fields) => fields,
                other => vec![("decision".into(), other)],
            },
            Err(e) => return error_to_value(&e),
        };
        fields.extend(self.request_and_facts());
        Value::Object(fields)
    }

    /// The `"request"` and `"facts"` members every answer about a named request ends with.
    #[must_use]
    pub fn request_and_facts(&self) -> [(String, Value); 2] {
        let facts = self.facts.iter().map(FactUse::to_value).collect();
        [
            (REQUEST_KEY.into(), self.request.to_value()),
            (FACTS_KEY.into(), Value::Array(facts)),
        ]
    }
}

/// `onbehalf check` for one line of text: the answer or the error object, as JSON text.
#[must_use]
pub fn check_str(directory: &Directory, text: &str) -> String {
    let answer = Value::parse(text)
        .map_err(CheckError::from)
        .and_then(|v| fill(directory, &v))
        .map_or_else(|e| e.to_value(), |f| f.answer());
    answer.to_json()
}

/// A string-valued name key, removed from `fields`.
fn take_name(
    fields: &mut Vec<(String, Value)>,
    key: &'static str,
) -> Result<Option<String>, CheckError> {
    let Some(i) = fields.iter().position(|(k, _)| k == key) else {
        return Ok(None);
    };
    match fields.remove(i).1 {
        Value::String(s) if !s.is_empty() => Ok(Some(s)),
        other => Err(RequestError::new(
            SpecCode::InvalidType,
            FieldPath::field(key),
            "a non-empty account name",
        )
        .found(format_args!("{}", other.kind()))
        .into()),
    }
}

/// Whether the request's JSON gives the field at `path`.
fn gives(value: &Value, path: &FieldPath) -> bool {
    let mut at = value;
    for segment in path.segments() {
        let next = match (segment, at) {
            (onbehalf_core::Segment::Key(k), _) => at.get(k),
            (onbehalf_core::Segment::Index(i), Value::Array(items)) => {
                usize::try_from(*i).ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        match next {
            Some(v) => at = v,
            None => return false,
        }
    }
    true
}

fn conflict(path: &FieldPath, account: &str) -> CheckError {
    Error::new(
        ErrorCode::DirectoryConflict,
        format!("{path}: given explicitly, but the directory fills it from {account}; give one or the other"),
    )
    .into()
}

/// Fills the request `value` names from `directory`.
///
/// # Errors
/// The spec's §4 errors, or `account-not-found`, `account-ambiguous`, `directory-conflict`,
/// `directory-invalid` (a fact the request needs is unknown to the source).
pub fn fill<'d>(directory: &'d Directory, value: &Value) -> Result<Filled<'d>, CheckError> {
    let Value::Object(fields) = value else {
        // Not an object: the spec's own error.
        return Err(request_from_value(value).err().map_or_else(
            || Error::invalid("a request object").into(),
            CheckError::from,
        ));
    };
    let mut fields = fields.clone();
    let client_name = take_name(&mut fields, CLIENT_ACCOUNT)?;
    let server_name = take_name(&mut fields, SERVER_ACCOUNT)?;
    let rest = Value::Object(fields);
    let request = request_from_value(&rest)?;
    let (client, server) = (
        named(directory, client_name.as_deref())?,
        named(directory, server_name.as_deref())?,
    );
    fill_typed(directory, request, client, server, &|path| {
        gives(&rest, path)
    })
}

/// The account a name given in a request stands for, if one was given.
fn named<'d>(
    directory: &'d Directory,
    name: Option<&str>,
) -> Result<Option<&'d Account>, CheckError> {
    Ok(name.map(|n| directory.account(n)).transpose()?)
}

/// The web page's way: a whole request (the form's, every field written) with the named
/// accounts' facts laid over it — the fields they fill are replaced, never conflicts.
///
/// # Errors
/// `account-not-found`, `account-ambiguous`, `directory-invalid`, or a spec error of the
/// filled request.
pub fn fill_over<'d>(
    directory: &'d Directory,
    request: OwnedRequest,
    client: Option<&str>,
    server: Option<&str>,
) -> Result<Filled<'d>, CheckError> {
    let (client, server) = (named(directory, client)?, named(directory, server)?);
    fill_typed(directory, request, client, server, &|_| false)
}

/// Fills a validated `request` from the named accounts; `explicit` says whether the request
/// as written gave the field at a path (a directory-derived field given is a conflict).
///
/// # Errors
/// As [`fill`].
pub fn fill_typed<'d>(
    directory: &'d Directory,
    mut request: OwnedRequest,
    client: Option<&'d Account>,
    server: Option<&'d Account>,
    explicit: &dyn Fn(&FieldPath) -> bool,
) -> Result<Filled<'d>, CheckError> {
    let mut facts = Vec::new();
    if let Some(client) = client {
        for path in [
            Edit::ClientSensitive.path(),
            Edit::ClientProtectedUser.path(),
        ] {
            if explicit(&path) {
                return Err(conflict(&path, &client.sam_account_name));
            }
        }
        fill_client(directory, client, &mut request, &mut facts)?;
    }
    if let Some(server) = server {
        for path in [
            Edit::ServerTrust(ServerTrust::None).path(),
            Edit::AllowedTargets.path(),
            Edit::ProtocolTransition.path(),
        ] {
            if explicit(&path) {
                return Err(conflict(&path, &server.sam_account_name));
            }
        }
        fill_server(directory, server, &mut request, &mut facts)?;
        fill_hop_realms(directory, server, explicit, &mut request, &mut facts)?;
    }
    if let (Some(client), Some(server)) = (client, server) {
        let path = FieldPath::field(SERVER_REALM);
        let hint = format!("give {SERVER_REALM} explicitly");
        let how = Explicit {
            path: &path,
            explicit,
            hint: &hint,
        };
        if let Some(realm) = derive_realm(directory, client, server, &how, &mut facts)? {
            request.server_realm = realm;
        }
    }
    // The directory's values must pass the engine's typed checks too (no empty SPN from a
    // source): a filled request that does not decide is an error here, not later.
    onbehalf_core::decide(&request)?;
    Ok(Filled {
        request,
        facts,
        client,
        server,
    })
}
