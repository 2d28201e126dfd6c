//! The text rendering of an explanation (`onbehalf explain`): the core's typed
//! [`Explanation`], laid out for a terminal. Every word about the spec comes from the core.

use std::fmt::Write;

use onbehalf_core::fix::{self, Fix};
use onbehalf_core::json::{decision_to_value, fix_changes, OwnedRequest};
use onbehalf_core::{Explanation, RequestError};

/// Renders the decision, then each step that fired with its code, rule text and sources,
/// then each hop's verdict with its §6 table row.
pub fn explain_text(request: &OwnedRequest) -> Result<String, RequestError> {
    let e = Explanation::new(request)?;
    let d = &e.decision;
    let mut out = String::new();
    let (sec, rpc) = d.effective.windows_names();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "Effective level: {} ({sec} / {rpc})", d.effective);
    let _ = writeln!(out, "Reach:           {}", d.reach);
    let _ = writeln!(out, "Decision JSON:   {}", decision_to_value(d));
    let _ = writeln!(out);
    let _ = writeln!(out, "Request (defaults filled in):");
    let _ = writeln!(out, "  {}", request.to_value());
    let _ = writeln!(
        out,
        "  client -> server authentication resolved to: {} (step 3)",
        e.auth
    );
    let _ = writeln!(out);
    if d.reasons.is_empty() {
        let _ = writeln!(
            out,
            "Steps that fired: none — the requested level was granted as asked."
        );
    } else {
        let _ = writeln!(out, "Steps that fired:");
        for (reason, step) in e.steps() {
            let _ = writeln!(out, "  step {step:<5} {reason} ({})", reason.kind());
            let _ = writeln!(out, "             {}", reason.rule());
            let _ = writeln!(out, "             source: {}", reason.sources());
        }
    }
    if !d.hops().is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Hops (client -> server -> hop 1 -> ...):");
        for (i, hop) in e.hops().enumerate() {
            let verdict = if hop.outcome.allowed() {
                "allowed"
            } else {
                "denied"
            };
            let _ = writeln!(
                out,
                "  {}. {} (auth {}, {}): {verdict}, {}",
                i + 1,
                hop.outcome.target,
                hop.auth,
                hop.hop.transport,
                hop.outcome.identity().describe(),
            );
            let reason = hop.reason();
            let _ = writeln!(
                out,
                "     §6 row {} {}: {}",
                hop.row(),
                reason,
                reason.rule()
            );
            let _ = writeln!(out, "     source: {}", reason.sources());
        }
    }
    write_fixes(&mut out, fix::falls_short(request)?, &fix::fixes(request)?);
    Ok(out)
}

/// "How to make it work": the ranked fixes, the recommended one first, each with the
/// commands that apply it (all from the core's fix search and its how-to table).
fn write_fixes(out: &mut String, falls_short: bool, fixes: &[Fix]) {
    if !falls_short {
        return;
    }
    if fixes.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "How to make it work: no fix within two changes (it needs more than two, or a change onbehalf does not search: the server's location, domain membership, a forest trust)."
        );
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "How to make it work (least privilege first):");
    let recommended = fix::recommended_index(fixes);
    for (i, f) in fixes.iter().enumerate() {
        let mark = if f.lowers_security() {
            " [lowers security]"
        } else if recommended == Some(i) {
            " [recommended]"
        } else {
            ""
        };
        let _ = writeln!(out, "  {}. {}{mark}", i + 1, f.summary());
        // The changed fields as the core renders them (path = value).
        let changes: Vec<String> = fix_changes(f)
            .iter()
            .map(|(field, value)| format!("{field} = {value}"))
            .collect();
        let _ = writeln!(out, "     change:     {}", changes.join(", "));
        for step in &f.steps {
            let commands = [
                ("PowerShell:", &step.powershell),
                ("samba-tool:", &step.samba_tool),
                ("Windows:   ", &step.windows),
                ("API:       ", &step.api),
            ];
            for (label, command) in commands {
                if let Some(c) = command {
                    let _ = writeln!(out, "     {label} {c}");
                }
            }
        }
    }
}
