//! A module's own reason codes (policy ABI v2 `policy_reasons`): a JSON array of
//! `{"code": …, "rule": …}`, checked strictly at load so an explanation can name them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use onbehalf_core::json::{Value, POLICY_ABI_TOO_OLD, POLICY_MODULE_FAULT};
use onbehalf_core::{ErrorCode, HopReason, HttpError, Reason};

/// One of a module's own reason codes (ABI v2 `policy_reasons`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnReason {
    /// The code (kebab-case, never one of the spec's).
    pub code: String,
    /// Why, in the module author's words.
    pub rule: String,
}

/// The longest code and rule accepted.
const MAX_CODE: usize = 64;
const MAX_RULE: usize = 1000;

fn kebab(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_CODE
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-')
}

/// Whether `code` is already a code of the spec (a reason, a hop reason, an error) or of
/// the host (its fail-closed answers, faults, HTTP errors): a module's own code may not
/// imitate one (an own code reads as the module's explanation, never as the engine's).
fn taken(code: &str) -> bool {
    code == POLICY_MODULE_FAULT
        || code == POLICY_ABI_TOO_OLD
        || Reason::from_name(code).is_some()
        || HopReason::from_name(code).is_some()
        || ErrorCode::from_name(code).is_some()
        || HttpError::from_name(code).is_some()
        || crate::Fault::from_name(code).is_some()
}

/// Parses and checks the catalog: at most 31 entries, each exactly `code` (kebab-case, at
/// most 64 bytes, unique, never a spec or host code) and `rule` (1–1000 bytes).
///
/// # Errors
/// What is wrong, in words.
pub fn parse(text: &str) -> Result<Vec<OwnReason>, String> {
    let value = Value::parse(text).map_err(|e| e.to_string())?;
    let Value::Array(items) = value else {
        return Err("not a JSON array".into());
    };
    if items.len() > crate::record::MAX_OWN_REASONS {
        return Err(format!("{} codes; at most 31", items.len()));
    }
    let mut out: Vec<OwnReason> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| match item.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(format!("entry {i}: `{name}` is not a string")),
        };
        if !matches!(item, Value::Object(fields) if fields.len() == 2) {
            return Err(format!(
                "entry {i}: not an object with exactly code and rule"
            ));
        }
        let (code, rule) = (field("code")?, field("rule")?);
        if !kebab(&code) || taken(&code) || out.iter().any(|r| r.code == code) {
            return Err(format!(
                "entry {i}: code {code:?} is not a new kebab-case code of at most 64 bytes"
            ));
        }
        if rule.is_empty() || rule.len() > MAX_RULE {
            return Err(format!(
                "entry {i}: rule is empty or longer than 1000 bytes"
            ));
        }
        out.push(OwnReason { code, rule });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    #[test]
    fn catalogs_are_checked_strictly() {
        let ok = parse(r#"[{"code":"no-unconstrained","rule":"Not here."}]"#).unwrap();
        assert_eq!(ok[0].code, "no-unconstrained");
        assert!(parse("[]").unwrap().is_empty());
        for bad in [
            "{}",
            r#"[{"code":"Upper","rule":"x"}]"#,
            r#"[{"code":"client-account-sensitive","rule":"x"}]"#,
            r#"[{"code":"hop-chain-broken","rule":"x"}]"#,
            r#"[{"code":"policy-module-fault","rule":"x"}]"#,
            r#"[{"code":"policy-abi-too-old","rule":"x"}]"#,
            r#"[{"code":"invalid-json","rule":"x"}]"#,
            r#"[{"code":"unknown-realm","rule":"x"}]"#,
            r#"[{"code":"exceeds-reference","rule":"x"}]"#,
            r#"[{"code":"policy-rejected","rule":"x"}]"#,
            r#"[{"code":"server-busy","rule":"x"}]"#,
            r#"[{"code":"a","rule":"x"},{"code":"a","rule":"y"}]"#,
            r#"[{"code":"a","rule":""}]"#,
            r#"[{"code":"a","rule":"x","extra":1}]"#,
            r#"[{"code":"-a","rule":"x"}]"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..32)
            .map(|i| format!(r#"{{"code":"c{i}","rule":"x"}}"#))
            .collect();
        assert!(parse(&format!("[{}]", many.join(","))).is_err());
    }
}
