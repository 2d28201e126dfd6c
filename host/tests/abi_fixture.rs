//! Real modules against the ABI document: a v2 module written by hand in WAT from
//! docs/policy-abi.md alone, and a v1 module built before v2 existed (the default module of
//! commit 143c4a9, committed gzipped) — both load, never fault, and answer exactly as
//! expected over the whole packed domain (the v2 ones on requests with hops too).
#![allow(missing_docs)]

use std::io::Read as _;

use onbehalf_core::json::decision_to_value;
use onbehalf_core::{decide, Level, PackedDecision, PackedRequest, Reach, Reasons, DOMAIN_SIZE};
use onbehalf_host::policy::{Fault, Limits, PolicyHost, Verdict};
use onbehalf_testkit::hostile::native;
use onbehalf_testkit::requests::{self, Space};

const LOCKDOWN: &str = include_str!("fixtures/lockdown.wat");
const REFERENCE_V1_GZ: &[u8] = include_bytes!("fixtures/reference-v1-143c4a9.wasm.gz");

#[allow(clippy::unwrap_used)] // a test helper: failing is its job
fn reference_v1() -> Vec<u8> {
    let mut wasm = Vec::new();
    flate2::read::GzDecoder::new(REFERENCE_V1_GZ)
        .read_to_end(&mut wasm)
        .unwrap();
    wasm
}

#[allow(clippy::unwrap_used)] // a test helper: failing is its job
fn lockdown() -> PolicyHost {
    let wasm = wat::parse_str(LOCKDOWN).unwrap();
    PolicyHost::from_bytes(&wasm, "lockdown.wat", Limits::default()).unwrap()
}

#[test]
fn the_hand_written_lockdown_module_loads_with_its_own_reason() {
    let info = lockdown().info();
    assert_eq!(info.abi_version, 2);
    let codes: Vec<&str> = info.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["lockdown"]);
}

#[test]
fn the_lockdown_module_answers_anonymous_on_the_whole_packed_domain() {
    let host = lockdown();
    let mut worker = host.worker();
    let expected = Verdict::Decided(
        PackedDecision::from_parts(Level::Anonymous, Reach::None, Reasons::EMPTY),
        1,
    );
    let all: Vec<PackedRequest> = PackedRequest::all().collect();
    assert_eq!(all.len(), DOMAIN_SIZE);
    for chunk in all.chunks(4096) {
        for (p, got) in chunk.iter().zip(worker.decide_batch(chunk)) {
            assert_eq!(got, expected, "{:?}", p.unpack());
        }
    }
    // The single call too, on a slice of the domain.
    for p in all.iter().step_by(97) {
        assert_eq!(worker.decide_packed(*p), expected);
    }
    assert_eq!(host.stats().total_faults(), 0);
}

#[test]
fn the_lockdown_module_refuses_every_hop_through_the_records() {
    let host = lockdown();
    let mut worker = host.worker();
    let sample = requests::with_hops(15, Space::All, 20_000, 16);
    let refs: Vec<_> = sample.iter().collect();
    for chunk in refs.chunks(100) {
        for (request, answer) in chunk.iter().zip(worker.decide_many(chunk)) {
            let answer = answer.unwrap();
            let value: serde_json::Value =
                serde_json::from_str(&answer.to_value().to_string()).unwrap();
            assert_eq!(value["effective"], "anonymous");
            assert_eq!(value["reach"], "none");
            assert_eq!(value["reasons"], serde_json::json!(["lockdown"]));
            let hops = value["hops"].as_array().unwrap();
            assert_eq!(hops.len(), request.hops.len());
            for (i, (hop, asked)) in hops.iter().zip(&request.hops).enumerate() {
                assert_eq!(hop["target"], asked.target.as_str());
                assert_eq!(hop["allowed"], false);
                assert_eq!(hop["as"], "anonymous");
                let reason = if i == 0 {
                    "lockdown"
                } else {
                    "hop-chain-broken"
                };
                assert_eq!(hop["reason"], reason);
            }
        }
    }
    assert_eq!(host.stats().total_faults(), 0);
}

#[test]
fn a_v1_module_built_before_v2_equals_the_engine_on_every_request_it_can_see() {
    let host = PolicyHost::from_bytes(&reference_v1(), "v1", Limits::default()).unwrap();
    assert_eq!(host.info().abi_version, 1);
    let mut worker = host.worker();
    // ABI v1 sees one domain: the packed requests below the realm bits.
    let one_domain: Vec<PackedRequest> = PackedRequest::one_domain().collect();
    for chunk in one_domain.chunks(4096) {
        let want: Vec<Verdict> = chunk.iter().map(|p| Verdict::decided(native(*p))).collect();
        assert_eq!(worker.decide_batch(chunk), want);
    }
    // Requests with hops go through its JSON `explain`; those across realms are not asked.
    let mut sample = requests::with_hops(16, Space::OneDomain, 2_000, 4);
    sample.extend(requests::with_hops(18, Space::All, 500, 4));
    let refs: Vec<_> = sample.iter().collect();
    let (mut asked, mut unsupported) = (0, 0);
    for (request, answer) in refs.iter().zip(worker.decide_many(&refs)) {
        let across = PackedRequest::pack(*request).raw() >> onbehalf_core::TABLE_BITS != 0
            || request.hops.iter().any(|h| {
                h.realm != onbehalf_core::Realm::SameDomain
                    || h.forest_trust != onbehalf_core::ForestTrust::blank()
            });
        match answer {
            Err(Fault::Unsupported) => {
                assert!(across, "{request:?}");
                unsupported += 1;
            }
            Ok(a) => {
                assert!(!across, "{request:?}");
                asked += 1;
                assert_eq!(
                    a.to_value(),
                    decision_to_value(&decide(*request).unwrap()),
                    "{request:?}"
                );
            }
            Err(other) => panic!("{other:?} for {request:?}"),
        }
    }
    assert_eq!(
        asked,
        2_000 + 500 - unsupported,
        "every one-domain request is asked"
    );
    assert!(
        unsupported > 400,
        "most of the rest are across domains ({unsupported})"
    );
}

#[test]
fn the_default_v2_module_equals_the_engine_on_requests_with_hops() {
    let host = PolicyHost::with_default_module(Limits::default()).unwrap();
    let mut worker = host.worker();
    let sample = requests::with_hops(17, Space::All, 20_000, 16);
    let refs: Vec<_> = sample.iter().collect();
    for chunk in refs.chunks(128) {
        for (request, answer) in chunk.iter().zip(worker.decide_many(chunk)) {
            assert_eq!(
                answer.unwrap().to_value(),
                decision_to_value(&decide(*request).unwrap()),
                "{request:?}"
            );
        }
    }
    assert_eq!(host.stats().total_faults(), 0);
}
