//! The mix every benchmark and the peers' agreement check run over is what its documentation
//! says it is.
#![allow(missing_docs)]

use onbehalf_benches::mix::{mix, MIX_SIZE};
use onbehalf_benches::verdict;
use onbehalf_core::{Level, RequestedLevel};

#[test]
fn the_mix_is_fixed_valid_and_varied() {
    let a = mix();
    assert_eq!(a.len(), MIX_SIZE);
    assert_eq!(a, mix(), "the mix must be deterministic");
    assert!(
        a.iter().all(|r| verdict(r).is_some()),
        "every request in the mix is valid"
    );
    let with_hops = a.iter().filter(|r| !r.hops().is_empty()).count();
    assert!(
        (150..350).contains(&with_hops),
        "{with_hops} requests with hops"
    );
    let delegation = a
        .iter()
        .filter(|r| r.level == RequestedLevel::Delegation)
        .count();
    assert!(
        (200..320).contains(&delegation),
        "{delegation} delegation requests"
    );
    let verdicts: std::collections::HashSet<_> = a.iter().filter_map(verdict).collect();
    // Including impersonation with multi-hop reach (step 9a, KCD/RBCD at impersonation).
    assert_eq!(
        verdicts.len(),
        6,
        "every (effective, reach) combination occurs in the mix"
    );
    assert!(a
        .iter()
        .filter_map(verdict)
        .any(|v| v.effective == Level::Delegation));
}
