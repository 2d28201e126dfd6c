//! The packed encoding: a hop-free request in one integer, a decision in one integer.
//! This is the policy-module ABI's hot path and the domain of the exhaustive cross-build
//! checks. The layout is part of policy ABI v1 and never changes within it.
//!
//! Request: bits low first, each packed field of the request's field table at its `packed`
//! position (`request.rs`); every other bit zero, and `forest_trust` zero unless
//! `server_realm` is other-forest. docs/policy-abi.md §3 renders the layout from that table.
//!
//! Decision (non-negative): bits 0–1 effective level (`SECURITY_IMPERSONATION_LEVEL`),
//! bits 2–3 reach (0 none, 1 local, 2 network, 3 multi-hop), bits 4 and up the reasons
//! (bit 4 + n = the code whose [`Reason::wire_index`] is n: revision 2's §7 codes in their
//! order, then codes added later). A negative value is an error: `-1 - n` for the n-th code
//! of [`ErrorCode::ALL`].

use crate::checks::check_ncalrpc_server;
use crate::decision::{Decision, Reach};
use crate::error::{ErrorCode, FieldPath, RequestError};
use crate::level::Level;
use crate::model::{bits_at, Shape, Unpack};
use crate::reason::{Reason, Reasons};
use crate::request::Request;
use crate::request::{Borrowed, Storage};
use crate::rules::evaluate_call;
use crate::{ForestTrust, Realm, RecordInfo};

const REQUEST: &RecordInfo = &Request::<Borrowed<'static>>::INFO;

/// Number of bits a packed request uses (from the field table's packed positions).
pub const REQUEST_BITS: u32 = layout_end(REQUEST, 0);

/// The first bit of `server_realm`; the revision-2.1 fields all lie below it.
const REALM_AT: u32 = packed_at(REQUEST, "server_realm");
/// The first bit of the `forest_trust` fields (contiguous above `server_realm`).
const TRUST_AT: u32 = REALM_AT + 2;
/// The bits of `forest_trust`: zero unless `server_realm` is `other-forest` (spec §2: the trust
/// is read only then), so every decision has one packed request.
const TRUST_MASK: u32 = ((1 << (REQUEST_BITS - TRUST_AT)) - 1) << TRUST_AT;
const OTHER_FOREST: u32 = Realm::OtherForest as u32;

/// The bits below `server_realm`: a request with only these set is a revision-2.1 request in
/// one domain — the common case, and what [`DecisionTable`] and [`PackedRequest::dense_index`]
/// cover.
pub const TABLE_BITS: u32 = REALM_AT;

/// How many valid packed requests exist (the size of the exhaustive domain): every
/// combination of the packed fields' values, less the `ncalrpc` + `remote` ones (§4 check 12:
/// one of the ten transport × server pairs), with `forest_trust` varying only for
/// `other-forest` (2 + 32 realm contexts instead of 3 × 32).
pub const DOMAIN_SIZE: usize = combinations(REQUEST) / 10 * 9 / REALM_CONTEXTS_ALL * REALM_CONTEXTS;
const TRUST_VALUES: usize = 1 << (REQUEST_BITS - TRUST_AT);
const REALM_CONTEXTS_ALL: usize = Realm::ALL.len() * TRUST_VALUES;
const REALM_CONTEXTS: usize = Realm::ALL.len() - 1 + TRUST_VALUES;
/// The range of [`PackedRequest::dense_index`]: level, transport, server and auth in mixed
/// radix (250 values), times every value of the bits above them up to [`TABLE_BITS`].
pub const DENSE_SIZE: usize = 250 << (TABLE_BITS - 10);

/// The packed position of the top-level field `name` (a compile-time error if it has none).
// Used in const items only: its panic is a build error, never a runtime one.
#[allow(clippy::panic)]
const fn packed_at(record: &RecordInfo, name: &str) -> u32 {
    match record.row(name).packed_at {
        Some(at) => at,
        None => panic!("the field has no packed position"),
    }
}

/// How many values the packed fields of `record` (and its nested records) can take together.
#[allow(clippy::indexing_slicing)] // const fn (no `get`); `i` is below the length
const fn combinations(record: &RecordInfo) -> usize {
    let mut product = 1;
    let mut i = 0;
    while i < record.fields.len() {
        let field = &record.fields[i];
        product *= match &field.shape {
            Shape::Record(inner) => combinations(inner),
            Shape::Choice(set) if field.packed_at.is_some() => set.choices.len(),
            shape if field.packed_at.is_some() => 1 << width(shape),
            _ => 1,
        };
        i += 1;
    }
    product
}

const REASON_SHIFT: u32 = 4;
const DECISION_BITS: u32 = REASON_SHIFT + Reason::ALL.len() as u32;

const fn width(shape: &Shape) -> u32 {
    shape.packed_width()
}

/// The end of the packed layout of `record` (and its nested records): the highest bit used,
/// plus one. Evaluated at compile time, it also refuses overlapping fields and fields that
/// cannot be packed but were given a position.
#[allow(clippy::indexing_slicing)] // const fn (no `get`); `i` is below the length
const fn layout_end(record: &RecordInfo, used: u64) -> u32 {
    let mut end = 0;
    let mut used = used;
    let mut i = 0;
    while i < record.fields.len() {
        let field = &record.fields[i];
        if let Shape::Record(inner) = &field.shape {
            let inner_end = layout_end(inner, used);
            if inner_end > end {
                end = inner_end;
            }
        }
        if let Some(at) = field.packed_at {
            let w = width(&field.shape);
            assert!(w > 0, "a packed position on a field that cannot be packed");
            let mask = ((1u64 << w) - 1) << at;
            assert!(used & mask == 0, "two fields share a packed bit");
            used |= mask;
            if at + w > end {
                end = at + w;
            }
        }
        i += 1;
    }
    end
}

/// A hop-free request in one integer (see the module docs for the layout).
///
/// ```
/// use onbehalf_core::{PackedRequest, Request, RequestedLevel};
/// let request = Request::new(RequestedLevel::Delegation);
/// let packed = PackedRequest::pack(&request);
/// assert_eq!(packed.unpack(), Ok(request));
/// assert_eq!(PackedRequest::all().count(), onbehalf_core::DOMAIN_SIZE);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackedRequest(u32);

impl PackedRequest {
    /// Packs the hop-free part of a request (its hops are not packed; `allowed_targets`
    /// packs as "not empty"). Validity (`ncalrpc` + remote) is checked by
    /// [`unpack`](Self::unpack).
    #[must_use]
    pub fn pack<S: Storage>(request: &Request<S>) -> PackedRequest {
        let mut bits = 0;
        request.pack_bits(&mut bits);
        let mut bits = bits as u32;
        if request.server_realm != Realm::OtherForest {
            bits &= !TRUST_MASK;
        }
        PackedRequest(bits)
    }

    /// From the ABI integer; bits above [`REQUEST_BITS`] (or a negative value) are an
    /// `invalid-request` error. Field values are checked by [`unpack`](Self::unpack).
    pub fn from_raw(raw: i64) -> Result<PackedRequest, RequestError> {
        u32::try_from(raw)
            .ok()
            .filter(|r| r >> REQUEST_BITS == 0)
            .map(PackedRequest)
            .ok_or_else(|| {
                RequestError::new(
                    ErrorCode::InvalidRequest,
                    FieldPath::REQUEST,
                    "a packed request in 0..2^27",
                )
                .found(raw)
            })
    }

    /// The ABI integer.
    #[must_use]
    pub const fn raw(self) -> i64 {
        self.0 as i64
    }

    /// Whether [`unpack`](Self::unpack) would succeed, in a few bit operations (no branches
    /// on the field values): the hot path's validity check.
    #[must_use]
    pub const fn is_valid(self) -> bool {
        let raw = self.0;
        let level_ok = raw & 0x7 < 5;
        let transport_ok = (raw >> 3) & 0x7 < 5;
        let auth_ok = (raw >> 7) & 0x7 < 5;
        let ncalrpc_remote = (raw >> 3) & 0x7 == 0 && raw & (1 << 6) != 0;
        let realm = (raw >> REALM_AT) & 0x3;
        let trust_ok = realm == OTHER_FOREST || raw & TRUST_MASK == 0;
        level_ok & transport_ok & auth_ok & !ncalrpc_remote & (realm < 3) & trust_ok
    }

    /// A dense index in `0..DENSE_SIZE` for every request below [`TABLE_BITS`] whose
    /// enumerated fields are in range (`ncalrpc` + remote included): level, transport, server
    /// and auth in mixed radix, then the ten flag bits. Lets a table of the one-domain
    /// requests take 1 MB instead of 4 MB; requests across domains are computed.
    #[must_use]
    pub const fn dense_index(raw: i64) -> Option<usize> {
        if raw < 0 || raw >> TABLE_BITS != 0 {
            return None;
        }
        let raw = raw as usize;
        let (level, transport, auth) = (raw & 0x7, (raw >> 3) & 0x7, (raw >> 7) & 0x7);
        if level >= 5 || transport >= 5 || auth >= 5 {
            return None;
        }
        let server = (raw >> 6) & 1;
        Some(level + 5 * transport + 25 * server + 50 * auth + 250 * (raw >> 10))
    }

    /// Decodes and validates (unknown field values, `ncalrpc` with a remote server). A
    /// non-empty `allowed_targets` decodes to [`PACKED_TARGETS`](crate::PACKED_TARGETS).
    pub fn unpack<'a>(self) -> Result<Request<Borrowed<'a>>, RequestError> {
        let request = Request::unpack_from(u64::from(self.0), None, FieldPath::REQUEST)?;
        if request.server_realm != Realm::OtherForest
            && request.forest_trust != ForestTrust::blank()
        {
            return Err(RequestError::new(
                ErrorCode::InvalidRequest,
                FieldPath::field("forest_trust"),
                "no forest_trust bits unless server_realm is other-forest",
            )
            .found(self.0));
        }
        check_ncalrpc_server(request.transport, request.server)?;
        Ok(request)
    }

    /// Every valid packed request, in increasing order: the whole domain
    /// ([`DOMAIN_SIZE`] values), enumerated, not sampled. The one-domain requests (below
    /// [`TABLE_BITS`]) come first.
    pub fn all() -> impl Iterator<Item = PackedRequest> {
        let contexts = (0..1u32 << (REQUEST_BITS - REALM_AT))
            .map(|hi| hi << REALM_AT)
            .filter(|hi| PackedRequest(*hi).is_valid());
        contexts.flat_map(|hi| {
            (0..1u32 << REALM_AT)
                .map(move |lo| PackedRequest(hi | lo))
                .filter(|p| p.is_valid())
        })
    }

    /// The one-domain requests of [`all`](Self::all) (the revision-2.1 domain, 230,400).
    pub fn one_domain() -> impl Iterator<Item = PackedRequest> {
        Self::all().take_while(|p| p.0 >> TABLE_BITS == 0)
    }

    /// One request per decision class of the packed domain: every one-domain request in
    /// every realm, and for `other-forest` with each of the eight forest trusts §5 tells apart
    /// (it reads a trust only as "selective authentication refuses the client", "TGT
    /// delegation passes" and "two-way": [`ForestTrust::representative`]). Every request of
    /// [`all`](Self::all) decides exactly like its class's representative — checked
    /// exhaustively in `core/tests/properties.rs` — so these 2,304,000 stand for the 7.8 million
    /// where the whole domain is too large to enumerate (the browser's check).
    pub fn representatives() -> impl Iterator<Item = PackedRequest> {
        Self::all().filter(|p| match p.unpack() {
            Ok(r) => r.forest_trust == r.forest_trust.representative(),
            Err(_) => false,
        })
    }
}

/// A hop-free decision in one integer (see the module docs for the layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackedDecision(u32);

impl PackedDecision {
    /// Packs the hop-free part of a decision.
    #[must_use]
    pub fn pack(decision: &Decision<'_>) -> PackedDecision {
        Self::from_parts(decision.effective, decision.reach, decision.reasons)
    }

    /// Packs an effective level, a reach and reasons.
    #[must_use]
    pub const fn from_parts(effective: Level, reach: Reach, reasons: Reasons) -> PackedDecision {
        PackedDecision(effective as u32 | (reach as u32) << 2 | reasons.bits() << REASON_SHIFT)
    }

    /// The ABI integer (non-negative).
    #[must_use]
    pub const fn raw(self) -> i64 {
        self.0 as i64
    }

    /// Decodes the hop-free decision.
    #[must_use]
    pub fn unpack(self) -> Decision<'static> {
        let raw = u64::from(self.0);
        let effective = Level::ALL
            .get(bits_at(raw, 0, 2) as usize)
            .copied()
            .unwrap_or(Level::Anonymous);
        let reach = Reach::ALL
            .get(bits_at(raw, 2, 2) as usize)
            .copied()
            .unwrap_or(Reach::None);
        let reasons = Reasons::from_bits(self.0 >> REASON_SHIFT).unwrap_or(Reasons::EMPTY);
        Decision::new(effective, reach, reasons)
    }
}

/// What an ABI decision integer means, for a host reading an untrusted module's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawDecision {
    /// A well-formed decision.
    Decision(PackedDecision),
    /// A well-formed error code.
    Error(ErrorCode),
    /// Neither: the host must fail closed.
    Malformed,
}

impl RawDecision {
    /// Classifies an ABI result integer; anything outside the layout is [`Malformed`](Self::Malformed).
    #[must_use]
    pub fn classify(raw: i64) -> RawDecision {
        if raw < 0 {
            let index = usize::try_from(-(raw.saturating_add(1))).unwrap_or(usize::MAX);
            return match ErrorCode::ALL.get(index) {
                Some(code) => RawDecision::Error(*code),
                None => RawDecision::Malformed,
            };
        }
        match u32::try_from(raw) {
            Ok(bits) if bits >> DECISION_BITS == 0 => RawDecision::Decision(PackedDecision(bits)),
            _ => RawDecision::Malformed,
        }
    }
}

/// Decides a packed request: allocation-free. (For the hottest paths, [`DecisionTable`]
/// answers from a precomputed table.)
pub fn decide_packed(request: PackedRequest) -> Result<PackedDecision, RequestError> {
    let request = request.unpack()?;
    let outcome = evaluate_call(&request);
    Ok(PackedDecision::from_parts(
        outcome.level,
        outcome.reach,
        outcome.reasons,
    ))
}

/// Every decision of the one-domain requests (below [`TABLE_BITS`]), precomputed (feature
/// `alloc`); requests across domains are computed. One 4 MiB table
/// indexed by the packed request, so the hot path is a bounds check and a load — no
/// branches on the request's fields. Built in a few tens of milliseconds; share one.
///
/// ```
/// use onbehalf_core::{decide_raw, DecisionTable, PackedRequest};
/// let table = DecisionTable::new();
/// for p in PackedRequest::all().step_by(997) {
///     assert_eq!(table.decide_raw(p.raw()), decide_raw(p.raw()));
/// }
/// assert_eq!(table.decide_raw(-3), decide_raw(-3));
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone)]
pub struct DecisionTable {
    /// Indexed by the raw request: the ABI result (`decide_raw`) as an `i32`.
    entries: alloc::boxed::Box<[i32]>,
}

#[cfg(feature = "alloc")]
impl DecisionTable {
    /// Computes every entry with [`decide_raw`].
    #[must_use]
    pub fn new() -> DecisionTable {
        let entries = (0..1i64 << TABLE_BITS)
            .map(|raw| i32::try_from(decide_raw(raw)).unwrap_or(i32::MIN))
            .collect();
        DecisionTable { entries }
    }

    /// Exactly [`decide_raw`], from the table.
    #[must_use]
    pub fn decide_raw(&self, raw: i64) -> i64 {
        match usize::try_from(raw).ok().and_then(|i| self.entries.get(i)) {
            Some(entry) => i64::from(*entry),
            None => decide_raw(raw), // outside the table: the (error) answer of decide_raw
        }
    }
}

#[cfg(feature = "alloc")]
impl Default for DecisionTable {
    fn default() -> Self {
        Self::new()
    }
}

/// The policy ABI v1 `decide` function: packed request in, packed decision (or negative
/// error) out. Total: never panics, whatever the input.
///
/// ```
/// use onbehalf_core::{decide_raw, PackedRequest, Request, RequestedLevel, RawDecision, Level};
/// let raw = PackedRequest::pack(&Request::new(RequestedLevel::Impersonation)).raw();
/// let RawDecision::Decision(d) = RawDecision::classify(decide_raw(raw)) else { panic!() };
/// assert_eq!(d.unpack().effective, Level::Impersonation);
/// assert!(decide_raw(-5) < 0);
/// ```
#[must_use]
pub fn decide_raw(raw: i64) -> i64 {
    match PackedRequest::from_raw(raw).and_then(decide_packed) {
        Ok(decision) => decision.raw(),
        Err(err) => -1 - err.code as i64,
    }
}
