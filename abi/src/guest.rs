//! The module side of the ABI: the only `unsafe` of a policy module. The host hands the
//! module addresses in the module's own linear memory, and Rust needs `unsafe` to turn an
//! integer address into a slice. Everything here runs inside the wasm sandbox: an address
//! outside the memory traps, and the host answers a trap fail-closed — a hostile or broken
//! host input cannot corrupt anything outside the module.
//!
//! Memory contract: every buffer crossing the ABI is allocated by `alloc(size)` (alignment 8)
//! and released by `dealloc(ptr, size)` with the same size.
#![allow(unsafe_code)]

use alloc::alloc::{alloc as raw_alloc, dealloc as raw_dealloc, Layout};
use alloc::string::String;

/// The no-import allocator: dlmalloc grows linear memory with `memory.grow`, an instruction,
/// not an import.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// A panic traps (`unreachable`); the host turns the trap into a fail-closed decision.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

const ALIGN: usize = 8;

fn layout(size: i32) -> Option<Layout> {
    let size = usize::try_from(size).ok().filter(|s| *s > 0)?;
    Layout::from_size_align(size, ALIGN).ok()
}

/// `alloc`: `size` bytes (alignment 8); 0 for `size <= 0` or when out of memory.
#[must_use]
pub fn alloc(size: i32) -> i32 {
    match layout(size) {
        // SAFETY: `layout` has a non-zero size, as `GlobalAlloc::alloc` requires.
        Some(l) => unsafe { raw_alloc(l) as usize as i32 },
        None => 0,
    }
}

/// `dealloc`: releases a buffer from `alloc(size)`; ignores `ptr == 0` and `size <= 0`.
pub fn dealloc(ptr: i32, size: i32) {
    if let (Some(l), true) = (layout(size), ptr != 0) {
        // SAFETY: the ABI contract says `ptr` came from `alloc(size)` with this same size,
        // hence the same layout, and is released once.
        unsafe { raw_dealloc(ptr as usize as *mut u8, l) }
    }
}

/// `decide_batch`: `count` little-endian i64 requests at `in_ptr` → decisions at `out_ptr`.
/// Returns `count`, or -1 for a negative count. Both regions may be unaligned.
#[must_use]
pub fn decide_batch(in_ptr: i32, out_ptr: i32, count: i32, decide: fn(i64) -> i64) -> i32 {
    let Ok(n) = usize::try_from(count) else {
        return -1;
    };
    let (input, output) = (in_ptr as usize as *const i64, out_ptr as usize as *mut i64);
    for i in 0..n {
        // SAFETY: the host allocated `count * 8` bytes at each address (ABI contract). In
        // wasm every address below the memory size is readable and writable; one beyond it
        // traps, which the host answers fail-closed. `read/write_unaligned` need no alignment.
        unsafe {
            let request = input.wrapping_add(i).read_unaligned();
            output.wrapping_add(i).write_unaligned(decide(request));
        }
    }
    count
}

/// `decide_records`: `count` request records in the `in_len` bytes at `in_ptr` → `count`
/// answer records at `out_ptr`. Returns `count`, or -1 when the records do not parse (the
/// host then fails the whole call closed; it never sends such records).
#[must_use]
pub fn decide_records(
    in_ptr: i32,
    in_len: i32,
    out_ptr: i32,
    count: i32,
    decide: fn(&crate::record::RecordView<'_>) -> crate::record::Answer,
) -> i32 {
    let mut bytes = input(in_ptr, in_len);
    let out = out_ptr as usize as *mut u8;
    for i in 0..usize::try_from(count).unwrap_or(0) {
        let Some((record, used)) = crate::record::RecordView::parse(bytes) else {
            return -1;
        };
        bytes = bytes.get(used..).unwrap_or_default();
        let answer = decide(&record).to_bytes();
        // SAFETY: the host allocated `count * ANSWER_SIZE` bytes at `out_ptr` (ABI contract);
        // in wasm an address past the memory traps (answered fail-closed by the host).
        unsafe {
            core::ptr::copy_nonoverlapping(
                answer.as_ptr(),
                out.wrapping_add(i * crate::record::ANSWER_SIZE),
                answer.len(),
            );
        }
    }
    count
}

/// `policy_reasons`: a static text copied into a fresh allocation; `(ptr << 32) | len`.
#[must_use]
pub fn text(text: &str) -> i64 {
    output(text.as_bytes())
}

/// The `len` bytes the host wrote at `ptr` (a buffer from `alloc(len)`).
fn input<'a>(ptr: i32, len: i32) -> &'a [u8] {
    match usize::try_from(len) {
        Ok(0) | Err(_) => &[],
        // SAFETY: the host wrote `len` bytes at `ptr`, a buffer from `alloc(len)` (ABI
        // contract); the slice is used only during this call, while the host does not touch it.
        Ok(n) => unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, n) },
    }
}

/// Copies `bytes` into a fresh `alloc`ation; returns `(ptr << 32) | len`, or 0 if out of memory.
fn output(bytes: &[u8]) -> i64 {
    let Ok(len) = i32::try_from(bytes.len()) else {
        return 0;
    };
    let out = alloc(len);
    if out == 0 {
        return 0;
    }
    // SAFETY: `out` is a fresh allocation of exactly `bytes.len()` bytes that nothing else
    // references; source and destination cannot overlap.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), out as usize as *mut u8, bytes.len()) };
    (i64::from(out as u32) << 32) | i64::from(len as u32)
}

/// The JSON entry: `len` bytes of UTF-8 at `ptr` → `(out_ptr << 32) | out_len` of the answer
/// JSON, allocated with `alloc(out_len)`; 0 if out of memory. Input that is not UTF-8 gets
/// the spec's `invalid-json` error.
#[must_use]
pub fn decide_json(ptr: i32, len: i32, decide: fn(&str) -> String) -> i64 {
    let answer = match core::str::from_utf8(input(ptr, len)) {
        Ok(text) => decide(text),
        Err(e) => {
            let error = onbehalf_core::json::invalid_utf8(e.valid_up_to());
            alloc::string::ToString::to_string(&onbehalf_core::json::error_to_value(&error))
        }
    };
    output(answer.as_bytes())
}

/// The last answer of an embedding-kit entry, `(ptr << 32) | len` (0: none): it stays
/// valid until the next kit call, which releases it, so a host reads it without a
/// `dealloc` call of its own (each call costs a host in another language tens of µs).
static KIT_ANSWER: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// An embedding-kit entry: the `len` bytes at `ptr` → `(out_ptr << 32) | out_len` of `f`'s
/// answer (0 if out of memory), owned by the kit until its next call.
#[must_use]
pub fn bytes_call(ptr: i32, len: i32, f: fn(&[u8]) -> alloc::vec::Vec<u8>) -> i64 {
    use core::sync::atomic::Ordering::Relaxed;
    let previous = KIT_ANSWER.swap(0, Relaxed);
    if previous != 0 {
        dealloc((previous >> 32) as u32 as i32, previous as u32 as i32);
    }
    let answer = output(&f(input(ptr, len)));
    KIT_ANSWER.store(answer as u64, Relaxed);
    answer
}
