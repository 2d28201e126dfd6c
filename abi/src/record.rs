//! ABI v2's binary request and answer records: every request — hops included — reaches a
//! module through a typed call on these (no JSON in the hot path), with each hop's
//! authentication, transport, realm, trust and target string visible to the policy.
//!
//! The request record's layout (little-endian, records back to back, no padding) is the
//! packed request, a hop count, then per hop the `wire` fields of the hop's field table
//! (`core/src/request.rs`), a flags byte, the target's length and bytes; docs/policy-abi.md §4
//! renders it from the same constants and table (its test fails when they disagree).
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
    wire_byte, Borrowed, Decision, Hop, HopReason, PackedDecision, PackedRequest, Request, Storage,
    MAX_HOPS,
};

/// The size of a request record without hops.
pub const RECORD_HEADER: usize = 9;
/// The size of a hop entry without its target: its `wire` fields, the flags, the length.
pub const HOP_HEADER: usize = HOP_LENGTH_AT + 4;
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

/// Where a hop entry's flags byte is: after the hop's `wire` fields (`Hop::WIRE_SIZE`).
pub const HOP_FLAGS_AT: usize = Hop::<Borrowed<'static>>::WIRE_SIZE;
/// Where a hop entry's target length (`u32`) is.
pub const HOP_LENGTH_AT: usize = HOP_FLAGS_AT + 1;
/// The flags bit set when the hop's target is in `allowed_targets`.
pub const FLAG_LISTED: u8 = 1;

/// Where a hop entry's `forest_trust` byte is (the hop table's `wire` position).
#[allow(clippy::panic)] // a const item: a missing position is a build error
const TRUST_AT: usize = match Hop::<Borrowed<'static>>::INFO.row("forest_trust").wire_at {
    Some(at) => at,
    None => panic!("forest_trust has no wire position"),
};

/// Appends the record of `request` (host side). `None` if a target is longer than `u32`
/// can say (never, for a request the host accepted).
#[must_use]
pub fn encode<S: Storage>(request: &Request<S>, out: &mut alloc::vec::Vec<u8>) -> Option<()> {
    out.extend_from_slice(&PackedRequest::pack(request).raw().to_le_bytes());
    out.push(u8::try_from(request.hops().len()).ok()?);
    for hop in request.hops() {
        let target = hop.target.as_ref();
        let mut header = [0; HOP_HEADER];
        hop.write_wire(&mut header)?;
        // The trust the rules read (zero outside another forest), so one decision has one record.
        *header.get_mut(TRUST_AT)? = wire_byte(&hop.trust_read());
        *header.get_mut(HOP_FLAGS_AT)? = if request.delegation.allows_target(target) {
            FLAG_LISTED
        } else {
            0
        };
        header
            .get_mut(HOP_LENGTH_AT..)?
            .copy_from_slice(&u32::try_from(target.len()).ok()?.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(target.as_bytes());
    }
    Some(())
}

/// One request record, as a module sees it.
#[derive(Debug, Clone)]
pub struct RecordView<'a> {
    /// The packed hop-free request.
    pub packed: i64,
    /// Each hop's `wire` bytes (checked by [`RecordView::parse`]) and target: a hop is read
    /// from them where it is used, at the lifetime the user needs (a `Hop` is invariant in its
    /// storage, so a stored `Hop<Borrowed<'a>>` could not be lent at a shorter one).
    wire: [[u8; HOP_FLAGS_AT]; MAX_HOPS],
    targets: [&'a str; MAX_HOPS],
    /// Bit i: hop i's target is in `allowed_targets` (the host's ASCII-case-insensitive match).
    listed: u16,
    count: usize,
}

fn read<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at + N)?.try_into().ok()
}

/// The hop of `wire` bytes (already checked) and `target`.
fn hop<'b>(wire: &[u8; HOP_FLAGS_AT], target: &'b str) -> Hop<Borrowed<'b>> {
    let mut hop = Hop::to(target);
    let _ = hop.read_wire(wire);
    hop
}

impl<'a> RecordView<'a> {
    /// Reads one record at the start of `bytes`; returns it and its length. `None` for a
    /// record that is cut off, has too many hops, an out-of-range value, unknown flags, trust
    /// bits on a hop that is not in another forest, or a target that is not UTF-8.
    #[must_use]
    pub fn parse(bytes: &'a [u8]) -> Option<(RecordView<'a>, usize)> {
        let packed = i64::from_le_bytes(read(bytes, 0)?);
        let count = usize::from(*bytes.get(8)?);
        if count > MAX_HOPS {
            return None;
        }
        let mut view = RecordView {
            packed,
            wire: [[0; HOP_FLAGS_AT]; MAX_HOPS],
            targets: [""; MAX_HOPS],
            listed: 0,
            count,
        };
        let mut at = RECORD_HEADER;
        let slots = view.wire.iter_mut().zip(view.targets.iter_mut());
        for (i, (wire, target)) in slots.take(count).enumerate() {
            let header: [u8; HOP_HEADER] = read(bytes, at)?;
            *wire = read(&header, 0)?;
            let mut check = Hop::to("");
            check.read_wire(wire)?;
            if check.trust_read() != check.forest_trust {
                return None;
            }
            match header.get(HOP_FLAGS_AT)? {
                0 => {}
                &FLAG_LISTED => view.listed |= 1 << i,
                _ => return None,
            }
            let len = usize::try_from(u32::from_le_bytes(read(&header, HOP_LENGTH_AT)?)).ok()?;
            let start = at + HOP_HEADER;
            *target = core::str::from_utf8(bytes.get(start..start.checked_add(len)?)?).ok()?;
            at = start + len;
        }
        Some((view, at))
    }

    /// The hops, in order.
    pub fn hops(&self) -> impl Iterator<Item = Hop<Borrowed<'a>>> + '_ {
        self.wire
            .iter()
            .zip(self.targets)
            .take(self.count)
            .map(|(wire, target)| hop(wire, target))
    }

    /// Whether hop `index`'s target is in `allowed_targets` (the host's match).
    #[must_use]
    pub fn listed(&self, index: usize) -> bool {
        index < self.count && self.listed >> index & 1 == 1
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
        let recorded = self.wire.iter().zip(self.targets).take(self.count);
        for (slot, (wire, target)) in hops.iter_mut().zip(recorded) {
            *slot = hop(wire, target);
        }
        let listed = (0..self.count).filter(|i| self.listed(*i));
        let placeholder = base.delegation.has_allowed_targets().then(|| {
            onbehalf_core::PACKED_TARGETS
                .first()
                .copied()
                .unwrap_or("*")
        });
        let names = listed
            .filter_map(|i| self.targets.get(i).copied())
            .chain(placeholder);
        let mut targets = [""; MAX_HOPS + 1];
        let mut listed = 0;
        for (slot, name) in targets.iter_mut().zip(names) {
            *slot = name;
            listed += 1;
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
