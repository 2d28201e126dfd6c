//! Invariants of the engine: exhaustive over the packed domain where the domain is finite,
//! proptest where it is not (hop chains, arbitrary text and integers).
#![allow(missing_docs)]
// proptest strategies are helper functions, outside `#[test]`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onbehalf_core::json::{decide_str, parse_request, OwnedHop, OwnedRequest, Value};
use onbehalf_core::*;
use proptest::prelude::*;

fn promoted(reasons: Reasons) -> bool {
    reasons.contains(Reason::AnonymousPromotedToIdentification)
        || reasons.contains(Reason::SchannelImpersonateOnly)
}

fn requested_or_identify(level: RequestedLevel) -> Level {
    level.level().unwrap_or(Level::Identification)
}

#[test]
fn packed_domain_is_enumerated_whole_and_round_trips() {
    let all: Vec<PackedRequest> = PackedRequest::all().collect();
    assert_eq!(all.len(), DOMAIN_SIZE);
    for packed in &all {
        let request = packed.unpack().unwrap();
        assert_eq!(PackedRequest::pack(&request), *packed);
        assert_eq!(PackedRequest::from_raw(packed.raw()), Ok(*packed));
    }
    // Everything outside the enumeration is refused, with a spec error code.
    let valid: std::collections::HashSet<u32> = all.iter().map(|p| p.raw() as u32).collect();
    for raw in 0..1u32 << REQUEST_BITS {
        assert_eq!(
            valid.contains(&raw),
            decide_raw(i64::from(raw)) >= 0,
            "raw {raw}"
        );
    }
}

#[test]
fn fast_validity_check_and_decision_table_match_the_reference_on_every_integer() {
    let table = DecisionTable::new();
    let mut dense_seen = vec![false; DENSE_SIZE];
    for raw in 0..1i64 << REQUEST_BITS {
        if let Some(i) = PackedRequest::dense_index(raw) {
            assert!(
                !std::mem::replace(&mut dense_seen[i], true),
                "dense index {i} used twice"
            );
        }
        if PackedRequest::from_raw(raw).unwrap().is_valid() {
            assert!(PackedRequest::dense_index(raw).is_some(), "raw {raw}");
        }
        let p = PackedRequest::from_raw(raw).unwrap();
        assert_eq!(p.is_valid(), p.unpack().is_ok(), "raw {raw}");
        assert_eq!(table.decide_raw(raw), decide_raw(raw), "raw {raw}");
    }
    assert!(
        dense_seen.iter().all(|s| *s),
        "dense index covers 0..DENSE_SIZE"
    );
    for raw in [-1, i64::MIN, i64::MAX, 1 << REQUEST_BITS] {
        assert_eq!(table.decide_raw(raw), decide_raw(raw));
        assert_eq!(PackedRequest::dense_index(raw), None);
    }
}

#[test]
fn packed_and_typed_paths_agree_and_decisions_round_trip() {
    for packed in PackedRequest::all() {
        let request = packed.unpack().unwrap();
        let typed = decide(&request).unwrap();
        let fast = decide_packed(packed).unwrap();
        assert_eq!(fast.unpack(), typed, "{request:?}");
        assert_eq!(
            RawDecision::classify(decide_raw(packed.raw())),
            RawDecision::Decision(fast)
        );
    }
}

#[test]
fn effective_never_exceeds_requested_except_documented_promotions() {
    for packed in PackedRequest::all() {
        let ctx = packed.unpack().unwrap();
        let d = decide_packed(packed).unwrap().unpack();
        if !promoted(d.reasons) {
            assert!(
                d.effective <= requested_or_identify(ctx.level),
                "{ctx:?} -> {d:?}"
            );
        }
        if ctx.level == RequestedLevel::Default {
            assert!(d.reasons.contains(Reason::DefaultResolvedToIdentification));
        }
    }
}

#[test]
fn reach_follows_effective_level() {
    for packed in PackedRequest::all() {
        let d = decide_packed(packed).unwrap().unpack();
        let expected_none = d.effective <= Level::Identification;
        assert_eq!(d.reach == Reach::None, expected_none, "{d:?}");
        // Multi-hop: delegation, or step 9a (KCD/RBCD at impersonation level).
        assert_eq!(
            d.reach == Reach::MultiHop,
            d.effective == Level::Delegation
                || d.reasons.contains(Reason::ServerSideConstrainedDelegation),
            "{d:?}"
        );
    }
}

#[test]
fn reach_and_level_are_monotone_in_the_requested_level() {
    let order = [
        RequestedLevel::Anonymous,
        RequestedLevel::Identification,
        RequestedLevel::Impersonation,
        RequestedLevel::Delegation,
    ];
    for packed in PackedRequest::all() {
        let ctx = packed.unpack().unwrap();
        if ctx.level != RequestedLevel::Anonymous {
            continue;
        }
        let mut previous: Option<Decision> = None;
        for level in order {
            let d = decide_packed(PackedRequest::pack(&Request { level, ..ctx }))
                .unwrap()
                .unpack();
            if let Some(p) = previous {
                assert!(d.reach >= p.reach, "{ctx:?} at {level}: {d:?} < {p:?}");
                assert!(
                    d.effective >= p.effective,
                    "{ctx:?} at {level}: {d:?} < {p:?}"
                );
            }
            previous = Some(d);
        }
    }
}

fn arb_enum<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(all)
}

prop_compose! {
    fn arb_hop()(target in proptest::sample::select(&["cifs/fs1", "CIFS/FS1", "http/web", "mssql/db"][..]),
                 auth in arb_enum(AuthService::ALL),
                 transport in arb_enum(&Transport::ALL[1..])) -> OwnedHop {
        let mut hop = OwnedHop::blank();
        (hop.target, hop.auth, hop.transport) = (target.to_string(), auth, transport);
        hop
    }
}

prop_compose! {
    fn arb_request()(packed in proptest::sample::select(PackedRequest::all().collect::<Vec<_>>()),
                     hops in proptest::collection::vec(arb_hop(), 0..=MAX_HOPS),
                     targets in proptest::collection::vec(proptest::sample::select(&["cifs/fs1", "http/web"][..]), 1..3)) -> OwnedRequest {
        let mut owned = json::request_from_value(&packed.unpack().unwrap().to_value()).unwrap();
        if owned.delegation.has_allowed_targets() {
            owned.delegation.allowed_targets = targets.into_iter().map(String::from).collect();
        }
        owned.hops = hops;
        owned
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn hop_chains_obey_the_chain_invariants(req in arb_request()) {
        let d = decide(&req).unwrap();
        // The chain invariants (one definition, shared with the fuzz targets).
        prop_assert_eq!(invariants::check(&req, &d), Ok(()));
    }

    #[test]
    fn canonical_json_round_trips(req in arb_request()) {
        let text = req.to_value().to_string();
        prop_assert_eq!(parse_request(&text).unwrap(), req);
    }

    #[test]
    fn decide_str_never_panics_and_always_answers_json(text in ".{0,200}") {
        let out = decide_str(&text);
        let v = Value::parse(&out).unwrap();
        prop_assert!(v.get("error").is_some() || v.get("effective").is_some());
    }

    #[test]
    fn decide_str_on_json_shaped_noise(text in r#"[\[\]{}":,a-z0-9_ \-]{0,120}"#) {
        let v = Value::parse(&decide_str(&text)).unwrap();
        prop_assert!(v.get("error").is_some() || v.get("effective").is_some());
    }

    #[test]
    fn decide_raw_is_total(raw in any::<i64>()) {
        let out = decide_raw(raw);
        prop_assert!(!matches!(RawDecision::classify(out), RawDecision::Malformed));
    }
}

#[test]
fn the_invariant_check_catches_broken_decisions() {
    let request = Request::new(RequestedLevel::Impersonation);
    let d = decide(&request).unwrap();
    assert_eq!(invariants::check(&request, &d), Ok(()));
    // Reach that does not follow the effective level.
    let bad = Decision::new(d.effective, Reach::MultiHop, d.reasons);
    assert!(invariants::check(&request, &bad).is_err());
    // Consistent in itself, but not what the packed path decides for this request.
    let bad = Decision::new(Level::Delegation, Reach::MultiHop, d.reasons);
    assert!(invariants::check(&request, &bad).is_err());
    // A missing hop outcome.
    let hops = [Hop {
        auth: AuthService::Kerberos,
        ..Hop::to("cifs/fs1")
    }];
    let with_hop = Request {
        hops: &hops[..],
        ..request
    };
    assert!(invariants::check(&with_hop, &d).is_err());
}
