//! The human-readable account of one decision (`onbehalf explain`).

use std::fmt::Write;

use onbehalf_core::json::{decision_to_value, OwnedRequest};
use onbehalf_core::{decide, resolve_auth, resolve_hop_auth, Identity, Reasons, RequestError};

/// Renders the decision, then each step that fired with its code, rule text and sources,
/// then each hop's verdict with its §6 table row.
pub fn explain_text(request: &OwnedRequest) -> Result<String, RequestError> {
    request.with_request(|r| {
        let d = decide(r)?;
        let mut out = String::new();
        let mut scratch = Reasons::EMPTY;
        let auth = resolve_auth(&r.context(), &mut scratch);
        let (sec, rpc) = d.effective.windows_names();
        // Writing to a String cannot fail; the results are ignored on purpose.
        let _ = writeln!(out, "Effective level: {} ({sec} / {rpc})", d.effective);
        let _ = writeln!(out, "Reach:           {}", d.reach);
        let _ = writeln!(out, "Decision JSON:   {}", decision_to_value(&d));
        let _ = writeln!(out);
        let _ = writeln!(out, "Request (defaults filled in):");
        let _ = writeln!(out, "  {}", request.to_value());
        let _ = writeln!(
            out,
            "  client -> server authentication resolved to: {auth} (step 3)"
        );
        let _ = writeln!(out);
        if d.reasons.is_empty() {
            let _ = writeln!(
                out,
                "Steps that fired: none — the requested level was granted as asked."
            );
        } else {
            let _ = writeln!(out, "Steps that fired:");
            for reason in d.reasons.iter() {
                let _ = writeln!(
                    out,
                    "  step {:<5} {} ({})",
                    reason.step(),
                    reason,
                    reason.kind()
                );
                let _ = writeln!(out, "             {}", reason.rule());
                let _ = writeln!(out, "             source: {}", reason.sources());
            }
        }
        if !d.hops().is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "Hops (client -> server -> hop 1 -> ...):");
            for (i, (outcome, hop)) in d.hops().iter().zip(r.hops).enumerate() {
                let arrives = match outcome.identity() {
                    Identity::Client => "arrives as the client",
                    Identity::Anonymous => "arrives as NT AUTHORITY\\ANONYMOUS LOGON",
                };
                let verdict = if outcome.allowed() {
                    "allowed"
                } else {
                    "denied"
                };
                let _ = writeln!(
                    out,
                    "  {}. {} (auth {}, {}): {verdict}, {arrives}",
                    i + 1,
                    outcome.target,
                    resolve_hop_auth(hop, r.delegation.domain_joined),
                    hop.transport,
                );
                let _ = writeln!(
                    out,
                    "     §6 row {} {}: {}",
                    outcome.reason.row(),
                    outcome.reason,
                    outcome.reason.rule()
                );
                let _ = writeln!(out, "     source: {}", outcome.reason.sources());
            }
        }
        Ok(out)
    })
}
