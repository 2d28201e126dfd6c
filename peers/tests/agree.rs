//! Before any number is reported: the peers return onbehalf's verdict on every request of
//! the mix (`cargo xtask bench` runs this first).
#![allow(missing_docs)]

use onbehalf_benches::mix::mix;
use onbehalf_benches::verdict;
use onbehalf_peers::{CedarPeer, RegoPeer};

#[test]
fn cedar_agrees_with_onbehalf_on_the_whole_mix() {
    let peer = CedarPeer::new().unwrap();
    for (i, r) in mix().iter().enumerate() {
        let input = CedarPeer::prepare(r).unwrap();
        assert_eq!(Some(peer.decide(&input)), verdict(r), "request {i}: {r:?}");
    }
}

#[test]
fn regorus_agrees_with_onbehalf_on_the_whole_mix() {
    let mut peer = RegoPeer::new().unwrap();
    for (i, r) in mix().iter().enumerate() {
        let input = RegoPeer::prepare(r).unwrap();
        assert_eq!(
            Some(peer.decide(&input).unwrap()),
            verdict(r),
            "request {i}: {r:?}"
        );
    }
}
