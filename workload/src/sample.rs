//! A seeded sample of valid requests over the whole request space — every packed field,
//! `allowed_targets`, and 0–5 hops with every hop field (realms and forest trusts included) —
//! for the checks that cannot enumerate requests with hops: the same sequence on every run
//! and machine.

use crate::Rng;
use onbehalf_core::json::{request_from_value, OwnedHop, OwnedRequest};
use onbehalf_core::{
    from_wire_byte, AuthService, Field, ForestTrust, PackedRequest, Realm, Transport, REQUEST_BITS,
    TABLE_BITS,
};

/// Hop targets: two in every generated `allowed_targets` list's pool, one only in a hop, one
/// a case variant (the match is ASCII-case-insensitive).
pub const TARGETS: [&str; 4] = ["cifs/fs1", "CIFS/FS1", "http/web", "mssql/db"];

/// Which requests to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// Every request (revision 3: realms and forest trusts too).
    All,
    /// Requests within one domain (what a policy ABI v1 module can be asked).
    OneDomain,
}

/// A valid packed request drawn uniformly from the integers of `space`.
pub fn packed(rng: &mut Rng, space: Space) -> PackedRequest {
    let bits = match space {
        Space::All => REQUEST_BITS,
        Space::OneDomain => TABLE_BITS,
    };
    loop {
        let raw = (rng.next_u64() & ((1 << bits) - 1)) as i64;
        if let Ok(p) = PackedRequest::from_raw(raw) {
            if p.is_valid() {
                return p;
            }
        }
    }
}

/// A random trust: random bits, read as the trust's byte in a hop record (every value of
/// its `WIRE_WIDTH` bits is a trust).
fn trust(rng: &mut Rng) -> ForestTrust {
    let mask = (1u64 << <ForestTrust as Field>::WIRE_WIDTH) - 1;
    let byte = u8::try_from(rng.next_u64() & mask).unwrap_or_default();
    from_wire_byte(byte).unwrap_or_else(ForestTrust::blank)
}

fn hop(rng: &mut Rng, space: Space) -> OwnedHop {
    let mut hop = OwnedHop::blank();
    hop.target = rng.pick(&TARGETS).to_owned();
    hop.auth = rng.pick(AuthService::ALL);
    // A hop never uses the local-only ncalrpc (§4).
    hop.transport = rng.pick(Transport::ALL.get(1..).unwrap_or_default());
    if space == Space::All {
        hop.realm = rng.pick(Realm::ALL);
    }
    if hop.realm == Realm::OtherForest {
        hop.forest_trust = trust(rng);
    }
    hop
}

/// The request a valid packed request stands for, its allowed targets from `targets` when
/// it says the list is not empty (`targets` is not called otherwise), and no hops.
#[allow(clippy::missing_panics_doc, clippy::panic)] // a valid packed request always converts
pub fn unpacked(packed: PackedRequest, targets: impl FnOnce() -> Vec<String>) -> OwnedRequest {
    let value = packed
        .unpack()
        .map(|r| r.to_value())
        .unwrap_or_else(|e| panic!("a valid packed request unpacks: {e}"));
    let mut request =
        request_from_value(&value).unwrap_or_else(|e| panic!("its JSON reads back: {e}"));
    if request.delegation.has_allowed_targets() {
        request.delegation.allowed_targets = targets();
    }
    request
}

/// [`unpacked`] with `targets` as its allowed targets (when it has a list) and `hops`: what
/// a property test assembles from drawn parts.
pub fn assembled(packed: PackedRequest, targets: &[&str], hops: Vec<OwnedHop>) -> OwnedRequest {
    let mut request = unpacked(packed, || targets.iter().map(|t| (*t).to_owned()).collect());
    request.hops = hops;
    request
}

/// One valid request: a random packed request, a target list when it says the list is not
/// empty, and 0–`max_hops` hops.
pub fn request(rng: &mut Rng, space: Space, max_hops: usize) -> OwnedRequest {
    let base = packed(rng, space);
    let mut request = unpacked(base, || {
        let n = 1 + rng.below(2);
        (0..n).map(|_| rng.pick(&TARGETS[..3]).to_owned()).collect()
    });
    request.hops = (0..rng.below(max_hops + 1))
        .map(|_| hop(rng, space))
        .collect();
    request
}

/// `n` requests of `space` from `seed`, each with 1–`max_hops` hops.
pub fn with_hops(seed: u64, space: Space, n: usize, max_hops: usize) -> Vec<OwnedRequest> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| loop {
            let r = request(&mut rng, space, max_hops);
            if !r.hops.is_empty() {
                break r;
            }
        })
        .collect()
}
