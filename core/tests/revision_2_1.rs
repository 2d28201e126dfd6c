//! Revision 2.1 (step 9a) against revision 2, exhaustively over the hop-free domain: exactly
//! 382 requests change their effective level or reach (150 remote, 232 local servers, all
//! `impersonation` with KCD/RBCD and targets), 4,578 more change only their reasons, and every
//! other request keeps its revision-2 answer bit for bit.
//!
//! `data/revision2_changed.txt` holds revision 2's answers for the 4,960 changed requests; the
//! hash below is of revision 2's whole table. Substituting the old answers into today's table
//! must reproduce that hash, which proves nothing else changed.
#![allow(missing_docs)]

use std::collections::HashMap;

use onbehalf_core::{
    decide_raw, Level, PackedRequest, RawDecision, Reason, RequestedLevel, ServerLocation,
    ServerTrust,
};

/// FNV-1a 64 over (packed request as u32 LE, packed decision as i64 LE) of every valid hop-free
/// request in increasing order, computed with the revision-2 core.
const REVISION_2_TABLE_HASH: u64 = 0x232f_f08d_361b_a685;

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

#[allow(clippy::unwrap_used, clippy::panic)] // a test helper: failing is its job
fn revision_2_changes() -> HashMap<i64, i64> {
    include_str!("data/revision2_changed.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.parse().unwrap(), v.parse().unwrap())
        })
        .collect()
}

#[allow(clippy::unwrap_used, clippy::panic)] // a test helper: failing is its job
fn decided(raw: i64) -> (Level, onbehalf_core::Reach, onbehalf_core::Reasons) {
    let RawDecision::Decision(d) = RawDecision::classify(raw) else {
        panic!("{raw} is not a decision")
    };
    let d = d.unpack();
    (d.effective, d.reach, d.reasons)
}

#[test]
fn exactly_382_plus_4578_hop_free_requests_differ_from_revision_2() {
    let old = revision_2_changes();
    let (mut level_or_reach, mut reasons_only) = (0, 0);
    let (mut remote, mut local) = (0, 0);
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for packed in PackedRequest::one_domain() {
        let raw = packed.raw();
        let now = decide_raw(raw);
        let then = old.get(&raw).copied();
        fnv(&mut hash, &(raw as u32).to_le_bytes());
        fnv(&mut hash, &then.unwrap_or(now).to_le_bytes());
        let Some(then) = then else { continue };
        assert_ne!(then, now, "request {raw} is listed as changed but is not");
        let (old_level, old_reach, _) = decided(then);
        let (level, reach, reasons) = decided(now);
        let ctx = packed.unpack().unwrap();
        // Step 9a only ever adds reach or reasons to an impersonation-level KCD/RBCD request.
        assert_eq!(ctx.level, RequestedLevel::Impersonation, "{raw}");
        assert!(
            matches!(
                ctx.delegation.server_trust,
                ServerTrust::Constrained | ServerTrust::ResourceBased
            ),
            "{raw}"
        );
        assert_eq!(level, old_level, "step 9a never changes the level ({raw})");
        if reach == old_reach {
            reasons_only += 1;
        } else {
            level_or_reach += 1;
            assert!(ctx.delegation.has_allowed_targets(), "{raw}");
            assert!(reasons.contains(Reason::ServerSideConstrainedDelegation));
            assert_eq!(reach, onbehalf_core::Reach::MultiHop);
            match ctx.server {
                ServerLocation::Remote => remote += 1,
                ServerLocation::Local => local += 1,
            }
        }
    }
    assert_eq!(hash, REVISION_2_TABLE_HASH, "an unlisted request changed");
    assert_eq!((level_or_reach, reasons_only), (382, 4_578));
    assert_eq!((remote, local), (150, 232));
}
