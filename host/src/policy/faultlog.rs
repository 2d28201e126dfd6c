//! The fault log: one line the first time a module faults in a given way, then at most one
//! summary line per kind per [`SUMMARY_EVERY`]. A hostile module can fault on every request;
//! it must not be able to turn each request into a log line (disk, log pipeline, the
//! operator's attention), while the operator still learns *that* and *how often* it faults.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Fault;

/// The shortest interval between two summary lines of one kind.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// Per-kind state.
#[derive(Debug, Default)]
struct Kind {
    logged: AtomicBool,
    /// Faults of this kind not yet reported in a line.
    unreported: AtomicU64,
    /// When the last line was written, in ms since the log began (0: the first line only).
    last_ms: AtomicU64,
}

/// The fault log of one loaded module (a reload starts a new one: a new module is logged
/// afresh).
#[derive(Debug)]
pub struct FaultLog {
    began: Instant,
    kinds: [Kind; Fault::ALL.len()],
}

impl Default for FaultLog {
    fn default() -> Self {
        FaultLog {
            began: Instant::now(),
            kinds: Default::default(),
        }
    }
}

impl FaultLog {
    /// Notes one fault at `now`; returns the line to write, if one is due.
    pub fn note(&self, fault: Fault, source: &str, now: Instant) -> Option<String> {
        let index = Fault::ALL.iter().position(|f| *f == fault)?;
        let kind = self.kinds.get(index)?;
        let name = fault.name();
        if !kind.logged.swap(true, Ordering::AcqRel) {
            return Some(format!(
                "onbehalf: policy module {source:?} faulted: {name} (answered fail-closed; \
                 further {name} faults of this module are summarised at most once a minute)"
            ));
        }
        kind.unreported.fetch_add(1, Ordering::AcqRel);
        let now_ms = u64::try_from(now.saturating_duration_since(self.began).as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let last = kind.last_ms.load(Ordering::Acquire);
        let every = u64::try_from(SUMMARY_EVERY.as_millis()).unwrap_or(u64::MAX);
        // The first summary may come one interval after the log began; one thread wins the
        // slot, the others only count.
        if now_ms.saturating_sub(last) < every
            || kind
                .last_ms
                .compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return None;
        }
        let count = kind.unreported.swap(0, Ordering::AcqRel);
        Some(format!(
            "onbehalf: policy module {source:?}: {count} more {name} faults (answered fail-closed)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_fault_of_each_kind_is_logged_then_summarised_at_most_once_a_minute() {
        let log = FaultLog::default();
        let t0 = log.began;
        let lines = |fault, at: Duration, n: usize| {
            (0..n)
                .filter_map(|_| log.note(fault, "m.wasm", t0 + at))
                .collect::<Vec<_>>()
        };
        let first = lines(Fault::Trap, Duration::ZERO, 10_000);
        assert_eq!(first.len(), 1, "{first:?}");
        assert!(first.concat().contains("faulted: trap"));
        // Another kind gets its own first line.
        assert_eq!(lines(Fault::ExceedsReference, Duration::ZERO, 5).len(), 1);
        // Within the interval: silence, however many faults.
        assert!(lines(Fault::Trap, Duration::from_secs(59), 10_000).is_empty());
        // After it: one summary with the count so far, then silence again.
        let summary = lines(Fault::Trap, Duration::from_secs(61), 3);
        assert_eq!(summary.len(), 1, "{summary:?}");
        assert!(
            summary.concat().contains("20000 more trap faults"),
            "{summary:?}"
        );
        assert!(lines(Fault::Trap, Duration::from_secs(100), 10).is_empty());
        let next = lines(Fault::Trap, Duration::from_secs(122), 1);
        assert!(next.concat().contains("13 more trap faults"), "{next:?}");
    }
}
