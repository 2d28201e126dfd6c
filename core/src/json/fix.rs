//! The JSON of fixes and of an exposure. Request field names and values come from the changed
//! request's own canonical JSON (a change's `value` is read there at its field path), and
//! every vocabulary value is its canonical name, so nothing here lists a request field.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::output::{answer_text, decide_owned, decision_to_value, error_to_value};
use super::read::request_from_value;
use super::value::{object, string, Value};
use crate::error::{FieldPath, Segment};
use crate::fix::{Exposure, Fix, Step};

/// The value at `path` in a request's JSON.
fn at<'v>(value: &'v Value, path: &FieldPath) -> Option<&'v Value> {
    path.segments()
        .iter()
        .try_fold(value, |v, segment| match (segment, v) {
            (Segment::Key(key), _) => v.get(key),
            (Segment::Index(i), Value::Array(items)) => items.get(usize::try_from(*i).ok()?),
            (Segment::Index(_), _) => None,
        })
}

fn step_value(step: &Step) -> Value {
    let texts = [
        ("powershell", &step.powershell),
        ("samba_tool", &step.samba_tool),
        ("windows", &step.windows),
        ("api", &step.api),
    ];
    let mut fields: Vec<(String, Value)> = alloc::vec![
        ("action".into(), string(step.action.name())),
        ("title".into(), Value::String(step.title.clone())),
        ("description".into(), string(step.action.describe())),
    ];
    fields.extend(
        texts
            .into_iter()
            .filter_map(|(key, text)| Some((key.into(), string(text.as_deref()?)))),
    );
    Value::Object(fields)
}

/// The changes of `fix`: each changed field's path and its value in the fixed request (read
/// at that path of the request's canonical JSON, so nothing here lists a field).
#[must_use]
pub fn fix_changes(fix: &Fix) -> Vec<(FieldPath, Value)> {
    let request = fix.request.to_value();
    fix.edits
        .iter()
        .map(|edit| {
            let path = edit.path();
            let value = at(&request, &path).cloned().unwrap_or(Value::Null);
            (path, value)
        })
        .collect()
}

/// One fix: `{"summary", "changes":[{"field","value","kind","effect"}], "added_targets", "delegation":
/// {"before","after","meaning"}, "widens", "lowers_security", "steps":[{"action",
/// "title", "description", "powershell"?, "samba_tool"?, "windows"?, "api"?}], "request", "decision"}`.
#[must_use]
pub fn fix_to_value(fix: &Fix) -> Value {
    let changes = fix
        .edits
        .iter()
        .zip(fix_changes(fix))
        .map(|(edit, (path, value))| {
            object([
                ("field", Value::String(path.to_string())),
                ("value", value),
                ("kind", string(edit.kind().name())),
                ("effect", string(edit.effect().name())),
            ])
        });
    let class = fix.delegation_class();
    object([
        ("summary", Value::String(fix.summary())),
        ("changes", Value::Array(changes.collect())),
        (
            "added_targets",
            Value::Array(fix.added_targets.iter().map(|t| string(t)).collect()),
        ),
        (
            "delegation",
            object([
                ("before", string(fix.class_before.name())),
                ("after", string(class.name())),
                ("meaning", string(class.describe())),
            ]),
        ),
        ("widens", Value::Bool(fix.widens())),
        ("lowers_security", Value::Bool(fix.lowers_security())),
        (
            "steps",
            Value::Array(fix.steps.iter().map(step_value).collect()),
        ),
        ("request", fix.request.to_value()),
        ("decision", decide_owned(&fix.request)),
    ])
}

/// A list of fixes, in rank order (the first is the one to recommend unless it
/// `lowers_security`).
#[must_use]
pub fn fixes_to_value(fixes: &[Fix]) -> Value {
    Value::Array(fixes.iter().map(fix_to_value).collect())
}

/// The index of the fix to recommend in `fixes`, or `null`.
#[must_use]
pub fn recommended_value(fixes: &[Fix]) -> Value {
    crate::fix::recommended_index(fixes).map_or(Value::Null, |i| Value::Number(i.to_string()))
}

/// The fix answer for one request value: `{"decision": …, "fixes": [ … ]}` — the request's
/// decision and its fixes, ranked (the first is the one to recommend unless it
/// `lowers_security`) — or the error object.
#[must_use]
pub fn fix_value(value: &Value) -> Value {
    let request = match request_from_value(value) {
        Ok(request) => request,
        Err(e) => return error_to_value(&e),
    };
    match crate::fix::fixes(&request) {
        Ok(fixes) => fix_answer(&request, &fixes),
        Err(e) => error_to_value(&e),
    }
}

/// The answer `{"decision", "falls_short", "fixes", "recommended"}` of `request`
/// (`falls_short`: whether it gets less than it asks for — with no fixes, it then needs more
/// than two changes; `recommended`: the index of the fix to recommend, or `null` —
/// [`recommended_index`](crate::fix::recommended_index)) with `fixes` (found by
/// [`fixes_with`](crate::fix::fixes_with), possibly filtered by what a directory allows), or
/// the error object.
#[must_use]
pub fn fix_answer(request: &crate::json::OwnedRequest, fixes: &[Fix]) -> Value {
    match (crate::decide(request), crate::fix::falls_short(request)) {
        (Ok(decision), Ok(short)) => object([
            ("decision", decision_to_value(&decision)),
            ("falls_short", Value::Bool(short)),
            ("fixes", fixes_to_value(fixes)),
            ("recommended", recommended_value(fixes)),
        ]),
        (Err(e), _) | (_, Err(e)) => error_to_value(&e),
    }
}

/// [`fix_value`] on one JSON text; one line of JSON (no newline).
///
/// ```
/// let out = onbehalf_core::json::fix_str(r#"{"level":"impersonation","hops":[{"target":"cifs/fs1"}]}"#);
/// assert!(out.starts_with(r#"{"decision":{"effective":"impersonation","reach":"local""#));
/// assert!(out.contains(r#""fixes":[{"summary":"Kerberos-only constrained delegation from <server account> to cifs/fs1","changes":[{"field":"delegation.server_trust","value":"constrained""#));
/// assert!(onbehalf_core::json::fix_str("{").starts_with(r#"{"error":{"code":"invalid-json""#));
/// ```
#[must_use]
pub fn fix_str(text: &str) -> String {
    answer_text(text, fix_value)
}

/// An exposure: `{"settings": request, "targets": […], "reached": [{"target", "clients":
/// [{"request","decision"}]}]}`, one entry per target, every client kind whose identity
/// reaches it, as the decision that shows it.
#[must_use]
pub fn exposure_to_value(exposure: &Exposure) -> Value {
    let reached = exposure.targets.iter().map(|target| {
        let clients = exposure
            .rows
            .iter()
            .filter(|row| &row.target == target)
            .map(|row| {
                let decision = match row.decision() {
                    Ok(d) => decision_to_value(&d),
                    Err(e) => error_to_value(&e),
                };
                object([("request", row.request.to_value()), ("decision", decision)])
            });
        object([
            ("target", string(target)),
            ("clients", Value::Array(clients.collect())),
        ])
    });
    object([
        ("settings", exposure.settings.to_value()),
        (
            "targets",
            Value::Array(exposure.targets.iter().map(|t| string(t)).collect()),
        ),
        ("reached", Value::Array(reached.collect())),
    ])
}
