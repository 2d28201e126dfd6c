//! `onbehalf table`: the decision for every request of the packed domain.

use std::io::{self, Write};

use onbehalf_core::{decide_packed, CallContext, PackedRequest, RequestError};

/// Output format of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated, with a header row.
    Csv,
    /// A Markdown table.
    Markdown,
}

const COLUMNS: [&str; 17] = [
    "packed",
    "level",
    "transport",
    "server",
    "auth",
    "kerberos_available",
    "server_can_impersonate",
    "client_sensitive",
    "client_protected_user",
    "server_trust",
    "allowed_targets",
    "domain_joined",
    "protocol_transition",
    "client_credential_guard",
    "effective",
    "reach",
    "reasons",
];

fn cells(packed: PackedRequest, c: &CallContext) -> Result<[String; 17], RequestError> {
    let d = decide_packed(packed)?.unpack();
    let reasons: Vec<&str> = d.reasons.iter().map(|r| r.name()).collect();
    Ok([
        packed.raw().to_string(),
        c.level.to_string(),
        c.transport.to_string(),
        c.server.to_string(),
        c.auth.to_string(),
        c.kerberos_available.to_string(),
        c.server_can_impersonate.to_string(),
        c.client_sensitive.to_string(),
        c.client_protected_user.to_string(),
        c.server_trust.to_string(),
        (if c.has_allowed_targets {
            "non-empty"
        } else {
            "empty"
        })
        .to_string(),
        c.domain_joined.to_string(),
        c.protocol_transition.to_string(),
        c.client_credential_guard.to_string(),
        d.effective.to_string(),
        d.reach.to_string(),
        reasons.join(" "),
    ])
}

/// Writes the whole table.
pub fn write_table(out: &mut impl Write, format: Format) -> io::Result<()> {
    let (start, sep, end) = match format {
        Format::Csv => ("", ",", ""),
        Format::Markdown => ("| ", " | ", " |"),
    };
    writeln!(out, "{start}{}{end}", COLUMNS.join(sep))?;
    if format == Format::Markdown {
        writeln!(out, "|{}", "---|".repeat(COLUMNS.len()))?;
    }
    for packed in PackedRequest::all() {
        let row = packed
            .unpack()
            .and_then(|c| cells(packed, &c))
            .map_err(io::Error::other)?;
        writeln!(out, "{start}{}{end}", row.join(sep))?;
    }
    Ok(())
}
