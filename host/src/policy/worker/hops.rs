//! Requests with hops: encoded as records for one `decide_records` call (ABI v2), or asked
//! one by one through the JSON entry (ABI v1, which knows no realms); and the raw JSON entry
//! for diagnostics.

use onbehalf_core::json::{OwnedRequest, Value};

use super::super::answer;
use super::super::calls;
use super::super::fault::Fault;
use super::super::load::LoadedPolicy;
use super::Worker;

impl Worker {
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

    /// Requests with hops: one `decide_records` call (v2) or the JSON entry one by one (v1).
    pub(super) fn decide_with_hops(
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
