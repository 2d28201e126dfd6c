//! Policy ABI v1 exports (see `docs/policy-abi.md`). This is the only file with `unsafe`:
//! the host hands the module addresses in its own linear memory, and Rust needs `unsafe` to
//! turn an integer address into a slice. Shared verbatim by every policy module of this
//! repository (`#[path]`-included), each of which supplies `crate::policy::{decide, explain}`.
//!
//! Memory contract: every buffer crossing the ABI is allocated by `alloc(size)` (alignment 8)
//! and released by `dealloc(ptr, size)` with the same size. `explain` returns its output as
//! `(ptr << 32) | len`, allocated the same way; the host reads it, then deallocates it.
#![allow(unsafe_code)]

use alloc::alloc::{alloc as raw_alloc, dealloc as raw_dealloc, Layout};

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

/// ABI: the policy ABI version this module implements.
#[no_mangle]
pub extern "C" fn onbehalf_abi_version() -> i32 {
    1
}

/// ABI: packed request → packed decision.
#[no_mangle]
pub extern "C" fn decide(request: i64) -> i64 {
    crate::policy::decide(request)
}

/// ABI: allocate `size` bytes (alignment 8). Returns 0 for `size <= 0` or when out of memory.
#[no_mangle]
pub extern "C" fn alloc(size: i32) -> i32 {
    match layout(size) {
        // SAFETY: `layout` has a non-zero size, as `GlobalAlloc::alloc` requires.
        Some(l) => unsafe { raw_alloc(l) as usize as i32 },
        None => 0,
    }
}

/// ABI: release a buffer from `alloc(size)`. Ignores `ptr == 0` and `size <= 0`.
#[no_mangle]
pub extern "C" fn dealloc(ptr: i32, size: i32) {
    if let (Some(l), true) = (layout(size), ptr != 0) {
        // SAFETY: the ABI contract says `ptr` came from `alloc(size)` with this same size,
        // hence the same layout, and is released once.
        unsafe { raw_dealloc(ptr as usize as *mut u8, l) }
    }
}

/// ABI: decide `count` packed requests (little-endian i64 at `in_ptr`) into `out_ptr`.
/// Returns `count`, or -1 for a negative count. Both regions may be unaligned.
#[no_mangle]
pub extern "C" fn decide_batch(in_ptr: i32, out_ptr: i32, count: i32) -> i32 {
    let Ok(n) = usize::try_from(count) else {
        return -1;
    };
    let (input, output) = (in_ptr as usize as *const i64, out_ptr as usize as *mut i64);
    for i in 0..n {
        // SAFETY: the host allocated `count * 8` bytes at each address (ABI contract). In
        // wasm every address below the memory size is readable and writable; one beyond it
        // traps, which the host turns into a fail-closed answer — it cannot corrupt the host.
        // `read/write_unaligned` need no alignment.
        unsafe {
            let request = input.wrapping_add(i).read_unaligned();
            output
                .wrapping_add(i)
                .write_unaligned(crate::policy::decide(request));
        }
    }
    count
}

/// ABI: `len` bytes of UTF-8 JSON at `ptr` → `(out_ptr << 32) | out_len` of the decision
/// JSON (or error JSON), allocated with `alloc(out_len)`. Returns 0 if out of memory.
#[no_mangle]
pub extern "C" fn explain(ptr: i32, len: i32) -> i64 {
    let bytes: &[u8] = match usize::try_from(len) {
        Ok(0) | Err(_) => &[],
        // SAFETY: the host wrote `len` bytes at `ptr`, a buffer from `alloc(len)` (ABI
        // contract); the slice lives only during this call, while the host does not touch it.
        Ok(n) => unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, n) },
    };
    let answer = match core::str::from_utf8(bytes) {
        Ok(text) => crate::policy::explain(text),
        Err(_) => alloc::string::String::from(
            r#"{"error":{"code":"invalid-json","message":"request: not valid JSON (found invalid UTF-8); expected UTF-8 text"}}"#,
        ),
    };
    let Ok(out_len) = i32::try_from(answer.len()) else {
        return 0;
    };
    let out = alloc(out_len);
    if out == 0 {
        return 0;
    }
    // SAFETY: `out` is a fresh allocation of exactly `answer.len()` bytes that nothing else
    // references; source and destination cannot overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(answer.as_ptr(), out as usize as *mut u8, answer.len())
    };
    (i64::from(out as u32) << 32) | i64::from(out_len as u32)
}
