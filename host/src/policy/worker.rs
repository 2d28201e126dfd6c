//! A worker: one wasmtime store + instance of the current policy, reused for every call
//! (a call costs a typed function call, not an instantiation). After a reload the worker
//! re-instantiates before its next call; after a fault it drops the instance, whose memory
//! may be in any state, and starts afresh on the next call.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use onbehalf_core::json::{
    decision_from_value, decision_to_value, fail_closed_for, OwnedRequest, Value,
};
use onbehalf_core::{PackedDecision, PackedRequest, RawDecision};
use wasmtime::{Memory, Store, TypedFunc};

use super::fault::Fault;
use super::store::{new_store, StoreState};
use super::Shared;

struct Live {
    generation: u64,
    store: Store<StoreState>,
    memory: Memory,
    decide: TypedFunc<i64, i64>,
    decide_batch: TypedFunc<(i32, i32, i32), i32>,
    alloc: TypedFunc<i32, i32>,
    dealloc: TypedFunc<(i32, i32), ()>,
    explain: TypedFunc<(i32, i32), i64>,
    /// A reusable batch buffer in module memory: (address, capacity in requests).
    batch_buffer: Option<(i32, usize)>,
}

/// The answer to one packed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The module's well-formed decision.
    Decided(PackedDecision),
    /// The request itself is invalid (decided by the host, before the module is called).
    Invalid(onbehalf_core::ErrorCode),
    /// The module faulted: answer fail-closed.
    Fault(Fault),
}

/// One worker's instance of the policy. Not shared: give each thread its own (or use a
/// [`WorkerPool`](super::WorkerPool)).
pub struct Worker {
    shared: Arc<Shared>,
    live: Option<Live>,
    /// Decisions not yet added to the shared counter: adding per call would put a contended
    /// atomic on the hot path; the counter lags by at most [`FLUSH_EVERY`] per worker.
    uncounted: u64,
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
        }
    }

    fn count(&mut self, decisions: u64) {
        self.uncounted += decisions;
        if self.uncounted >= FLUSH_EVERY {
            self.flush();
        }
    }

    /// The policy generation of this worker's instance: the module that answered its last
    /// call (`None` before the first call, and after a fault dropped the instance).
    #[must_use]
    pub fn generation(&self) -> Option<u64> {
        self.live.as_ref().map(|l| l.generation)
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
        let (generation, policy) = self.shared.current();
        let mut store = new_store(self.shared.engine(), &self.shared.limits);
        store
            .set_fuel(self.shared.limits.load_fuel)
            .map_err(|_| Fault::Instantiate)?;
        let instance = policy
            .pre
            .instantiate(&mut store)
            .map_err(|e| Fault::from_call_error(&e))?;
        let f = |_: wasmtime::Error| Fault::Instantiate;
        Ok(Live {
            generation,
            memory: instance
                .get_memory(&mut store, onbehalf_abi::MEMORY)
                .ok_or(Fault::Instantiate)?,
            decide: instance.get_typed_func(&mut store, "decide").map_err(f)?,
            decide_batch: instance
                .get_typed_func(&mut store, "decide_batch")
                .map_err(f)?,
            alloc: instance.get_typed_func(&mut store, "alloc").map_err(f)?,
            dealloc: instance.get_typed_func(&mut store, "dealloc").map_err(f)?,
            explain: instance.get_typed_func(&mut store, "explain").map_err(f)?,
            store,
            batch_buffer: None,
        })
    }

    /// Runs `call` on a live instance of the current policy; on a fault, counts it, drops
    /// the instance and returns the fault.
    fn with_live<T>(
        &mut self,
        call: impl FnOnce(&mut Live, &super::Limits) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        let current = self.shared.generation.load(Ordering::Acquire);
        if self.live.as_ref().is_none_or(|l| l.generation != current) {
            self.live = None;
            match self.instantiate() {
                Ok(live) => self.live = Some(live),
                Err(fault) => {
                    self.shared.stats.count_fault(fault);
                    return Err(fault);
                }
            }
        }
        let Some(live) = self.live.as_mut() else {
            return Err(Fault::Instantiate);
        };
        let result = call(live, &self.shared.limits);
        if let Err(fault) = result {
            self.shared.stats.count_fault(fault);
            self.live = None;
        }
        result
    }

    /// Decides one packed request through the module (the hot path).
    pub fn decide_packed(&mut self, request: PackedRequest) -> Verdict {
        if !request.is_valid() {
            return invalid(request);
        }
        self.count(1);
        let result = self.with_live(|live, limits| {
            live.store
                .set_fuel(limits.decide_fuel)
                .map_err(|_| Fault::Trap)?;
            let raw = live
                .decide
                .call(&mut live.store, request.raw())
                .map_err(|e| Fault::from_call_error(&e))?;
            match RawDecision::classify(raw) {
                RawDecision::Decision(d) => Ok(d),
                RawDecision::Error(_) | RawDecision::Malformed => Err(Fault::MalformedAnswer),
            }
        });
        match result {
            Ok(d) => Verdict::Decided(d),
            Err(fault) => Verdict::Fault(fault),
        }
    }

    /// Decides many packed requests with one `decide_batch` call. Invalid requests are
    /// answered by the host and not sent; a fault answers every sent request fail-closed.
    pub fn decide_batch(&mut self, requests: &[PackedRequest]) -> Vec<Verdict> {
        let valid: Vec<i64> = requests
            .iter()
            .filter(|r| r.is_valid())
            .map(|r| r.raw())
            .collect();
        let answers = if valid.is_empty() {
            Ok(Vec::new())
        } else {
            self.count(valid.len() as u64);
            self.with_live(|live, limits| batch_call(live, limits, &valid))
        };
        // One pass in request order: invalid requests are answered by the host, valid ones
        // take the module's answers in turn (all fail-closed if the call faulted).
        let stats = &self.shared.stats;
        let mut raw = answers.as_deref().unwrap_or_default().iter();
        requests
            .iter()
            .map(|r| {
                if !r.is_valid() {
                    return invalid(*r);
                }
                if let Err(fault) = answers {
                    return Verdict::Fault(fault);
                }
                match raw.next().map(|a| RawDecision::classify(*a)) {
                    Some(RawDecision::Decision(d)) => Verdict::Decided(d),
                    _ => {
                        stats.count_fault(Fault::MalformedAnswer);
                        Verdict::Fault(Fault::MalformedAnswer)
                    }
                }
            })
            .collect()
    }

    /// The module's raw `explain` answer to arbitrary input bytes, under the same limits
    /// as every call; not checked against the request (there may be none). For
    /// diagnostics and for fuzzing the ABI: [`Worker::decide_request`] is the checked path.
    ///
    /// # Errors
    /// The fault, if the module misbehaved (the instance is then discarded).
    pub fn explain_raw(&mut self, input: &[u8]) -> Result<Vec<u8>, Fault> {
        self.with_live(|live, limits| explain_call(live, limits, input))
    }

    /// Decides a validated request through the module: hop-free requests take the packed
    /// path, others the JSON `explain` ABI. Returns the decision JSON, or the fail-closed
    /// decision (and the fault) when the module misbehaves.
    pub fn decide_request(&mut self, request: &OwnedRequest) -> Result<Value, (Value, Fault)> {
        if request.hops().is_empty() {
            let packed = PackedRequest::pack(request);
            return match self.decide_packed(packed) {
                Verdict::Decided(d) => Ok(decision_to_value(&d.unpack())),
                Verdict::Fault(f) => Err((fail_closed_for(request), f)),
                Verdict::Invalid(_) => Err((fail_closed_for(request), Fault::MalformedAnswer)),
            };
        }
        self.count(1);
        let text = request.to_value().to_string();
        let answer = self.with_live(|live, limits| {
            let raw = explain_call(live, limits, text.as_bytes())?;
            let value = std::str::from_utf8(&raw)
                .ok()
                .and_then(|t| Value::parse(t).ok());
            let decision = value.as_ref().and_then(|v| decision_from_value(v, request));
            decision
                .map(|d| decision_to_value(&d))
                .ok_or(Fault::MalformedAnswer)
        });
        answer.map_err(|f| (fail_closed_for(request), f))
    }
}

/// The host's answer to an invalid packed request (cold path: the error code comes from the
/// full unpack).
fn invalid(request: PackedRequest) -> Verdict {
    match request.unpack() {
        Err(e) => Verdict::Invalid(e.code),
        Ok(_) => Verdict::Invalid(onbehalf_core::ErrorCode::InvalidRequest),
    }
}

fn call_error(e: &wasmtime::Error) -> Fault {
    Fault::from_call_error(e)
}

fn batch_call(
    live: &mut Live,
    limits: &super::Limits,
    requests: &[i64],
) -> Result<Vec<i64>, Fault> {
    let count = requests.len();
    let count_i32 = i32::try_from(count).map_err(|_| Fault::MalformedAnswer)?;
    let bytes = count
        .checked_mul(16)
        .and_then(|b| i32::try_from(b).ok())
        .ok_or(Fault::MalformedAnswer)?;
    let base = match live.batch_buffer {
        Some((ptr, cap)) if cap >= count => ptr,
        previous => {
            live.store
                .set_fuel(limits.decide_fuel)
                .map_err(|_| Fault::Trap)?;
            if let Some((ptr, cap)) = previous {
                let old = i32::try_from(cap * 16).unwrap_or(0);
                live.dealloc
                    .call(&mut live.store, (ptr, old))
                    .map_err(|e| call_error(&e))?;
                live.batch_buffer = None;
            }
            let ptr = live
                .alloc
                .call(&mut live.store, bytes)
                .map_err(|e| call_error(&e))?;
            if ptr == 0 {
                return Err(Fault::MemoryLimit);
            }
            live.batch_buffer = Some((ptr, count));
            ptr
        }
    };
    let in_addr = usize::try_from(base).map_err(|_| Fault::MalformedAnswer)?;
    let out_addr = in_addr + count * 8;
    // Write the requests straight into module memory (bounds-checked slice, no staging copy).
    let input = live
        .memory
        .data_mut(&mut live.store)
        .get_mut(in_addr..out_addr)
        .ok_or(Fault::MalformedAnswer)?;
    for (slot, request) in input.chunks_exact_mut(8).zip(requests) {
        slot.copy_from_slice(&request.to_le_bytes());
    }
    let fuel = limits
        .batch_fuel_per_request
        .saturating_mul(count as u64)
        .saturating_add(limits.decide_fuel);
    live.store.set_fuel(fuel).map_err(|_| Fault::Trap)?;
    let out_ptr = i32::try_from(out_addr).map_err(|_| Fault::MalformedAnswer)?;
    let done = live
        .decide_batch
        .call(&mut live.store, (base, out_ptr, count_i32))
        .map_err(|e| call_error(&e))?;
    if done != count_i32 {
        return Err(Fault::MalformedAnswer);
    }
    let output = live
        .memory
        .data(&live.store)
        .get(out_addr..out_addr + count * 8)
        .ok_or(Fault::MalformedAnswer)?;
    Ok(output
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0xff; 8])))
        .collect())
}

fn explain_call(live: &mut Live, limits: &super::Limits, request: &[u8]) -> Result<Vec<u8>, Fault> {
    let len = i32::try_from(request.len()).map_err(|_| Fault::MalformedAnswer)?;
    live.store
        .set_fuel(limits.decide_fuel)
        .map_err(|_| Fault::Trap)?;
    let ptr = live
        .alloc
        .call(&mut live.store, len)
        .map_err(|e| call_error(&e))?;
    if ptr == 0 && len > 0 {
        return Err(Fault::MemoryLimit);
    }
    let addr = usize::try_from(ptr).map_err(|_| Fault::MalformedAnswer)?;
    live.memory
        .write(&mut live.store, addr, request)
        .map_err(|_| Fault::MalformedAnswer)?;
    let fuel = limits
        .explain_fuel_per_byte
        .saturating_mul(request.len() as u64)
        .saturating_add(limits.explain_fuel_base);
    live.store.set_fuel(fuel).map_err(|_| Fault::Trap)?;
    let packed = live
        .explain
        .call(&mut live.store, (ptr, len))
        .map_err(|e| call_error(&e))?;
    live.store
        .set_fuel(limits.decide_fuel)
        .map_err(|_| Fault::Trap)?;
    live.dealloc
        .call(&mut live.store, (ptr, len))
        .map_err(|e| call_error(&e))?;

    let out_ptr = (packed >> 32) as u32 as usize;
    let out_len = packed as u32 as usize;
    if packed == 0 || out_len > limits.max_answer_bytes {
        return Err(Fault::MalformedAnswer);
    }
    let answer = live
        .memory
        .data(&live.store)
        .get(out_ptr..out_ptr.saturating_add(out_len))
        .ok_or(Fault::MalformedAnswer)?
        .to_vec();
    live.dealloc
        .call(&mut live.store, (out_ptr as i32, out_len as i32))
        .map_err(|e| call_error(&e))?;
    Ok(answer)
}
