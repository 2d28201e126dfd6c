//! A worker: one wasmtime store + instance of the current policy, reused for every call
//! (a call costs a typed function call, not an instantiation). After a reload the worker
//! re-instantiates before its next call; after a fault it drops the instance, whose memory
//! may be in any state, and starts afresh on the next call.
//!
//! Every answer is checked twice before it is used: its shape (a well-formed decision for
//! the request), then against the reference engine — a policy may only restrict
//! ([`invariants::within_reference`]); an answer that grants more is the fault
//! [`Fault::ExceedsReference`] and is answered fail-closed.
//!
//! The paths live beside this file: `packed.rs` (hop-free requests: `decide`,
//! `decide_batch`), `hops.rs` (records, the v1 JSON entry), `route.rs` (which path a request
//! takes); here the instance's life cycle and the export binding.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use onbehalf_core::PackedDecision;
use wasmtime::Store;

use super::calls::{Buffer, Exports};
use super::fault::{Classify, Fault};
use super::load::LoadedPolicy;
use super::store::{fuel_burnt, new_store, StoreState};
use super::Shared;

mod hops;
mod packed;
mod route;

struct Live {
    generation: u64,
    policy: Arc<LoadedPolicy>,
    store: Store<StoreState>,
    exports: Exports,
    /// A reusable buffer in module memory for batches and records.
    buffer: Buffer,
}

/// The answer to one packed (hop-free) request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The module's checked decision, and its own reasons (bit n: the n-th code of its
    /// catalog; always 0 for ABI v1).
    Decided(PackedDecision, u32),
    /// The request itself is invalid (decided by the host, before the module is called).
    Invalid(onbehalf_core::ErrorCode),
    /// The module faulted, exceeded the reference, or cannot express the request: answer
    /// fail-closed.
    Fault(Fault),
}

impl Verdict {
    /// A decision with no reasons of the module's own.
    #[must_use]
    pub const fn decided(decision: PackedDecision) -> Verdict {
        Verdict::Decided(decision, 0)
    }
}

/// One worker's instance of the policy. Not shared: give each thread its own (or use a
/// [`WorkerPool`](super::WorkerPool)).
pub struct Worker {
    shared: Arc<Shared>,
    live: Option<Live>,
    /// Decisions not yet added to the shared counter: adding per call would put a contended
    /// atomic on the hot path; the counter lags by at most [`FLUSH_EVERY`] per worker.
    uncounted: u64,
    /// Reused between batches (no allocation per call on the hot path).
    scratch: Vec<i64>,
    answers: Vec<i64>,
    records: Vec<u8>,
    record_answers: Vec<u8>,
    /// While set, the worker answers from this generation only, even if a reload happened
    /// (and re-instantiates it, not the newer one, after a fault): one answer (an array)
    /// comes from one policy generation.
    pinned: Option<(u64, Arc<LoadedPolicy>)>,
    /// The generation of the instance that answered last (kept after a fault drops it).
    last_generation: Option<u64>,
}

const FLUSH_EVERY: u64 = 64;

impl Drop for Worker {
    fn drop(&mut self) {
        self.flush();
    }
}

impl Worker {
    pub(super) fn new(shared: Arc<Shared>) -> Worker {
        Worker {
            shared,
            live: None,
            uncounted: 0,
            scratch: Vec::new(),
            answers: Vec::new(),
            records: Vec::new(),
            record_answers: Vec::new(),
            pinned: None,
            last_generation: None,
        }
    }

    fn count(&mut self, decisions: u64) {
        self.uncounted += decisions;
        if self.uncounted >= FLUSH_EVERY {
            self.flush();
        }
    }

    /// The policy generation of the module that answered (or faulted on) this worker's last
    /// call; `None` before the first call.
    #[must_use]
    pub fn generation(&self) -> Option<u64> {
        self.last_generation
    }

    /// The fuel all calls on this worker's current instance have burnt (`None` without an
    /// instance): what a policy costs, in the unit its limits are set in.
    #[must_use]
    pub fn fuel_burnt(&self) -> Option<u64> {
        self.live.as_ref().map(|l| fuel_burnt(&l.store))
    }

    /// Adds this worker's uncounted decisions to the host's counter.
    pub fn flush(&mut self) {
        self.shared
            .stats
            .decisions
            .fetch_add(self.uncounted, Ordering::Relaxed);
        self.uncounted = 0;
    }

    fn instantiate(&self) -> Result<Live, Fault> {
        let (generation, policy) = match &self.pinned {
            Some((g, p)) => (*g, Arc::clone(p)),
            None => self.shared.current(),
        };
        let mut store = new_store(self.shared.engine(), &self.shared.limits);
        store
            .set_fuel(self.shared.limits.load_fuel)
            .map_err(|_| Fault::Instantiate)?;
        let instance = policy
            .pre
            .instantiate(&mut store)
            .map_err(|e| Fault::from_call_error(&e, store.data()))?;
        let exports = Exports::bind(&instance, &mut store, policy.version)?;
        Ok(Live {
            generation,
            policy,
            store,
            exports,
            buffer: Buffer::default(),
        })
    }

    /// Runs `call` on a live instance of the current policy; on a fault, counts it, drops
    /// the instance and returns the fault.
    fn with_live<T>(
        &mut self,
        call: impl FnOnce(&mut Live, &super::Limits) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        let current = self.shared.generation.load(Ordering::Acquire);
        let stale = |l: &Live| l.generation != current && self.pinned.is_none();
        if self.live.as_ref().is_none_or(stale) {
            self.live = None;
            match self.instantiate() {
                Ok(live) => self.live = Some(live),
                Err(fault) => {
                    self.shared
                        .stats
                        .count_fault(fault, &self.shared.current().1);
                    return Err(fault);
                }
            }
        }
        let Some(live) = self.live.as_mut() else {
            return Err(Fault::Instantiate);
        };
        self.last_generation = Some(live.generation);
        let result = call(live, &self.shared.limits);
        if let Err(fault) = result {
            self.shared.stats.count_fault(fault, &live.policy);
            if fault != Fault::Unsupported {
                self.live = None;
            }
        }
        result
    }

    /// The module's ABI version and own-reason count (instantiating if needed).
    fn policy(&mut self) -> Result<Arc<LoadedPolicy>, Fault> {
        self.with_live(|live, _| Ok(Arc::clone(&live.policy)))
    }
}
