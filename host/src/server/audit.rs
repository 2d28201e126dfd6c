//! The audit trail: one JSON line on standard error for each policy upload (accepted or
//! refused) and each refused admin authentication, so that who changed the policy, or tried
//! to, can be told afterwards. Decisions are not audited here (they are counted on
//! `/metrics`; a line per decision would be the log's whole volume).

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use onbehalf_core::json::Value;
use sha2::{Digest, Sha256};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `POST /v1/policy` without the admin token.
    AdminAuthFailed,
    /// A module was uploaded and loaded.
    PolicyAccepted,
    /// A module was uploaded and refused (the current policy stays).
    PolicyRefused,
}

impl Event {
    fn name(self) -> &'static str {
        match self {
            Event::AdminAuthFailed => "admin-auth-failed",
            Event::PolicyAccepted => "policy-upload-accepted",
            Event::PolicyRefused => "policy-upload-refused",
        }
    }
}

/// The audit line of `event` from `client`, with `fields` after the common ones.
#[must_use]
pub fn line(event: Event, client: IpAddr, fields: Vec<(String, Value)>) -> String {
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut all = vec![
        ("audit".into(), Value::String(event.name().into())),
        ("time".into(), Value::Number(time.to_string())),
        ("client".into(), Value::String(client.to_string())),
    ];
    all.extend(fields);
    Value::Object(all).to_json()
}

/// Writes the audit line of `event` to standard error.
pub fn record(event: Event, client: IpAddr, fields: Vec<(String, Value)>) {
    eprintln!("{}", line(event, client, fields));
}

/// The fields that identify an uploaded module: its size and SHA-256.
#[must_use]
pub fn module_fields(bytes: &[u8]) -> Vec<(String, Value)> {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("size".into(), Value::Number(bytes.len().to_string())),
        ("sha256".into(), Value::String(hex)),
    ]
}

#[cfg(test)]
mod tests {
    use super::{line, module_fields, Event};
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn an_upload_line_names_the_module_by_its_hash() {
        let text = line(
            Event::PolicyRefused,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            module_fields(b"abc"),
        );
        assert!(
            text.starts_with(r#"{"audit":"policy-upload-refused","time":"#),
            "{text}"
        );
        assert!(text.contains(r#""client":"127.0.0.1""#), "{text}");
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert!(
            text.contains(
                r#""sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad""#
            ),
            "{text}"
        );
    }
}
