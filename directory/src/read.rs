//! Reading JSON with its path: every error names the file and the JSON path of the value that
//! was missing or of the wrong type, and what was expected.

use serde_json::Value;

use crate::error::{Error, Result};

/// A JSON value and where it is.
#[derive(Clone, Copy)]
pub struct At<'v> {
    file: &'v str,
    path: &'v str,
    value: &'v Value,
}

/// A value as a message shows it: its JSON, cut to a readable length.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    }
}

/// An owned location, for values read out of an [`At`] that outlive its borrow of the path.
pub struct Place {
    file: String,
    path: String,
}

impl Place {
    /// The location `path` in `file`.
    pub fn new(file: &str, path: impl Into<String>) -> Place {
        Place {
            file: file.to_owned(),
            path: path.into(),
        }
    }

    /// The value at this place.
    pub fn at<'v>(&'v self, value: &'v Value) -> At<'v> {
        At {
            file: &self.file,
            path: &self.path,
            value,
        }
    }
}

impl<'v> At<'v> {
    /// The file of this value.
    pub fn file(&self) -> &'v str {
        self.file
    }

    /// The path of this value.
    pub fn path(&self) -> &'v str {
        self.path
    }

    /// The value itself.
    pub fn value(&self) -> &'v Value {
        self.value
    }

    /// A `directory-invalid` error at this value: expected `what`.
    pub fn error(&self, what: &str) -> Error {
        let path = if self.path.is_empty() {
            "the top level"
        } else {
            self.path
        };
        Error::invalid(format!(
            "{}: {path}: expected {what}, found {}",
            self.file,
            shown(self.value)
        ))
    }

    /// The error of a key that is absent.
    pub fn missing(&self, key: &str, what: &str) -> Error {
        Error::invalid(format!(
            "{}: {}: the required property {key:?} ({what}) is missing",
            self.file,
            self.child_path(key)
        ))
    }

    /// The path of the member `key`.
    pub fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The member `key` of this object: `Ok(None)` when absent or `null`.
    pub fn optional(&self, key: &str) -> Result<Option<(Place, &'v Value)>> {
        let Value::Object(map) = self.value else {
            return Err(self.error("an object"));
        };
        Ok(map
            .get(key)
            .filter(|v| !v.is_null())
            .map(|v| (Place::new(self.file, self.child_path(key)), v)))
    }

    /// The member `key` of this object, which must be present and not `null`.
    pub fn required(&self, key: &str, what: &str) -> Result<(Place, &'v Value)> {
        self.optional(key)?.ok_or_else(|| self.missing(key, what))
    }

    /// A required string member.
    pub fn string(&self, key: &str) -> Result<&'v str> {
        let (place, v) = self.required(key, "a string")?;
        v.as_str().ok_or_else(|| place.at(v).error("a string"))
    }

    /// An optional member read by `as_t` (absent or `null` → `None`); `what` names the
    /// accepted values.
    fn optional_as<T>(
        &self,
        key: &str,
        what: &str,
        as_t: impl Fn(&'v Value) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.optional(key)? {
            None => Ok(None),
            Some((place, v)) => as_t(v).map(Some).ok_or_else(|| place.at(v).error(what)),
        }
    }

    /// An optional string member (absent or `null` → `None`).
    pub fn optional_string(&self, key: &str) -> Result<Option<&'v str>> {
        self.optional_as(key, "a string or null", Value::as_str)
    }

    /// A required boolean member.
    pub fn boolean(&self, key: &str) -> Result<bool> {
        let (place, v) = self.required(key, "true or false")?;
        v.as_bool()
            .ok_or_else(|| place.at(v).error("true or false"))
    }

    /// An optional boolean member.
    pub fn optional_boolean(&self, key: &str) -> Result<Option<bool>> {
        self.optional_as(key, "true, false or null", Value::as_bool)
    }

    /// A required integer member.
    pub fn integer(&self, key: &str) -> Result<i64> {
        let (place, v) = self.required(key, "an integer")?;
        v.as_i64().ok_or_else(|| place.at(v).error("an integer"))
    }

    /// The elements of an array member (`optional`: absent or `null` is empty), each with its
    /// path.
    pub fn array(&self, key: &str, optional: bool) -> Result<Vec<(Place, &'v Value)>> {
        let found = if optional {
            self.optional(key)?
        } else {
            Some(self.required(key, "an array")?)
        };
        let Some((place, v)) = found else {
            return Ok(Vec::new());
        };
        let items = v.as_array().ok_or_else(|| place.at(v).error("an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| (Place::new(self.file, format!("{}[{i}]", place.path)), item))
            .collect())
    }

    /// An array member of strings.
    pub fn strings(&self, key: &str, optional: bool) -> Result<Vec<String>> {
        self.array(key, optional)?
            .iter()
            .map(|(place, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| place.at(v).error("a string"))
            })
            .collect()
    }

    /// An array member of `{"ObjectIdentifier": SID, …}` references.
    pub fn references(&self, key: &str, optional: bool) -> Result<Vec<String>> {
        self.array(key, optional)?
            .iter()
            .map(|(place, v)| place.at(v).string("ObjectIdentifier").map(str::to_owned))
            .collect()
    }
}
