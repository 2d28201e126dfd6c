//! Checks a JSON answer against an interface of the TypeScript the core generates
//! (`onbehalf_core::json::typescript`): for answers that only a running server gives, where
//! the npm package's `tsc` check (npm/tests/outputs.mjs) cannot reach.

use serde_json::Value;

/// The top-level keys `interface` declares in `ts`, each with whether it is optional (`?:`).
/// Empty when the interface is not there.
#[must_use]
pub fn declared_keys(ts: &str, interface: &str) -> Vec<(String, bool)> {
    let head = format!("export interface {interface} ");
    let Some(start) = ts.find(&head) else {
        return Vec::new();
    };
    let Some(open) = ts[start..].find('{') else {
        return Vec::new();
    };
    let body = &ts[start + open + 1..];
    let mut keys = Vec::new();
    let (mut depth, mut word, mut comment) = (0usize, String::new(), false);
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if comment => comment = !(c == '*' && chars.peek() == Some(&'/')),
            '/' if chars.peek() == Some(&'*') => comment = true,
            '{' | '(' | '[' | '<' => depth += 1,
            '}' if depth == 0 => break,
            '}' | ')' | ']' | '>' => depth = depth.saturating_sub(1),
            ':' if depth == 0 && !word.is_empty() => {
                let optional = word.ends_with('?');
                keys.push((word.trim_end_matches('?').to_owned(), optional));
                word.clear();
            }
            c if depth == 0 && (c.is_alphanumeric() || c == '_' || c == '?') => word.push(c),
            _ => word.clear(),
        }
    }
    keys
}

/// Whether `value` is an object with exactly the keys `interface` allows: every key
/// declared, every key that is not optional present. `Err` names what differs.
pub fn conforms(ts: &str, interface: &str, value: &Value) -> Result<(), String> {
    let declared = declared_keys(ts, interface);
    if declared.is_empty() {
        return Err(format!("the TypeScript declares no interface {interface}"));
    }
    let Some(object) = value.as_object() else {
        return Err(format!("{interface}: not an object: {value}"));
    };
    for key in object.keys() {
        if !declared.iter().any(|(k, _)| k == key) {
            return Err(format!("{interface} does not declare `{key}`"));
        }
    }
    for (key, optional) in &declared {
        if !optional && !object.contains_key(key) {
            return Err(format!("{interface} requires `{key}`, the answer lacks it"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{conforms, declared_keys};

    const TS: &str = "/** x */\nexport interface A { /** a: b */ a: string; b?: { c: number }; d: Record<string, { e: 1 }>[] }\n";

    #[test]
    fn top_level_keys_and_their_optionality() {
        let keys = declared_keys(TS, "A");
        let expected = [("a", false), ("b", true), ("d", false)];
        assert_eq!(keys.len(), 3);
        for ((k, o), (ek, eo)) in keys.iter().zip(expected) {
            assert_eq!((k.as_str(), *o), (ek, eo));
        }
        assert!(declared_keys(TS, "B").is_empty());
    }

    #[test]
    fn extra_and_missing_keys_are_named() {
        let ok = serde_json::json!({"a": "x", "d": []});
        assert_eq!(conforms(TS, "A", &ok), Ok(()));
        let extra = serde_json::json!({"a": "x", "d": [], "z": 1});
        assert!(conforms(TS, "A", &extra).unwrap_err().contains("`z`"));
        let missing = serde_json::json!({"a": "x"});
        assert!(conforms(TS, "A", &missing).unwrap_err().contains("`d`"));
    }
}
