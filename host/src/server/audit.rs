//! The audit trail: one log event (`audit` = what happened) for each policy upload,
//! accepted or refused, and each refused admin authentication, so that who changed the
//! policy, or tried to, can be told afterwards. Decisions are not audited (they are counted
//! on `/metrics`; an event per decision would be the log's whole volume).

use std::net::IpAddr;

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
    /// The event's name, the `audit` field of its log line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Event::AdminAuthFailed => "admin-auth-failed",
            Event::PolicyAccepted => "policy-upload-accepted",
            Event::PolicyRefused => "policy-upload-refused",
        }
    }
}

/// An uploaded module as the audit trail names it: its size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Bytes.
    pub size: usize,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

impl Module {
    /// The audit name of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Module {
        let digest = Sha256::digest(bytes);
        Module {
            size: bytes.len(),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// What an audit event says beyond its name and client.
#[derive(Debug, Clone, Default)]
pub struct Detail<'a> {
    /// The uploaded module.
    pub module: Option<&'a Module>,
    /// The policy generation it became.
    pub generation: Option<u64>,
    /// Why it was refused (the load error's name).
    pub reason: Option<&'a str>,
}

/// Logs the audit event `event` from `client`.
pub fn record(event: Event, client: IpAddr, detail: &Detail<'_>) {
    tracing::info!(
        audit = event.name(),
        client = %client,
        size = detail.module.map(|m| m.size),
        sha256 = detail.module.map(|m| m.sha256.as_str()),
        generation = detail.generation,
        reason = detail.reason,
        "audit"
    );
}

#[cfg(test)]
mod tests {
    use super::Module;

    #[test]
    fn a_module_is_named_by_its_hash() {
        let m = Module::of(b"abc");
        assert_eq!(m.size, 3);
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            m.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
