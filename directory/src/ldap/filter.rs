//! RFC 4515 filter values: every name that goes into a search filter is escaped, so a name
//! can only ever match itself (`*` is not a wildcard, `)(` does not open a new term).

use std::fmt::Write as _;

/// `value` escaped for an RFC 4515 assertion value: `*`, `(`, `)`, `\`, NUL and every byte
/// that is not printable ASCII become `\XX` (two lower-case hex digits of the UTF-8 byte).
///
/// RFC 4515 requires escaping only the first five; escaping the rest too keeps the filter
/// plain ASCII, which every server reads the same way (a UTF-8 name still matches: the server
/// unescapes to the same bytes).
#[must_use]
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'*' | b'(' | b')' | b'\\' => push_hex(&mut out, byte),
            0x21..=0x7e | b' ' => out.push(char::from(byte)),
            _ => push_hex(&mut out, byte),
        }
    }
    out
}

fn push_hex(out: &mut String, byte: u8) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\{byte:02x}");
}

/// `(attribute=value)` with `value` escaped; `attribute` is the caller's constant.
#[must_use]
pub fn equals(attribute: &str, value: &str) -> String {
    format!("({attribute}={})", escape(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that each `(value, escaped)` escapes as given.
    fn assert_escapes(cases: &[(&str, &str)]) {
        for (value, escaped) in cases {
            assert_eq!(escape(value), *escaped, "{value:?}");
        }
    }

    #[test]
    fn metacharacters_become_hex_escapes() {
        assert_escapes(&[
            ("a*b", "a\\2ab"),
            ("(x)", "\\28x\\29"),
            ("back\\slash", "back\\5cslash"),
            ("nul\0", "nul\\00"),
            // RFC 4515's own examples.
            (
                "Parens R Us (for all your parenthetical needs)",
                "Parens R Us \\28for all your parenthetical needs\\29",
            ),
            ("*", "\\2a"),
            ("C:\\MyFile", "C:\\5cMyFile"),
        ]);
    }

    #[test]
    fn plain_names_pass_unchanged_and_non_ascii_is_hex() {
        assert_escapes(&[
            ("svcweb", "svcweb"),
            ("fs2$", "fs2$"),
            (
                "MSSQLSvc/db1.contoso.test:1433",
                "MSSQLSvc/db1.contoso.test:1433",
            ),
            ("Lučić", "Lu\\c4\\8di\\c4\\87"),
            ("tab\there", "tab\\09here"),
        ]);
    }

    #[test]
    fn an_injection_stays_one_assertion_value() {
        let filter = equals("sAMAccountName", "*)(objectClass=*");
        assert_eq!(filter, "(sAMAccountName=\\2a\\29\\28objectClass=\\2a)");
        // One opening and one closing parenthesis: the value cannot close the term.
        assert_eq!(filter.matches('(').count(), 1);
        assert_eq!(filter.matches(')').count(), 1);
    }

    proptest::proptest! {
        #[test]
        fn escaped_values_hold_no_metacharacter_and_round_trip(value in "\\PC*") {
            let escaped = escape(&value);
            proptest::prop_assert!(!escaped.contains(['*', '(', ')', '\0']));
            proptest::prop_assert!(escaped.is_ascii());
            // Unescaping gives back the bytes.
            let mut bytes = Vec::new();
            let mut rest = escaped.as_bytes();
            while let Some((&b, tail)) = rest.split_first() {
                if b == b'\\' {
                    let hex = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok());
                    let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                    proptest::prop_assert!(byte.is_some());
                    bytes.extend(byte);
                    rest = tail.get(2..).unwrap_or_default();
                } else {
                    bytes.push(b);
                    rest = tail;
                }
            }
            proptest::prop_assert_eq!(bytes, value.as_bytes());
        }
    }
}
