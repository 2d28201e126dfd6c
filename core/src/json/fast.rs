//! The fast reader: JSON text straight to an [`OwnedRequest`], without a [`Value`] tree and
//! without an allocation per key. It takes only what is plainly valid — keys of the field
//! tables, each once; strings without escapes; `true`/`false`; the objects and arrays the
//! tables nest — and answers `None` on anything else, so the strict path ([`Value::parse`]
//! and [`request_from_value`]) decides every input it declines, errors included. Whatever
//! the fast path accepts, the strict path accepts with the same value: the two agree on
//! every text, which the tests check.
//!
//! The records' readers are generated from their field tables by `record!` (see
//! `model.rs`); this file holds the cursor and the readers of the leaf types.

use alloc::string::String;
use alloc::vec::Vec;

use super::read::{request_from_value, OwnedHop, OwnedRequest};
use super::value::Value;
use crate::error::RequestError;
use crate::request::Request;
use crate::MAX_HOPS;

/// A position in a JSON text, read forward. Every method answers `None` on what it does
/// not plainly accept; the caller then leaves the text to the strict parser.
pub(crate) struct Cursor<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Cursor<'t> {
    fn new(text: &'t str) -> Self {
        Cursor { text, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// RFC 8259 whitespace only (the strict parser's set).
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Whitespace, then `byte` (consumed) or `None`.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// Whether only whitespace is left.
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos == self.text.len()
    }

    /// A string without escapes or control characters, as a slice of the text. Its ends are
    /// ASCII quotes, so the slice falls on char boundaries.
    pub(crate) fn plain_string(&mut self) -> Option<&'t str> {
        self.expect(b'"')?;
        let start = self.pos;
        let rest = self.text.as_bytes().get(start..)?;
        let len = super::scan::plain_len(rest);
        self.pos += len;
        // The closing quote right here: no whitespace skipped (a raw tab or newline before
        // it is a control character in the string, the strict parser's error).
        if self.peek() != Some(b'"') {
            return None;
        }
        self.pos += 1;
        self.text.get(start..start + len)
    }

    fn boolean(&mut self) -> Option<bool> {
        self.skip_ws();
        let rest = self.text.as_bytes().get(self.pos..)?;
        let (value, len) = if rest.starts_with(b"true") {
            (true, 4)
        } else if rest.starts_with(b"false") {
            (false, 5)
        } else {
            return None;
        };
        self.pos += len;
        Some(value)
    }

    /// Opens an object (`{`, `}`) or array (`[`, `]`): whether an item follows.
    pub(crate) fn open(&mut self, open: u8, close: u8) -> Option<bool> {
        self.expect(open)?;
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After an item: whether another follows (`,`) or the object or array closes.
    pub(crate) fn next(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Some(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> Option<&'t str> {
        let key = self.plain_string()?;
        self.expect(b':')?;
        Some(key)
    }

    /// The index in `keys` (each written `"key":`) of the object key at the cursor, its
    /// colon consumed; `None` for a key not in `keys` (or not plain). `keys[expected]` is
    /// tried first, by comparing the text with it, without scanning for the closing quote.
    #[inline]
    pub(crate) fn key_index(&mut self, keys: &[&str], expected: usize) -> Option<usize> {
        self.skip_ws();
        if let Some(key) = keys.get(expected) {
            let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
            if super::scan::starts_with(rest, key.as_bytes()) {
                self.pos += key.len();
                return Some(expected);
            }
        }
        let key = self.key()?;
        keys.iter()
            .position(|k| k.get(1..k.len().saturating_sub(2)) == Some(key))
    }
}

/// A field type the fast path reads: `None` whenever the strict path might answer anything
/// but this very value (an error, a different reading).
pub(crate) trait FastRead: Sized {
    /// Reads one value at the cursor.
    fn read_fast(cursor: &mut Cursor<'_>) -> Option<Self>;
}

/// Reads a field into its slot; `None` if the slot is taken (a duplicate key).
pub(crate) fn fill<T: FastRead>(slot: &mut Option<T>, cursor: &mut Cursor<'_>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(T::read_fast(cursor)?);
    Some(())
}

impl FastRead for bool {
    fn read_fast(cursor: &mut Cursor<'_>) -> Option<Self> {
        cursor.boolean()
    }
}

impl FastRead for String {
    /// The empty string is the strict path's `invalid-value`.
    fn read_fast(cursor: &mut Cursor<'_>) -> Option<Self> {
        cursor
            .plain_string()
            .filter(|s| !s.is_empty())
            .map(String::from)
    }
}

/// An array, each item read by `T`.
fn list<T: FastRead>(cursor: &mut Cursor<'_>) -> Option<Vec<T>> {
    let mut items = Vec::new();
    let mut more = cursor.open(b'[', b']')?;
    while more {
        items.push(T::read_fast(cursor)?);
        more = cursor.next(b']')?;
    }
    Some(items)
}

impl FastRead for Vec<String> {
    fn read_fast(cursor: &mut Cursor<'_>) -> Option<Self> {
        list(cursor)
    }
}

impl FastRead for Vec<OwnedHop> {
    /// More than [`MAX_HOPS`] is the strict path's `invalid-value`.
    fn read_fast(cursor: &mut Cursor<'_>) -> Option<Self> {
        list(cursor).filter(|hops: &Vec<OwnedHop>| hops.len() <= MAX_HOPS)
    }
}

/// One request object starting at the cursor, or `None` (the strict path decides).
fn request_at(cursor: &mut Cursor<'_>) -> Option<OwnedRequest> {
    Request::read_fast(cursor)
}

/// [`parse_request`]'s fast path alone: `Some` only for a text that is one plainly valid
/// request (then exactly [`parse_request_strict`]'s request), `None` for anything it leaves
/// to the strict path. For tests and measurements; callers want [`parse_request`].
///
/// ```
/// use onbehalf_core::json::parse_request_fast;
/// assert!(parse_request_fast(r#"{"level":"delegate","hops":[{"target":"cifs/fs1"}]}"#).is_some());
/// assert!(parse_request_fast(r#"{"level":"delegat\u0065"}"#).is_none()); // an escape
/// assert!(parse_request_fast(r#"{"level":"x"}"#).is_none()); // an error
/// ```
#[must_use]
pub fn parse_request_fast(text: &str) -> Option<OwnedRequest> {
    let mut cursor = Cursor::new(text);
    let request = request_at(&mut cursor)?;
    cursor.at_end().then_some(request)
}

/// Parses and validates one JSON text into a request (spec §4, checks 0–12): the fast reader
/// when the text is plainly valid, else the strict path. The answer is the strict path's
/// ([`parse_request_strict`]) for every text, errors included.
///
/// ```
/// use onbehalf_core::json::{parse_request, parse_request_strict};
/// use onbehalf_core::ErrorCode;
/// let text = r#"{"level":"delegate","hops":[{"target":"cifs/fs1"}]}"#;
/// assert_eq!(parse_request(text), parse_request_strict(text));
/// assert_eq!(parse_request(r#"{"auth":"kerberos"}"#).unwrap_err().code, ErrorCode::MissingLevel);
/// assert_eq!(parse_request(r#"{"level":"x","Level":1}"#).unwrap_err().code, ErrorCode::UnknownField);
/// ```
pub fn parse_request(text: &str) -> Result<OwnedRequest, RequestError> {
    match parse_request_fast(text) {
        Some(request) => Ok(request),
        None => parse_request_strict(text),
    }
}

/// Parses and validates one JSON text the strict way: a [`Value`] tree, then
/// [`request_from_value`]. The reference [`parse_request`] must agree with.
///
/// ```
/// use onbehalf_core::json::parse_request_strict;
/// assert!(parse_request_strict(r#"{"level":"impersonate"}"#).is_ok());
/// ```
pub fn parse_request_strict(text: &str) -> Result<OwnedRequest, RequestError> {
    request_from_value(&Value::parse(text)?)
}

/// A `/v1/decide` body read: one request, or an array of requests each with its own result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The body is not an array: the request, or why it is not one.
    One(Result<OwnedRequest, RequestError>),
    /// The body is an array: one result per item, in order.
    Many(Vec<Result<OwnedRequest, RequestError>>),
}

/// Reads a `/v1/decide` body: `Err` if the text is not JSON (one error for the whole body),
/// else [`Body::Many`] for an array (each item validated on its own) or [`Body::One`]. The
/// answer is [`read_body_strict`]'s for every text; plainly valid requests skip the
/// [`Value`] tree, and only the items that are not take the strict path.
///
/// ```
/// use onbehalf_core::json::{read_body, Body};
/// use onbehalf_core::ErrorCode;
/// let Ok(Body::Many(items)) = read_body(r#"[{"level":"identify"},{"level":7}]"#) else { panic!() };
/// assert!(items[0].is_ok());
/// assert_eq!(items[1].as_ref().unwrap_err().code, ErrorCode::InvalidType);
/// assert_eq!(read_body("[{}").unwrap_err().code, ErrorCode::InvalidJson);
/// assert!(matches!(read_body("{}"), Ok(Body::One(Err(_)))));
/// ```
pub fn read_body(text: &str) -> Result<Body, RequestError> {
    let mut cursor = Cursor::new(text);
    let Some(more) = cursor.open(b'[', b']') else {
        return match parse_request_fast(text) {
            Some(request) => Ok(Body::One(Ok(request))),
            None => read_body_strict(text),
        };
    };
    match fast_items(&mut cursor, more) {
        Some(Ok(items)) if cursor.at_end() => Ok(Body::Many(items)),
        // A syntax error the strict parser met inside an item: everything before it was
        // plainly valid JSON, so it is the whole text's first error.
        Some(Err(e)) => Err(e),
        _ => read_body_strict(text),
    }
}

/// The items of an array after its `[`: each plainly valid item read fast, any other parsed
/// and validated the strict way where it stands. `None` if the array's own punctuation is
/// not plain (the caller then reads the whole body the strict way).
fn fast_items(
    cursor: &mut Cursor<'_>,
    mut more: bool,
) -> Option<Result<Vec<Result<OwnedRequest, RequestError>>, RequestError>> {
    let mut items = Vec::new();
    while more {
        let start = cursor.pos;
        let item = match request_at(cursor) {
            Some(request) => Ok(request),
            None => {
                // An item in an array nests one deep, as in the strict parse of the body.
                match Value::parse_item(cursor.text, start, 1) {
                    Ok((value, end)) => {
                        cursor.pos = end;
                        request_from_value(&value)
                    }
                    Err(e) => return Some(Err(e)),
                }
            }
        };
        items.push(item);
        more = cursor.next(b']')?;
    }
    Some(Ok(items))
}

/// [`read_body`] the strict way: the body's [`Value`], then [`request_from_value`] on each
/// item of an array, or on the whole value. What the server computed before the fast path.
///
/// ```
/// use onbehalf_core::json::{read_body, read_body_strict};
/// let text = r#"[{"level":"identify"},{"level":"x"},5]"#;
/// assert_eq!(read_body(text), read_body_strict(text));
/// ```
pub fn read_body_strict(text: &str) -> Result<Body, RequestError> {
    Ok(match Value::parse(text)? {
        Value::Array(items) => Body::Many(items.iter().map(request_from_value).collect()),
        other => Body::One(request_from_value(&other)),
    })
}
