//! A strict RFC 8259 JSON value model: object keys keep their order, duplicate keys are an
//! error (spec §4 check 0), and nesting is bounded so no input can exhaust the stack.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use crate::error::{ErrorCode, FieldPath, RequestError};

/// Deepest array/object nesting accepted. A request nests at most 4 deep
/// (`hops[i]` is depth 3); 64 leaves room for any sane client and keeps recursion bounded.
pub const MAX_DEPTH: usize = 64;

/// A JSON value. Numbers keep their source text: the engine never needs their value, only
/// that they are numbers (a number where a string is required is `invalid-type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in source order, no duplicates.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The JSON type's name with its article, for error messages.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The value of `key` in an object (`None` for non-objects).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Parses RFC 8259 text (surrounding whitespace allowed, nothing else after the value).
    ///
    /// ```
    /// use onbehalf_core::json::Value;
    /// assert!(Value::parse(r#"{"a":1,"a":2}"#).is_err()); // duplicate key
    /// assert!(Value::parse("NaN").is_err());
    /// assert_eq!(Value::parse(" [true] ").unwrap(), Value::Array(vec![Value::Bool(true)]));
    /// ```
    pub fn parse(text: &str) -> Result<Value, RequestError> {
        let mut p = Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        };
        let parsed = (|| {
            p.skip_ws();
            let v = p.value(0)?;
            p.skip_ws();
            if p.pos != p.bytes.len() {
                return Err(p.error("unexpected text after the JSON value"));
            }
            Ok(v)
        })();
        parsed.map_err(Syntax::into_error)
    }

    /// One value starting at byte `at` of `text`, nested `depth` deep: the value and the
    /// byte after it. Errors (positions included) are those [`parse`](Self::parse) of the
    /// whole text gives there, when the text before `at` is valid JSON that leaves the
    /// parser at this depth (the fast reader's fallback for one item of an array).
    pub(crate) fn parse_item(
        text: &str,
        at: usize,
        depth: usize,
    ) -> Result<(Value, usize), RequestError> {
        let mut p = Parser {
            text,
            bytes: text.as_bytes(),
            pos: at,
        };
        p.skip_ws();
        match p.value(depth) {
            Ok(v) => Ok((v, p.pos)),
            Err(e) => Err(e.into_error()),
        }
    }

    /// Compact JSON text (no spaces), strings escaped per RFC 8259: what `to_string()` gives,
    /// written straight into one buffer (the hot paths' serializer).
    ///
    /// ```
    /// use onbehalf_core::json::Value;
    /// let v = Value::parse(r#"{"a":["x\n",1,null]}"#).unwrap();
    /// assert_eq!(v.to_json(), v.to_string());
    /// ```
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write_json(&mut out);
        out
    }

    /// Appends [`to_json`](Self::to_json)'s text to `out`.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => write_string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, key);
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

/// A syntax error inside the parser: kept small so every `Result` the recursive descent
/// passes up stays a few words (the full [`RequestError`] is built once, at the top).
struct Syntax {
    what: &'static str,
    at: usize,
}

impl Syntax {
    fn into_error(self) -> RequestError {
        RequestError::new(ErrorCode::InvalidJson, FieldPath::REQUEST, "RFC 8259 JSON")
            .found(format_args!("{} at byte {}", self.what, self.at))
    }
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> Syntax {
        Syntax { what, at: self.pos }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, Syntax> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Syntax> {
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => self.array(depth + 1),
            Some(b'{') => self.object(depth + 1),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), Syntax> {
        if depth > MAX_DEPTH {
            Err(self.error("nesting deeper than 64"))
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Syntax> {
        self.check_depth(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::with_capacity(4);
        self.skip_ws();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("expected ',' or ']'"));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Syntax> {
        self.check_depth(depth)?;
        self.pos += 1; // '{'
        let mut fields: Vec<(String, Value)> = Vec::with_capacity(8);
        self.skip_ws();
        if self.eat(b'}') {
            return Ok(Value::Object(fields));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_at = self.pos;
            let key = self.string()?;
            if fields.iter().any(|(k, _)| *k == key) {
                self.pos = key_at;
                return Err(self.error("duplicate key"));
            }
            self.skip_ws();
            if !self.eat(b':') {
                return Err(self.error("expected ':'"));
            }
            self.skip_ws();
            let value = self.value(depth)?;
            fields.push((key, value));
            self.skip_ws();
            if self.eat(b'}') {
                return Ok(Value::Object(fields));
            }
            if !self.eat(b',') {
                return Err(self.error("expected ',' or '}'"));
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, Syntax> {
        let start = self.pos;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.error("invalid number"));
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let text = self.bytes.get(start..self.pos).unwrap_or_default();
        Ok(Value::Number(String::from_utf8_lossy(text).into_owned()))
    }

    fn hex4(&mut self) -> Result<u32, Syntax> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b) => (b as char).to_digit(16),
                None => None,
            };
            match digit {
                Some(d) => n = n * 16 + d,
                None => return Err(self.error("invalid \\u escape")),
            }
            self.pos += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, Syntax> {
        self.pos += 1; // '"'
        let mut out = String::new();
        let mut first = true;
        loop {
            // The longest run of plain characters, taken as a slice of the input: it stops
            // only at ASCII bytes, so both ends are char boundaries and no re-validation is due.
            let run_start = self.pos;
            let rest = self.bytes.get(run_start..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            self.pos += len;
            let run = self
                .text
                .get(run_start..self.pos)
                .ok_or_else(|| self.error("invalid UTF-8"))?;
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                // The common case, a string without escapes: one exact allocation.
                Some(b'"') if first => {
                    self.pos += 1;
                    return Ok(String::from(run));
                }
                _ => {}
            }
            first = false;
            out.push_str(run);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    /// After `\u`: one code point, joining a surrogate pair. A lone surrogate cannot be held
    /// in a Rust string; it is rejected rather than replaced, so no input is silently altered.
    fn unicode_escape(&mut self) -> Result<char, Syntax> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !(self.eat(b'\\') && self.eat(b'u')) {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate in \\u escape"))
    }
}

/// Compact JSON text (no spaces), strings escaped per RFC 8259.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// A JSON string literal: plain runs copied at once, escapes only where RFC 8259 needs them.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    write_escaped(out, s);
    out.push('"');
}

/// The inside of a JSON string literal. Escaping is byte by byte, so a string written in
/// pieces comes out as it would whole.
pub(crate) fn write_escaped(out: &mut String, mut s: &str) {
    loop {
        // The plain run as it is, then one escape; the run ends at an ASCII byte, so both
        // cuts fall on char boundaries.
        let run = super::scan::plain_len(s.as_bytes());
        out.push_str(s.get(..run).unwrap_or_default());
        let Some(&b) = s.as_bytes().get(run) else {
            return;
        };
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => "",
        };
        if escape.is_empty() {
            // Other control characters: \u00XX.
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(escape);
        }
        s = s.get(run + 1..).unwrap_or_default();
    }
}

/// Shorthand for building output objects.
pub(crate) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (String::from(k), v))
            .collect(),
    )
}

/// Shorthand for a string value.
pub(crate) fn string(s: &str) -> Value {
    Value::String(String::from(s))
}
