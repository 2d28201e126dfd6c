//! Spec §4 on JSON values: the per-type checks every field table row uses (wrong type,
//! unknown name, empty string, unknown key), and the request's entry point.

use alloc::string::String;
use alloc::vec::Vec;

use super::value::Value;
use crate::checks::{check_hop_count, check_non_empty};
use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::model::{Field, ReadField, Shape};
use crate::request::Owned;
use crate::request::{Hop, Request};
use crate::MAX_HOPS;

/// A validated request that owns its strings.
pub type OwnedRequest = Request<Owned>;

/// A hop that owns its target.
pub type OwnedHop = Hop<Owned>;

pub(crate) fn invalid_type(path: FieldPath, expected: &'static str, found: &Value) -> RequestError {
    RequestError::new(ErrorCode::InvalidType, path, expected).found(found.kind())
}

/// A string shown back in an error message, quoted as JSON.
fn quoted(s: &str) -> impl core::fmt::Display + '_ {
    Value::String(String::from(s))
}

/// A string field of a vocabulary type: `invalid-type` if not a string, `unknown` if no name matches.
pub(crate) fn name<T>(
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

/// The fields of an object, or `invalid-type`.
pub(crate) fn object<'v>(
    value: &'v Value,
    path: FieldPath,
    expected: &'static str,
) -> Result<&'v [(String, Value)], RequestError> {
    match value {
        Value::Object(fields) => Ok(fields),
        other => Err(invalid_type(path, expected, other)),
    }
}

/// `unknown-field` for the first key not in `known`; the message lists the known keys.
pub(crate) fn check_keys(
    fields: &[(String, Value)],
    known: &[&str],
    accepted: &'static str,
    path: FieldPath,
) -> Result<(), RequestError> {
    match fields.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((key, _)) => {
            Err(RequestError::new(ErrorCode::UnknownField, path, accepted).found(quoted(key)))
        }
        None => Ok(()),
    }
}

fn array<'v>(
    value: &'v Value,
    path: FieldPath,
    expected: &'static str,
) -> Result<&'v [Value], RequestError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(invalid_type(path, expected, other)),
    }
}

impl ReadField for bool {
    fn read(value: &Value, path: FieldPath) -> Result<Self, RequestError> {
        match value {
            Value::Bool(b) => Ok(*b),
            other => Err(invalid_type(path, Shape::Bool.expected(), other)),
        }
    }
}

impl ReadField for String {
    /// A non-empty string: `invalid-type`, then `invalid-value` if empty.
    fn read(value: &Value, path: FieldPath) -> Result<Self, RequestError> {
        match value {
            Value::String(s) => check_non_empty(s, path).map(|()| s.clone()),
            other => Err(invalid_type(path, "a non-empty string", other)),
        }
    }
}

impl ReadField for Vec<String> {
    fn read(value: &Value, path: FieldPath) -> Result<Self, RequestError> {
        array(value, path, Shape::TextList.expected())?
            .iter()
            .enumerate()
            .map(|(i, item)| String::read(item, path.index(i)))
            .collect()
    }
}

impl ReadField for Vec<Hop<Owned>> {
    /// The array, then its length (before any hop is examined), then hop by hop.
    fn read(value: &Value, path: FieldPath) -> Result<Self, RequestError> {
        let items = array(value, path, "an array of hop objects")?;
        check_hop_count(items.len())?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Hop::read(item, path.index(i)))
            .collect()
    }
}

impl Field for String {
    const SHAPE: Shape = Shape::Text;
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Field for Vec<String> {
    const SHAPE: Shape = Shape::TextList;
    const PACKED_WIDTH: u32 = 1;
    fn packed(&self) -> u64 {
        u64::from(!self.is_empty())
    }
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(|t| super::string(t)).collect())
    }
}

impl Field for Vec<Hop<Owned>> {
    const SHAPE: Shape = Shape::RecordList(&Hop::<crate::Borrowed<'static>>::INFO, MAX_HOPS);
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(Hop::to_value).collect())
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
    let Value::Object(fields) = value else {
        return Err(RequestError::new(
            ErrorCode::InvalidRequest,
            FieldPath::REQUEST,
            "a JSON object",
        )
        .found(value.kind()));
    };
    Request::read_fields(fields, FieldPath::REQUEST)
}
