//! The hop-free projection of a request as flat `(name, value)` pairs: the packed fields of
//! the field table in table order, nested objects inlined, each value read from the request's
//! packed bits by its table row. `onbehalf table`'s columns and the
//! benchmark peers' inputs are this, so neither lists the fields itself.

use alloc::vec::Vec;

use super::value::{string, Value};
use crate::model::{bits_at, RecordInfo, Shape};
use crate::{Request, Storage};

/// Each packed field of `record` (nested records inlined) with its value read from `bits`.
fn collect(record: &RecordInfo, bits: u64, into: &mut Vec<(&'static str, Value)>) {
    for field in record.fields {
        if let Shape::Record(inner) = field.shape {
            collect(inner, bits, into);
            continue;
        }
        let Some(at) = field.packed_at else {
            continue;
        };
        let value = bits_at(bits, at, field.shape.packed_width());
        let value = match field.shape {
            Shape::Choice(set) => usize::try_from(value)
                .ok()
                .and_then(|i| set.choices.get(i))
                .map_or(Value::Null, |c| string(c.name)),
            _ => Value::Bool(value == 1),
        };
        into.push((field.name, value));
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
    let mut bits = 0;
    request.pack_bits(&mut bits);
    let mut out = Vec::new();
    collect(&Request::<S>::INFO, bits, &mut out);
    out
}
