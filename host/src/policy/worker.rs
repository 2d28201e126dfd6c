//! A worker: one wasmtime store + instance of the current policy, reused for every call
//! (a call costs a typed function call, not an instantiation). After a reload the worker
//! re-instantiates before its next call; after a fault it drops the instance, whose memory
//! may be in any state, and starts afresh on the next call.
//!
//! Every answer is checked twice before it is used: its shape (a well-formed decision for
//! the request), then against the reference engine — a policy may only restrict
//! ([`invariants::within_reference`]); an answer that grants more is the fault
//! [`Fault::ExceedsReference`] and is answered fail-closed.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use onbehalf_core::json::{OwnedRequest, Value};
use onbehalf_core::{invariants, PackedDecision, PackedRequest, RawDecision};
use wasmtime::Store;

use super::answer::{self, PolicyAnswer};
use super::calls::{self, Buffer, Exports};
use super::fault::{Classify, Fault};
use super::load::LoadedPolicy;
use super::store::{fuel_burnt, new_store, refuel, StoreState};
use super::Shared;

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

/// Whether the module of ABI `version` can be asked `request` (ABI v1 knows no realms).
fn expressible(version: i32, request: PackedRequest) -> bool {
    version >= onbehalf_abi::ABI_V2 || onbehalf_abi::check::v1_can_express_packed(request)
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
        let f = |_: wasmtime::Error| Fault::Instantiate;
        let v2 = policy.version >= onbehalf_abi::ABI_V2;
        let json_name = if v2 { "decide_json" } else { "explain" };
        let exports = Exports {
            memory: instance
                .get_memory(&mut store, onbehalf_abi::MEMORY)
                .ok_or(Fault::Instantiate)?,
            decide: instance.get_typed_func(&mut store, "decide").map_err(f)?,
            decide_batch: instance
                .get_typed_func(&mut store, "decide_batch")
                .map_err(f)?,
            decide_records: if v2 {
                Some(
                    instance
                        .get_typed_func(&mut store, "decide_records")
                        .map_err(f)?,
                )
            } else {
                None
            },
            alloc: instance.get_typed_func(&mut store, "alloc").map_err(f)?,
            dealloc: instance.get_typed_func(&mut store, "dealloc").map_err(f)?,
            json: instance.get_typed_func(&mut store, json_name).ok(),
        };
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

    /// Checks a packed answer: well-formed, own reasons in the catalog, within the reference.
    fn checked(&self, policy: &LoadedPolicy, request: PackedRequest, raw: i64) -> Verdict {
        match answer::packed(policy, raw) {
            Some((decision, own)) => {
                let reference = self.shared.table.decide_raw(request.raw());
                // The common case: the module agrees with the reference (which is within
                // itself), so there is nothing to unpack.
                if decision.raw() == reference {
                    return Verdict::Decided(decision, own);
                }
                match RawDecision::classify(reference) {
                    RawDecision::Decision(r)
                        if invariants::within_reference(&r.unpack(), &decision.unpack())
                            .is_ok() =>
                    {
                        Verdict::Decided(decision, own)
                    }
                    _ => self.fault(policy, Fault::ExceedsReference),
                }
            }
            None => self.fault(policy, Fault::MalformedAnswer),
        }
    }

    fn fault(&self, policy: &LoadedPolicy, fault: Fault) -> Verdict {
        self.shared.stats.count_fault(fault, policy);
        Verdict::Fault(fault)
    }

    /// Decides one packed request through the module (the hot path).
    pub fn decide_packed(&mut self, request: PackedRequest) -> Verdict {
        if !request.is_valid() {
            return invalid(request);
        }
        match self.packed_call(request) {
            Ok((_, verdict)) => verdict,
            Err(fault) => Verdict::Fault(fault),
        }
    }

    /// One `decide` call for a valid packed request: the checked verdict and the module
    /// that gave it.
    fn packed_call(
        &mut self,
        request: PackedRequest,
    ) -> Result<(Arc<LoadedPolicy>, Verdict), Fault> {
        self.count(1);
        let (policy, raw) = self.with_live(|live, limits| {
            if !expressible(live.policy.version, request) {
                return Err(Fault::Unsupported);
            }
            refuel(&mut live.store, limits.decide_fuel).map_err(|_| Fault::Trap)?;
            let raw = live
                .exports
                .decide
                .call(&mut live.store, request.raw())
                .map_err(|e| Fault::from_call_error(&e, live.store.data()))?;
            Ok((Arc::clone(&live.policy), raw))
        })?;
        let verdict = self.checked(&policy, request, raw);
        Ok((policy, verdict))
    }

    /// Decides many packed requests with one `decide_batch` call. Invalid requests are
    /// answered by the host and not sent (so are requests an ABI v1 module cannot express);
    /// a fault answers every sent request fail-closed; each answer is checked on its own.
    pub fn decide_batch(&mut self, requests: &[PackedRequest]) -> Vec<Verdict> {
        let mut out = Vec::with_capacity(requests.len());
        self.decide_batch_into(requests, &mut out);
        out
    }

    /// [`decide_batch`](Self::decide_batch) into `out` (cleared first), reusing its capacity.
    /// The requests are sent, and the answers read and checked, on one instance.
    pub fn decide_batch_into(&mut self, requests: &[PackedRequest], out: &mut Vec<Verdict>) {
        out.clear();
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut answers = std::mem::take(&mut self.answers);
        // Cleared here, not in the call: if no instance can be made, nothing was sent.
        scratch.clear();
        answers.clear();
        let result = self.with_live(|live, limits| {
            let version = live.policy.version;
            let sendable = |r: &&PackedRequest| r.is_valid() && expressible(version, **r);
            scratch.extend(requests.iter().filter(sendable).map(|r| r.raw()));
            if !scratch.is_empty() {
                calls::decide_batch(
                    &mut live.store,
                    &live.exports,
                    &mut live.buffer,
                    limits,
                    &scratch,
                    &mut answers,
                )?;
            }
            Ok(Arc::clone(&live.policy))
        });
        self.count(scratch.len() as u64);
        let mut raw = answers.iter();
        for r in requests {
            out.push(match &result {
                _ if !r.is_valid() => invalid(*r),
                Err(fault) => Verdict::Fault(*fault),
                Ok(policy) if !expressible(policy.version, *r) => {
                    self.fault(policy, Fault::Unsupported)
                }
                Ok(policy) => match raw.next() {
                    Some(a) => self.checked(policy, *r, *a),
                    None => self.fault(policy, Fault::MalformedAnswer),
                },
            });
        }
        self.scratch = scratch;
        self.answers = answers;
    }

    /// The module's raw JSON answer (`explain` in ABI v1, `decide_json` in v2) to arbitrary
    /// input bytes, under the same limits as every call; not checked against any request.
    /// For diagnostics and for fuzzing the ABI: [`Worker::decide`] is the checked path.
    ///
    /// # Errors
    /// The fault, if the module misbehaved (the instance is then discarded), or
    /// [`Fault::Unsupported`] for a v2 module without `decide_json`.
    pub fn decide_json_raw(&mut self, input: &[u8]) -> Result<Vec<u8>, Fault> {
        self.with_live(|live, limits| {
            calls::decide_json(&mut live.store, &live.exports, limits, input)
        })
    }

    /// Decides a validated request through the module: hop-free requests take the packed
    /// path, others the binary records (ABI v2) or the JSON entry (ABI v1). The answer is
    /// checked against the reference; `Err` is the fault (answer fail-closed).
    pub fn decide<'r>(&mut self, request: &'r OwnedRequest) -> Result<PolicyAnswer<'r>, Fault> {
        self.pinned_for(|worker| worker.decide_one_pinned(request))
    }

    /// Runs `call` pinned to the generation it first instantiates (see `pinned`), unpinned
    /// before and after.
    fn pinned_for<T>(&mut self, call: impl FnOnce(&mut Self) -> T) -> T {
        self.pinned = None;
        let result = call(self);
        self.pinned = None;
        result
    }

    /// [`decide`](Self::decide) on one instance, without the collections of
    /// [`decide_many`](Self::decide_many) (the server's single request: the hot path).
    fn decide_one_pinned<'r>(
        &mut self,
        request: &'r OwnedRequest,
    ) -> Result<PolicyAnswer<'r>, Fault> {
        if request.hops().is_empty() {
            // One `decide` call: the answer and the catalog come from the same instance.
            let (policy, verdict) = self.packed_call(PackedRequest::pack(request))?;
            let generation = self.generation().unwrap_or(0);
            return match verdict {
                Verdict::Decided(d, own) => Ok(PolicyAnswer::new(
                    request,
                    answer::Compact::hop_free(d, own),
                    policy,
                    generation,
                )),
                Verdict::Fault(f) => Err(f),
                Verdict::Invalid(_) => Err(Fault::MalformedAnswer),
            };
        }
        let policy = self.policy()?;
        let generation = self.generation().unwrap_or(0);
        self.pinned = Some((generation, Arc::clone(&policy)));
        let compact = self
            .decide_with_hops(&policy, std::slice::from_ref(&request))
            .pop()
            .unwrap_or(Err(Fault::MalformedAnswer))?;
        Ok(PolicyAnswer::new(request, compact, policy, generation))
    }

    /// Decides many validated requests: the hop-free ones in one `decide_batch` call, the
    /// others in one `decide_records` call (ABI v2) or one by one through JSON (ABI v1).
    pub fn decide_many<'r>(
        &mut self,
        requests: &[&'r OwnedRequest],
    ) -> Vec<Result<PolicyAnswer<'r>, Fault>> {
        self.pinned_for(|worker| worker.decide_pinned(requests))
    }

    /// [`decide_many`](Self::decide_many) on one instance: once it has one, the worker does
    /// not switch to a newer generation until the call returns.
    fn decide_pinned<'r>(
        &mut self,
        requests: &[&'r OwnedRequest],
    ) -> Vec<Result<PolicyAnswer<'r>, Fault>> {
        let policy = match self.policy() {
            Ok(p) => p,
            Err(fault) => return requests.iter().map(|_| Err(fault)).collect(),
        };
        let generation = self.generation().unwrap_or(0);
        self.pinned = Some((generation, Arc::clone(&policy)));
        let packed: Vec<PackedRequest> = requests
            .iter()
            .filter(|r| r.hops().is_empty())
            .map(|r| PackedRequest::pack(*r))
            .collect();
        let verdicts = self.decide_batch(&packed);
        let with_hops: Vec<&OwnedRequest> = requests
            .iter()
            .copied()
            .filter(|r| !r.hops().is_empty())
            .collect();
        let mut hop_answers = self.decide_with_hops(&policy, &with_hops).into_iter();
        let mut verdicts = verdicts.into_iter();
        requests
            .iter()
            .map(|r| {
                if r.hops().is_empty() {
                    match verdicts.next() {
                        Some(Verdict::Decided(d, own)) => Ok(PolicyAnswer::new(
                            r,
                            answer::Compact::hop_free(d, own),
                            Arc::clone(&policy),
                            generation,
                        )),
                        Some(Verdict::Fault(f)) => Err(f),
                        _ => Err(Fault::MalformedAnswer),
                    }
                } else {
                    hop_answers
                        .next()
                        .unwrap_or(Err(Fault::MalformedAnswer))
                        .map(|a| PolicyAnswer::new(r, a, Arc::clone(&policy), generation))
                }
            })
            .collect()
    }

    /// Requests with hops: one `decide_records` call (v2) or the JSON entry one by one (v1).
    fn decide_with_hops(
        &mut self,
        policy: &LoadedPolicy,
        requests: &[&OwnedRequest],
    ) -> Vec<answer::Checked> {
        if requests.is_empty() {
            return Vec::new();
        }
        self.count(requests.len() as u64);
        if policy.version < onbehalf_abi::ABI_V2 {
            return requests
                .iter()
                .map(|r| self.decide_v1_json(policy, r))
                .collect();
        }
        let mut records = std::mem::take(&mut self.records);
        let mut bytes = std::mem::take(&mut self.record_answers);
        records.clear();
        let answers = if requests
            .iter()
            .all(|r| onbehalf_abi::record::encode(*r, &mut records).is_some())
        {
            self.records_answered(policy, requests, &records, &mut bytes)
        } else {
            requests
                .iter()
                .map(|_| Err(Fault::MalformedAnswer))
                .collect()
        };
        self.records = records;
        self.record_answers = bytes;
        answers
    }

    /// One `decide_records` call with the encoded `records`, each answer checked.
    fn records_answered(
        &mut self,
        policy: &LoadedPolicy,
        requests: &[&OwnedRequest],
        records: &[u8],
        bytes: &mut Vec<u8>,
    ) -> Vec<answer::Checked> {
        let called = self.with_live(|live, limits| {
            calls::decide_records(
                &mut live.store,
                &live.exports,
                &mut live.buffer,
                limits,
                records,
                requests.len(),
                bytes,
            )
        });
        match called {
            Err(fault) => requests.iter().map(|_| Err(fault)).collect(),
            Ok(()) => requests
                .iter()
                .zip(bytes.chunks_exact(onbehalf_abi::record::ANSWER_SIZE))
                .map(|(r, b)| {
                    let checked = answer::record(policy, r, b);
                    if let Err(f) = checked {
                        self.shared.stats.count_fault(f, policy);
                    }
                    checked
                })
                .collect(),
        }
    }

    /// An ABI v1 module and a request with hops: the JSON entry.
    fn decide_v1_json(&mut self, policy: &LoadedPolicy, request: &OwnedRequest) -> answer::Checked {
        if !onbehalf_abi::check::v1_can_express(request) {
            self.shared.stats.count_fault(Fault::Unsupported, policy);
            return Err(Fault::Unsupported);
        }
        let text = request.to_value().to_string();
        let checked = self.with_live(|live, limits| {
            let raw = calls::decide_json(&mut live.store, &live.exports, limits, text.as_bytes())?;
            let value = std::str::from_utf8(&raw)
                .ok()
                .and_then(|t| Value::parse(t).ok())
                .ok_or(Fault::MalformedAnswer)?;
            answer::json(request, &value)
        });
        checked
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
