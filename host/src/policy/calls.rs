//! The memory protocol of each ABI call: where the host writes the input in the module's
//! linear memory, which export it calls under which fuel, where it reads the answer. Every
//! address and length the module hands back is bounds-checked against its memory; anything
//! off is a fault.

use onbehalf_abi::names;
use onbehalf_abi::record::ANSWER_SIZE;
use wasmtime::{Memory, Store, TypedFunc};

use super::fault::{Classify, Fault};
use super::store::StoreState;
use onbehalf_abi::Limits;

/// The typed exports of one live instance.
pub(super) struct Exports {
    pub memory: Memory,
    pub decide: TypedFunc<i64, i64>,
    pub decide_batch: TypedFunc<(i32, i32, i32), i32>,
    pub decide_records: Option<TypedFunc<(i32, i32, i32, i32), i32>>,
    pub alloc: TypedFunc<i32, i32>,
    pub dealloc: TypedFunc<(i32, i32), ()>,
    /// `explain` (ABI v1) or `decide_json` (ABI v2, optional).
    pub json: Option<TypedFunc<(i32, i32), i64>>,
}

/// The typed function export `name` of `instance`.
fn typed<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    instance: &wasmtime::Instance,
    store: &mut Store<StoreState>,
    name: &str,
) -> Result<TypedFunc<P, R>, Fault> {
    instance
        .get_typed_func(&mut *store, name)
        .map_err(|_| Fault::Instantiate)
}

impl Exports {
    /// Binds the exports a module of ABI `version` has (load checked their signatures);
    /// the JSON entry is `explain` in v1, `decide_json` (optional) in v2.
    pub(super) fn bind(
        instance: &wasmtime::Instance,
        store: &mut Store<StoreState>,
        version: i32,
    ) -> Result<Exports, Fault> {
        let v2 = version >= onbehalf_abi::ABI_V2;
        let json_name = if v2 {
            names::DECIDE_JSON
        } else {
            names::EXPLAIN
        };
        Ok(Exports {
            memory: instance
                .get_memory(&mut *store, onbehalf_abi::MEMORY)
                .ok_or(Fault::Instantiate)?,
            decide: typed(instance, store, names::DECIDE)?,
            decide_batch: typed(instance, store, names::DECIDE_BATCH)?,
            decide_records: if v2 {
                Some(typed(instance, store, names::DECIDE_RECORDS)?)
            } else {
                None
            },
            alloc: typed(instance, store, names::ALLOC)?,
            dealloc: typed(instance, store, names::DEALLOC)?,
            json: typed(instance, store, json_name).ok(),
        })
    }
}

/// A buffer in module memory, kept across calls: (address, capacity in bytes).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Buffer(Option<(i32, usize)>);

fn fault(store: &Store<StoreState>) -> impl Fn(wasmtime::Error) -> Fault + '_ {
    |e| Fault::from_call_error(&e, store.data())
}

fn fuel(store: &mut Store<StoreState>, fuel: u64) -> Result<(), Fault> {
    super::store::refuel(store, fuel).map_err(|_| Fault::Trap)
}

impl Buffer {
    /// An address with room for `bytes`, allocating (and releasing the old buffer) if needed.
    fn reserve(
        &mut self,
        store: &mut Store<StoreState>,
        exports: &Exports,
        limits: &Limits,
        bytes: usize,
    ) -> Result<usize, Fault> {
        if let Some((ptr, cap)) = self.0 {
            if cap >= bytes {
                return usize::try_from(ptr).map_err(|_| Fault::MalformedAnswer);
            }
        }
        fuel(store, limits.decide_fuel)?;
        if let Some((ptr, cap)) = self.0.take() {
            let old = i32::try_from(cap).unwrap_or(0);
            exports
                .dealloc
                .call(&mut *store, (ptr, old))
                .map_err(|e| Fault::from_call_error(&e, store.data()))?;
        }
        // Grow by doubling so a sequence of bigger batches allocates a few times only.
        let size = bytes.max(1024).next_power_of_two();
        let size_i32 = i32::try_from(size).map_err(|_| Fault::MalformedAnswer)?;
        let ptr = exports
            .alloc
            .call(&mut *store, size_i32)
            .map_err(|e| Fault::from_call_error(&e, store.data()))?;
        if ptr == 0 {
            return Err(Fault::MemoryLimit);
        }
        self.0 = Some((ptr, size));
        usize::try_from(ptr).map_err(|_| Fault::MalformedAnswer)
    }
}

fn i32_of(n: usize) -> Result<i32, Fault> {
    i32::try_from(n).map_err(|_| Fault::MalformedAnswer)
}

/// A fuel budget: `base` plus `each` for each of `n` items (saturating).
fn per(each: u64, n: usize, base: u64) -> u64 {
    each.saturating_mul(n as u64).saturating_add(base)
}

/// Writes `bytes` into module memory at `addr`.
fn write(
    store: &mut Store<StoreState>,
    exports: &Exports,
    addr: usize,
    bytes: &[u8],
) -> Result<(), Fault> {
    exports
        .memory
        .write(&mut *store, addr, bytes)
        .map_err(|_| Fault::MalformedAnswer)
}

/// The `len` bytes of module memory at `addr`.
fn read<'s>(
    store: &'s Store<StoreState>,
    exports: &Exports,
    addr: usize,
    len: usize,
) -> Result<&'s [u8], Fault> {
    exports
        .memory
        .data(store)
        .get(addr..addr.saturating_add(len))
        .ok_or(Fault::MalformedAnswer)
}

/// `decide_batch`: writes the requests into module memory, calls, reads the answers into `out`.
pub(super) fn decide_batch(
    store: &mut Store<StoreState>,
    exports: &Exports,
    buffer: &mut Buffer,
    limits: &Limits,
    requests: &[i64],
    out: &mut Vec<i64>,
) -> Result<(), Fault> {
    let count = requests.len();
    let base = buffer.reserve(store, exports, limits, count * 16)?;
    let out_addr = base + count * 8;
    let input = exports
        .memory
        .data_mut(&mut *store)
        .get_mut(base..out_addr)
        .ok_or(Fault::MalformedAnswer)?;
    for (slot, request) in input.chunks_exact_mut(8).zip(requests) {
        slot.copy_from_slice(&request.to_le_bytes());
    }
    fuel(
        store,
        per(limits.batch_fuel_per_request, count, limits.decide_fuel),
    )?;
    let done = exports
        .decide_batch
        .call(
            &mut *store,
            (i32_of(base)?, i32_of(out_addr)?, i32_of(count)?),
        )
        .map_err(fault(store))?;
    if done != i32_of(count)? {
        return Err(Fault::MalformedAnswer);
    }
    let answers = read(store, exports, out_addr, count * 8)?;
    out.extend(
        answers
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0xff; 8]))),
    );
    Ok(())
}

/// `decide_records`: writes `count` encoded records, calls, copies the answer records into
/// `out` (cleared first).
pub(super) fn decide_records(
    store: &mut Store<StoreState>,
    exports: &Exports,
    buffer: &mut Buffer,
    limits: &Limits,
    records: &[u8],
    count: usize,
    out: &mut Vec<u8>,
) -> Result<(), Fault> {
    let f = exports.decide_records.as_ref().ok_or(Fault::Unsupported)?;
    let answers_len = count * ANSWER_SIZE;
    let base = buffer.reserve(store, exports, limits, records.len() + answers_len)?;
    let out_addr = base + records.len();
    write(store, exports, base, records)?;
    let bytes_fuel = per(limits.json_fuel_per_byte, records.len(), limits.decide_fuel);
    fuel(store, per(limits.record_fuel_base, count, bytes_fuel))?;
    let args = (
        i32_of(base)?,
        i32_of(records.len())?,
        i32_of(out_addr)?,
        i32_of(count)?,
    );
    let done = f.call(&mut *store, args).map_err(fault(store))?;
    if done != i32_of(count)? {
        return Err(Fault::MalformedAnswer);
    }
    let answers = read(store, exports, out_addr, answers_len)?;
    out.clear();
    out.extend_from_slice(answers);
    Ok(())
}

/// The JSON entry (`explain` in v1, `decide_json` in v2): `alloc`, write, call, `dealloc`,
/// read the answer at the address the module returned, `dealloc` it.
pub(super) fn decide_json(
    store: &mut Store<StoreState>,
    exports: &Exports,
    limits: &Limits,
    request: &[u8],
) -> Result<Vec<u8>, Fault> {
    let json = exports.json.as_ref().ok_or(Fault::Unsupported)?;
    let len = i32_of(request.len())?;
    fuel(store, limits.decide_fuel)?;
    let ptr = exports.alloc.call(&mut *store, len).map_err(fault(store))?;
    if ptr == 0 && len > 0 {
        return Err(Fault::MemoryLimit);
    }
    let addr = usize::try_from(ptr).map_err(|_| Fault::MalformedAnswer)?;
    write(store, exports, addr, request)?;
    fuel(
        store,
        per(
            limits.json_fuel_per_byte,
            request.len(),
            limits.json_fuel_base,
        ),
    )?;
    let packed = json.call(&mut *store, (ptr, len)).map_err(fault(store))?;
    fuel(store, limits.decide_fuel)?;
    exports
        .dealloc
        .call(&mut *store, (ptr, len))
        .map_err(fault(store))?;
    let out_ptr = (packed >> 32) as u32 as usize;
    let out_len = packed as u32 as usize;
    if packed == 0 || out_len > limits.max_answer_bytes {
        return Err(Fault::MalformedAnswer);
    }
    let answer = read(store, exports, out_ptr, out_len)?.to_vec();
    exports
        .dealloc
        .call(&mut *store, (i32_of(out_ptr)?, i32_of(out_len)?))
        .map_err(fault(store))?;
    Ok(answer)
}
