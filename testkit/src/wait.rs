//! Waiting for something asynchronous to become true, with a deadline instead of a fixed
//! sleep or a single read.
//!
//! A test that reads a server's counter once, right after its client has seen the effect
//! (a socket closed, a reload answered), races the server's own bookkeeping: on a loaded
//! two-core machine the client thread can run between the server's `close` and its
//! counter update. [`eventually`] polls instead, and the deadline is generous because it is
//! only reached when the thing never happens (a real failure), never on a slow run.
use std::time::{Duration, Instant};

/// How long [`eventually`] waits by default: far above anything a loaded CI machine needs
/// for loopback I/O, so reaching it means the condition is really never met.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `ready` (first at once, then every few milliseconds) until it returns `true`, or
/// `patience` has passed. Returns whether it became true, so the caller asserts with its
/// own message: `assert!(eventually(PATIENCE, || …), "…")`.
pub fn eventually(patience: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + patience;
    let mut pause = Duration::from_millis(1);
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_true_once_the_condition_holds_and_false_at_the_deadline() {
        let mut calls = 0;
        assert!(eventually(PATIENCE, || {
            calls += 1;
            calls == 3
        }));
        assert_eq!(calls, 3);
        assert!(!eventually(Duration::from_millis(20), || false));
    }
}
