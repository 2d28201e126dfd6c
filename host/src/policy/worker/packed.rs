//! The hop-free path: one packed request through `decide`, many through `decide_batch`,
//! each answer checked against the reference table.

use std::sync::Arc;

use onbehalf_core::{invariants, PackedDecision, PackedRequest, RawDecision};

use super::super::answer;
use super::super::calls;
use super::super::fault::{Classify, Fault};
use super::super::load::LoadedPolicy;
use super::super::store::refuel;
use super::{Verdict, Worker};

/// Whether the module of ABI `version` can be asked `request` (ABI v1 knows no realms).
fn expressible(version: i32, request: PackedRequest) -> bool {
    version >= onbehalf_abi::ABI_V2 || onbehalf_abi::check::v1_can_express_packed(request)
}

impl Worker {
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
                    RawDecision::Decision(r) if self.within(request, r, decision) => {
                        Verdict::Decided(decision, own)
                    }
                    _ => self.fault(policy, Fault::ExceedsReference),
                }
            }
            None => self.fault(policy, Fault::MalformedAnswer),
        }
    }

    /// Whether `answer` grants no more than `reference` and its reasons claim no more (the
    /// reference at other requested levels from the table, as the records' check does).
    fn within(
        &self,
        request: PackedRequest,
        reference: PackedDecision,
        answer: PackedDecision,
    ) -> bool {
        let (reference, answer) = (reference.unpack(), answer.unpack());
        let outline = (reference.effective, reference.reach, reference.reasons);
        let at = |level| {
            let mut at_level = request.unpack().ok()?;
            at_level.level = level;
            let raw = self
                .shared
                .table
                .decide_raw(PackedRequest::pack(&at_level).raw());
            match RawDecision::classify(raw) {
                RawDecision::Decision(d) => {
                    let d = d.unpack();
                    Some((d.effective, d.reach, d.reasons))
                }
                _ => None,
            }
        };
        invariants::within_reference(&reference, &answer).is_ok()
            && invariants::reasons_within_reference(&answer, outline, at).is_ok()
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
    pub(super) fn packed_call(
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
}

/// The host's answer to an invalid packed request (cold path: the error code comes from the
/// full unpack).
fn invalid(request: PackedRequest) -> Verdict {
    match request.unpack() {
        Err(e) => Verdict::Invalid(e.code),
        Ok(_) => Verdict::Invalid(onbehalf_core::ErrorCode::InvalidRequest),
    }
}
