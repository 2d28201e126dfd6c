//! The hop-free projection of a request as flat `(name, value)` pairs: the packed fields of
//! the field table in table order, nested objects inlined. `onbehalf table`'s columns and the
//! benchmark peers' inputs are this, so neither lists the fields itself.

use alloc::vec::Vec;

use super::value::Value;
use crate::model::{RecordInfo, Shape};
use crate::{Request, Storage};

fn collect(record: &RecordInfo, value: &Value, into: &mut Vec<(&'static str, Value)>) {
    for field in record.fields {
        let Some(v) = value.get(field.name) else {
            continue;
        };
        match field.shape {
            Shape::Record(inner) => collect(inner, v, into),
            _ if field.packed_at.is_none() => {}
            Shape::TextList => {
                let non_empty = matches!(v, Value::Array(items) if !items.is_empty());
                into.push((field.name, Value::Bool(non_empty)));
            }
            _ => into.push((field.name, v.clone())),
        }
    }
}

/// The packed fields of `request`, flattened: names from the field table, canonical values;
/// a list becomes `true` when it is not empty (all the hop-free decision reads of it).
///
/// ```
/// use onbehalf_core::{Request, RequestedLevel};
/// use onbehalf_core::json::{packed_fields, Value};
/// let fields = packed_fields(&Request::new(RequestedLevel::Delegation));
/// assert_eq!(fields[0], ("level", Value::String("delegation".into())));
/// assert!(fields.iter().any(|(name, v)| *name == "allowed_targets" && *v == Value::Bool(false)));
/// assert!(fields.iter().all(|(name, _)| *name != "hops"));
/// ```
#[must_use]
pub fn packed_fields<S: Storage>(request: &Request<S>) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    collect(&Request::<S>::INFO, &request.to_value(), &mut out);
    out
}
