//! Invariants of the engine: exhaustive over the packed domain where the domain is finite,
//! proptest where it is not (hop chains, arbitrary text and integers).
#![allow(missing_docs)]
// proptest strategies are helper functions, outside `#[test]`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onbehalf_core::json::{decide_str, parse_request, OwnedHop, OwnedRequest, Value};
use onbehalf_core::*;
use onbehalf_workload::sample::assembled;
use proptest::prelude::*;

fn promoted(reasons: Reasons) -> bool {
    reasons.contains(Reason::AnonymousPromotedToIdentification)
        || reasons.contains(Reason::SchannelImpersonateOnly)
}

fn requested_or_identify(level: RequestedLevel) -> Level {
    level.level().unwrap_or(Level::Identification)
}

#[test]
fn every_request_of_the_packed_domain() {
    let order = [
        RequestedLevel::Anonymous,
        RequestedLevel::Identification,
        RequestedLevel::Impersonation,
        RequestedLevel::Delegation,
    ];
    let mut n = 0;
    let mut previous = None;
    for packed in PackedRequest::all() {
        n += 1;
        assert!(previous < Some(packed), "increasing order");
        previous = Some(packed);
        // Round trip through the ABI integer.
        let request = packed.unpack().unwrap();
        assert_eq!(PackedRequest::pack(&request), packed);
        assert_eq!(PackedRequest::from_raw(packed.raw()), Ok(packed));
        // The typed, packed and raw paths agree.
        let typed = decide(&request).unwrap();
        let fast = decide_packed(packed).unwrap();
        assert_eq!(fast.unpack(), typed, "{request:?}");
        assert_eq!(
            RawDecision::classify(decide_raw(packed.raw())),
            RawDecision::Decision(fast)
        );
        let d = typed;
        // The effective level never exceeds the requested one, but for the promotions.
        if !promoted(d.reasons) {
            assert!(
                d.effective <= requested_or_identify(request.level),
                "{request:?} -> {d:?}"
            );
        }
        if request.level == RequestedLevel::Default {
            assert!(d.reasons.contains(Reason::DefaultResolvedToIdentification));
        }
        // Reach follows the effective level; multi-hop: delegation, or step 9a.
        assert_eq!(
            d.reach == Reach::None,
            d.effective <= Level::Identification,
            "{d:?}"
        );
        assert_eq!(
            d.reach == Reach::MultiHop,
            d.effective == Level::Delegation
                || d.reasons.contains(Reason::ServerSideConstrainedDelegation),
            "{d:?}"
        );
        // A forest trust counts only through the features §5 reads (the product
        // decomposition the browser's check relies on).
        if request.server_realm == Realm::OtherForest {
            let standing_in = Request {
                forest_trust: request.forest_trust.representative(),
                ..request
            };
            let other = decide_packed(PackedRequest::pack(&standing_in)).unwrap();
            assert_eq!(other, fast, "{request:?}");
        }
        // Raising the requested level never lowers the effective level or the reach.
        if request.level == RequestedLevel::Anonymous {
            let mut last: Option<Decision> = None;
            for level in order {
                let d = decide_packed(PackedRequest::pack(&Request { level, ..request }))
                    .unwrap()
                    .unpack();
                if let Some(p) = last {
                    assert!(d.reach >= p.reach, "{request:?} at {level}: {d:?} < {p:?}");
                    assert!(
                        d.effective >= p.effective,
                        "{request:?} at {level}: {d:?} < {p:?}"
                    );
                }
                last = Some(d);
            }
        }
    }
    assert_eq!(n, DOMAIN_SIZE);
    assert_eq!(PackedRequest::one_domain().count(), 230_400);
    assert_eq!(PackedRequest::representatives().count(), 230_400 * (2 + 8));
}

#[test]
fn fast_validity_check_and_decision_table_match_the_reference() {
    let table = DecisionTable::new();
    let mut dense_seen = vec![false; DENSE_SIZE];
    // Every integer below TABLE_BITS, then every realm context with a sample of the rest.
    let one_domain = 0..1i64 << TABLE_BITS;
    let contexts = (1..1i64 << (REQUEST_BITS - TABLE_BITS)).flat_map(|hi| {
        (0..1i64 << TABLE_BITS)
            .step_by(97)
            .map(move |lo| hi << TABLE_BITS | lo)
    });
    for raw in one_domain.chain(contexts) {
        if let Some(i) = PackedRequest::dense_index(raw) {
            assert!(
                !std::mem::replace(&mut dense_seen[i], true),
                "dense index {i} used twice"
            );
        }
        let p = PackedRequest::from_raw(raw).unwrap();
        if p.is_valid() && raw >> TABLE_BITS == 0 {
            assert!(PackedRequest::dense_index(raw).is_some(), "raw {raw}");
        }
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
        assembled(packed, &targets, hops)
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
