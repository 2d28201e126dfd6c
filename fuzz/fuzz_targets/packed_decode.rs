//! Arbitrary integers through the packed ABI encoding (what a policy module receives and
//! answers).
//!
//! Properties: the precomputed table and the computing core give the same answer for every
//! integer; `is_valid` agrees with `unpack`; a request that decodes re-encodes to the same
//! integer and its answer classifies as that decision; one that does not decode is answered
//! with its error code, negative; classifying any integer as an answer never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onbehalf_core::{decide_packed, decide_raw, DecisionTable, PackedRequest, RawDecision};

fn table() -> &'static DecisionTable {
    static TABLE: OnceLock<DecisionTable> = OnceLock::new();
    TABLE.get_or_init(DecisionTable::new)
}

fuzz_target!(|raw: i64| {
    let answer = decide_raw(raw);
    assert_eq!(
        table().decide_raw(raw),
        answer,
        "table and core differ at {raw:#x}"
    );
    // In range and every field known, or an error naming the first bad one.
    let decoded = PackedRequest::from_raw(raw).and_then(|r| r.unpack().map(|c| (r, c)));
    if let Ok(request) = PackedRequest::from_raw(raw) {
        assert_eq!(
            request.is_valid(),
            decoded.is_ok(),
            "is_valid disagrees with unpack at {raw:#x}"
        );
    }
    match decoded {
        Ok((request, context)) => {
            assert_eq!(PackedRequest::pack(&context), request);
            let decision = decide_packed(request).expect("valid packed requests decide");
            assert_eq!(decision.raw(), answer);
            assert_eq!(
                RawDecision::classify(answer),
                RawDecision::Decision(decision)
            );
        }
        Err(e) => {
            assert!(
                answer < 0,
                "{raw:#x} is invalid ({e}) but answered {answer}"
            );
            assert_eq!(RawDecision::classify(answer), RawDecision::Error(e.code));
        }
    }
    let _ = RawDecision::classify(raw);
});
