//! docs/policy-abi.md's tables are rendered from the code (the field tables, the reason and
//! error vocabularies, the ABI's export tables, the host's limits and load errors), so the
//! document a module author reads cannot drift from what the host enforces. Each table sits
//! between `<!-- generated: NAME -->` and `<!-- end generated -->`; run with
//! `ONBEHALF_BLESS=1` to rewrite them after a deliberate change.

use std::fmt::Write as _;

use onbehalf_abi::Export;
use onbehalf_core::{
    Borrowed, DefaultInfo, ErrorCode, FieldInfo, Hop, HopReason, Identity, Level, Reach, Reason,
    RecordInfo, Request, Shape,
};
use onbehalf_host::policy::{Limits, LoadError};

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/policy-abi.md");

fn values(shape: &Shape, indexed: bool) -> String {
    match shape {
        Shape::Choice(set) => set
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if indexed {
                    format!("{i} `{}`", c.name)
                } else {
                    format!("`{}`", c.name)
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        Shape::Bool if indexed => "0 false, 1 true".into(),
        Shape::Bool => "`true`, `false`".into(),
        Shape::TextList if indexed => "0 empty, 1 not empty".into(),
        Shape::TextList => "array of non-empty strings".into(),
        Shape::Text => "non-empty string".into(),
        Shape::Record(_) => "object (its fields below)".into(),
        Shape::RecordList(_, max) => format!("array of at most {max} objects (fields below)"),
    }
}

fn default(field: &FieldInfo) -> String {
    match field.default {
        DefaultInfo::Required(code) => format!("required (absent: `{}`)", code.name()),
        DefaultInfo::Value => field
            .default_value()
            .map_or_else(String::new, |v| format!("`{v}`")),
        DefaultInfo::Derived(how) => how.replace('\n', " "),
    }
}

/// Every field of `record` and its nested records, depth first: (path, field, its packed
/// position — none inside a list: a hop's fields reuse record types that pack at top level).
fn walk(
    record: &'static RecordInfo,
    prefix: &str,
    packs: bool,
    out: &mut Vec<(String, &'static FieldInfo, Option<u32>)>,
) {
    for field in record.fields {
        let path = format!("{prefix}{}", field.name);
        out.push((path.clone(), field, field.packed_at.filter(|_| packs)));
        match field.shape {
            Shape::Record(inner) => walk(inner, &format!("{path}."), packs, out),
            Shape::RecordList(inner, _) => walk(inner, &format!("{path}[]."), false, out),
            _ => {}
        }
    }
}

fn fields() -> Vec<(String, &'static FieldInfo, Option<u32>)> {
    let mut out = Vec::new();
    walk(&Request::<Borrowed<'static>>::INFO, "", true, &mut out);
    out
}

fn request_fields() -> String {
    let mut s = String::from(
        "| field (§4 order) | values | when absent | packed bits |\n|---|---|---|---|\n",
    );
    for (path, field, packed_at) in fields() {
        let bits = match packed_at {
            Some(at) => bit_range(at, field.shape.packed_width()),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "| `{path}` | {} | {} | {bits} |",
            values(&field.shape, false),
            default(field)
        );
    }
    s
}

/// A table of three columns under `header`, its rows in the order of their positions.
fn table<P: Ord>(header: &str, mut rows: Vec<(P, String)>) -> String {
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut s = format!("{header}\n|---|---|---|\n");
    for (_, row) in rows {
        s.push_str(&row);
        s.push('\n');
    }
    s
}

fn bit_range(at: u32, width: u32) -> String {
    if width == 1 {
        at.to_string()
    } else {
        format!("{at}–{}", at + width - 1)
    }
}

fn packed_request() -> String {
    let rows: Vec<(u32, String)> = fields()
        .into_iter()
        .filter_map(|(path, f, packed_at)| {
            let at = packed_at?;
            let what = if matches!(f.shape, Shape::TextList) {
                format!("`{path}` is not empty")
            } else {
                format!("`{path}`")
            };
            Some((
                at,
                format!(
                    "| {} | {what} | {} |",
                    bit_range(at, f.shape.packed_width()),
                    values(&f.shape, true)
                ),
            ))
        })
        .collect();
    let mut s = table("| bits | field | values |", rows);
    let _ = writeln!(
        s,
        "\nBits {} and up are zero. A valid packed request is below `1 << {}`.",
        onbehalf_core::REQUEST_BITS,
        onbehalf_core::REQUEST_BITS
    );
    s
}

/// The hop entry of a request record: the hop table's `wire` fields, then the ABI's flags,
/// length and target.
fn hop_record() -> String {
    use onbehalf_abi::record::{FLAG_LISTED, HOP_FLAGS_AT, HOP_HEADER, HOP_LENGTH_AT};
    let rows: Vec<(usize, String)> = Hop::<Borrowed<'static>>::FIELDS
        .iter()
        .filter_map(|f| {
            let at = f.wire_at?;
            let what = match f.shape {
                Shape::Record(inner) => {
                    let low = onbehalf_core::packed_span(inner.fields).0;
                    let bits: Vec<String> = inner
                        .fields
                        .iter()
                        .filter_map(|g| Some(format!("bit {} `{}`", g.packed_at? - low, g.name)))
                        .collect();
                    format!(
                        "`{}`: {}; all zero unless `realm` is `other-forest`",
                        f.name,
                        bits.join(", ")
                    )
                }
                _ => format!("`{}`: {}", f.name, values(&f.shape, true)),
            };
            Some((at, format!("| {at} | 1 | {what} |")))
        })
        .collect();
    let mut s = table("| offset | size | field |", rows);
    let _ = writeln!(
        s,
        "| {HOP_FLAGS_AT} | 1 | flags: bit {} set when the target is in `delegation.allowed_targets` \
         (the host's ASCII-case-insensitive match); the other bits zero |",
        FLAG_LISTED.trailing_zeros()
    );
    let _ = writeln!(
        s,
        "| {HOP_LENGTH_AT} | 4 | target length in bytes (`u32`) |"
    );
    let _ = writeln!(
        s,
        "| {HOP_HEADER} | length | the target, UTF-8, verbatim (a policy may decide on target names) |"
    );
    s
}

fn levels_and_reaches() -> String {
    let mut s = String::from("| value | effective level | reach |\n|---|---|---|\n");
    for (i, level) in Level::ALL.iter().enumerate() {
        let reach = Reach::ALL.get(i).map_or("", |r| r.name());
        let _ = writeln!(s, "| {i} | `{}` | `{reach}` |", level.name());
    }
    s
}

fn reasons() -> String {
    let mut s =
        String::from("| wire index | bit | code | spec step | rule |\n|---|---|---|---|---|\n");
    let mut all: Vec<Reason> = Reason::ALL.to_vec();
    all.sort_by_key(|r| r.wire_index());
    for r in all {
        let _ = writeln!(
            s,
            "| {} | {} | `{}` | {} | {} |",
            r.wire_index(),
            4 + r.wire_index(),
            r.name(),
            r.step(),
            r.rule().replace('\n', " ").replace('|', "\\|")
        );
    }
    s
}

fn hop_reasons() -> String {
    let mut s = String::from(
        "| wire index | code | `allowed` | `as` | spec §6 row |\n|---|---|---|---|---|\n",
    );
    let mut all: Vec<HopReason> = HopReason::ALL.to_vec();
    all.sort_by_key(|r| r.wire_index());
    for r in all {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | `{}` | {} |",
            r.wire_index(),
            r.name(),
            r.allowed(),
            r.identity().name(),
            r.row()
        );
    }
    let names: Vec<String> = Identity::ALL
        .iter()
        .map(|i| format!("`{}`", i.name()))
        .collect();
    let _ = writeln!(s, "\nThe values of `as`: {}.", names.join(", "));
    s
}

fn errors() -> String {
    let mut s = String::from("| answer | code | meaning |\n|---|---|---|\n");
    for (n, e) in ErrorCode::ALL.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} |",
            -1 - n as i64,
            e.name(),
            e.summary()
        );
    }
    s
}

fn exports(table: &[Export]) -> String {
    let mut s = String::from("| export | signature | what it does |\n|---|---|---|\n");
    for e in table {
        let _ = writeln!(
            s,
            "| `{}` | `{}` | {} |",
            e.name,
            e.signature,
            e.doc.replace('|', "\\|")
        );
    }
    s
}

fn limits() -> String {
    let l = Limits::default();
    let rows = [
        (
            "module size (`--max-module-bytes`)",
            format!("{} bytes", l.max_module_bytes),
        ),
        (
            "linear memory per instance",
            format!("{} bytes", l.max_memory_bytes),
        ),
        ("wasm stack", format!("{} bytes", l.max_stack_bytes)),
        ("fuel: instantiation + load checks", l.load_fuel.to_string()),
        ("fuel: one `decide`", l.decide_fuel.to_string()),
        (
            "fuel: `decide_batch` of n requests",
            format!("{} + {} × n", l.decide_fuel, l.batch_fuel_per_request),
        ),
        (
            "fuel: `decide_records` of n records, b bytes",
            format!(
                "{} + {} × n + {} × b",
                l.decide_fuel, l.record_fuel_base, l.json_fuel_per_byte
            ),
        ),
        (
            "fuel: `decide_json` / `explain` of b bytes",
            format!("{} + {} × b", l.json_fuel_base, l.json_fuel_per_byte),
        ),
        ("fuel: each `alloc` / `dealloc`", l.decide_fuel.to_string()),
        (
            "largest JSON answer or reason catalog",
            format!("{} bytes", l.max_answer_bytes),
        ),
    ];
    let mut s = String::from("| limit | value |\n|---|---|\n");
    for (what, value) in rows {
        let _ = writeln!(s, "| {what} | {value} |");
    }
    s
}

/// One of each load error, so the table below names every one the host can give.
fn load_errors() -> Vec<LoadError> {
    vec![
        LoadError::Io {
            path: String::new(),
            source: std::io::Error::other("x"),
        },
        LoadError::TooLarge { size: 0, limit: 0 },
        LoadError::Invalid(String::new()),
        LoadError::Import {
            module: String::new(),
            name: String::new(),
        },
        LoadError::MissingExport("x"),
        LoadError::WrongSignature {
            export: "x",
            expected: "x",
            found: String::new(),
        },
        LoadError::AbiVersion { found: 0 },
        LoadError::Instantiate(String::new()),
        LoadError::Reasons(String::new()),
        LoadError::SmokeTest {
            request: 0,
            found: 0,
        },
    ]
}

fn smoke() -> String {
    let request = Request::new(onbehalf_core::RequestedLevel::Impersonation);
    let packed = onbehalf_core::PackedRequest::pack(&request).raw();
    format!(
        "```json\n{}\n```\n\npacked: `{packed}` (`{packed:#x}`); the reference answers `{}`.\n",
        request.to_value(),
        onbehalf_core::decide_raw(packed)
    )
}

fn sections() -> Vec<(&'static str, String)> {
    vec![
        ("smoke", smoke()),
        ("request-fields", request_fields()),
        ("packed-request", packed_request()),
        ("hop-record", hop_record()),
        ("levels-and-reaches", levels_and_reaches()),
        ("reasons", reasons()),
        ("hop-reasons", hop_reasons()),
        ("errors", errors()),
        ("exports-v2", exports(onbehalf_abi::EXPORTS_V2)),
        ("optional-v2", exports(onbehalf_abi::OPTIONAL_V2)),
        ("exports-v1", exports(onbehalf_abi::EXPORTS_V1)),
        ("limits", limits()),
    ]
}

/// `doc` with every generated section replaced by its rendering.
fn render(doc: &str) -> Result<String, String> {
    let mut out = doc.to_owned();
    for (name, body) in sections() {
        let open = format!("<!-- generated: {name} -->\n");
        let close = "<!-- end generated -->";
        let start = out
            .find(&open)
            .ok_or_else(|| format!("docs/policy-abi.md has no `{}` marker", open.trim()))?
            + open.len();
        let end = out[start..]
            .find(close)
            .ok_or_else(|| format!("section {name} is not closed"))?
            + start;
        out.replace_range(start..end, &body);
    }
    Ok(out)
}

#[test]
fn the_abi_document_tables_are_the_codes_own() {
    let doc = std::fs::read_to_string(DOC).unwrap();
    let rendered = render(&doc).unwrap();
    if std::env::var_os("ONBEHALF_BLESS").is_some() {
        std::fs::write(DOC, &rendered).unwrap();
        return;
    }
    assert!(
        doc == rendered,
        "docs/policy-abi.md's generated tables are stale: run \
         `ONBEHALF_BLESS=1 cargo test -p onbehalf-host --test abi_docs` and review the diff"
    );
}

#[test]
fn the_abi_document_names_every_load_error() {
    let doc = std::fs::read_to_string(DOC).unwrap();
    for error in load_errors() {
        assert!(
            doc.contains(&format!("| `{}` |", error.name())),
            "docs/policy-abi.md does not describe load error `{}`",
            error.name()
        );
    }
}
