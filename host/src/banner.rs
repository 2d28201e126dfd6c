//! The line `onbehalf serve` prints once it listens, and how to read the address back from
//! it (the soak run, the load run and the tests start the server on port 0).

/// The banner for a server listening on `addr`.
#[must_use]
pub fn serving(addr: &str, policy_source: &str, generation: u64, upload_enabled: bool) -> String {
    let admin = if upload_enabled {
        "enabled"
    } else {
        "disabled"
    };
    format!(
        "onbehalf: serving on http://{addr} (policy: {policy_source}, generation {generation}; policy upload {admin})"
    )
}

/// The `host:port` of a banner line, or `None` if `line` is not one.
///
/// ```
/// use onbehalf_host::banner::{address, serving};
/// assert_eq!(address(&serving("127.0.0.1:4242", "x", 1, false)), Some("127.0.0.1:4242"));
/// assert_eq!(address("something else"), None);
/// ```
#[must_use]
pub fn address(line: &str) -> Option<&str> {
    line.strip_prefix("onbehalf: serving on http://")?
        .split(' ')
        .next()
}
