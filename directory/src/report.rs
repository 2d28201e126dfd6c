//! The audit's output formats: JSON Lines (one finding per line), a Markdown report, and
//! BloodHound OpenGraph edges (`{"metadata":{"source_kind"},"graph":{"nodes","edges"}}`) so
//! the findings show up inside BloodHound CE on the collection's own nodes (matched by SID).

use onbehalf_core::json::Value;

use crate::audit::{Evidence, Finding};

/// The OpenGraph source kind and the prefix of every edge kind onbehalf writes.
pub const SOURCE_KIND: &str = "onbehalf";

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| text(s)).collect())
}

fn evidence_value(e: &Evidence) -> Value {
    Value::Object(vec![
        ("object".into(), text(&e.object)),
        ("source".into(), text(&e.source)),
        ("property".into(), text(&e.property)),
        ("value".into(), e.value.clone()),
    ])
}

/// What the demonstration's answer says of the reach (`"multi-hop"`, …), if it is a decision.
fn reach(f: &Finding) -> Option<&str> {
    match f.demonstration.as_ref()?.1.get("reach")? {
        Value::String(r) => Some(r),
        _ => None,
    }
}

/// One finding as a JSON object.
#[must_use]
pub fn finding_value(f: &Finding) -> Value {
    let mut fields = vec![
        ("code".into(), text(f.code)),
        ("severity".into(), text(f.severity.name())),
        ("summary".into(), text(&f.summary)),
        ("accounts".into(), strings(&f.accounts)),
        (
            "evidence".into(),
            Value::Array(f.evidence.iter().map(evidence_value).collect()),
        ),
    ];
    if let Some((request, answer)) = &f.demonstration {
        fields.push(("request".into(), request.clone()));
        fields.push(("answer".into(), answer.clone()));
    }
    Value::Object(fields)
}

/// JSON Lines: one finding per line.
#[must_use]
pub fn jsonl(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&finding_value(f).to_json());
        out.push('\n');
    }
    out
}

/// A Markdown report: a summary table, then each finding with its evidence and the
/// decision that shows its reach.
#[must_use]
pub fn markdown(findings: &[Finding], source: &str) -> String {
    let mut out = format!(
        "# Delegation audit of {source}\n\n{} findings.\n\n",
        findings.len()
    );
    out.push_str("| # | severity | code | accounts | reach |\n|---:|---|---|---|---|\n");
    for (i, f) in findings.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | `{}` | {} | {} |\n",
            i + 1,
            f.severity.name(),
            f.code,
            f.accounts.join(", ").replace('|', "\\|"),
            reach(f).unwrap_or("—")
        ));
    }
    for (i, f) in findings.iter().enumerate() {
        out.push_str(&format!(
            "\n## {}. {} ({})\n\n{}\n\n",
            i + 1,
            f.code,
            f.severity.name(),
            f.summary
        ));
        for e in &f.evidence {
            out.push_str(&format!(
                "- `{}` = `{}` on {} ({})\n",
                e.property,
                e.value.to_json(),
                e.object,
                e.source
            ));
        }
        if let Some((request, answer)) = &f.demonstration {
            out.push_str(&format!(
                "\nDemonstration — `onbehalf check` of\n\n```json\n{}\n```\n\nanswers effective `{}`, reach `{}`; hops: {}\n",
                request.to_json(),
                match answer.get("effective") { Some(Value::String(e)) => e.as_str(), _ => "—" },
                reach(f).unwrap_or("—"),
                hop_summary(answer)
            ));
        }
    }
    out
}

fn hop_summary(answer: &Value) -> String {
    let Some(Value::Array(hops)) = answer.get("hops") else {
        return answer
            .get("error")
            .map_or_else(|| "none".into(), Value::to_json);
    };
    let parts: Vec<String> = hops
        .iter()
        .map(|h| {
            let field = |k: &str| match h.get(k) {
                Some(Value::String(s)) => s.clone(),
                _ => "?".into(),
            };
            format!(
                "{} as {} ({})",
                field("target"),
                field("as"),
                field("reason")
            )
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

/// The edge kind of a finding: `onbehalf_` and its code in CamelCase
/// (`unconstrained-delegation` → `onbehalf_UnconstrainedDelegation`).
#[must_use]
pub fn edge_kind(code: &str) -> String {
    let camel: String = code
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{SOURCE_KIND}_{camel}")
}

/// BloodHound OpenGraph: an edge per finding from the acting account to its target (or to
/// itself when there is none), on the collection's nodes by SID, with the code, severity,
/// summary and reach as properties.
#[must_use]
pub fn opengraph(findings: &[Finding]) -> String {
    let node = |sid: &str| {
        Value::Object(vec![
            ("match_by".into(), text("id")),
            ("value".into(), text(sid)),
        ])
    };
    let edges: Vec<Value> = findings
        .iter()
        .filter(|f| !f.sids.0.is_empty())
        .map(|f| {
            let end = f.sids.1.as_deref().unwrap_or(&f.sids.0);
            Value::Object(vec![
                ("kind".into(), Value::String(edge_kind(f.code))),
                ("start".into(), node(&f.sids.0)),
                ("end".into(), node(end)),
                (
                    "properties".into(),
                    Value::Object(vec![
                        ("code".into(), text(f.code)),
                        ("severity".into(), text(f.severity.name())),
                        ("summary".into(), text(&f.summary)),
                        ("reach".into(), text(reach(f).unwrap_or("unknown"))),
                    ]),
                ),
            ])
        })
        .collect();
    let graph = Value::Object(vec![
        (
            "metadata".into(),
            Value::Object(vec![("source_kind".into(), text(SOURCE_KIND))]),
        ),
        (
            "graph".into(),
            Value::Object(vec![
                ("nodes".into(), Value::Array(Vec::new())),
                ("edges".into(), Value::Array(edges)),
            ]),
        ),
    ]);
    let mut out = graph.to_json();
    out.push('\n');
    out
}

/// What a person picks from, as JSON: `{"source", "accounts": [{"name", "domain", "kind",
/// "sid", "spns"}]}` (the web page's account and SPN lists).
#[must_use]
pub fn accounts_value(directory: &crate::Directory) -> Value {
    let accounts = directory.accounts.iter().map(|a| {
        Value::Object(vec![
            ("name".into(), text(&a.sam_account_name)),
            ("domain".into(), text(&a.domain)),
            ("kind".into(), text(a.kind.name())),
            ("sid".into(), text(&a.sid)),
            ("spns".into(), strings(&a.service_principal_names)),
        ])
    });
    Value::Object(vec![
        ("source".into(), text(&directory.source)),
        ("accounts".into(), Value::Array(accounts.collect())),
    ])
}
