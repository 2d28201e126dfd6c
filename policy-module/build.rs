//! Precomputes the policy's answer for every one-domain request (below `TABLE_BITS`) with the
//! native core, as a 1 MB little-endian `i32` table indexed by `PackedRequest::dense_index`.
//! The module's `decide` is then a bounds check and a load for the common case; tests check
//! it against the core on every integer of the table.

use onbehalf_core::{decide_raw, PackedRequest, DENSE_SIZE, TABLE_BITS};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let mut table = vec![0u8; DENSE_SIZE * 4];
    for raw in 0..1i64 << TABLE_BITS {
        if let Some(i) = PackedRequest::dense_index(raw) {
            let answer = i32::try_from(decide_raw(raw)).unwrap_or(i32::MIN);
            if let Some(slot) = table.get_mut(i * 4..i * 4 + 4) {
                slot.copy_from_slice(&answer.to_le_bytes());
            }
        }
    }
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default())
        .join("decisions.bin");
    if let Err(e) = std::fs::write(&out, table) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
}
