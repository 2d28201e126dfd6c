//! `onbehalf table`: the decision for every hop-free request in one domain (or, with
//! `--realm-classes`, for one request per decision class in every realm). The columns are
//! the packed fields of the core's field table, in table order (a list's column says
//! whether it is non-empty).

use std::io::{self, Write};

use onbehalf_core::json::{packed_fields, Value};
use onbehalf_core::{decide_packed, PackedRequest, Request, RequestedLevel};

/// Output format of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated, with a header row.
    Csv,
    /// A Markdown table.
    Markdown,
    /// Two integers a line: the packed request and the packed decision (policy ABI layouts).
    Packed,
}

/// A cell: names as they are, booleans as `true`/`false`.
fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes the table of the one-domain requests, or of every decision class.
pub fn write_table(out: &mut impl Write, format: Format, realm_classes: bool) -> io::Result<()> {
    let requests: Box<dyn Iterator<Item = PackedRequest>> = if realm_classes {
        Box::new(PackedRequest::representatives())
    } else {
        Box::new(PackedRequest::one_domain())
    };
    let (start, sep, end) = match format {
        Format::Csv => ("", ",", ""),
        Format::Markdown => ("| ", " | ", " |"),
        Format::Packed => {
            for packed in requests {
                let decision = decide_packed(packed).map_err(io::Error::other)?;
                writeln!(out, "{} {}", packed.raw(), decision.raw())?;
            }
            return Ok(());
        }
    };
    let mut header = vec!["packed"];
    header.extend(
        packed_fields(&Request::new(RequestedLevel::Default))
            .iter()
            .map(|(name, _)| *name),
    );
    header.extend(["effective", "reach", "reasons"]);
    writeln!(out, "{start}{}{end}", header.join(sep))?;
    if format == Format::Markdown {
        writeln!(out, "|{}", "---|".repeat(header.len()))?;
    }
    for packed in requests {
        let request = packed.unpack().map_err(io::Error::other)?;
        let decision = decide_packed(packed).map_err(io::Error::other)?.unpack();
        let mut row = vec![packed.raw().to_string()];
        row.extend(packed_fields(&request).iter().map(|(_, v)| cell(v)));
        let reasons: Vec<&str> = decision.reasons.iter().map(|r| r.name()).collect();
        row.extend([
            decision.effective.to_string(),
            decision.reach.to_string(),
            reasons.join(" "),
        ]);
        writeln!(out, "{start}{}{end}", row.join(sep))?;
    }
    Ok(())
}
