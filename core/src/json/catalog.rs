//! The catalog: everything a client needs to draw the request's controls and to word a
//! decision, rendered from the core's own tables — the request's field tables, the
//! vocabularies with their descriptions, the reason and hop-reason codes with rule text and
//! sources, the error codes. The page holds no spec knowledge; it reads this.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::value::{object, string, Value};
use crate::model::{split_doc, DefaultInfo, FieldInfo, RecordInfo, Shape};
use crate::vocabulary::Choice;
use crate::{
    Borrowed, ErrorCode, HopReason, Identity, Level, Reach, Reason, Request, RequestedLevel,
    ResolvedAuth, DOMAIN_SIZE, MAX_HOPS,
};

fn number(n: impl ToString) -> Value {
    Value::Number(n.to_string())
}

fn choices(all: &[Choice]) -> Value {
    Value::Array(
        all.iter()
            .map(|c| {
                object([
                    ("name", string(c.name)),
                    (
                        "spellings",
                        Value::Array(c.spellings.iter().map(|s| string(s)).collect()),
                    ),
                    ("description", string(c.description)),
                ])
            })
            .collect(),
    )
}

/// The documentation as a label and a help text (see [`split_doc`]).
fn label_and_help(doc: &'static str) -> (String, String) {
    let (label, help) = split_doc(doc);
    (label.into(), help.collect::<Vec<_>>().join(" "))
}

fn field_value(field: &FieldInfo) -> Value {
    let (label, help) = label_and_help(field.doc);
    let mut entries: Vec<(String, Value)> = alloc::vec![
        ("name".into(), string(field.name)),
        ("label".into(), Value::String(label)),
        ("help".into(), Value::String(help)),
    ];
    let kind = match field.shape {
        Shape::Choice(set) => {
            entries.push(("type".into(), string(set.type_name)));
            entries.push(("values".into(), choices(set.choices)));
            "choice"
        }
        Shape::Bool => "bool",
        Shape::Text => "text",
        Shape::TextList => "text-list",
        Shape::Record(record) => {
            entries.push(("record".into(), record_value(record)));
            "record"
        }
        Shape::RecordList(record, max) => {
            entries.push(("record".into(), record_value(record)));
            entries.push(("max".into(), number(max)));
            "record-list"
        }
    };
    entries.insert(1, ("kind".into(), string(kind)));
    let default = match field.default {
        DefaultInfo::Required(code) => object([("required", string(code.name()))]),
        DefaultInfo::Derived(words) => object([("derived", string(words))]),
        DefaultInfo::Value => object([("value", field.default_value().unwrap_or(Value::Null))]),
    };
    entries.push(("default".into(), default));
    entries.push((
        "packed_at".into(),
        field.packed_at.map_or(Value::Null, number),
    ));
    entries.push(("group".into(), field.group.map_or(Value::Null, string)));
    Value::Object(entries)
}

/// One object of the request: its type name, what it is, and its fields in §4 order.
#[must_use]
pub fn record_value(record: &RecordInfo) -> Value {
    let (label, help) = label_and_help(record.doc);
    object([
        ("type", string(record.type_name)),
        ("label", Value::String(label)),
        ("help", Value::String(help)),
        (
            "fields",
            Value::Array(record.fields.iter().map(field_value).collect()),
        ),
    ])
}

/// A level's label: its name, Windows constant names and numbers, e.g.
/// `impersonation — SecurityImpersonation / RPC_C_IMP_LEVEL_IMPERSONATE (SECURITY_IMPERSONATION_LEVEL 2, RPC_C_IMP_LEVEL 3)`.
fn level_label(level: RequestedLevel) -> String {
    let windows: Vec<&str> = level
        .spellings()
        .iter()
        .copied()
        .filter(|s| s.starts_with("Security") || s.starts_with("RPC_C"))
        .collect();
    let mut numbers = Vec::new();
    if let Some(l) = level.level() {
        numbers.push(alloc::format!(
            "SECURITY_IMPERSONATION_LEVEL {}",
            l.security_level()
        ));
    }
    numbers.push(alloc::format!("RPC_C_IMP_LEVEL {}", level.rpc_imp_level()));
    alloc::format!(
        "{} — {} ({})",
        level.name(),
        windows.join(" / "),
        numbers.join(", ")
    )
}

fn levels() -> Value {
    Value::Array(
        RequestedLevel::ALL
            .iter()
            .map(|l| {
                object([
                    ("name", string(l.name())),
                    ("label", Value::String(level_label(*l))),
                    ("description", string(l.describe())),
                    ("rpc_imp_level", number(l.rpc_imp_level())),
                    (
                        "security_level",
                        l.level()
                            .map_or(Value::Null, |l| number(l.security_level())),
                    ),
                ])
            })
            .collect(),
    )
}

fn effective_levels() -> Value {
    Value::Array(
        Level::ALL
            .iter()
            .map(|l| {
                let (security, rpc) = l.windows_names();
                object([
                    ("name", string(l.name())),
                    ("description", string(l.describe())),
                    ("security_name", string(security)),
                    ("rpc_name", string(rpc)),
                ])
            })
            .collect(),
    )
}

/// One object per item, in order.
fn rows<T: Copy, const N: usize>(
    items: &[T],
    row: impl Fn(T) -> [(&'static str, Value); N],
) -> Value {
    Value::Array(items.iter().map(|i| object(row(*i))).collect())
}

fn reasons() -> Value {
    rows(Reason::ALL, |r| {
        [
            ("code", string(r.name())),
            ("wire_index", number(r.wire_index())),
            ("step", string(r.step())),
            ("kind", string(r.kind().name())),
            ("rule", string(r.rule())),
            ("sources", string(r.sources())),
        ]
    })
}

fn hop_reasons() -> Value {
    rows(HopReason::ALL, |r| {
        [
            ("code", string(r.name())),
            ("row", string(r.row())),
            ("allowed", Value::Bool(r.allowed())),
            ("reached", Value::Bool(r.reached())),
            ("rule", string(r.rule())),
            ("sources", string(r.sources())),
        ]
    })
}

fn error_codes() -> Value {
    rows(ErrorCode::ALL, |e| {
        [("code", string(e.name())), ("summary", string(e.summary()))]
    })
}

/// The whole catalog as JSON.
///
/// ```
/// let catalog = onbehalf_core::json::catalog();
/// let request = catalog.get("request").unwrap();
/// assert_eq!(request.get("type").unwrap(), &onbehalf_core::json::Value::String("Request".into()));
/// ```
#[must_use]
pub fn catalog() -> Value {
    object([
        ("request", record_value(&Request::<Borrowed<'static>>::INFO)),
        ("levels", levels()),
        ("effective_levels", effective_levels()),
        ("reaches", choices(Reach::CHOICES)),
        ("identities", choices(Identity::CHOICES)),
        ("resolved_auth", choices(ResolvedAuth::CHOICES)),
        ("reasons", reasons()),
        ("hop_reasons", hop_reasons()),
        ("error_codes", error_codes()),
        (
            "roles",
            object([
                ("matrix_rows", string("level")),
                ("matrix_columns", string("transport")),
                ("server_location", string("server")),
                ("server_realm", string("server_realm")),
            ]),
        ),
        (
            "groups",
            object([(
                "realms",
                object([
                    ("label", string("The server or a hop is in another domain or forest")),
                    (
                        "help",
                        string("Where each account lives relative to the client's, and the forest trusts crossed (spec revision 3)."),
                    ),
                ]),
            )]),
        ),
        ("max_hops", number(MAX_HOPS)),
        ("domain_size", number(DOMAIN_SIZE)),
    ])
}
