//! TypeScript declarations of every JSON shape, generated from the same tables the JSON is:
//! the request's field tables, the vocabularies, and the output shapes of `output.rs` and
//! `fix.rs`. The npm package and the page ship exactly this text (`cargo xtask web` writes
//! it), so the types cannot drift from the engine.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::model::{split_doc, RecordInfo, Shape};
use crate::vocabulary::Choice;
use crate::{
    Borrowed, ErrorCode, HopReason, HttpError, Identity, Level, Reach, Reason, ReasonKind, Request,
    ResolvedAuth,
};

use super::{POLICY_ABI_TOO_OLD, POLICY_MODULE_FAULT};
use crate::fix::{Action, ChangeKind, DelegationClass, Effect};

fn union<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|n| format!("\"{n}\"")).collect();
    quoted.join(" | ")
}

fn names(choices: &[Choice]) -> impl Iterator<Item = &str> {
    choices.iter().map(|c| c.name)
}

fn spellings(choices: &[Choice]) -> impl Iterator<Item = &str> {
    choices.iter().flat_map(|c| c.spellings.iter().copied())
}

fn doc_comment(out: &mut String, indent: &str, doc: &'static str) {
    let (label, help) = split_doc(doc);
    let help: Vec<&str> = help.collect();
    if help.is_empty() {
        let _ = writeln!(out, "{indent}/** {label} */");
    } else {
        let _ = writeln!(out, "{indent}/** {label} — {} */", help.join(" "));
    }
}

/// Collects every record reachable from `record` (itself first), once each.
fn records(record: &'static RecordInfo, into: &mut Vec<&'static RecordInfo>) {
    if into.iter().any(|r| r.type_name == record.type_name) {
        return;
    }
    into.push(record);
    for field in record.fields {
        if let Shape::Record(inner) | Shape::RecordList(inner, _) = field.shape {
            records(inner, into);
        }
    }
}

/// Input (`Request`, aliases accepted, defaults optional) or canonical (`CanonicalRequest`,
/// every field present with its canonical name, as `explain` returns it).
fn interfaces(out: &mut String, record: &'static RecordInfo, canonical: bool) {
    let prefix = if canonical { "Canonical" } else { "" };
    let _ = writeln!(out);
    doc_comment(out, "", record.doc);
    let _ = writeln!(out, "export interface {prefix}{} {{", record.type_name);
    for field in record.fields {
        let required = canonical || matches!(field.default, crate::DefaultInfo::Required(_));
        let ty = match field.shape {
            Shape::Choice(set) if canonical => set.type_name.into(),
            Shape::Choice(set) => format!("{}Spelling", set.type_name),
            Shape::Bool => "boolean".into(),
            Shape::Text => "string".into(),
            Shape::TextList => "string[]".into(),
            Shape::Record(inner) => format!("{prefix}{}", inner.type_name),
            Shape::RecordList(inner, _) => format!("{prefix}{}[]", inner.type_name),
        };
        doc_comment(out, "  ", field.doc);
        let optional = if required { "" } else { "?" };
        let _ = writeln!(out, "  {}{optional}: {ty};", field.name);
    }
    let _ = writeln!(out, "}}");
}

fn choice_types(out: &mut String, record: &RecordInfo, done: &mut Vec<&'static str>) {
    for field in record.fields {
        match field.shape {
            Shape::Choice(set) if !done.contains(&set.type_name) => {
                done.push(set.type_name);
                let _ = writeln!(
                    out,
                    "export type {} = {};",
                    set.type_name,
                    union(names(set.choices))
                );
                let _ = writeln!(
                    out,
                    "/** Every accepted spelling of a {} (matched ASCII-case-insensitively). */",
                    set.type_name
                );
                let _ = writeln!(
                    out,
                    "export type {}Spelling = {};",
                    set.type_name,
                    union(spellings(set.choices))
                );
            }
            Shape::Record(inner) | Shape::RecordList(inner, _) => choice_types(out, inner, done),
            _ => {}
        }
    }
}

/// The output shapes (`output.rs`) and the catalog, written against the unions above.
const OUTPUT_SHAPES: &str = r#"
/** One hop's verdict (spec §3). `allowed` is true iff `as` is "client". */
export interface HopOutcome { target: string; allowed: boolean; as: Identity; reason: HopReasonCode }
/** The decision object (spec §3). */
export interface Decision { effective: Level; reach: Reach; reasons: ReasonCode[]; hops: HopOutcome[] }
/** One §5 step that fired. */
export interface Step { step: string; code: ReasonCode; kind: ReasonKind; rule: string; sources: string }
/** One hop with its §6 row and the authentication its leg resolved to. */
export interface HopStep extends HopOutcome { auth: ResolvedAuth; client_realm: Realm; row: string; rule: string; sources: string }
/** The explanation of a decision. */
export interface Explanation { request: CanonicalRequest; decision: Decision; resolved_auth: ResolvedAuth; steps: Step[]; hops: HopStep[] }
/** One changed field of a fix: its path in the request, its new value, who changes it, what it does. */
export interface FixChange { field: string; value: unknown; kind: ChangeKind; effect: Effect }
/** One step of applying a fix, with each way to take it that exists. */
export interface FixStep { action: FixAction; title: string; description: string; powershell?: string; samba_tool?: string; windows?: string; api?: string }
/** A minimal fix: verify it by deciding `request`. Ranked least-privilege first; never recommend one that `lowers_security`. */
export interface Fix {
  /** The fix in one line (its steps' titles). */
  summary: string; changes: FixChange[]; added_targets: string[];
  delegation: { before: DelegationClass; after: DelegationClass; meaning: string };
  widens: boolean; lowers_security: boolean; steps: FixStep[]; request: CanonicalRequest; decision: Decision;
}
/** The fix answer: the request's decision and its fixes, ranked (the first is the one to recommend unless it `lowers_security`). */
export interface FixAnswer { decision: Decision; /** It gets less than it asks for (with no fixes: more than two changes are needed). */ falls_short: boolean; fixes: Fix[]; /** The index in `fixes` of the fix to recommend, or null (none, or each lowers a client protection). */ recommended: number | null }
/** What a server's delegation settings expose: per target, every client kind whose identity reaches it, as decisions. */
export interface Exposure {
  settings: CanonicalRequest; targets: string[];
  reached: { target: string; clients: { request: CanonicalRequest; decision: Decision }[] }[];
}
/** A decision as the loaded policy module gives it (`onbehalf serve`): the reference's shape, but a reason or a hop's reason may also be one of the module's own codes (its `policy_reasons`). */
export interface PolicyDecision { effective: Level; reach: Reach; reasons: string[]; hops: { target: string; allowed: boolean; as: Identity; reason: string }[] }
/** The loaded policy module (in `GET /healthz`, a `POST /v1/policy` reload's answer and `/v1/explain`). */
export interface PolicyInfo { source: string; size: number; generation: number; abi_version: number; own_reasons: { code: string; rule: string }[] }
/** The body of `POST /v1/explain`: the policy's decision beside the reference's explanation, and the core's fixes (`recommended`: as in FixAnswer) and exposure. */
export interface ExplainAnswer { policy: PolicyInfo; decision: PolicyDecision | ErrorObject; agrees_with_reference: boolean; reference: Explanation; fixes: Fix[]; recommended: number | null; exposure: Exposure }
/** The error object. */
export interface ErrorObject { error: { code: ErrorCode; message: string } }
/** What `onbehalf serve` answers when a request never reaches the rules (any 4xx/5xx but a request error). */
export interface HttpErrorObject { error: { code: HttpErrorCode; message: string } }
/** Thrown by decide/explain: `code` is the spec's error code. */
export interface OnbehalfError extends Error { code: ErrorCode }

export interface CatalogChoice { name: string; spellings: string[]; description: string }
export type CatalogDefault = { value: unknown } | { required: ErrorCode } | { derived: string };
export interface CatalogField {
  name: string; kind: "choice" | "bool" | "text" | "text-list" | "record" | "record-list";
  label: string; help: string; type?: string; values?: CatalogChoice[];
  record?: CatalogRecord; max?: number; default: CatalogDefault; packed_at: number | null; group: string | null;
}
export interface CatalogRecord { type: string; label: string; help: string; fields: CatalogField[] }
/** Everything a client needs to draw the request's controls and word a decision. */
export interface Catalog {
  request: CatalogRecord;
  levels: { name: RequestedLevel; label: string; description: string; rpc_imp_level: number; security_level: number | null }[];
  effective_levels: { name: Level; description: string; security_name: string; rpc_name: string }[];
  reaches: CatalogChoice[]; identities: CatalogChoice[]; resolved_auth: CatalogChoice[];
  reasons: { code: ReasonCode; wire_index: number; step: string; kind: ReasonKind; rule: string; sources: string }[];
  hop_reasons: { code: HopReasonCode; row: string; allowed: boolean; reached: boolean; rule: string; sources: string }[];
  error_codes: { code: ErrorCode; summary: string }[];
  /** Which request fields a client's views use: the matrix axes, the server's location. */
  roles: { matrix_rows: string; matrix_columns: string; server_location: string; server_realm: string };
  /** Groups of fields a client may show only when used (e.g. "realms"). */
  groups: Record<string, { label: string; help: string }>;
  max_hops: number; domain_size: number;
}
"#;

/// The whole `.d.ts` text.
///
/// ```
/// let ts = onbehalf_core::json::typescript();
/// assert!(ts.contains("export interface Request {"));
/// assert!(ts.contains("  level: RequestedLevelSpelling;"));
/// assert!(ts.contains("  transport?: TransportSpelling;"));
/// assert!(ts.contains("export interface Fix {"));
/// assert!(ts.contains(r#"export type DelegationClass = "none" | "constrained-kerberos-only""#));
/// ```
#[must_use]
pub fn typescript() -> String {
    let mut out = String::from(
        "// Generated by onbehalf-core from its field tables and output shapes; do not edit.\n",
    );
    let request = &Request::<Borrowed<'static>>::INFO;
    choice_types(&mut out, request, &mut Vec::new());
    let outputs: [(&str, String); 13] = [
        ("Level", union(names(Level::CHOICES))),
        ("Reach", union(names(Reach::CHOICES))),
        ("Identity", union(names(Identity::CHOICES))),
        ("ResolvedAuth", union(names(ResolvedAuth::CHOICES))),
        ("ReasonKind", union(names(ReasonKind::CHOICES))),
        (
            "ReasonCode",
            union(names(Reason::CHOICES).chain([POLICY_MODULE_FAULT, POLICY_ABI_TOO_OLD])),
        ),
        (
            "HopReasonCode",
            union(names(HopReason::CHOICES).chain([POLICY_MODULE_FAULT, POLICY_ABI_TOO_OLD])),
        ),
        ("ErrorCode", union(names(ErrorCode::CHOICES))),
        ("HttpErrorCode", union(names(HttpError::CHOICES))),
        ("FixAction", union(names(Action::CHOICES))),
        ("ChangeKind", union(names(ChangeKind::CHOICES))),
        ("Effect", union(names(Effect::CHOICES))),
        ("DelegationClass", union(names(DelegationClass::CHOICES))),
    ];
    for (name, ty) in outputs {
        let _ = writeln!(out, "export type {name} = {ty};");
    }
    let mut all = Vec::new();
    records(request, &mut all);
    for record in &all {
        interfaces(&mut out, record, false);
    }
    for record in &all {
        interfaces(&mut out, record, true);
    }
    out.push_str(OUTPUT_SHAPES);
    out
}
