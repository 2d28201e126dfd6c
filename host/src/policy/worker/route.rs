//! Routing: which path each validated request takes (hop-free ones the packed calls, the
//! others the records or the v1 JSON entry), one policy generation per call.

use std::sync::Arc;

use onbehalf_core::json::OwnedRequest;
use onbehalf_core::PackedRequest;

use super::super::answer::{self, PolicyAnswer};
use super::super::fault::Fault;
use super::{Verdict, Worker};

impl Worker {
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
}
