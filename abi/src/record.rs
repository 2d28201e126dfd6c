//! ABI v2's binary request and answer records: every request — hops included — reaches a
//! module through a typed call on these (no JSON in the hot path), with each hop's
//! authentication, transport, realm, trust and target string visible to the policy.
//!
//! Request record (little-endian, records back to back, no padding):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | the packed request (the hop-free fields, layout of `decide`) |
//! | 8 | 1 | hop count, 0–16 |
//! | 9 | … | the hops, each: `auth` (1), `transport` (1), `realm` (1), `forest_trust` bits (1: bit 0 `tgt_delegation`, 1 `quarantined`, 2 `selective_auth`, 3 `allowed_to_authenticate`, 4 `two_way`), flags (1: bit 0 the target is in `allowed_targets`), target length (4), the target's UTF-8 bytes |
//!
//! Enumerations are their index in the spec's order (the catalog's order): `auth` 0 none,
//! 1 ntlm, 2 kerberos, 3 negotiate, 4 schannel; `transport` 0 ncalrpc … 4 ncadg_ip_udp;
//! `realm` 0 same-domain, 1 same-forest, 2 other-forest.
//!
//! Answer record: [`ANSWER_SIZE`] bytes per request, at `out_ptr + i * ANSWER_SIZE`:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | the packed decision, as `decide` answers (with the module's own reasons in bits 32–62) |
//! | 8 | 16 | one byte per hop: a hop reason's wire index (0–15), or [`OWN_REASON`] `\| n`: denied by the module's own reason n; bytes past the hop count are zero |
//!
//! A v2 packed decision is a v1 decision in bits 0–31, plus the module's own reasons in bits
//! 32–62: bit 32 + n is the n-th code of its `policy_reasons` catalog ([`OWN_REASONS_AT`]).

use onbehalf_core::{
    AuthService, Borrowed, Decision, ForestTrust, Hop, HopReason, PackedDecision, PackedRequest,
    Realm, Request, Storage, Transport, MAX_HOPS,
};

/// The size of a request record without hops.
pub const RECORD_HEADER: usize = 9;
/// The size of a hop entry without its target.
pub const HOP_HEADER: usize = 9;
/// The size of one answer record.
pub const ANSWER_SIZE: usize = 24;
/// Where an answer's hop bytes start.
pub const ANSWER_HOPS_AT: usize = 8;
/// A hop answer byte with this bit set names the module's own reason (the low bits).
pub const OWN_REASON: u8 = 0x80;
/// The first bit of a v2 packed decision that names the module's own reasons.
pub const OWN_REASONS_AT: u32 = 32;
/// The most own reason codes a module may declare (bits 32–62 of a packed decision).
pub const MAX_OWN_REASONS: usize = 31;

/// Splits a v2 packed decision into the spec decision (bits 0–31) and the module's own
/// reasons (bits 32–62). A negative answer (an error) has no own reasons.
#[must_use]
pub const fn split_own_reasons(raw: i64) -> (i64, u32) {
    if raw < 0 {
        return (raw, 0);
    }
    (raw & 0xFFFF_FFFF, (raw >> OWN_REASONS_AT) as u32)
}

/// Joins a spec decision and own reasons into a v2 packed decision.
#[must_use]
pub const fn with_own_reasons(decision: i64, own: u32) -> i64 {
    decision | ((own as i64 & 0x7FFF_FFFF) << OWN_REASONS_AT)
}

fn trust_bits(t: &ForestTrust) -> u8 {
    u8::from(t.tgt_delegation)
        | u8::from(t.quarantined) << 1
        | u8::from(t.selective_auth) << 2
        | u8::from(t.allowed_to_authenticate) << 3
        | u8::from(t.two_way) << 4
}

fn trust_from_bits(b: u8) -> ForestTrust {
    ForestTrust {
        tgt_delegation: b & 1 != 0,
        quarantined: b & 2 != 0,
        selective_auth: b & 4 != 0,
        allowed_to_authenticate: b & 8 != 0,
        two_way: b & 16 != 0,
    }
}

/// Appends the record of `request` (host side). `None` if a target is longer than `u32`
/// can say (never, for a request the host accepted).
#[must_use]
pub fn encode<S: Storage>(request: &Request<S>, out: &mut alloc::vec::Vec<u8>) -> Option<()> {
    out.extend_from_slice(&PackedRequest::pack(request).raw().to_le_bytes());
    out.push(u8::try_from(request.hops().len()).ok()?);
    for hop in request.hops() {
        let target = hop.target.as_ref();
        let listed = request.delegation.allows_target(target);
        out.extend_from_slice(&[
            hop.auth as u8,
            hop.transport as u8,
            hop.realm as u8,
            trust_bits(&hop.forest_trust),
            u8::from(listed),
        ]);
        out.extend_from_slice(&u32::try_from(target.len()).ok()?.to_le_bytes());
        out.extend_from_slice(target.as_bytes());
    }
    Some(())
}

/// One hop of a request record, as a module sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HopView<'a> {
    /// The leg's authentication service.
    pub auth: AuthService,
    /// The leg's transport.
    pub transport: Transport,
    /// The target's realm relative to the caller.
    pub realm: Realm,
    /// The trust to the target's forest.
    pub forest_trust: ForestTrust,
    /// Whether the target is in `allowed_targets` (the host's ASCII-case-insensitive match).
    pub listed: bool,
    /// The target, verbatim.
    pub target: &'a str,
}

/// One request record, as a module sees it.
#[derive(Debug, Clone)]
pub struct RecordView<'a> {
    /// The packed hop-free request.
    pub packed: i64,
    hops: [Option<HopView<'a>>; MAX_HOPS],
    count: usize,
}

fn read<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at + N)?.try_into().ok()
}

impl<'a> RecordView<'a> {
    /// Reads one record at the start of `bytes`; returns it and its length. `None` for a
    /// record that is cut off, has too many hops, an out-of-range value or a target that is
    /// not UTF-8.
    #[must_use]
    pub fn parse(bytes: &'a [u8]) -> Option<(RecordView<'a>, usize)> {
        let packed = i64::from_le_bytes(read(bytes, 0)?);
        let count = usize::from(*bytes.get(8)?);
        if count > MAX_HOPS {
            return None;
        }
        let mut view = RecordView {
            packed,
            hops: [None; MAX_HOPS],
            count,
        };
        let mut at = RECORD_HEADER;
        for slot in view.hops.iter_mut().take(count) {
            let [auth, transport, realm, trust, flags] = read::<5>(bytes, at)?;
            let len = usize::try_from(u32::from_le_bytes(read(bytes, at + 5)?)).ok()?;
            let start = at + HOP_HEADER;
            let target = core::str::from_utf8(bytes.get(start..start.checked_add(len)?)?).ok()?;
            *slot = Some(HopView {
                auth: *AuthService::ALL.get(usize::from(auth))?,
                transport: *Transport::ALL.get(usize::from(transport))?,
                realm: *Realm::ALL.get(usize::from(realm))?,
                forest_trust: trust_from_bits(trust),
                listed: flags & 1 != 0,
                target,
            });
            at = start + len;
        }
        Some((view, at))
    }

    /// The hops, in order.
    pub fn hops(&self) -> impl Iterator<Item = &HopView<'a>> {
        self.hops.iter().take(self.count).flatten()
    }

    /// Runs `f` with the request the engine decides: the packed fields, the hops, and
    /// `allowed_targets` rebuilt from the listed hop targets (plus a placeholder when the
    /// packed request says the list is not empty) — enough for every rule, which reads the
    /// list only as "empty or not" and "does it list this target". `None` if the packed
    /// request is invalid.
    pub fn with_request<R>(&self, f: impl FnOnce(&Request<Borrowed<'_>>) -> R) -> Option<R> {
        let base = PackedRequest::from_raw(self.packed)
            .and_then(|p| p.unpack())
            .ok()?;
        let mut hops = [Hop::to(""); MAX_HOPS];
        let mut targets = [""; MAX_HOPS + 1];
        let mut listed = 0;
        for (slot, hop) in hops.iter_mut().zip(self.hops()) {
            *slot = Hop {
                target: hop.target,
                auth: hop.auth,
                transport: hop.transport,
                realm: hop.realm,
                forest_trust: hop.forest_trust,
            };
            if hop.listed {
                if let Some(t) = targets.get_mut(listed) {
                    *t = hop.target;
                    listed += 1;
                }
            }
        }
        if base.delegation.has_allowed_targets() {
            if let Some(t) = targets.get_mut(listed) {
                *t = onbehalf_core::PACKED_TARGETS
                    .first()
                    .copied()
                    .unwrap_or("*");
                listed += 1;
            }
        }
        let request = Request {
            hops: hops.get(..self.count)?,
            delegation: onbehalf_core::Delegation {
                allowed_targets: targets.get(..listed)?,
                ..base.delegation
            },
            ..base
        };
        Some(f(&request))
    }
}

/// One answer record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The v2 packed decision (or a negative error): see [`split_own_reasons`].
    pub decision: i64,
    /// Per hop: a hop reason's wire index, or [`OWN_REASON`] `|` n.
    pub hops: [u8; MAX_HOPS],
}

impl Answer {
    /// The answer that states `decision` with no reasons of the module's own.
    #[must_use]
    pub fn from_decision(decision: &Decision<'_>) -> Answer {
        let mut hops = [0; MAX_HOPS];
        for (slot, outcome) in hops.iter_mut().zip(decision.hops()) {
            *slot = outcome.reason.wire_index();
        }
        Answer {
            decision: PackedDecision::pack(decision).raw(),
            hops,
        }
    }

    /// The answer's bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; ANSWER_SIZE] {
        let mut out = [0; ANSWER_SIZE];
        let (decision, hops) = out.split_at_mut(ANSWER_HOPS_AT);
        decision.copy_from_slice(&self.decision.to_le_bytes());
        hops.copy_from_slice(&self.hops);
        out
    }

    /// Reads an answer record; `None` if `bytes` is shorter than [`ANSWER_SIZE`].
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<Answer> {
        Some(Answer {
            decision: i64::from_le_bytes(read(bytes, 0)?),
            hops: read(bytes, ANSWER_HOPS_AT)?,
        })
    }
}

/// The hop reason with wire index `index`, if any.
#[must_use]
pub fn hop_reason(index: u8) -> Option<HopReason> {
    HopReason::ALL
        .iter()
        .copied()
        .find(|r| r.wire_index() == index)
}
